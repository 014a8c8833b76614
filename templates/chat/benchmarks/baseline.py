"""The baseline for `invoke bench`: the smallest broadcast server on the same library.

    python benchmarks/baseline.py --port 8001

One room, no history, no ids kept, no queues of its own: `join` answers `joined`, `say` goes to
every connected client with `websockets.broadcast`. Whatever your server costs beyond this is
your design (rooms, history, per-client queues, Redis), not asyncio's or the library's.
"""

import argparse
import asyncio
import json
import resource
from http import HTTPStatus

from websockets.asyncio.server import broadcast, serve

CLIENTS = set()


def ready(connection, request):
    """/ready for the harness; everything else goes on to the WebSocket handshake."""
    if request.path == "/ready":
        return connection.respond(HTTPStatus.OK, "ready\n")
    return None


async def session(websocket):
    CLIENTS.add(websocket)
    try:
        async for frame in websocket:
            command = json.loads(frame)
            if command["type"] == "join":
                await websocket.send('{"type":"joined"}')
            elif command["type"] == "say":
                session.next_id += 1
                event = {
                    "type": "message",
                    "id": session.next_id,
                    "text": command["text"],
                }
                broadcast(CLIENTS, json.dumps(event))
    finally:
        CLIENTS.discard(websocket)


session.next_id = 0


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    opts = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    async with serve(
        session,
        opts.host,
        opts.port,
        process_request=ready,
        compression=None,
        backlog=4096,
    ):
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main())
