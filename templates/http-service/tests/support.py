"""Helpers shared by the http-service tests: a real service process, and HTTP spoken to it.

- `running(workdir)` starts your service (the command in pyproject.toml's [tool.climb.service])
  on a free port of 127.0.0.1 and stops it afterwards (tests/service.py does the work).
- `Api` sends one request on a fresh connection with http.client and returns a `Reply`;
  `raw_request` sends exact bytes on a socket, for what a polite client would never send.
- `expect_status` and `expect_error` fail with what was sent, what came back and what was
  expected, plus the end of the service's output when it answered 5xx; `expect_location`
  checks a Location header the way a client follows it.
"""

import http.client
import json
import socket
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.service import ServiceConfig, ServiceProcess, service_config

PROJECT = Path(__file__).resolve().parent.parent
WAIT = 10.0  # the longest any request waits for an answer
CONFIG: ServiceConfig = service_config(PROJECT)
ERROR_CODES = {
    400: "malformed_json",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    422: "invalid_body",
    428: "precondition_required",
    431: "headers_too_large",
}
MAX_BODY_BYTES = 65536
MAX_HEADER_BYTES = 8192
BODY_SECONDS = 2.0


def start(workdir: Path, data_dir: Path | None = None) -> ServiceProcess:
    """Start the service (never raises: a failed start shows up in the test, see `Api`)."""
    return ServiceProcess(CONFIG, PROJECT, workdir, data_dir=data_dir).start()


@contextmanager
def running(workdir: Path, data_dir: Path | None = None) -> Iterator["Api"]:
    """The service, up for the length of the block, then stopped (SIGTERM, then SIGKILL)."""
    service = start(workdir, data_dir)
    try:
        yield Api(service)
    finally:
        service.stop()


@dataclass
class Reply:
    """One HTTP answer, and the request that got it (for failure messages)."""

    request: str
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    service: ServiceProcess | None = None

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def describe(self) -> str:
        head = "".join(f"    {k}: {v}\n" for k, v in self.headers.items())
        body = self.body[:600].decode("utf-8", errors="replace")
        text = f"{self.request}\n  got: {self.status}\n{head}    body: {body!r}"
        if self.status >= 500 and self.service is not None:
            text += "\n" + self.service.output_tail()
        return text

    def json(self) -> Any:
        """The body as JSON; fails (saying what came) unless it is JSON."""
        kind = self.header("Content-Type") or ""
        try:
            value = json.loads(self.body)
        except ValueError:
            value = None
        if not kind.startswith("application/json") or value is None:
            pytest.fail(
                f"{self.describe()}\n  expected: a JSON body with Content-Type: "
                "application/json",
                pytrace=False,
            )
        return value


class Api:
    """A client of one running service."""

    def __init__(self, service: ServiceProcess) -> None:
        self.service = service

    @property
    def port(self) -> int:
        return self.service.port

    def request(
        self,
        method: str,
        path: str,
        json_body: Any = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        key: str | None = None,
    ) -> Reply:
        """Send one request on a new connection and read the whole answer."""
        self.service.require_up()
        headers = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers.setdefault("Content-Type", "application/json")
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        shown = f"{method} {path}" + (f" {body[:200]!r}" if body else "")
        conn = http.client.HTTPConnection(self.service.host, self.port, timeout=WAIT)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return Reply(
                shown, response.status, response.headers, response.read(), self.service
            )
        except (OSError, http.client.HTTPException) as err:
            pytest.fail(
                f"{shown}\n  got no answer: {type(err).__name__}: {err}\n"
                f"{self.service.output_tail()}",
                pytrace=False,
            )
        finally:
            conn.close()

    def new_key(self, owner: str = "ada") -> str:
        """A fresh API key's secret (POST /keys must answer 201)."""
        reply = self.request("POST", "/keys", {"owner": owner})
        expect_status(reply, 201, "POST /keys creates a key")
        return reply.json()["key"]

    def fixture_key(self, owner: str = "ada") -> str:
        """A fresh key for a fixture, which must never fail: when the service cannot make one,
        a key it does not know, and the test's own first request fails, saying why."""
        if self.service.problem or not self.service.running:
            return "no-key-the-service-is-not-up"
        try:
            return self.new_key(owner)
        except (AssertionError, pytest.fail.Exception):
            return "no-key-post-keys-failed"

    def new_link(self, key: str, url: str, slug: str | None = None) -> dict:
        """A fresh link (POST /links must answer 201)."""
        body = {"url": url} if slug is None else {"url": url, "slug": slug}
        reply = self.request("POST", "/links", body, key=key)
        expect_status(reply, 201, "POST /links creates a link")
        return reply.json()


def expect_status(reply: Reply, status: int, rule: str) -> None:
    assert reply.status == status, (
        f"{reply.describe()}\n  expected: {status}\n  rule: {rule}"
    )


