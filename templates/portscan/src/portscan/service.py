"""Stage 5 (service): who answers on an open port? HTTP detection and banners.

An open port says only that something accepted a connection. To learn what, listen first:
many protocols (SSH, SMTP, FTP) greet the client before it says anything. If the service
stays quiet, ask in HTTP, the most common language on a server: `HEAD /` gets the status
line and headers without a body. Whatever comes back is evidence; nothing is a fact until
the bytes arrive, and a service may never answer at all, so every wait has a deadline.
"""

import asyncio
import socket  # noqa: F401 (used by code you write)
from dataclasses import dataclass

HTTP_PORTS = (80, 443, 8000, 8008, 8080, 8443, 8888)
"""The ports the command line identifies by default (the usual homes of HTTP)."""

GREETING_WAIT = 0.3
"""Seconds to wait for a service that speaks first before asking it in HTTP."""

MAX_REPLY = 8192
"""Read at most this many bytes of a reply (the headers of a HEAD reply fit easily)."""

MAX_BANNER = 200
"""A banner is cut to this many characters."""


@dataclass(frozen=True)
class Service:
    kind: str  # "http", "banner" or "unknown"
    status_line: str = ""  # http: e.g. "HTTP/1.1 200 OK"
    server: str = ""  # http: the Server header's value ("" when absent)
    banner: str = ""  # banner: the first line the service sent, printable ASCII, at most 200 chars


UNKNOWN = Service("unknown")


def printable(raw: bytes) -> str:
    """Bytes as ASCII text, every byte outside the printable range 0x20-0x7e replaced by '?'."""
    raise NotImplementedError("Stage 5 (service): turn bytes into printable ASCII text")


def classify(reply: bytes) -> Service:
    """What a reply says about the service: http (status line and Server header), a banner (its
    first line, printable, stripped, at most MAX_BANNER characters) or unknown (no bytes)."""
    raise NotImplementedError("Stage 5 (service): tell an HTTP reply from a banner")


async def read_until(
    loop: asyncio.AbstractEventLoop, sock: socket.socket, reply: bytearray, end: bytes
) -> None:
    """Append what `sock` sends to `reply` until `end` appears, MAX_REPLY bytes arrive or the
    peer closes."""
    raise NotImplementedError("Stage 5 (service): read a reply up to a marker")


async def identify(host: str, port: int, timeout: float = 2.0) -> Service:
    """Connect, and if the service speaks first (within a short wait, 0.3 s) keep what it says;
    otherwise send b"HEAD / HTTP/1.0\r\nHost: <host>\r\n\r\n" and read the reply (up to 8 KiB or
    the end of the headers). A reply starting with b"HTTP/" -> http (status line, Server header,
    case-insensitive); other bytes -> banner (first line, decoded as ASCII with non-printables
    replaced by '?', stripped); nothing, a reset or a timeout -> unknown. Never raises for network
    errors."""
    raise NotImplementedError(
        "Stage 5 (service): listen for a greeting, else ask HEAD /, then classify"
    )
