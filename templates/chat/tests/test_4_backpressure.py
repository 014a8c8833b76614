"""Stage 4 (backpressure): a client that stops reading must not hold up the room.

"slow" joins a room and then stops reading its socket (as a phone in a tunnel or a stuck
program does). ada keeps talking, with big messages. The server may buffer only so much for
slow: then it drops it with close code 4001 and the others see it leave. Meanwhile bob, who
reads, gets every message, in order, and the server's memory stays bounded.
"""

import asyncio
import random
import string

import pytest

from tests.support import (
    CLOSE_TOO_SLOW,
    MAX_TEXT_CHARS,
    Peer,
    StuckClient,
    ids,
    play,
    running,
    server_rss,
)

pytestmark = pytest.mark.stage("backpressure")

MAX_MESSAGES = 2500  # 10 MiB of text: far past what a bounded queue should hold
WINDOW = 32  # messages ada may be ahead of what she and bob have read
MAX_GROWTH = 64 * 2**20  # generous: a bounded server grows by a few MiB here


def test_a_client_that_stops_reading_is_dropped_and_the_room_keeps_flowing(tmp_path):
    async def scenario(server):
        ada, bob = await Peer.open(server, "ada"), await Peer.open(server, "bob")
        await ada.join("lobby", "ada")
        await bob.join("lobby", "bob")
        slow = StuckClient(server)
        slow.send({"type": "join", "room": "lobby", "nick": "slow"})
        await ada.expect("presence", nick="slow", action="join")
        await bob.expect("presence", nick="slow", action="join")
        before = server_rss(server)
        dropped = asyncio.Event()
        progress = asyncio.Condition()
        received: list[dict] = []  # bob's messages
        echoed: list[dict] = []  # ada's own messages back

        async def reads(peer, into):
            while True:
                event = await peer.next(waiting_for="the room's messages")
                if event["type"] == "message":
                    into.append(event)
                    async with progress:
                        progress.notify_all()
                    if event.get("text") == "last words":
                        return
                elif event["type"] == "presence" and event.get("nick") == "slow":
                    if event.get("action") == "leave":
                        dropped.set()

        readers = [
            asyncio.create_task(reads(bob, received)),
            asyncio.create_task(reads(ada, echoed)),
        ]
        # Random letters: a server that compresses frames cannot shrink them much.
        text = "".join(
            random.Random(7).choices(string.ascii_letters, k=MAX_TEXT_CHARS - 16)
        )
        said = 0
        while not dropped.is_set() and said < MAX_MESSAGES:
            # ada and bob read as fast as they can, but this one test process does their
            # reading too: never more than WINDOW messages ahead of them.
            async with progress:
                await progress.wait_for(
                    lambda said=said: said - min(len(received), len(echoed)) < WINDOW
                )
            await ada.say("lobby", f"{said} {text}")
            said += 1
        grown = server_rss(server) - before
        if not dropped.is_set():
            for reader in readers:
                reader.cancel()
            bob.fail(
                f"ada said {said} messages of 4 KiB ({said * 4 // 1024} MiB) while slow read "
                "nothing, and slow was never dropped (bob saw no presence leave for it); "
                f"the server grew by {grown / 2**20:.0f} MiB",
                rule="a client that does not keep up gets a bounded queue; when it is full "
                "the server drops the client with close code 4001",
            )
        await ada.say("lobby", "last words")
        said += 1
        await asyncio.gather(*readers)
        assert ids(received) == list(range(1, said + 1)), (
            f"bob received {len(received)} messages (ids {ids(received)[:5]} ... "
            f"{ids(received)[-5:]}) of {said}\n  expected: every one, in order\n"
            "  rule: one stuck client must not stall or break the room for the others"
        )
        assert grown < MAX_GROWTH, (
            f"the server's memory grew by {grown / 2**20:.0f} MiB while slow was stuck\n"
            f"  expected: under {MAX_GROWTH // 2**20} MiB\n"
            "  rule: what the server holds for one client is bounded"
        )
        code, _ = slow.read_until_closed()
        slow.close()
        assert code == CLOSE_TOO_SLOW, (
            f"slow, once it read again, found the connection closed with {code}\n"
            f"  expected: {CLOSE_TOO_SLOW} (too slow)\n"
            "  rule: a dropped client is told why, with the close code from PROTOCOL.md"
        )
        for peer in (ada, bob):
            await peer.close()
        await still_fine(server)

    # A smaller bound than the default 256 (PROTOCOL.md's --queue-limit): slow is dropped
    # sooner, and the flag is read as a number.
    with running(tmp_path, "--queue-limit", "64") as server:
        play(scenario(server), seconds=120)


async def still_fine(server) -> None:
    fresh = await Peer.open(server, "fresh")
    joined = await fresh.join("lobby", "fresh")
    assert "slow" not in joined.get("members", []), (
        f"after slow was dropped, the room still lists it: {joined.get('members')}"
    )
    await fresh.close()


def test_a_client_that_reads_is_never_dropped_in_a_burst(tmp_path):
    async def scenario(server):
        ada, bob = await Peer.open(server, "ada"), await Peer.open(server, "bob")
        await ada.join("lobby", "ada")
        await bob.join("lobby", "bob")
        await ada.expect("presence", nick="bob", action="join")
        for n in range(200):
            await ada.say("lobby", f"burst {n}")
        for peer in (bob, ada):
            got = await peer.messages(200)
            assert ids(got) == list(range(1, 201)), (
                f"{peer.name} got ids {ids(got)[:5]} ... after a burst of 200\n"
                "  rule: a client that reads keeps up with a burst the queue can hold"
            )
        for peer in (ada, bob):
            await peer.close()

    with running(tmp_path) as server:
        play(scenario(server))
