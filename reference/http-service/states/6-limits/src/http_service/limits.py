"""Stage 6 (limits): refuse oversized requests before any handler reads them.

An ASGI middleware that looks at each request's head: headers of more than MAX_HEADER_BYTES
in all (names plus values) are answered 431 headers_too_large, a Content-Length over
MAX_BODY_BYTES is answered 413 payload_too_large at once, without reading the body; both answers
say `Connection: close`, since the unread rest of the request cannot be told from a next one. (The server
underneath refuses heads over its own, larger limit with a bare 400; the service's documented,
lower limit gives the client the precise status.) Bodies without a Content-Length are bounded
while they are read (validation.read_body).
"""

from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import error_response  # noqa: F401 (used by code you write)
from .validation import MAX_BODY_BYTES  # noqa: F401 (used by code you write)

MAX_HEADER_BYTES = 8192


def header_bytes(scope: Scope) -> int:
    """The size of a request's headers: the lengths of every name and value, added up."""
    return sum(len(name) + len(value) for name, value in scope["headers"])


def declared_length(scope: Scope) -> int | None:
    """The request's Content-Length as a number, or None when it has none (or a bad one)."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class LimitsMiddleware:
    """431 for oversized headers, 413 for a declared body over the limit; else pass through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer an oversized request with its error; hand any other one to the app."""
        if scope["type"] == "http":
            refusal = None
            if header_bytes(scope) > MAX_HEADER_BYTES:
                refusal = error_response(
                    431,
                    "headers_too_large",
                    f"the request headers are over {MAX_HEADER_BYTES} bytes",
                    headers={"Connection": "close"},
                )
            elif (declared_length(scope) or 0) > MAX_BODY_BYTES:
                refusal = error_response(
                    413,
                    "payload_too_large",
                    f"the body is over {MAX_BODY_BYTES} bytes",
                    headers={"Connection": "close"},
                )
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)
