"""Stage 6 (durability): history outlives the server, and a client resumes where it was.

Each test talks to the server, stops it (SIGTERM: a clean stop; SIGKILL: a crash, no chance
to clean up) and starts it again on the same --data folder and port. Every message a sender
saw acknowledged (its own copy came back with an id) must still be there, ids go on where
they were, and a client that rejoins with "after": the last id it saw gets exactly what it
missed: nothing lost, nothing twice. One test cuts the last line of a room's file short, as a
crash in the middle of a write does, and checks that the next message still survives.
"""

import signal

import pytest

from tests.support import Peer, brief, ids, play, start, texts

pytestmark = pytest.mark.stage("durability")

HOW = pytest.mark.parametrize(
    "how", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"]
)


def restart(server, how, workdir):
    """Stop the server with `how`; start it again on the same data folder and port."""
    server.stop(how)
    return start(workdir, data_dir=server.data_dir, port=server.port)


@HOW
def test_history_and_ids_survive_a_restart(tmp_path, how):
    name = signal.Signals(how).name
    servers = [start(tmp_path)]

    async def before():
        ada = await Peer.open(servers[0], "ada")
        await ada.join("lobby", "ada")
        for n in range(1, 6):
            await ada.say("lobby", f"kept {n}")
            await ada.expect("message", text=f"kept {n}")  # acknowledged
        await ada.close()

    async def after():
        story = f"(after {name} and a restart on the same --data folder)"
        bob = await Peer.open(servers[1], "bob")
        joined = await bob.join("lobby", "bob")
        history = joined.get("history", [])
        assert ids(history) == [1, 2, 3, 4, 5] and texts(history) == [
            f"kept {n}" for n in range(1, 6)
        ], (
            f"bob joins {story}\n  got history: {[brief(m, 60) for m in history]}\n"
            "  expected: the 5 acknowledged messages, ids 1 to 5\n"
            "  rule: a message is written to disk before anyone sees it"
        )
        await bob.say("lobby", "after the restart")
        got = await bob.expect("message", text="after the restart")
        assert got["id"] == 6, (
            f"the first message {story}\n  got: {brief(got)}\n  expected: id 6\n"
            "  rule: ids go on where they were; an id is never given twice"
        )
        await bob.close()

    try:
        play(before())
        servers.append(restart(servers[0], how, tmp_path))
        play(after())
    finally:
        for server in servers:
            server.stop()


@HOW
def test_a_client_that_reconnects_gets_exactly_what_it_missed(tmp_path, how):
    name = signal.Signals(how).name
    servers = [start(tmp_path)]

    async def before():
        ada = await Peer.open(servers[0], "ada")
        bob = await Peer.open(servers[0], "bob")
        await ada.join("lobby", "ada")
        await bob.join("lobby", "bob")
        for n in range(1, 4):
            await ada.say("lobby", f"seen {n}")
        seen = await bob.messages(3)
        await bob.close()  # bob's connection drops; ada goes on
        for n in range(4, 8):
            await ada.say("lobby", f"missed {n}")
        acknowledged = await ada.messages(7)
        await ada.close()
        return seen[-1]["id"], acknowledged

    async def after(last_seen, acknowledged):
        bob = await Peer.open(servers[1], "bob")
        joined = await bob.join("lobby", "bob", after=last_seen)
        expected = [m for m in acknowledged if m["id"] > last_seen]
        got = joined.get("history", [])
        assert [(m.get("id"), m.get("text")) for m in got] == [
            (m["id"], m["text"]) for m in expected
        ], (
            f'bob rejoins with "after": {last_seen} (after {name} and a restart)\n'
            f"  got: {[(m.get('id'), m.get('text')) for m in got]}\n"
            f"  expected: {[(m['id'], m['text']) for m in expected]}\n"
            f'  rule: "after" means ids greater than it: none lost, none twice'
        )
        await bob.send({"type": "leave", "room": "lobby"})
        await bob.expect("left")
        joined = await bob.join("lobby", "bob", after=acknowledged[-1]["id"])
        assert joined.get("history") == [], (
            f"bob rejoins having seen everything\n  got: {brief(joined)}\n"
            "  expected: an empty history"
        )
        await bob.send({"type": "leave", "room": "lobby"})
        await bob.expect("left")
        await bob.send({"type": "join", "room": "lobby", "nick": "bob", "after": 0})
        joined = await bob.expect(
            "joined",
            room="lobby",
            rule='"after": 0 is allowed (ids start at 1): a client that saw nothing '
            "gets every message",
        )
        assert ids(joined.get("history", [])) == ids(acknowledged), (
            f'bob rejoins with "after": 0\n  got ids: {ids(joined.get("history", []))}\n'
            f"  expected: {ids(acknowledged)}, every message of the room"
        )
        await bob.close()

    try:
        last_seen, acknowledged = play(before())
        servers.append(restart(servers[0], how, tmp_path))
        play(after(last_seen, acknowledged))
    finally:
        for server in servers:
            server.stop()


