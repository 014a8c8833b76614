"""Stage 6 (limits): hostile and careless clients get a precise answer, and never break the
service for everyone else.

The documented limits (openapi.yaml): a body over 65536 bytes is 413 payload_too_large (refused
at once when Content-Length says so; counted while reading when the body is chunked); request
headers over 8192 bytes in all are 431 headers_too_large; a body that has not fully arrived 2
seconds after the service started reading it is 408 request_timeout and the connection is
closed. JSON nested too deeply to parse is malformed (400), not a crash. Meanwhile every other
client is served as usual.
"""

import time

import pytest

from tests.support import (
    BODY_SECONDS,
    MAX_BODY_BYTES,
    MAX_HEADER_BYTES,
    closed_by_peer,
    connect,
    expect_error,
    expect_status,
    raw_request,
    read_reply,
    running,
)

pytestmark = pytest.mark.stage("limits")


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    with running(tmp_path_factory.mktemp("limits")) as api:
        yield api


@pytest.fixture(scope="module")
def key(api):
    return api.fixture_key("ada")


def head(method: str, path: str, key: str, *extra: str) -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        f"Authorization: Bearer {key}",
        "Content-Type: application/json",
        *extra,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def expect_closed(reply, why: str) -> None:
    """A refused request whose body was not read: the answer says the connection ends."""
    assert (reply.header("Connection") or "").lower() == "close", (
        f"{reply.describe()}\n  expected: a Connection: close header\n  rule: {why}; the "
        "unread rest of the request would otherwise be taken for the next request"
    )


def chunked(body: bytes, size: int = 8192) -> bytes:
    """`body` in Transfer-Encoding: chunked, `size` bytes a chunk, with the last chunk."""
    return (
        b"".join(
            b"%x\r\n%s\r\n" % (len(body[i : i + size]), body[i : i + size])
            for i in range(0, len(body), size)
        )
        + b"0\r\n\r\n"
    )


def still_serving(api, after: str) -> None:
    reply = api.request("GET", "/health")
    expect_status(
        reply, 200, f"after {after}, the service still serves the next request"
    )


def test_a_declared_oversized_body_is_413_before_it_is_sent(api, key):
    # Only the head is sent: a service that waits for the body before refusing it would
    # answer 408 after 2 s instead of 413 at once.
    size = MAX_BODY_BYTES + 1
    reply = raw_request(
        api,
        head("POST", "/links", key, f"Content-Length: {size}"),
        f"POST /links with Content-Length: {size} (the body not sent yet)",
    )
    expect_error(
        reply, 413, "a body over 65536 bytes is refused from its Content-Length"
    )
    expect_closed(reply, "the 413 is sent before the body is read")
    still_serving(api, "a 413")


@pytest.mark.parametrize("framing", ["Content-Length", "chunked"])
def test_a_body_of_exactly_65536_bytes_is_read(api, key, framing):
    # Valid JSON whose url is too long: a service that read it all answers 422, not 413.
    body = b'{"url": "https://example.com/' + b"a" * (MAX_BODY_BYTES - 31) + b'"}'
    assert len(body) == MAX_BODY_BYTES  # the test's own arithmetic
    if framing == "chunked":
        # Small chunks: the limit is on the whole body, not on one chunk.
        data = head("POST", "/links", key, "Transfer-Encoding: chunked") + chunked(
            body, 1000
        )
    else:
        data = head("POST", "/links", key, f"Content-Length: {len(body)}") + body
    reply = raw_request(
        api, data, f"POST /links with a body of exactly {len(body)} bytes ({framing})"
    )
    expect_error(
        reply,
        422,
        "a body of exactly 65536 bytes is within the limit (over 65536 is 413); this one "
        "is read, parsed, and its url refused as too long",
    )


def test_a_chunked_oversized_body_is_413(api, key):
    # No Content-Length: the size is only known while reading. JSON that would be valid,
    # apart from its size, so a service without the limit answers 422 (url too long).
    body = b'{"url": "https://example.com/' + b"a" * (MAX_BODY_BYTES + 100) + b'"}'
    reply = raw_request(
        api,
        head("POST", "/links", key, "Transfer-Encoding: chunked") + chunked(body, 1000),
        f"POST /links with a chunked body of {len(body)} bytes, in chunks of 1000",
    )
    expect_error(
        reply,
        413,
        "the limit holds for chunked bodies too: count the bytes of every chunk as they "
        "come, added up",
    )
    expect_closed(reply, "the rest of the body is not read")
    still_serving(api, "a chunked 413")


def test_a_chunked_body_sent_piece_by_piece_is_counted_in_all(api, key):
    # Each chunk arrives on its own, well under the limit; only their sum is over it. No
    # final zero chunk: a service that counts each piece alone waits for more, and answers
    # 408 after 2 s instead of 413 at once.
    body = b'{"url": "https://example.com/' + b"a" * (MAX_BODY_BYTES + 100) + b'"}'
    pieces = [body[i : i + 8000] for i in range(0, len(body), 8000)]
    story = f"POST /links, chunked, {len(pieces)} chunks of 8000 bytes sent 10 ms apart"
    with connect(api) as sock:
        try:
            sock.sendall(head("POST", "/links", key, "Transfer-Encoding: chunked"))
            for piece in pieces:
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
                time.sleep(0.01)
            reply = read_reply(sock, story)
        except OSError as err:
            pytest.fail(
                f"{story}\n  the connection failed: {type(err).__name__}: {err}\n"
                f"{api.service.output_tail()}",
                pytrace=False,
            )
    expect_error(
        reply,
        413,
        "the limit is on the whole body: add up the bytes of every chunk as they come",
    )
    still_serving(api, "a chunked 413")


