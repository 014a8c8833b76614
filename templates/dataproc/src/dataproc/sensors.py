"""Stage 1 (sensors): simulated sensors, and a real I/O source (TCP on loopback).

A sensor emits text lines 'source,seq,event_time,value'. The simulator is seeded, so a test
(or a benchmark) can replay exactly the same stream; some lines are deliberately broken, as
real feeds are. `LineServer` and `read_lines` move those lines over a real socket, so later
stages can read from a source that blocks.
"""

import random  # noqa: F401 (used by code you write)
import socket  # noqa: F401 (used by code you write)
import socketserver  # noqa: F401 (used by code you write)
import threading  # noqa: F401 (used by code you write)
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

HOST = "127.0.0.1"
"""The only address a LineServer listens on."""

GARBAGE_KINDS = (
    "missing field",
    "non-numeric value",
    "non-numeric seq",
    "empty line",
    "extra field",
    "NaN value",
)
"""The malformed lines simulate() writes, in the order they take turns."""


@dataclass(frozen=True)
class Record:
    """One reading of one sensor."""

    source: str  # sensor name, e.g. "s1"
    seq: int  # 0, 1, 2 ... per source, in emission order
    event_time: float  # seconds since the epoch, when the reading was taken
    value: float


@dataclass(frozen=True)
class SensorSpec:
    """What one simulated sensor emits."""

    source: str
    seed: int
    count: int  # how many lines to emit
    start: float = 0.0  # event time of seq 0
    interval: float = 1.0  # nominal seconds between readings
    garbage: float = 0.0  # probability that a line is replaced by a malformed one
    disorder: float = (
        0.0  # each event_time is moved back by uniform(0, disorder) seconds
    )


def format_record(record: Record) -> str:
    """'source,seq,event_time,value' (repr of floats, no spaces, no newline)."""
    return f"{record.source},{record.seq},{record.event_time!r},{record.value!r}"


def simulate(spec: SensorSpec) -> Iterator[str]:
    """`count` lines, seq 0..count-1 in order, value = round(random.gauss(20, 5), 3), event_time =
    start + seq * interval - uniform(0, disorder); with probability `garbage` a line is replaced
    by a malformed one (kinds cycle: missing field, non-numeric value, non-numeric seq, empty
    line, extra field, NaN value). Uses one random.Random(seed): same spec, same lines."""
    # One private generator: the module-level functions share state with everything else in
    # the process, so the same spec would not give the same lines twice.
    raise NotImplementedError(
        "Stage 1 (sensors): yield count lines from one random.Random(seed)"
    )


class LineServer:
    """A TCP server on 127.0.0.1 (port 0 picks one) that sends each client every line of
    `lines` (newline-terminated, UTF-8) and then closes. Context manager; `.port`."""

    def __init__(self, lines: Iterable[str], port: int = 0) -> None:
        """Keep the lines (every client gets all of them); listen from __enter__ on."""
        # An iterator can be read once only; a list can be sent to any number of clients.
        raise NotImplementedError(
            "Stage 1 (sensors): keep the lines so that every client can get them"
        )

    def __enter__(self) -> "LineServer":
        """Listen on 127.0.0.1, serve clients in the background, set `.port`."""
        raise NotImplementedError(
            "Stage 1 (sensors): listen on 127.0.0.1 and send every client all the lines"
        )

    def __exit__(self, *exc: object) -> None:
        """Stop accepting and close the listener."""
        raise NotImplementedError(
            "Stage 1 (sensors): stop the server and close the listener"
        )


def read_lines(host: str, port: int, timeout: float = 5.0) -> Iterator[str]:
    """Connect and yield each line (without its newline) until the server closes; a silence
    longer than `timeout` raises TimeoutError."""
    # The timeout applies to connect and to every recv: each wait is bounded, the stream is not.
    raise NotImplementedError(
        "Stage 1 (sensors): connect, yield each line, raise TimeoutError on a long silence"
    )
