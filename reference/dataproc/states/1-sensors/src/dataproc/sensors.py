"""Stage 1 (sensors): simulated sensors, and a real I/O source (TCP on loopback).

A sensor emits text lines 'source,seq,event_time,value'. The simulator is seeded, so a test
(or a benchmark) can replay exactly the same stream; some lines are deliberately broken, as
real feeds are. `LineServer` and `read_lines` move those lines over a real socket, so later
stages can read from a source that blocks.
"""

import random
import socket
import socketserver
import threading
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
    rng = random.Random(spec.seed)
    broken = 0
    for seq in range(spec.count):
        value = round(rng.gauss(20, 5), 3)
        event_time = spec.start + seq * spec.interval - rng.uniform(0, spec.disorder)
        # Drawn for every line, so the garbage rate does not change the readings.
        if rng.random() >= spec.garbage:
            yield format_record(Record(spec.source, seq, event_time, value))
            continue
        kind = GARBAGE_KINDS[broken % len(GARBAGE_KINDS)]
        broken += 1
        head = f"{spec.source},{seq},{event_time!r}"
        if kind == "missing field":
            yield head
        elif kind == "non-numeric value":
            yield f"{head},abc"
        elif kind == "non-numeric seq":
            yield f"{spec.source},#{seq},{event_time!r},{value!r}"
        elif kind == "empty line":
            yield ""
        elif kind == "extra field":
            yield f"{head},{value!r},1"
        else:
            yield f"{head},nan"


class LineServer:
    """A TCP server on 127.0.0.1 (port 0 picks one) that sends each client every line of
    `lines` (newline-terminated, UTF-8) and then closes. Context manager; `.port`."""

    def __init__(self, lines: Iterable[str], port: int = 0) -> None:
        """Keep the lines (every client gets all of them); listen from __enter__ on."""
        # An iterator can be read once only; a list can be sent to any number of clients.
        self.payload = "".join(line + "\n" for line in lines).encode("utf-8")
        self.port = port
        self._server: socketserver.ThreadingTCPServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "LineServer":
        """Listen on 127.0.0.1, serve clients in the background, set `.port`."""
        payload = self.payload

        class SendAll(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                try:
                    self.request.sendall(payload)
                except OSError:
                    pass  # the client went away; nothing to tell it

        server = socketserver.ThreadingTCPServer((HOST, self.port), SendAll)
        server.daemon_threads = True  # a stuck client never holds up shutdown
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop accepting and close the listener."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()


def read_lines(host: str, port: int, timeout: float = 5.0) -> Iterator[str]:
    """Connect and yield each line (without its newline) until the server closes; a silence
    longer than `timeout` raises TimeoutError."""
    # The timeout applies to connect and to every recv: each wait is bounded, the stream is not.
    with socket.create_connection((host, port), timeout=timeout) as conn:
        pending = b""
        while True:
            chunk = conn.recv(65536)  # socket.timeout is TimeoutError
            if not chunk:
                break
            pending += chunk
            # Split bytes, not text: a chunk may end inside a multi-byte character.
            *lines, pending = pending.split(b"\n")
            for line in lines:
                yield line.decode("utf-8")
        if pending:
            yield pending.decode("utf-8")
