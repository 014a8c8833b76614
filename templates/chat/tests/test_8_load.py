"""Stage 8 (load): a thousand concurrent clients in one room, and every one gets everything.

Every connection is an open file, and the soft limit a process starts with is often far too
low (1024 on many Linux systems, 256 on macOS): the first test starts your server with a soft
limit of 64 and connects 100 clients, which only a server that raises its own limit holds. The
second raises its own limit, starts your server, connects 1,000 WebSocket clients (100 at a
time), joins them all to one room and has one of them say ten messages. Every client must get
all ten, in order. There is no time limit beyond a generous deadline: `invoke bench` is where
speed is measured.
"""

import asyncio
import json
import sys

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.support import (
    WAIT,
    ChatServer,
    brief,
    play,
    raise_open_files_limit,
    running,
)

pytestmark = pytest.mark.stage("load")

CLIENTS = 1000
MESSAGES = 10
AT_ONCE = 100  # connections opened at the same time
LOW_LIMIT = 64  # the soft limit on open files the first test starts your server with
HELD = 100  # the connections it must then hold at once

# Lowers the soft limit on open files (the hard one stays), then becomes the command that
# follows (os.execv: the same process, so stopping it works as for any server).
WITH_LOW_LIMIT = (
    "import os, resource, sys; "
    "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE); "
    "low = int(sys.argv[1]); "
    "low = low if hard == resource.RLIM_INFINITY else min(low, hard); "
    "resource.setrlimit(resource.RLIMIT_NOFILE, (low, hard)); "
    "os.execv(sys.argv[2], sys.argv[2:])"
)


class LowLimitServer(ChatServer):
    """Your server, started with a soft limit of LOW_LIMIT open files."""

    @property
    def argv(self) -> list[str]:
        return [sys.executable, "-c", WITH_LOW_LIMIT, str(LOW_LIMIT), *super().argv]


def test_the_server_raises_its_own_limit_on_open_files(tmp_path):
    raise_open_files_limit()  # for this test's own clients

    async def one_client(server):
        try:
            return await connect(
                server.ws_url, open_timeout=WAIT, ping_interval=None, close_timeout=2
            )
        except (OSError, TimeoutError, InvalidStatus):
            return None

    async def scenario(server):
        server.require_up()
        opened = await asyncio.gather(*(one_client(server) for _ in range(HELD)))
        held = [websocket for websocket in opened if websocket is not None]
        for websocket in held:
            await websocket.close()
        assert len(held) == HELD, (
            f"your server, started with a soft limit of {LOW_LIMIT} open files, took "
            f"{len(held)} of {HELD} clients at once (the others waited {WAIT:g} s for a "
            f"handshake)\n  expected: all {HELD}\n"
            "  rule: every connection is an open file; raise the soft limit to the hard "
            "one when the server starts (resource.setrlimit), before it takes clients\n"
            f"{server.output_tail()}"
        )

    server = LowLimitServer(tmp_path).start()
    try:
        play(scenario(server))
    finally:
        server.stop()


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