def expect_location(api: Api, reply: Reply, path: str, target: str, rule: str) -> None:
    """`Location` names `target` (a path of the service, like "/links/abc", or an absolute URL).
    Any URI reference passes (RFC 9110), relative or absolute, when resolved against the URL of
    the request to `path` it gives the target's URL: what a client following it does."""
    request_url = api.service.url + path
    wanted = urllib.parse.urljoin(request_url, target)
    location = reply.header("Location")
    resolved = None if location is None else urllib.parse.urljoin(request_url, location)
    got = (
        "no Location header"
        if location is None
        else f"Location: {location} (resolves to {resolved})"
    )
    assert resolved == wanted, (
        f"{reply.describe()}\n  got: {got}\n  expected: a Location that resolves to "
        f"{wanted} against the request's URL {request_url} (relative, like {target}, or "
        f"absolute)\n  rule: {rule}"
    )


def expect_error(reply: Reply, status: int, rule: str, code: str | None = None) -> dict:
    """The status, and the one error format: {"error": {"code": ..., "message": ...}}."""
    expect_status(reply, status, rule)
    code = code or ERROR_CODES[status]
    body = reply.json()
    error = body.get("error") if isinstance(body, dict) else None
    assert (
        isinstance(error, dict)
        and error.get("code") == code
        and isinstance(error.get("message"), str)
        and error["message"]
    ), (
        f"{reply.describe()}\n  expected: the error format "
        + json.dumps({"error": {"code": code, "message": "<what went wrong>"}})
        + f"\n  rule: {rule}"
    )
    return error


# Requests that carry no key the service knows: each one is 401, never 403 (stages 5 and 7).
BAD_CREDENTIALS = {
    "no header": {},
    "unknown key": {"Authorization": "Bearer not-a-key-we-gave"},
    "empty bearer": {"Authorization": "Bearer "},
    "basic scheme": {"Authorization": "Basic YWRhOnNlY3JldA=="},
}


def expect_401(reply: Reply, case: str) -> None:
    """401 unauthorized in the error format, with the challenge `WWW-Authenticate: Bearer`."""
    expect_error(
        reply, 401, f"{case}: the service cannot tell who this is, so 401, not 403"
    )
    challenge = reply.header("WWW-Authenticate") or ""
    assert challenge.lower().startswith("bearer"), (
        f"{reply.describe()}\n  expected: WWW-Authenticate: Bearer\n  rule: a 401 tells the "
        "client how to authenticate (RFC 9110)"
    )


def allowed(reply: Reply) -> set[str]:
    """The methods in an Allow header."""
    return {
        m.strip().upper() for m in (reply.header("Allow") or "").split(",") if m.strip()
    }


# --- raw sockets: requests no polite client sends ---------------------------------------------


def connect(api: Api) -> socket.socket:
    """A new connection to the service (which must be up)."""
    api.service.require_up()
    try:
        return socket.create_connection(("127.0.0.1", api.port), timeout=WAIT)
    except OSError as err:
        pytest.fail(
            f"could not connect to the service: {err}\n{api.service.output_tail()}",
            pytrace=False,
        )


def receive(sock: socket.socket, request: str, data: bytes) -> bytes:
    """The next bytes from the socket; a failed test, saying so, when none come in time."""
    try:
        return sock.recv(65536)
    except TimeoutError:
        pytest.fail(
            f"{request}\n  no complete answer within {sock.gettimeout()} s (got "
            f"{data[:200]!r})",
            pytrace=False,
        )


def read_reply(sock: socket.socket, request: str) -> Reply:
    """Read one HTTP/1.1 answer (status, headers, a Content-Length body) from a socket."""
    data = b""
    while True:
        while b"\r\n\r\n" not in data:
            chunk = receive(sock, request, data)
            if not chunk:
                pytest.fail(
                    f"{request}\n  the connection closed with no complete answer "
                    f"(got {data[:200]!r})",
                    pytrace=False,
                )
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        if status >= 200:
            break
        data = rest  # an interim answer (100 Continue): the real one follows
    message = http.client.HTTPMessage()
    for line in lines[1:]:
        name, _, value = line.partition(":")
        message[name.strip()] = value.strip()
    length = int(message.get("Content-Length") or 0)
    while len(rest) < length:
        chunk = receive(sock, request, head + rest)
        if not chunk:
            break
        rest += chunk
    return Reply(request, status, message, rest[:length])


def raw_request(api: Api, data: bytes, shown: str) -> Reply:
    """Send exactly `data` on a new connection and read the answer."""
    with connect(api) as sock:
        try:
            sock.sendall(data)
            return read_reply(sock, shown)
        except OSError as err:
            pytest.fail(
                f"{shown}\n  the connection failed: {type(err).__name__}: {err}\n"
                f"{api.service.output_tail()}",
                pytrace=False,
            )


def closed_by_peer(sock: socket.socket) -> bool:
    """True when the other side has closed the connection (reads give end of file)."""
    try:
        while sock.recv(65536):
            pass
        return True
    except TimeoutError:
        return False
    except OSError:
        return True
