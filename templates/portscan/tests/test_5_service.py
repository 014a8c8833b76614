"""Stage 5 (service): who answers on an open port? HTTP detection and banners.

Every test starts a small server on 127.0.0.1 (an ephemeral port) that plays one part: an
HTTP server, a service that speaks first, one that answers in its own protocol, one that
never says a word, one that hangs up at once. `identify` must tell them apart.
"""

import asyncio
import socket
import struct
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from portscan.service import Service, identify
from tests.support import Server, serving

pytestmark = pytest.mark.stage("service")

HOST = "127.0.0.1"
SERVER_HEADER = b"Server: climb-test/1.0\r\n"
OK_REPLY = b"HTTP/1.1 200 OK\r\n" + SERVER_HEADER + b"Content-Length: 0\r\n\r\n"
SSH_GREETING = b"SSH-2.0-OpenSSH_9.6\r\n"
# Seconds identify may take; a server that answers does so long before (no test waits it out).
TIMEOUT = 5.0
GUARD = 15.0  # seconds: an identify that has not returned by then is stuck


# --- servers that play a part ------------------------------------------------------------


def read_request(conn: socket.socket) -> bytes:
    """What the client sent, up to the blank line that ends a request's headers."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def answers(reply: bytes) -> Callable[[Server, socket.socket], None]:
    """A service that waits for a request, sends `reply` and hangs up (like HTTP/1.0)."""

    def handler(server: Server, conn: socket.socket) -> None:
        server.received.append(read_request(conn))
        conn.sendall(reply)

    return handler


def greets(greeting: bytes) -> Callable[[Server, socket.socket], None]:
    """A service that speaks first (SSH, SMTP, FTP ...) and then waits for the client."""

    def handler(server: Server, conn: socket.socket) -> None:
        conn.sendall(greeting)
        server.stop.wait(GUARD)

    return handler


def silent(server: Server, conn: socket.socket) -> None:
    """Accepts, then never says a word."""
    server.stop.wait(GUARD)


def resets(server: Server, conn: socket.socket) -> None:
    """Accepts, then resets the connection (close with SO_LINGER 0 sends RST)."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def hangs_up(server: Server, conn: socket.socket) -> None:
    """Accepts, then closes at once without a word."""


