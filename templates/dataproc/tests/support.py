"""Helpers shared by the dataproc tests.

- `kind_of(line)` says what a sensor line is, by the tests' own rules: "valid" or one of
  `GARBAGE_KINDS` (the malformed lines the simulator writes, in the order they take turns).
- `SilentServer` and `PayloadServer` are test-made TCP servers on 127.0.0.1: one accepts and
  never sends, one sends fixed bytes (then closes, or keeps quiet).
- `receive_all(port)` reads what a server sends, with plain sockets and a timeout.
- `expected_aggregates(records)` is the plain sequential computation every pipeline result is
  compared with; `line_mixes()` is the Hypothesis strategy of valid and broken lines.
"""

import math
import socket
import threading
from collections.abc import Iterable
from typing import Any

from hypothesis import strategies as st

from dataproc.sensors import Record, format_record

HOST = "127.0.0.1"
WAIT = 5.0  # the longest any test waits on a socket it controls

GARBAGE_KINDS = (
    "missing field",
    "non-numeric value",
    "non-numeric seq",
    "empty line",
    "extra field",
    "NaN value",
)


# --- sensor lines ---------------------------------------------------------------------


def kind_of(line: str) -> str:
    """ "valid", or which malformed kind `line` is (the tests' reading of the format)."""
    if line == "":
        return "empty line"
    fields = line.split(",")
    if len(fields) < 4:
        return "missing field"
    if len(fields) > 4:
        return "extra field"
    try:
        int(fields[1])
    except ValueError:
        return "non-numeric seq"
    try:
        value = float(fields[3])
    except ValueError:
        return "non-numeric value"
    if math.isnan(value):
        return "NaN value"
    return "valid"


def record_of(line: str) -> Record:
    """A valid line as a Record (the tests' own parse, no checks)."""
    source, seq, event_time, value = line.split(",")
    return Record(source, int(seq), float(event_time), float(value))


def show_lines(lines: list[str], limit: int = 6) -> str:
    """A few lines for a failure message: ['s1,0,0.0,21.5', ...] (N lines)."""
    head = ", ".join(repr(line) for line in lines[:limit])
    more = f", ... ({len(lines)} lines)" if len(lines) > limit else ""
    return f"[{head}{more}]"


# --- TCP servers the tests control ----------------------------------------------------


class SilentServer:
    """A listener on 127.0.0.1 that never accepts: the kernel completes the handshake, so a
    client connects fine and then waits for data that never comes."""

    def __enter__(self) -> "SilentServer":
        self._listener = socket.create_server((HOST, 0), backlog=16)
        self.port = self._listener.getsockname()[1]
        return self

    def __exit__(self, *exc: object) -> None:
        self._listener.close()


class PayloadServer:
    """Sends `payload` to every client, then closes the connection (or, with
    `then_silent=True`, keeps it open without a word until the server is closed)."""

    def __init__(self, payload: bytes, then_silent: bool = False) -> None:
        self.payload = payload
        self.then_silent = then_silent
        self._stop = threading.Event()
        self._held: list[socket.socket] = []

    def __enter__(self) -> "PayloadServer":
        self._listener = socket.create_server((HOST, 0), backlog=16)
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(WAIT)
            try:
                conn.sendall(self.payload)
            except OSError:
                pass
            if self.then_silent:
                self._held.append(conn)
            else:
                conn.close()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(WAIT)
        self._listener.close()
        for conn in self._held:
            conn.close()


def receive_all(port: int) -> bytes:
    """Everything a server on 127.0.0.1:port sends until it closes (plain sockets)."""
    data = b""
    with socket.create_connection((HOST, port), timeout=WAIT) as conn:
        while chunk := conn.recv(65536):
            data += chunk
    return data


# --- the sequential computation -------------------------------------------------------


def expected_aggregates(records: Iterable[Record]) -> dict[str, dict[str, Any]]:
    """Per source: count, total, minimum, maximum of the values, added one by one in order."""
    out: dict[str, dict[str, Any]] = {}
    for r in records:
        agg = out.setdefault(
            r.source, {"count": 0, "total": 0.0, "minimum": r.value, "maximum": r.value}
        )
        agg["count"] += 1
        agg["total"] += r.value
        agg["minimum"] = min(agg["minimum"], r.value)
        agg["maximum"] = max(agg["maximum"], r.value)
    return out


def aggregate_fields(agg: Any) -> dict[str, Any]:
    """An Aggregate as a plain dict, for comparing and showing."""
    return {
        "count": getattr(agg, "count", None),
        "total": getattr(agg, "total", None),
        "minimum": getattr(agg, "minimum", None),
        "maximum": getattr(agg, "maximum", None),
    }


def same_aggregate(got: dict[str, Any], expected: dict[str, Any]) -> bool:
    """Equal counts, minima and maxima; totals equal up to float rounding."""
    if got["count"] != expected["count"]:
        return False
    if got["minimum"] != expected["minimum"] or got["maximum"] != expected["maximum"]:
        return False
    try:
        return math.isclose(got["total"], expected["total"], rel_tol=1e-9, abs_tol=1e-9)
    except TypeError:
        return False


# --- random input (hypothesis) --------------------------------------------------------

BROKEN_LINES = (
    "",
    "s1,3,10.0",
    "s1,3,10.0,20.5,1",
    ",3,10.0,20.5",
    "s1,-1,10.0,20.5",
    "s1,x3,10.0,20.5",
    "s1,3.5,10.0,20.5",
    "s1,3,later,20.5",
    "s1,3,inf,20.5",
    "s1,3,10.0,abc",
    "s1,3,10.0,nan",
    "s1,3,10.0,-inf",
    "s1,3,10.0,",
)
"""Lines parse must reject, one of each problem."""

SOURCES = st.sampled_from(["s1", "s2", "s3", "pump-7", "t_room"])
VALUES = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(
    lambda v: round(v, 3)
)


@st.composite
def records(draw: st.DrawFn) -> Record:
    return Record(
        source=draw(SOURCES),
        seq=draw(st.integers(0, 10**6)),
        event_time=draw(st.floats(-1e9, 2e9, allow_nan=False, allow_infinity=False)),
        value=draw(VALUES),
    )


@st.composite
def line_mixes(draw: st.DrawFn) -> list[tuple[str, Record | None]]:
    """A list of (line, the Record it holds or None when it is broken)."""
    items = draw(
        st.lists(
            st.one_of(
                records().map(lambda r: (format_record(r), r)),
                st.sampled_from(BROKEN_LINES).map(lambda line: (line, None)),
            ),
            max_size=40,
        )
    )
    return items
