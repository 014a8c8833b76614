"""Stage 8 (load): a thousand concurrent clients in one room, and every one gets everything.

The test raises its own limit on open files (one per connection), starts your server, connects
1,000 WebSocket clients (100 at a time), joins them all to one room and has one of them say
ten messages. Every client must get all ten, in order. There is no time limit beyond a
generous deadline: `invoke bench` is where speed is measured.
"""

import asyncio
import json

import pytest
from websockets.asyncio.client import connect

from tests.support import WAIT, brief, play, raise_open_files_limit, running

pytestmark = pytest.mark.stage("load")

CLIENTS = 1000
MESSAGES = 10
AT_ONCE = 100  # connections opened at the same time


@pytest.mark.timeout(180)
def test_a_thousand_clients_all_get_every_message(tmp_path):
    limit = raise_open_files_limit()
    assert limit >= 2 * CLIENTS + 100, (
        f"this machine allows {limit} open files per process; the test needs "
        f"{2 * CLIENTS + 100} (its clients and your server's connections). Raise the hard "
        "limit (`ulimit -Hn`) and run again."
    )

    async def one_client(server, n, gate, settled, go):
        try:
            async with gate:
                websocket = await connect(
                    server.ws_url, open_timeout=60, ping_interval=None, close_timeout=2
                )
                await websocket.send(
                    json.dumps({"type": "join", "room": "arena", "nick": f"c{n}"})
                )
                while True:  # until our own "joined"
                    async with asyncio.timeout(60):
                        event = await websocket.recv()
                    if '"joined"' in event:
                        break
        except Exception as err:
            settled.append(f"client {n} could not connect and join: {err!r}")
            raise
        finally:
            settled.append(None)
            if len([s for s in settled if s is None]) == CLIENTS:
                go.set()
        got = []
        try:
            while len(got) < MESSAGES:
                async with asyncio.timeout(90):
                    event = await websocket.recv()
                if '"message"' in event:
                    got.append(event)
        except TimeoutError:
            pass
        finally:
            await websocket.close()
        return got

    async def scenario(server):
        server.require_up()
        gate = asyncio.Semaphore(AT_ONCE)
        settled: list[str | None] = []  # None per client done joining, or why it failed
        go = asyncio.Event()
        clients = [
            asyncio.create_task(one_client(server, n, gate, settled, go))
            for n in range(CLIENTS)
        ]
        await go.wait()  # every client has joined or failed (each has its own deadline)
        problems = [s for s in settled if s is not None]
        if problems:
            for client in clients:
                client.cancel()
            pytest.fail(
                f"{len(problems)} of {CLIENTS} clients could not connect and join; the "
                f"first: {problems[0]}\n{server.output_tail()}",
                pytrace=False,
            )
        speaker = await connect(server.ws_url, open_timeout=WAIT, ping_interval=None)
        await speaker.send('{"type": "join", "room": "arena", "nick": "speaker"}')
        for n in range(MESSAGES):
            await speaker.send(
                json.dumps({"type": "say", "room": "arena", "text": f"broadcast {n}"})
            )
        results = await asyncio.gather(*clients, return_exceptions=True)
        await speaker.close()
        short = []
        for n, result in enumerate(results):
            if isinstance(result, BaseException):
                short.append((n, f"failed: {type(result).__name__}: {result}"))
                continue
            texts = [json.loads(event).get("text") for event in result]
            if texts != [f"broadcast {k}" for k in range(MESSAGES)]:
                short.append((n, f"got {texts}"))
        assert not short, (
            f"{len(short)} of {CLIENTS} clients did not get all {MESSAGES} messages in "
            f"order; the first: {brief(str(short[:3]), 400)}\n"
            "  rule: with 1,000 clients in a room, every one gets every message\n"
            f"{server.output_tail()}"
        )

    with running(tmp_path) as server:
        play(scenario(server), seconds=170)
