"""Stage 7 (redis): two servers, one chat, joined by a real Redis.

Each test starts its own `redis-server` on a free port of 127.0.0.1 (persistence off) and two
of your servers with `--redis redis://127.0.0.1:PORT/0`, each on its own data folder. Clients
on either server share the rooms: the same messages, the same ids, the same order, and the
same history. Then Redis is stopped, or frozen: every client is told ("redis_unavailable"),
before anything else, and each server carries on alone from its local history, which has the
messages that came through Redis too. Nothing crashes, nothing hangs.
"""

import asyncio
from contextlib import contextmanager

import pytest

from tests.service import free_port
from tests.support import (
    Peer,
    brief,
    ids,
    play,
    redis_running,
    running,
    start,
    texts,
)

pytestmark = pytest.mark.stage("redis")

LOCAL_TOO = (
    "every message a server delivers, those that came through Redis included, also goes "
    "into its local history; without Redis, ids go on from the newest it has (message 1 "
    "came through Redis, so the next local message is 2)"
)


@contextmanager
def two_servers(tmp_path):
    """A redis-server and two chat servers sharing it: (redis, server_a, server_b)."""
    with redis_running(tmp_path) as redis:
        a = start(tmp_path / "a", "--redis", redis.url)
        b = start(tmp_path / "b", "--redis", redis.url)
        try:
            yield redis, a, b
        finally:
            a.stop()
            b.stop()


def test_a_message_said_on_one_server_reaches_the_room_on_both(tmp_path):
    async def scenario(a, b):
        ada = await Peer.open(a, "ada (on server A)")
        bob = await Peer.open(b, "bob (on server B)")
        await ada.join("lobby", "ada")
        await bob.join("lobby", "bob")
        await ada.say("lobby", "hello from A")
        got = await bob.expect(
            "message",
            text="hello from A",
            rule="with --redis, a room spans every server: publish each message to Redis "
            "and deliver what arrives from it",
        )
        mine = await ada.expect("message", text="hello from A")
        assert got["id"] == mine["id"] == 1, (
            f"ada got {brief(mine)}\n  bob got {brief(got)}\n  expected: both id 1"
        )
        await bob.say("lobby", "hello from B")
        for peer in (ada, bob):
            back = await peer.expect("message", text="hello from B")
            assert back["id"] == 2, f"{peer.name}: {brief(back)}, expected id 2"
        await ada.close()
        await bob.close()

    with two_servers(tmp_path) as (_, a, b):
        play(scenario(a, b))


def test_both_servers_deliver_the_same_order_with_one_sequence_of_ids(tmp_path):
    each = 20

    async def scenario(a, b):
        peers = [
            await Peer.open(a, "ada (A)"),
            await Peer.open(a, "al (A)"),
            await Peer.open(b, "bob (B)"),
            await Peer.open(b, "bea (B)"),
        ]
        nicks = ["ada", "al", "bob", "bea"]
        for peer, nick in zip(peers, nicks, strict=True):
            await peer.join("lobby", nick)

        async def chatter(peer, nick):
            for n in range(each):
                await peer.say("lobby", f"{nick} {n}")

        await asyncio.gather(chatter(peers[0], "ada"), chatter(peers[2], "bob"))
        seen = [await peer.messages(2 * each) for peer in peers]
        assert ids(seen[0]) == list(range(1, 2 * each + 1)), (
            f"ids on server A: {ids(seen[0])}\n  expected: 1 to {2 * each}, in order\n"
            "  rule: one sequence of ids per room across all servers (Redis gives them out)"
        )
        for peer, got in zip(peers[1:], seen[1:], strict=True):
            assert texts(got) == texts(seen[0]) and ids(got) == ids(seen[0]), (
                f"{peer.name} and ada (A) saw different orders\n"
                f"  ada: {texts(seen[0])}\n  {peer.name}: {texts(got)}\n"
                "  rule: every member on every server sees the same order"
            )
        for peer in peers:
            await peer.close()

    with two_servers(tmp_path) as (_, a, b):
        play(scenario(a, b))


def test_joining_while_the_room_talks_misses_nothing_and_repeats_nothing(tmp_path):
    talk = 300

    async def scenario(a, b):
        ada = await Peer.open(a, "ada (A)")
        await ada.join("lobby", "ada")

        async def chatter():
            for n in range(1, talk + 1):
                await ada.say("lobby", f"line {n}")

        talking = asyncio.create_task(chatter())
        joiners = []
        for k in range(8):
            peer = await Peer.open(b, f"joiner {k} (B)")
            joiners.append((peer, await peer.join("lobby", f"j{k}")))
            await asyncio.sleep(0.005)  # spread the joins over the conversation
        await talking
        for peer, joined in joiners:
            history = ids(joined.get("history", []))
            newest = history[-1] if history else 0
            live = [newest]
            while live[-1] < talk:
                got = await peer.expect(
                    "message",
                    rule="after joined, every message of the room, in order",
                )
                live.append(got["id"])
            assert live[1:] == list(range(newest + 1, talk + 1)), (
                f"{peer.name} joined while ada (A) said {talk} messages\n"
                f"  its history ended with id {newest}; then it got ids: {live[1:]}\n"
                f"  expected: {newest + 1} to {talk}, each once\n"
                "  rule: a message published while a newcomer's history is read must reach "
                "it exactly once: after the history, and not if the history has it"
            )
        await ada.close()
        for peer, _ in joiners:
            await peer.close()

    with two_servers(tmp_path) as (_, a, b):
        play(scenario(a, b))


