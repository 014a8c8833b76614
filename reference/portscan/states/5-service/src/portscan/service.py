"""Stage 5 (service): who answers on an open port? HTTP detection and banners.

An open port says only that something accepted a connection. To learn what, listen first:
many protocols (SSH, SMTP, FTP) greet the client before it says anything. If the service
stays quiet, ask in HTTP, the most common language on a server: `HEAD /` gets the status
line and headers without a body. Whatever comes back is evidence; nothing is a fact until
the bytes arrive, and a service may never answer at all, so every wait has a deadline.
"""

import asyncio
import socket
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
    return "".join(chr(b) if 0x20 <= b < 0x7F else "?" for b in raw)


def classify(reply: bytes) -> Service:
    """What a reply says about the service: http (status line and Server header), a banner (its
    first line, printable, stripped, at most MAX_BANNER characters) or unknown (no bytes)."""
    if not reply:
        return UNKNOWN
    lines = reply.splitlines()  # without their b"\r\n" (or b"\n") endings
    if reply.startswith(b"HTTP/"):
        server = ""
        for line in lines[1:]:
            if not line:
                break  # the end of the headers
            name, colon, value = line.partition(b":")
            if colon and name.strip().lower() == b"server":
                server = printable(value).strip()
                break
        return Service("http", status_line=printable(lines[0]).strip(), server=server)
    return Service("banner", banner=printable(lines[0]).strip()[:MAX_BANNER])


async def read_until(
    loop: asyncio.AbstractEventLoop, sock: socket.socket, reply: bytearray, end: bytes
) -> None:
    """Append what `sock` sends to `reply` until `end` appears, MAX_REPLY bytes arrive or the
    peer closes."""
    while end not in reply and len(reply) < MAX_REPLY:
        chunk = await loop.sock_recv(sock, MAX_REPLY - len(reply))
        if not chunk:
            return
        reply += chunk


async def identify(host: str, port: int, timeout: float = 2.0) -> Service:
    """Connect, and if the service speaks first (within a short wait, 0.3 s) keep what it says;
    otherwise send b"HEAD / HTTP/1.0\r\nHost: <host>\r\n\r\n" and read the reply (up to 8 KiB or
    the end of the headers). A reply starting with b"HTTP/" -> http (status line, Server header,
    case-insensitive); other bytes -> banner (first line, decoded as ASCII with non-printables
    replaced by '?', stripped); nothing, a reset or a timeout -> unknown. Never raises for network
    errors."""
    loop = asyncio.get_running_loop()
    reply = bytearray()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        async with asyncio.timeout(timeout):  # one deadline for the whole conversation
            await loop.sock_connect(sock, (host, port))
            try:
                async with asyncio.timeout(GREETING_WAIT):
                    greeting = await loop.sock_recv(sock, MAX_REPLY)
            except TimeoutError:
                greeting = None  # quiet: it waits for the client to speak
            if greeting == b"":
                return UNKNOWN  # it closed without a word
            if greeting:
                reply += greeting
                await read_until(loop, sock, reply, b"\n")
            else:
                request = f"HEAD / HTTP/1.0\r\nHost: {host}\r\n\r\n".encode("ascii")
                await loop.sock_sendall(sock, request)
                await read_until(loop, sock, reply, b"\r\n\r\n")
    except OSError:  # refused, reset, unreachable; TimeoutError is an OSError too
        pass  # judge whatever arrived before the error
    finally:
        sock.close()
    return classify(bytes(reply))
