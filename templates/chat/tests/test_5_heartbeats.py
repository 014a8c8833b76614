"""Stage 5 (heartbeats): finding dead connections and closing idle ones.

The tests start your server with small values of --ping-interval, --ping-timeout and
--idle-timeout. A client whose network stack stops answering pings is dropped (the room sees
it leave); one that answers pings but sends nothing is closed with 4002 after the idle timeout;
one that keeps sending text frames stays, however long it stays. WebSocket control frames
(pings, pongs) keep a connection alive but do not make it active.
"""

import asyncio

import pytest

from tests.support import CLOSE_IDLE, Peer, StuckClient, play, running

pytestmark = pytest.mark.stage("heartbeats")

# Small, but not so small that a busy machine's pause looks like a dead client.
QUICK_PINGS = ("--ping-interval", "0.5", "--ping-timeout", "1.5")


def test_a_client_that_sends_nothing_is_closed_as_idle(tmp_path):
    async def scenario(server):
        quiet = await Peer.open(server, "quiet")
        await quiet.send({"type": "ping"})
        await quiet.expect("pong")
        code = await quiet.closed(
            seconds=6, waiting_for="a close after --idle-timeout 1 with nothing sent"
        )
        assert code == CLOSE_IDLE, (
            f"a client that sent nothing for the idle timeout\n  got: close code {code}\n"
            f"  expected: {CLOSE_IDLE} (idle)\n"
            "  rule: idle clients are closed with 4002, so they know why; answering the "
            "server's heartbeat pings (the client's library does it) is not activity"
        )

    with running(tmp_path, "--idle-timeout", "1", *QUICK_PINGS) as server:
        play(scenario(server))


def test_any_text_frame_counts_as_activity(tmp_path):
    async def scenario(server):
        busy = await Peer.open(server, "busy")
        loop = asyncio.get_running_loop()
        started = loop.time()
        pings = 0
        # One and a half idle timeouts long, a frame every eighth of one: it must stay.
        # Every other frame is garbage: a frame answered with an error counts too.
        while loop.time() - started < 3.0:
            if pings % 2:
                await busy.send("not JSON")
                answer = ("error", {"code": "bad_json"})
            else:
                await busy.send({"type": "ping"})
                answer = ("pong", {})
            await busy.expect(
                answer[0],
                rule="a client that sends a text frame every 0.25 s is not idle: the idle "
                "timeout starts again after every text frame, a command or not",
                **answer[1],
            )
            pings += 1
            await asyncio.sleep(
                0.25
            )  # the client's own pace, not a wait for the server
        code = await busy.closed(waiting_for="the idle close once the pings stop")
        assert code == CLOSE_IDLE, (
            f"after {pings} pings, then silence\n  got: close code {code}\n"
            f"  expected: {CLOSE_IDLE}"
        )

    with running(tmp_path, "--idle-timeout", "2", *QUICK_PINGS) as server:
        play(scenario(server))


def test_websocket_ping_frames_alone_do_not_count_as_activity(tmp_path):
    async def scenario(server):
        pinger = await Peer.open(server, "pinger")
        await pinger.send({"type": "ping"})
        await pinger.expect("pong")
        pinger.sent.append("<a WebSocket ping frame every 0.2 s from here on>")

        async def keep_pinging():
            while True:
                await pinger.websocket.ping()  # a control frame, not a message
                await asyncio.sleep(0.2)

        pinging = asyncio.create_task(keep_pinging())
        try:
            code = await pinger.closed(
                seconds=6,
                waiting_for="a close after --idle-timeout 1 with only WebSocket pings "
                "sent; the idle timeout counts text frames only",
            )
        finally:
            pinging.cancel()
            await asyncio.gather(pinging, return_exceptions=True)
        assert code == CLOSE_IDLE, (
            "a client that sent only WebSocket ping frames (its library's, answered by "
            f"yours) for the idle timeout\n  got: close code {code}\n"
            f"  expected: {CLOSE_IDLE} (idle)\n"
            "  rule: control frames (ping, pong) prove the connection is alive, not that "
            "anyone uses it: only text frames reset the idle timeout"
        )

    with running(tmp_path, "--idle-timeout", "1", *QUICK_PINGS) as server:
        play(scenario(server))


def test_a_peer_that_stops_answering_pings_is_dropped(tmp_path):
    async def scenario(server):
        watcher = await Peer.open(server, "watcher")
        await watcher.join("lobby", "watcher")
        ghost = StuckClient(server)  # answers nothing once joined: not even pings
        ghost.send({"type": "join", "room": "lobby", "nick": "ghost"})
        await watcher.expect("presence", nick="ghost", action="join")
        await watcher.expect(
            "presence",
            seconds=10,
            nick="ghost",
            action="leave",
            rule="the server pings every --ping-interval and drops a client that does not "
            "answer within --ping-timeout (here 0.5 s and 1.5 s; the idle timeout is 60 s)",
        )
        ghost.close()
        # the watcher answers pings (its library does) and stays
        await watcher.send({"type": "ping"})
        await watcher.expect("pong", rule="a client that answers pings is kept")
        await watcher.close()

    with running(tmp_path, "--idle-timeout", "60", *QUICK_PINGS) as server:
        play(scenario(server))


def test_a_quiet_client_that_answers_pings_is_kept(tmp_path):
    async def scenario(server):
        reader = await Peer.open(server, "reader")
        await reader.join("lobby", "reader")
        talker = await Peer.open(server, "talker")
        await talker.join("lobby", "talker")
        # reader only listens: pings come and go (its library answers them) for a while
        for n in range(8):
            await talker.say("lobby", f"tick {n}")
            await talker.expect("message", text=f"tick {n}")
            got = await reader.expect(
                "message",
                text=f"tick {n}",
                rule="a client that answers pings but sends nothing stays until the idle "
                "timeout (60 s here)",
            )
            assert got["id"] == n + 1
            await asyncio.sleep(0.25)  # the talker's own pace: two seconds in all
        await reader.close()
        await talker.close()

    with running(tmp_path, "--idle-timeout", "60", *QUICK_PINGS) as server:
        play(scenario(server))