def test_oversized_headers_are_431(api, key):
    extra = [f"X-Padding-{n}: {'p' * 500}" for n in range(20)]  # about 10 KB of headers
    reply = raw_request(
        api,
        head("GET", "/health", key, *extra),
        f"GET /health with {len(extra)} headers of 500 bytes (over {MAX_HEADER_BYTES} in all)",
    )
    expect_error(reply, 431, "request headers over 8192 bytes in all are 431")
    expect_closed(reply, "a request refused for its headers is not read any further")
    still_serving(api, "a 431")


def padded_to(total: int, key: str) -> list[str]:
    """Extra headers that make the request's headers (every name and value of head(...),
    added up) exactly `total` bytes."""
    base = {
        "Host": "127.0.0.1",
        "Authorization": f"Bearer {key}",
        "Content-Type": "application/json",
    }
    used = sum(len(name) + len(value) for name, value in base.items())
    extra, number = [], 0
    while total - used > 600:
        extra.append(f"X-Padding-{number}: {'p' * 500}")
        used += len(f"X-Padding-{number}") + 500
        number += 1
    name = "X-Last"
    extra.append(f"{name}: {'p' * (total - used - len(name))}")
    return extra


@pytest.mark.parametrize("total, status", [(8192, 200), (8193, 431)])
def test_the_header_limit_is_exactly_8192_bytes(api, key, total, status):
    reply = raw_request(
        api,
        head("GET", "/health", key, *padded_to(total, key)),
        f"GET /health with headers of exactly {total} bytes (names plus values)",
    )
    expect_status(
        reply,
        status,
        "headers of at most 8192 bytes in all (every name and value, added up) are "
        "accepted; one byte more is 431",
    )


def test_headers_just_under_the_limit_are_fine(api, key):
    extra = [f"X-Padding-{n}: {'p' * 500}" for n in range(12)]  # about 6.3 KB in all
    reply = raw_request(
        api,
        head("GET", "/health", key, *extra),
        "GET /health with 6 KB of headers",
    )
    expect_status(reply, 200, "headers under 8192 bytes in all are accepted")


def test_json_nested_too_deeply_is_400_not_a_crash(api, key):
    depth = (
        30_000  # 60 KB of brackets: under the body limit, far over the parser's depth
    )
    body = b"[" * depth + b"]" * depth
    reply = api.request(
        "POST",
        "/links",
        body=body,
        headers={"Content-Type": "application/json"},
        key=key,
    )
    expect_error(
        reply,
        400,
        f"{depth} nested arrays: the parser gives up (RecursionError in Python); that is "
        "malformed input, not a server error",
    )
    still_serving(api, "deeply nested JSON")


def test_a_slow_client_is_timed_out_and_blocks_no_one(api, key):
    body = b'{"url": "https://example.com/slow", "slug": "slow"}'
    with connect(api) as slow:
        slow.sendall(
            head(
                "POST",
                "/links",
                key,
                f"Content-Length: {len(body)}",
                "Expect: 100-continue",
            )
        )
        # A service that asks for the body (100 Continue) is reading it: the clock runs.
        slow.settimeout(1.0)
        try:
            slow.recv(1024)
        except TimeoutError:
            pass
        slow.sendall(body[:10])  # then nothing more: a client on a dying network

        story = (
            f"one client sent its head and 10 of {len(body)} body bytes, then stalled; "
            "meanwhile another client"
        )
        other = api.request(
            "POST",
            "/links",
            {"url": "https://example.com/fast", "slug": "fast"},
            key=key,
        )
        expect_status(
            other, 201, f"{story} created a link: it must not wait for the slow one"
        )
        expect_status(api.request("GET", "/health"), 200, f"{story} asked for /health")
        slow.setblocking(False)
        try:
            early = slow.recv(65536)
        except BlockingIOError:
            early = None
        assert early is None, (
            f"{story} was served, but only after the stalled client had been answered:\n"
            f"  {early[:200]!r}\n  expected: the others are served while the slow client "
            "still waits (no lock or single lane shared with a request that is reading)"
        )
        slow.settimeout(BODY_SECONDS + 8)
        reply = read_reply(
            slow,
            "POST /links, 10 body bytes, then nothing (expected: 408 once "
            f"{BODY_SECONDS:g} s have passed since the service began reading the body)",
        )
        expect_error(
            reply,
            408,
            f"a body not complete {BODY_SECONDS:g} s after reading began is 408",
        )
        expect_closed(reply, "a 408 ends the connection")
        assert closed_by_peer(slow), (
            "after the 408 the connection must be closed by the service (the rest of the "
            "body may still come, and would be read as a new request)"
        )
    expect_error(
        api.request("GET", "/links/slow"), 404, "the timed-out request created nothing"
    )
    still_serving(api, "a slow client")
