"""Stages 1, 5 and 7: the WebSocket server, one session per connection, and plain HTTP checks.

The server listens on one port: WebSocket clients connect to /ws; GET /health and GET /ready
answer plain HTTP (the tests and any load balancer wait for /ready); anything else is 404.
Each connection runs `session`: it reads frames, answers bad ones with an error event (or a
close code, PROTOCOL.md says which), hands good ones to the hub, and closes a client that sent
nothing for the idle timeout. The WebSocket library sends pings and drops a peer that stops
answering them (heartbeats); its limits reject frames over 64 KiB (1009) and text that is not
UTF-8 (1007).
"""

# Some imports are for the code you write.
# ruff: noqa: F401

import argparse
import asyncio
import json
import logging
import signal
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from .cluster import RedisBus
from .history import LocalHistory
from .hub import Client, Hub
from .protocol import (
    CLOSE_IDLE,
    CLOSE_UNSUPPORTED,
    MAX_FRAME_BYTES,
    ProtocolError,
    error_event,
    parse_command,
)

WS_PATH = "/ws"
CLOSE_TIMEOUT = 2.0  # how long a client gets to answer our close frame
SHUTDOWN_SECONDS = 3.0  # how long connections get to close when the server stops
log = logging.getLogger("chat")


def json_response(status: HTTPStatus, body: dict[str, Any]) -> Response:
    """A plain HTTP answer with a JSON body."""
    data = json.dumps(body).encode()
    headers = Headers(
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return Response(status.value, status.phrase, headers, data)


def http_answer(connection: ServerConnection, request: Request) -> Response | None:
    """/health and /ready over plain HTTP, 404 for unknown paths, None: go on to WebSocket."""
    path = request.path.split("?", 1)[0]
    if path == "/health":
        return json_response(HTTPStatus.OK, {"status": "ok"})
    if path == "/ready":
        return json_response(HTTPStatus.OK, {"status": "ready"})
    if path != WS_PATH:
        return json_response(
            HTTPStatus.NOT_FOUND,
            {"error": {"code": "not_found", "message": f"connect to {WS_PATH}"}},
        )
    return None


async def dispatch(hub: Hub, client: Client, command: dict[str, Any]) -> None:
    """Carry out one checked command."""
    kind = command["type"]
    if kind == "join":
        await hub.join(client, command["room"], command["nick"], command["after"])
    elif kind == "leave":
        hub.leave(client, command["room"])
        hub.reply(client, {"type": "left", "room": command["room"]})
    elif kind == "say":
        await hub.say(client, command["room"], command["text"])
    elif kind == "history":
        await hub.history_request(
            client, command["room"], command["before"], command["limit"]
        )
    elif kind == "ping":
        hub.reply(client, {"type": "pong"})


async def session(hub: Hub, websocket: ServerConnection, idle_seconds: float) -> None:
    """One client's connection, from handshake to close."""
    client = hub.connect(websocket)
    client.writer = asyncio.get_running_loop().create_task(client.pump())
    try:
        while True:
            frame = await websocket.recv()
            if isinstance(frame, bytes):
                await websocket.close(CLOSE_UNSUPPORTED, "send JSON in text frames")
                return
            try:
                await dispatch(hub, client, parse_command(frame))
            except ProtocolError as err:
                hub.reply(client, error_event(err.code, err.message))
    except ConnectionClosed:
        pass
    finally:
        hub.disconnect(client)
        client.writer.cancel()


async def serve_chat(options: argparse.Namespace) -> None:
    """Serve until SIGTERM or SIGINT; then close every connection (1001) and return."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    hub = Hub(LocalHistory(options.data), queue_limit=options.queue_limit)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with serve(
        lambda websocket: session(hub, websocket, options.idle_timeout),
        options.host,
        options.port,
        process_request=http_answer,
        max_size=MAX_FRAME_BYTES,
        close_timeout=CLOSE_TIMEOUT,
    ) as server:
        log.info("chat listening on ws://%s:%s%s", options.host, options.port, WS_PATH)
        await stop.wait()
        server.close()
        try:
            async with asyncio.timeout(SHUTDOWN_SECONDS):
                await server.wait_closed()
        except TimeoutError:
            # Clients that stopped reading never take their close frame: cut them off.
            for client in list(hub.clients):
                client.websocket.transport.abort()
