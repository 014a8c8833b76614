"""Stage 2 (rooms): join, say, leave; every member sees the same messages in the same order.

A message said in a room goes to every member, the sender included (its copy, with the id
the server gave it, is the sender's acknowledgement). Ids count 1, 2, 3 ... per room, so every
member can check it missed nothing and has the same order as everyone else. Nobody outside the
room sees anything of it.
"""

import asyncio

import pytest

from tests.support import Peer, brief, ids, play, running, texts

pytestmark = pytest.mark.stage("rooms")


def test_the_sender_gets_its_own_message_back_with_an_id_and_a_timestamp(tmp_path):
    async def scenario(server):
        ada = await Peer.open(server, "ada")
        await ada.join("lobby", "ada")
        await ada.say("lobby", "hello, world")
        message = await ada.expect(
            "message",
            room="lobby",
            nick="ada",
            text="hello, world",
            rule="the sender gets its own message back: that copy is its acknowledgement",
        )
        assert message.get("id") == 1, (
            f"the first message of a new room\n  got: {brief(message)}\n  expected: id 1\n"
            "  rule: ids count 1, 2, 3 ... in each room"
        )
        assert isinstance(message.get("ts"), str) and message["ts"], (
            f'a message carries the server\'s timestamp "ts": {brief(message)}'
        )
        await ada.close()

    with running(tmp_path) as server:
        play(scenario(server))


def test_everyone_in_a_room_sees_the_same_messages_in_the_same_order(tmp_path):
    each = 15
    names = ["ada", "bob", "cy"]

    async def scenario(server):
        peers = [await Peer.open(server, name) for name in names]
        for peer in peers:
            await peer.join("lobby", peer.name)

        async def chatter(peer):
            for n in range(each):
                await peer.say("lobby", f"{peer.name} {n}")

        await asyncio.gather(*(chatter(peer) for peer in peers))
        seen = [await peer.messages(each * len(peers)) for peer in peers]
        first = seen[0]
        assert ids(first) == list(range(1, each * len(peers) + 1)), (
            f"ada received ids {ids(first)}\n  expected: 1 to {each * len(peers)}, in order, "
            "none missing, none twice\n  rule: each room numbers its messages 1, 2, 3 ..."
        )
        for peer, got in zip(peers[1:], seen[1:], strict=True):
            assert [(m["id"], m.get("nick"), m.get("text")) for m in got] == [
                (m["id"], m.get("nick"), m.get("text")) for m in first
            ], (
                f"{peer.name} and ada saw different conversations\n"
                f"  ada: {texts(first)}\n  {peer.name}: {texts(got)}\n"
                "  rule: every member sees the same messages in the same order"
            )
        for peer in peers:
            own = [m["text"] for m in first if m.get("nick") == peer.name]
            assert own == [f"{peer.name} {n}" for n in range(each)], (
                f"{peer.name}'s messages in the room: {own}\n"
                "  expected: all of them, in the order they were said"
            )
        for peer in peers:
            await peer.close()

    with running(tmp_path) as server:
        play(scenario(server))


def test_nobody_outside_a_room_sees_its_messages(tmp_path):
    async def scenario(server):
        ada, bob, cy = [await Peer.open(server, n) for n in ("ada", "bob", "cy")]
        await ada.join("red", "ada")
        await bob.join("red", "bob")
        await cy.join("blue", "cy")
        await ada.say("red", "for red only")
        await bob.expect("message", text="for red only")
        # cy's own message comes after ada's was delivered: anything from red would be first.
        await cy.say("blue", "blue here")
        got = await cy.expect(
            "message",
            rule="a room's messages go to its members only",
            room="blue",
            text="blue here",
        )
        assert got["id"] == 1, (
            f"the first message in blue: {brief(got)}\n  expected id 1: each room counts "
            "its own ids"
        )
        await ada.expect("message", text="for red only")
        await ada.say("red", "second")
        await ada.expect("message", text="second")
        reply = await bob.expect("message", text="second")
        assert reply["id"] == 2, f"red's second message: {brief(reply)}, expected id 2"
        for peer in (ada, bob, cy):
            await peer.close()

    with running(tmp_path) as server:
        play(scenario(server))


