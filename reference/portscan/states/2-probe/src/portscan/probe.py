"""Stage 2 (probe): one TCP connect probe, the way `nmap -sT` does it.

Stage 4 (hazards) adds the self-connect check.
"""

import asyncio
import errno
import socket
from dataclasses import dataclass

OPEN, CLOSED, FILTERED = "open", "closed", "filtered"


@dataclass(frozen=True)
class PortResult:
    """What one probe learned about one port."""

    port: int
    state: str  # OPEN, CLOSED or FILTERED
    reason: str  # "connected", "refused", "timeout", "self-connect", or the errno name
    # (e.g. "EHOSTUNREACH") for other errors


async def probe(
    host: str, port: int, timeout: float, source_port: int | None = None
) -> PortResult:
    """Try a TCP connect to (host, port) with a non-blocking socket.
    connected -> open; ConnectionRefusedError -> closed; no answer within `timeout` seconds ->
    filtered ("timeout"); any other OSError -> filtered (reason: the errno name). The socket is
    always closed. `source_port` binds the local end first (used to show the self-connect hazard).
    host is an IPv4 address (resolution happens in the CLI).

    Stage 4: a connect that ends with the socket connected to itself (its local address equals
    its peer's) is closed, reason "self-connect"."""
    loop = asyncio.get_running_loop()
    sock = None
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        if source_port is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("", source_port))
        # What `await loop.sock_connect(sock, (host, port))` does, without the part of its
        # cost that adds up over 65535 ports (it resolves the address on every call and
        # raises an exception for every closed port): start the connect, wait until the
        # socket is writable (the handshake ended) or the time is up, then read SO_ERROR.
        err = sock.connect_ex((host, port))
        if err == errno.EINPROGRESS:
            # The answer may be in already: on loopback the kernel handles the SYN and its RST
            # before connect_ex returns, so SO_ERROR holds ECONNREFUSED for a closed port.
            # Reading it skips the wait below (two epoll changes, a timer and a future: most of
            # a probe's cost). 0 means connected or still connecting; only then wait.
            err = (
                sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) or errno.EINPROGRESS
            )
        if err != errno.EINPROGRESS:
            # Answered without waiting. Give the event loop its turn all the same, as a wait
            # would: a scan of a host that answers at once must not hold the loop (Ctrl-C,
            # other tasks) until its last port.
            await asyncio.sleep(0)
        else:
            ended = loop.create_future()

            def end(how: str) -> None:
                if not ended.done():
                    ended.set_result(how)

            # By descriptor: asyncio formats a socket object's repr (two system calls) on
            # every registration.
            loop.add_writer(sock.fileno(), end, "answered")
            timer = loop.call_later(timeout, end, "timeout")
            try:
                how = await ended
            finally:
                timer.cancel()
                loop.remove_writer(sock.fileno())
            if how == "timeout":
                return PortResult(port, FILTERED, "timeout")
            err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err == errno.ECONNREFUSED:
            return PortResult(port, CLOSED, "refused")
        if err:  # unreachable networks and hosts ...
            return PortResult(port, FILTERED, errno.errorcode.get(err, str(err)))
        return PortResult(port, OPEN, "connected")
    # socket() or bind() failed: no descriptors left (EMFILE), the port is taken ...
    except OSError as err:
        reason = errno.errorcode.get(err.errno or 0, type(err).__name__)
        return PortResult(port, FILTERED, reason)
    finally:
        if sock is not None:
            sock.close()
