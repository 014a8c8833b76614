"""Stage 2 (probe): one TCP connect probe, the way `nmap -sT` does it.

Stage 4 (hazards) adds the self-connect check.
"""

import asyncio  # noqa: F401 (used by code you write)
import errno  # noqa: F401 (used by code you write)
import socket  # noqa: F401 (used by code you write)
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
    raise NotImplementedError(
        "Stage 2 (probe): connect a non-blocking socket under a timeout and classify the outcome"
    )