def test_a_client_that_left_gets_nothing_more_from_the_room(tmp_path):
    async def scenario(server):
        ada, bob = await Peer.open(server, "ada"), await Peer.open(server, "bob")
        await ada.join("red", "ada")
        await ada.join("blue", "ada")
        await bob.join("red", "bob")
        await bob.join("blue", "bob")
        await ada.send({"type": "leave", "room": "red"})
        await ada.expect("left", room="red", rule='"leave" is answered with "left"')
        await bob.say("red", "ada is gone")
        await bob.expect("message", text="ada is gone")
        await bob.say("blue", "still here?")
        got = await ada.expect(
            "message",
            rule="after leaving, a client gets nothing from that room",
            room="blue",
            text="still here?",
        )
        assert got["id"] == 1, brief(got)
        await ada.say("red", "can I?")
        await ada.expect(
            "error",
            code="not_in_room",
            rule="only members may say something in a room",
        )
        await ada.send({"type": "leave", "room": "red"})
        await ada.expect("error", code="not_in_room", rule="you cannot leave twice")
        for peer in (ada, bob):
            await peer.close()

    with running(tmp_path) as server:
        play(scenario(server))


def test_joining_a_room_twice_is_an_error(tmp_path):
    async def scenario(server):
        ada = await Peer.open(server, "ada")
        await ada.join("lobby", "ada")
        await ada.send({"type": "join", "room": "lobby", "nick": "ada2"})
        await ada.expect(
            "error", code="already_joined", rule="a client is in a room once"
        )
        await ada.say("lobby", "once")
        await ada.expect("message", text="once")
        await ada.close()

    with running(tmp_path) as server:
        play(scenario(server))


# Each frame is wrong twice: a bad field, and a room the client is not in (or already in).
CHECKED_BEFORE_CARRIED_OUT = [
    ({"type": "say", "room": "red", "text": ""}, "bad_message"),
    ({"type": "say", "room": "red", "text": "x" * 4097}, "bad_message"),
    ({"type": "history", "room": "red", "limit": 0}, "bad_message"),
    ({"type": "join", "room": "lobby", "nick": "no spaces"}, "bad_nick"),
]


def test_a_bad_field_is_reported_before_the_room_is_looked_at(tmp_path):
    async def scenario(server):
        ada = await Peer.open(server, "ada")
        await ada.join("lobby", "ada")
        for frame, code in CHECKED_BEFORE_CARRIED_OUT:
            await ada.send(frame)
            await ada.expect(
                "error",
                code=code,
                rule="a frame is checked whole before it is carried out: a bad field "
                f'("{code}") wins over not_in_room and already_joined (PROTOCOL.md, '
                '"Which error")',
            )
        await ada.close()

    with running(tmp_path) as server:
        play(scenario(server))


def test_names_and_texts_at_the_limits_are_accepted(tmp_path):
    async def scenario(server):
        peer = await Peer.open(server, "ada")
        longest = "n" * 32
        for room, nick in (("Team_7-b", longest), ("x", "y")):
            await peer.send({"type": "join", "room": room, "nick": nick})
            await peer.expect(
                "joined",
                room=room,
                nick=nick,
                rule='rooms and nicks of 1 to 32 of A-Z a-z 0-9 "_" "-" are allowed',
            )
        for text in ("t", "t" * 4096):
            await peer.say("Team_7-b", text)
            await peer.expect(
                "message",
                text=text,
                rule="a text of 1 to 4096 characters is allowed",
            )
        await peer.close()

    with running(tmp_path) as server:
        play(scenario(server))
