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
    raise NotImplementedError(
        "Stage 6 (limits): the lengths of every header name and value, added up"
    )


def declared_length(scope: Scope) -> int | None:
    """The request's Content-Length as a number, or None when it has none (or a bad one)."""
    raise NotImplementedError("Stage 6 (limits): the Content-Length as an int, or None")


class LimitsMiddleware:
    """431 for oversized headers, 413 for a declared body over the limit; else pass through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer an oversized request with its error; hand any other one to the app."""
        raise NotImplementedError(
            "Stage 6 (limits): 431 for oversized headers, 413 for an oversized Content-Length, else the app"
        )
