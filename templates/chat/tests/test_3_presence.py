"""Stage 3 (presence): nicknames, who is here, and the story so far.

A nickname is unique within a room. "joined" lists the room's members and its latest 50
messages; the members already there get a presence event for every join and leave (a client
that disconnects leaves too), but not in rooms of more than 100. A member can page back
through the history with "before".
"""

import pytest

from tests.support import Peer, brief, ids, play, running, texts

pytestmark = pytest.mark.stage("presence")


def test_joined_lists_the_members_and_the_others_see_who_comes_and_goes(tmp_path):
    async def scenario(server):
        ada = await Peer.open(server, "ada")
        joined = await ada.join("lobby", "ada")
        assert joined.get("members") == ["ada"] and joined.get("nick") == "ada", (
            f"ada joins an empty room\n  got: {brief(joined)}\n"
            '  expected: "nick": "ada", "members": ["ada"]'
        )
        bob = await Peer.open(server, "bob")
        joined = await bob.join("lobby", "bob")
        assert joined.get("members") == ["ada", "bob"], (
            f"bob joins after ada\n  got: {brief(joined)}\n"
            '  expected: "members": ["ada", "bob"] (sorted)'
        )
        seen = await ada.expect(
            "presence",
            room="lobby",
            nick="bob",
            action="join",
            rule="members see every newcomer",
        )
        assert seen.get("count") == 2, f'{brief(seen)}: "count" is the members now, 2'
        cy = await Peer.open(server, "cy")
        await cy.join("lobby", "cy")
        await ada.expect("presence", nick="cy", action="join")
        await bob.expect("presence", nick="cy", action="join")
        await cy.send({"type": "leave", "room": "lobby"})
        await cy.expect("left", skip=())
        about_itself = [
            event
            for event in cy.received
            if event.get("type") == "presence" and event.get("nick") == "cy"
        ]
        assert not about_itself, (
            f"cy was told of its own coming or going: {brief(about_itself[0])}\n"
            '  rule: presence goes to the others; the newcomer has "joined", the leaver '
            '"left"'
        )
        await ada.expect("presence", nick="cy", action="leave", count=2)
        await bob.close()
        await ada.expect(
            "presence",
            nick="bob",
            action="leave",
            count=1,
            rule="a client that disconnects leaves every room it was in",
        )
        await ada.say("lobby", "alone")
        await ada.expect("message", text="alone", skip=())
        await cy.close()
        await ada.close()

    with running(tmp_path) as server:
        play(scenario(server))


def test_a_room_of_more_than_a_hundred_announces_nobody(tmp_path):
    async def scenario(server):
        ada = await Peer.open(server, "ada")
        await ada.join("hall", "ada")
        crowd = []
        for n in range(2, 102):
            # Nobody reads the crowd's presence events: let them pile up client-side, so
            # that closing is quick.
            member = await Peer.open(server, f"member {n}", max_queue=None)
            await member.join("hall", f"m{n}")
            crowd.append(member)
        for n in range(2, 101):
            await ada.expect(
                "presence",
                nick=f"m{n}",
                action="join",
                count=n,
                skip=(),
                rule="every join is announced while the room has at most 100 members",
            )
        await ada.say("hall", "who is here?")
        await ada.expect(
            "message",
            text="who is here?",
            skip=(),
            rule="the 101st member's join is not announced: rooms of more than 100 "
            "send no presence events (each would go to every member)",
        )
        for peer in (ada, *crowd):
            await peer.close()

    with running(tmp_path) as server:
        play(scenario(server))


def test_a_nickname_is_unique_within_a_room(tmp_path):
    async def scenario(server):
        ada = await Peer.open(server, "ada")
        await ada.join("lobby", "ada")
        other = await Peer.open(server, "another ada")
        await other.send({"type": "join", "room": "lobby", "nick": "ada"})
        await other.expect(
            "error", code="nick_taken", rule="two members of a room cannot share a nick"
        )
        await other.join("kitchen", "ada")  # another room: fine
        joined = await other.join("lobby", "ada_2")
        assert joined.get("members") == ["ada", "ada_2"], brief(joined)
        await ada.close()
        # once ada has gone, her nick is free again
        late = await Peer.open(server, "late ada")
        await other.expect("presence", room="lobby", nick="ada", action="leave")
        joined = await late.join("lobby", "ada")
        assert joined.get("members") == ["ada", "ada_2"], brief(joined)
        await other.close()
        await late.close()

    with running(tmp_path) as server:
        play(scenario(server))


def test_a_newcomer_gets_the_latest_fifty_messages(tmp_path):
    async def scenario(server):
        ada = await Peer.open(server, "ada")
        await ada.join("lobby", "ada")
        for n in range(1, 61):
            await ada.say("lobby", f"line {n}")
        await ada.messages(60)
        bob = await Peer.open(server, "bob")
        joined = await bob.join("lobby", "bob")
        history = joined.get("history")
        assert isinstance(history, list), (
            f'"joined" carries a "history" list: {brief(joined)}'
        )
        assert ids(history) == list(range(11, 61)) and texts(history) == [
            f"line {n}" for n in range(11, 61)
        ], (
            f"bob joins after 60 messages\n  got history ids: {ids(history)}\n"
            "  expected: 11 to 60, oldest first\n"
            "  rule: joined carries the room's latest 50 messages"
        )
        assert all(
            m.get("type") == "message" and m.get("nick") == "ada" for m in history
        )
        fresh = await Peer.open(server, "cy")
        joined = await fresh.join("empty", "cy")
        assert joined.get("history") == [], (
            f"a new room has no history: {brief(joined)}"
        )
        for peer in (ada, bob, fresh):
            await peer.close()

    with running(tmp_path) as server:
        play(scenario(server))


def test_history_pages_back_with_before_and_limit(tmp_path):
    async def scenario(server):
        ada = await Peer.open(server, "ada")
        await ada.join("lobby", "ada")
        for n in range(1, 31):
            await ada.say("lobby", f"line {n}")
        await ada.messages(30)
        cases = [
            ({"before": 11, "limit": 5}, list(range(6, 11))),
            ({"before": 3, "limit": 10}, [1, 2]),
            ({"limit": 4}, [27, 28, 29, 30]),
            ({"limit": 1}, [30]),
            ({"limit": 100}, list(range(1, 31))),
            ({}, list(range(1, 31))),
            ({"before": 1}, []),
        ]
        for extra, expected in cases:
            asked = {"type": "history", "room": "lobby", **extra}
            await ada.send(asked)
            page = await ada.expect(
                "history",
                room="lobby",
                rule="limit 1 to 100 and before 1 or more are within PROTOCOL.md's "
                "limits: a member's history request is answered, never an error",
            )
            assert ids(page.get("messages", [])) == expected, (
                f"sent {asked}\n  got ids: {ids(page.get('messages', []))}\n"
                f"  expected: {expected}\n  rule: the newest `limit` (default 50) messages "
                "with an id below `before`, oldest first"
            )
        outsider = await Peer.open(server, "bob")
        await outsider.send({"type": "history", "room": "lobby"})
        await outsider.expect(
            "error", code="not_in_room", rule="only members may read a room's history"
        )
        await ada.close()
        await outsider.close()

    with running(tmp_path) as server:
        play(scenario(server))