# What SIGKILL in the middle of a write leaves: the start of message 4, no newline.
TORN_TAIL = (
    '{"type": "message", "room": "lobby", "id": 4, "nick": "ada", "text": "cut sh'
)


def test_a_message_written_after_a_torn_last_line_survives_the_next_restart(tmp_path):
    servers = [start(tmp_path)]

    async def before():
        ada = await Peer.open(servers[0], "ada")
        await ada.join("lobby", "ada")
        for n in range(1, 4):
            await ada.say("lobby", f"kept {n}")
            await ada.expect("message", text=f"kept {n}")
        await ada.close()

    async def after_the_crash():
        bob = await Peer.open(servers[1], "bob")
        joined = await bob.join("lobby", "bob")
        assert ids(joined.get("history", [])) == [1, 2, 3], (
            f"bob joins after a crash cut the last line of {room_file.name} short\n"
            f"  got: {brief(joined)}\n  expected: history ids 1 to 3\n"
            "  rule: a last line with no newline is a message the crash cut short (it was "
            "never acknowledged): skip it"
        )
        await bob.say("lobby", "after the crash")
        got = await bob.expect("message", text="after the crash")
        await bob.close()
        return got

    async def after_the_next_restart(acknowledged):
        cy = await Peer.open(servers[2], "cy")
        joined = await cy.join("lobby", "cy")
        history = joined.get("history", [])
        assert [(m.get("id"), m.get("text")) for m in history] == [
            (1, "kept 1"),
            (2, "kept 2"),
            (3, "kept 3"),
            (acknowledged["id"], "after the crash"),
        ], (
            "a crash left a torn last line; then 'after the crash' was said and "
            "acknowledged; then the server restarted\n"
            f"  got history: {[(m.get('id'), m.get('text')) for m in history]}\n"
            f"  expected: ids 1 to 3, then {acknowledged['id']} 'after the crash'\n"
            f"  the file now ends with: {room_file.read_bytes()[-300:]!r}\n"
            "  rule: the next message after a torn line starts on a line of its own; "
            "appended straight after the torn bytes it is glued to them, and that line "
            "does not parse at the next start"
        )
        await cy.close()

    try:
        play(before())
        servers[0].stop(signal.SIGKILL)
        room_file = servers[0].data_dir / "rooms" / "lobby.jsonl"
        assert room_file.is_file(), (
            f"after 3 acknowledged messages in lobby, {room_file} does not exist\n"
            "  rule: each room's history is the file rooms/<room>.jsonl in the --data "
            "folder, one message event per line (stage goal)"
        )
        with open(room_file, "a", encoding="utf-8") as file:
            file.write(TORN_TAIL)
        servers.append(
            start(tmp_path, data_dir=servers[0].data_dir, port=servers[0].port)
        )
        acknowledged = play(after_the_crash())
        servers.append(restart(servers[1], signal.SIGKILL, tmp_path))
        play(after_the_next_restart(acknowledged))
    finally:
        for server in servers:
            server.stop()


def test_rooms_keep_their_own_history_and_a_new_data_folder_starts_empty(tmp_path):
    async def scenario(server, other):
        ada = await Peer.open(server, "ada")
        await ada.join("red", "ada")
        await ada.join("blue", "ada")
        await ada.say("red", "in red")
        await ada.expect("message", text="in red")
        await ada.say("blue", "in blue")
        await ada.expect("message", text="in blue")
        bob = await Peer.open(server, "bob")
        joined = await bob.join("blue", "bob")
        assert texts(joined.get("history", [])) == ["in blue"], brief(joined)
        stranger = await Peer.open(other, "cy")
        joined = await stranger.join("red", "cy")
        assert joined.get("history") == [], (
            f"a server on another --data folder\n  got: {brief(joined)}\n"
            "  expected: no history\n  rule: keep the history in the folder you are "
            "given, not in the working directory"
        )
        for peer in (ada, bob, stranger):
            await peer.close()

    first = start(tmp_path / "one")
    # PROTOCOL.md: the --data folder is created when missing, parents and all.
    other = start(tmp_path / "two", data_dir=tmp_path / "two" / "not" / "yet" / "there")
    try:
        play(scenario(first, other))
    finally:
        first.stop()
        other.stop()
