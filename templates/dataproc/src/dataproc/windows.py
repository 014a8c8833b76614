"""Stages 5 (windows) and 6 (late): aggregates over windows of event time.

A window is half-open, [start, start + size): an event at exactly `start + size` belongs to
the next window. Windows are aligned to the epoch (start is a multiple of size), so every
process, every run and every source agrees on where a window begins, whatever the first
record was.

Stage 6 reads an unordered stream. It cannot wait forever for stragglers, so it keeps a
watermark, "I believe nothing older than this is still coming": the largest event time seen
minus the allowed lateness. A window closes, and is emitted, once the watermark reaches its
end; anything that still arrives for it is late and is counted, never quietly lost.
"""

import math  # noqa: F401 (used by code you write)
from collections.abc import Iterable

from .pipeline import Aggregate
from .sensors import Record

Key = tuple[str, float]  # (source, window start)


def window_start(event_time: float, size: float) -> float:
    """floor(event_time / size) * size: windows are epoch-aligned and half-open [start, start+size)."""
    raise NotImplementedError(
        "Stage 5 (windows): compute the start of the window holding event_time"
    )


def tumbling(
    records: Iterable[Record], size: float
) -> dict[tuple[str, float], Aggregate]:
    """Aggregate per (source, window start) over non-overlapping windows of `size` seconds."""
    raise NotImplementedError(
        "Stage 5 (windows): aggregate each record into its (source, window start)"
    )


def sliding(
    records: Iterable[Record], size: float, slide: float
) -> dict[tuple[str, float], Aggregate]:
    """Windows of `size` seconds starting every `slide` seconds (epoch-aligned, half-open); a
    record belongs to every window containing its event_time. size must be a multiple of slide."""
    raise NotImplementedError(
        "Stage 5 (windows): aggregate each record into every sliding window holding it"
    )


class WindowedAggregator:
    """Stage 6: tumbling windows over an unordered stream. The watermark is the largest
    event_time seen minus `allowed_lateness`; a window [s, e) closes once the watermark >= e and
    is emitted then. A record whose window has already closed is late: counted in `late`, never
    silently dropped, never added."""

    late: int
    watermark: float

    def __init__(self, size: float, allowed_lateness: float) -> None:
        """No window open yet, nothing late, and a watermark of -inf (nothing seen)."""
        raise NotImplementedError(
            "Stage 6 (late): set up the open windows, `late` and `watermark`"
        )

    def add(self, record: Record) -> list[tuple[tuple[str, float], Aggregate]]:
        """Take one record; return the windows that closed because of it (sorted by start,
        then source)."""
        raise NotImplementedError(
            "Stage 6 (late): count a late record, or add it and close windows"
        )

    def flush(self) -> list[tuple[tuple[str, float], Aggregate]]:
        """Close every open window (end of stream / shutdown)."""
        raise NotImplementedError("Stage 6 (late): close every open window")