def test_history_and_resume_come_from_redis(tmp_path):
    async def scenario(a, b):
        ada = await Peer.open(a, "ada (A)")
        await ada.join("lobby", "ada")
        for n in range(1, 6):
            await ada.say("lobby", f"line {n}")
        await ada.messages(5)
        cy = await Peer.open(b, "cy (B)")
        joined = await cy.join("lobby", "cy")
        assert ids(joined.get("history", [])) == [1, 2, 3, 4, 5], (
            f"cy joins on server B after 5 messages said on A\n  got: {brief(joined)}\n"
            "  expected: history ids 1 to 5\n  rule: history is shared (a Redis stream)"
        )
        await cy.send({"type": "leave", "room": "lobby"})
        await cy.expect("left")
        joined = await cy.join("lobby", "cy", after=3)
        assert ids(joined.get("history", [])) == [4, 5], (
            f'cy rejoins on B with "after": 3\n  got: {brief(joined)}\n'
            "  expected: history ids 4 and 5"
        )
        await cy.send({"type": "history", "room": "lobby", "before": 3})
        page = await cy.expect("history")
        assert ids(page.get("messages", [])) == [1, 2], brief(page)
        for asked, expected in (
            ({"limit": 2}, [4, 5]),
            ({"before": 5, "limit": 2}, [3, 4]),
        ):
            await cy.send({"type": "history", "room": "lobby", **asked})
            page = await cy.expect("history")
            assert ids(page.get("messages", [])) == expected, (
                f"history {asked} on B\n  got: {brief(page)}\n  expected: ids {expected}\n"
                "  rule: the newest `limit` messages below `before`, from the Redis stream"
            )
        await ada.close()
        await cy.close()

    with two_servers(tmp_path) as (_, a, b):
        play(scenario(a, b))


def test_losing_redis_degrades_to_local_chat_and_never_crashes(tmp_path):
    async def scenario(redis, a, b):
        ada, al = await Peer.open(a, "ada (A)"), await Peer.open(a, "al (A)")
        bob = await Peer.open(b, "bob (B)")
        for peer, nick in ((ada, "ada"), (al, "al"), (bob, "bob")):
            await peer.join("lobby", nick)
        await ada.say("lobby", "before the outage")
        for peer in (ada, al, bob):
            await peer.expect("message", text="before the outage")

        redis.stop()
        for peer in (ada, al, bob):
            await peer.expect(
                "error",
                code="redis_unavailable",
                rule="when Redis goes away, every client is told with an error event",
            )
        await ada.say("lobby", "A alone")
        for peer in (ada, al):
            got = await peer.expect(
                "message",
                text="A alone",
                rule="without Redis, each server goes on with its own clients",
            )
            assert got["id"] == 2, (
                f"{peer.name}: 'A alone', the first message on A after Redis stopped\n"
                f"  got: {brief(got)}\n  expected: id 2\n  rule: {LOCAL_TOO}"
            )
        await bob.say("lobby", "B alone")
        got = await bob.expect(
            "message",
            text="B alone",
            rule="server B goes on with its own clients; it never sees A's local messages",
        )
        for server, name in ((a, "A"), (b, "B")):
            assert server.running, (
                f"server {name} is no longer running after Redis stopped\n"
                f"{server.output_tail()}\n  rule: losing Redis must never crash a server"
            )
        late = await Peer.open(b, "late (B)")
        joined = await late.join("lobby", "late")
        assert "B alone" in texts(joined.get("history", [])), (
            f"a newcomer on B after the outage\n  got: {brief(joined)}\n"
            "  expected: B's local history, with 'B alone'"
        )
        for peer in (ada, al, bob, late):
            await peer.close()

    with two_servers(tmp_path) as (redis, a, b):
        play(scenario(redis, a, b))


def test_a_frozen_redis_is_noticed_within_seconds(tmp_path):
    async def scenario(redis, a):
        ada, al = await Peer.open(a, "ada"), await Peer.open(a, "al")
        for peer, nick in ((ada, "ada"), (al, "al")):
            await peer.join("lobby", nick)
        await ada.say("lobby", "before the freeze")
        for peer in (ada, al):
            await peer.expect("message", text="before the freeze")

        redis.freeze()
        await ada.say("lobby", "is anyone there?")
        for peer in (ada, al):
            await peer.expect(
                "error",
                code="redis_unavailable",
                rule="Redis still holds the connection open but never answers: without a "
                "timeout on each Redis command your server waits forever. Give up after "
                "2 seconds and treat Redis as gone. Clients are told first: the error "
                "comes before the message that found Redis gone",
            )
            got = await peer.expect(
                "message",
                text="is anyone there?",
                rule="the message that found Redis frozen is still delivered, locally",
            )
            assert got["id"] == 2, (
                f"{peer.name}: 'is anyone there?', said as Redis froze\n"
                f"  got: {brief(got)}\n  expected: id 2\n  rule: {LOCAL_TOO}"
            )
        await ada.close()
        await al.close()

    with redis_running(tmp_path) as redis:
        with running(tmp_path / "a", "--redis", redis.url) as a:
            play(scenario(redis, a))


def test_a_server_whose_redis_is_down_at_start_runs_alone(tmp_path):
    nothing_there = f"redis://127.0.0.1:{free_port()}/0"

    async def scenario(server):
        ada, bob = await Peer.open(server, "ada"), await Peer.open(server, "bob")
        await ada.join("lobby", "ada")
        await bob.join("lobby", "bob")
        await ada.say("lobby", "anyone?")
        got = await bob.expect(
            "message",
            text="anyone?",
            rule="a server that cannot reach Redis when it starts serves its own clients",
        )
        assert got["id"] == 1, brief(got)
        await ada.close()
        await bob.close()

    with running(tmp_path, "--redis", nothing_there) as server:
        play(scenario(server))
        assert server.running, (
            f"the server stopped\n{server.output_tail()}\n"
            "  rule: no Redis at start is no reason to crash: run alone"
        )