@contextmanager
def closed_port() -> Iterator[int]:
    """A port nothing listens on, so a connect is refused. The socket stays bound (without
    listening) until the test ends, so no other program can start listening there."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        yield sock.getsockname()[1]


# --- checks ----------------------------------------------------------------------------


def call(port: int, timeout: float) -> str:
    return f"identify({HOST!r}, {port}, timeout={timeout})"


def identify_now(port: int, timeout: float = TIMEOUT) -> Service:
    """Run identify to completion, failing the test if it is stuck."""

    async def bounded() -> Service:
        return await asyncio.wait_for(identify(HOST, port, timeout), GUARD)

    try:
        return asyncio.run(bounded())
    except TimeoutError:
        pytest.fail(
            f"{call(port, timeout)} had not returned after {GUARD} s\n"
            "  expected: every wait (connect, greeting, reply) bounded by the timeout",
            pytrace=False,
        )


def check(port: int, what: str, expected: Service, timeout: float = TIMEOUT) -> None:
    got = identify_now(port, timeout)
    assert got == expected, (
        f"{call(port, timeout)} against {what}\n  got:      {got!r}\n"
        f"  expected: {expected!r}"
    )


# --- HTTP ------------------------------------------------------------------------------


def test_http_server_status_line_and_server_header():
    with serving(answers(OK_REPLY)) as server:
        check(
            server.port,
            f"an HTTP server replying {OK_REPLY!r}",
            Service("http", status_line="HTTP/1.1 200 OK", server="climb-test/1.0"),
        )


def test_sends_head_with_a_host_header():
    with serving(answers(OK_REPLY)) as server:
        identify_now(server.port)
    sent = server.received[0] if server.received else b""
    lines = sent.split(b"\r\n")
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(b":") for line in lines[1:])
    }
    hosts = (HOST.encode(), f"{HOST}:{server.port}".encode())
    assert lines[0] == b"HEAD / HTTP/1.0" and headers.get(b"host") in hosts, (
        f"{call(server.port, TIMEOUT)} against a quiet HTTP server\n  sent:     {sent!r}\n"
        f"  expected: b'HEAD / HTTP/1.0\\r\\nHost: {HOST}\\r\\n\\r\\n'\n"
        "  rule: a service that does not speak first is asked `HEAD /` with a Host header"
    )


def test_http_without_a_server_header():
    reply = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n"
    with serving(answers(reply)) as server:
        check(
            server.port,
            f"an HTTP server replying {reply!r}",
            Service("http", status_line="HTTP/1.0 200 OK", server=""),
        )


def test_http_404_is_still_http():
    reply = b"HTTP/1.1 404 Not Found\r\n" + SERVER_HEADER + b"\r\n"
    with serving(answers(reply)) as server:
        check(
            server.port,
            f"an HTTP server replying {reply!r}",
            Service(
                "http", status_line="HTTP/1.1 404 Not Found", server="climb-test/1.0"
            ),
        )


@pytest.mark.parametrize(
    "header",
    [b"server: lower-case/2.0", b"SERVER:   lower-case/2.0  "],
    ids=["lower", "upper-padded"],
)
def test_server_header_name_is_case_insensitive(header):
    reply = b"HTTP/1.1 200 OK\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\n" + header
    reply += b"\r\n\r\n"
    with serving(answers(reply)) as server:
        got = identify_now(server.port)
        expected = Service(
            "http", status_line="HTTP/1.1 200 OK", server="lower-case/2.0"
        )
        assert got == expected, (
            f"{call(server.port, TIMEOUT)} against an HTTP server replying {reply!r}\n"
            f"  got:      {got!r}\n  expected: {expected!r}\n"
            "  rule: header names are case-insensitive (RFC 9110); the value is stripped"
        )


# --- banners ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("greeting", "banner"),
    [
        (SSH_GREETING, "SSH-2.0-OpenSSH_9.6"),
        (
            b"220 mail.example.test ESMTP ready\r\n250 more\r\n",
            "220 mail.example.test ESMTP ready",
        ),
    ],
    ids=["ssh", "smtp"],
)
def test_a_service_that_speaks_first_gives_its_banner(greeting, banner):
    with serving(greets(greeting)) as server:
        check(
            server.port,
            f"a service that greets with {greeting!r} and then waits",
            Service("banner", banner=banner),
        )


@pytest.mark.parametrize(
    ("reply", "banner"),
    [
        (b"\x00\x07weird\tproto\xff\r\nsecond line\r\n", "??weird?proto?"),
        (b"  -ERR unknown command  \r\n", "-ERR unknown command"),
    ],
    ids=["binary", "padded"],
)
def test_a_non_http_reply_is_a_banner(reply, banner):
    with serving(answers(reply)) as server:
        got = identify_now(server.port)
        expected = Service("banner", banner=banner)
        assert got == expected, (
            f"{call(server.port, TIMEOUT)} against a service answering HEAD with {reply!r}\n"
            f"  got:      {got!r}\n  expected: {expected!r}\n"
            "  rule: the first line, bytes outside printable ASCII (0x20-0x7e) as '?', "
            "stripped"
        )


def test_a_long_banner_is_cut_to_200_characters():
    line = b"220 " + b"x" * 496
    with serving(greets(line + b"\r\n")) as server:
        got = identify_now(server.port)
        expected = Service("banner", banner=line.decode()[:200])
        assert got == expected, (
            f"{call(server.port, TIMEOUT)} against a service greeting with a 500-character "
            f"line\n  got:      {got!r:.300}\n  expected: {expected!r:.300}\n"
            f"  (got a banner of {len(got.banner)} characters; at most 200)"
        )


# --- nothing to say ----------------------------------------------------------------------


def test_a_silent_service_is_unknown():
    with serving(silent) as server:
        check(
            server.port,
            "a service that accepts and never answers",
            Service("unknown"),
            timeout=0.8,
        )


@pytest.mark.parametrize("handler", [resets, hangs_up], ids=["reset", "hang-up"])
def test_a_service_that_hangs_up_at_once_is_unknown(handler):
    with serving(handler) as server:
        what = (handler.__doc__ or "").strip().lower().rstrip(".")
        check(server.port, f"a service that {what}", Service("unknown"))


def test_a_closed_port_is_unknown_not_an_exception():
    try:
        with closed_port() as port:
            got = identify_now(port)
    except OSError as err:
        pytest.fail(
            f"{call(port, TIMEOUT)} on a port nothing listens on\n  raised "
            f"{type(err).__name__}: {err}\n  expected: Service(kind='unknown', ...); "
            "identify never raises for network errors",
            pytrace=False,
        )
    assert got == Service("unknown"), (
        f"{call(port, TIMEOUT)} on a port nothing listens on\n  got:      {got!r}\n"
        f"  expected: {Service('unknown')!r}"
    )
