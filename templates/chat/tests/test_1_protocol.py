"""Stage 1 (protocol): the handshake, and what the server does with frames it cannot use.

The server answers plain HTTP on /health and /ready, takes WebSocket connections on /ws (a
plain GET /ws gets 426), and refuses other paths; on SIGTERM it closes every connection with
1001. A text frame that is not JSON, not a command, or a command with bad fields
gets an error event and the connection stays usable; a binary frame, text that is not UTF-8 or
a frame over 64 KiB gets a close code (PROTOCOL.md lists them). Whatever one client sends, the
server goes on serving the next one.
"""

import http.client
import json
import signal

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.support import WAIT, Peer, brief, play, running, start

pytestmark = pytest.mark.stage("protocol")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One server for the module: these tests keep no state in it."""
    server = start(tmp_path_factory.mktemp("protocol"))
    yield server
    server.stop()


def http_get(server, path: str) -> tuple[int, bytes, str]:
    server.require_up()
    conn = http.client.HTTPConnection(server.host, server.port, timeout=WAIT)
    try:
        conn.request("GET", path)
        reply = conn.getresponse()
        return reply.status, reply.read(), reply.getheader("Content-Type") or ""
    except (OSError, http.client.HTTPException) as err:
        pytest.fail(
            f"GET {path}: no answer ({err})\n{server.output_tail()}", pytrace=False
        )
    finally:
        conn.close()


async def still_serving(server) -> None:
    """A fresh client gets its ping answered: the server is fine."""
    fresh = await Peer.open(server, "a fresh client")
    await fresh.send({"type": "ping"})
    await fresh.expect(
        "pong",
        rule="one client's bad frame must never stop the server serving everyone else",
    )
    await fresh.close()


@pytest.mark.parametrize(
    ("path", "body"), [("/health", {"status": "ok"}), ("/ready", {"status": "ready"})]
)
def test_health_and_ready_answer_plain_http(server, path, body):
    status, data, kind = http_get(server, path)
    assert (status, kind.split(";")[0]) == (200, "application/json"), (
        f"GET {path}\n  got: {status} {kind!r} {data[:200]!r}\n"
        "  expected: 200 with Content-Type application/json\n"
        "  rule: load balancers and the tests check these paths over plain HTTP"
    )
    assert json.loads(data) == body, f"GET {path}: {data!r}, expected {body}"


def test_a_query_string_does_not_change_the_path(server):
    status, data, _ = http_get(server, "/ready?from=load-balancer")
    assert status == 200 and json.loads(data) == {"status": "ready"}, (
        f"GET /ready?from=load-balancer\n  got: {status} {data[:200]!r}\n"
        '  expected: 200 {"status": "ready"}\n'
        "  rule: the path is what comes before the ?; probes may add a query"
    )


def test_other_paths_get_404_with_an_error_body(server):
    status, data, kind = http_get(server, "/elsewhere")
    try:
        body = json.loads(data)
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    assert (
        status == 404
        and kind.split(";")[0] == "application/json"
        and isinstance(error, dict)
        and error.get("code") == "not_found"
        and isinstance(error.get("message"), str)
        and error["message"]
    ), (
        f"GET /elsewhere\n  got: {status} {kind!r} {data[:200]!r}\n"
        '  expected: 404, application/json, {"error": {"code": "not_found", "message": '
        '"..."}}\n  rule: PROTOCOL.md: anything but /health, /ready and /ws is not found'
    )


def test_a_plain_http_get_on_ws_gets_426(server):
    status, data, _ = http_get(server, "/ws")
    assert status == 426, (
        f"GET /ws over plain HTTP (no WebSocket handshake)\n  got: {status} "
        f"{data[:200]!r}\n  expected: 426 Upgrade Required\n"
        "  rule: PROTOCOL.md: /ws takes WebSocket connections only; a request without the "
        "handshake is told to upgrade (most WebSocket libraries answer this themselves "
        "when you let the request through to the handshake)"
    )


def test_websocket_clients_connect_on_ws_and_nowhere_else(server):
    async def scenario(server):
        peer = await Peer.open(server, "ada")
        await peer.send({"type": "ping"})
        await peer.expect(
            "pong", rule='{"type": "ping"} is answered with {"type": "pong"}'
        )
        await peer.close()
        try:
            async with connect(
                f"ws://{server.host}:{server.port}/elsewhere", open_timeout=WAIT
            ):
                pass
        except InvalidStatus as err:
            status = err.response.status_code
        else:
            status = 101
        assert status == 404, (
            f"a WebSocket handshake on /elsewhere\n  got: {status}\n  expected: 404\n"
            "  rule: only /ws takes WebSocket connections"
        )

    play(scenario(server))


BAD_TEXT = [
    ("not JSON", "hello there", "bad_json"),
    ("cut-off JSON", '{"type": "say", "room": ', "bad_json"),
    ("JSON, not an object", "[1, 2, 3]", "bad_message"),
    ("no type", '{"room": "lobby"}', "bad_message"),
    ("type not a string", '{"type": 7}', "bad_message"),
    ("unknown type", '{"type": "dance"}', "unknown_type"),
    (
        "room with a space",
        '{"type": "join", "room": "the lobby", "nick": "ada"}',
        "bad_room",
    ),
    ("no room", '{"type": "join", "nick": "ada"}', "bad_room"),
    # A room or nick of the wrong kind is a bad name, not a bad message (PROTOCOL.md).
    ("room a number", '{"type": "join", "room": 5, "nick": "ada"}', "bad_room"),
    ("room a list", '{"type": "say", "room": ["lobby"], "text": "hi"}', "bad_room"),
    ("room null", '{"type": "leave", "room": null}', "bad_room"),
    ("nick a number", '{"type": "join", "room": "lobby", "nick": 7}', "bad_nick"),
    (
        "nick too long",
        '{"type": "join", "room": "lobby", "nick": "' + "a" * 33 + '"}',
        "bad_nick",
    ),
    (
        "after not a number",
        '{"type": "join", "room": "lobby", "nick": "ada", "after": "5"}',
        "bad_message",
    ),
    ("text a number", '{"type": "say", "room": "lobby", "text": 5}', "bad_message"),
    ("empty text", '{"type": "say", "room": "lobby", "text": ""}', "bad_message"),
    (
        "text too long",
        json.dumps({"type": "say", "room": "lobby", "text": "x" * 4097}),
        "bad_message",
    ),
    (
        "history limit too big",
        '{"type": "history", "room": "lobby", "limit": 101}',
        "bad_message",
    ),
    (
        "history limit 0",
        '{"type": "history", "room": "lobby", "limit": 0}',
        "bad_message",
    ),
    (
        "history limit not whole",
        '{"type": "history", "room": "lobby", "limit": 2.5}',
        "bad_message",
    ),
    (
        "history before 0",
        '{"type": "history", "room": "lobby", "before": 0}',
        "bad_message",
    ),
    (
        "after below 0",
        '{"type": "join", "room": "lobby", "nick": "ada", "after": -1}',
        "bad_message",
    ),
    (
        "after true",
        '{"type": "join", "room": "lobby", "nick": "ada", "after": true}',
        "bad_message",
    ),
    ("empty nick", '{"type": "join", "room": "lobby", "nick": ""}', "bad_nick"),
    (
        "room too long",
        '{"type": "join", "room": "' + "r" * 33 + '", "nick": "ada"}',
        "bad_room",
    ),
    ("say without a room", '{"type": "say", "text": "hi"}', "bad_room"),
    ("leave without a room", '{"type": "leave"}', "bad_room"),
    ("history without a room", '{"type": "history"}', "bad_room"),
]


@pytest.mark.parametrize(
    ("frame", "code"),
    [pytest.param(frame, code, id=name) for name, frame, code in BAD_TEXT],
)
def test_a_bad_text_frame_gets_an_error_event_and_the_connection_stays_usable(
    server, frame, code
):
    async def scenario(server):
        peer = await Peer.open(server, "ada")
        await peer.send(frame)
        error = await peer.expect(
            "error",
            code=code,
            rule="a frame the server cannot use is answered with an error event carrying "
            "a code from PROTOCOL.md, never silence and never a closed connection",
        )
        assert isinstance(error.get("message"), str) and error["message"], (
            f'the error event explains itself in a non-empty "message": {brief(error)}'
        )
        await peer.send({"type": "ping"})
        await peer.expect(
            "pong", rule="after an error event the connection is still usable"
        )
        await peer.close()
        await still_serving(server)

    play(scenario(server))


BAD_FRAMES = [
    pytest.param(b"\x00\x01binary", False, 1003, id="binary frame: 1003"),
    pytest.param(b"\xff\xfe not UTF-8", True, 1007, id="text that is not UTF-8: 1007"),
    pytest.param("x" * 70000, None, 1009, id="frame over 64 KiB: 1009"),
]


@pytest.mark.parametrize(("frame", "as_text", "code"), BAD_FRAMES)
def test_frames_the_protocol_does_not_allow_get_a_close_code(
    server, frame, as_text, code
):
    async def scenario(server):
        peer = await Peer.open(server, "ada")
        await peer.send({"type": "ping"})
        await peer.expect("pong")
        peer.sent.append(f"<{brief(repr(frame), 60)}>")
        if as_text is None:
            await peer.websocket.send(frame)
        else:
            await peer.websocket.send(frame, text=as_text)
        got = await peer.closed(waiting_for=f"a close with code {code}")
        assert got == code, (
            f"sent {brief(repr(frame), 60)}\n  got: close code {got}\n  expected: {code}\n"
            "  rule: PROTOCOL.md's close codes tell a client exactly what it did wrong"
        )
        await still_serving(server)

    play(scenario(server))


def test_shutting_down_closes_every_connection_with_1001(tmp_path):
    async def scenario(server):
        ada = await Peer.open(server, "ada")
        await ada.send({"type": "ping"})
        await ada.expect("pong")
        ada.sent.append("<the test sends SIGTERM to the server>")
        server.send_signal(signal.SIGTERM)
        code = await ada.closed(waiting_for="a close with code 1001 after SIGTERM")
        assert code == 1001, (
            f"the server got SIGTERM while ada was connected\n  got: close code {code}\n"
            "  expected: 1001 (going away)\n"
            "  rule: PROTOCOL.md: on SIGTERM or SIGINT the server closes every connection "
            "with 1001, so clients know to reconnect, rather than dropping them"
        )

    with running(tmp_path) as server:
        play(scenario(server))
