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

import math
from collections.abc import Iterable

from .pipeline import Aggregate
from .sensors import Record

Key = tuple[str, float]  # (source, window start)


def window_start(event_time: float, size: float) -> float:
    """floor(event_time / size) * size: windows are epoch-aligned and half-open [start, start+size)."""
    # floor, not int(): int() truncates towards zero, which puts -0.5 in [0, size).
    return float(math.floor(event_time / size) * size)


def tumbling(
    records: Iterable[Record], size: float
) -> dict[tuple[str, float], Aggregate]:
    """Aggregate per (source, window start) over non-overlapping windows of `size` seconds."""
    windows: dict[Key, Aggregate] = {}
    for record in records:
        key = (record.source, window_start(record.event_time, size))
        windows.setdefault(key, Aggregate()).add(record.value)
    return windows


def sliding(
    records: Iterable[Record], size: float, slide: float
) -> dict[tuple[str, float], Aggregate]:
    """Windows of `size` seconds starting every `slide` seconds (epoch-aligned, half-open); a
    record belongs to every window containing its event_time. size must be a multiple of slide."""
    if size <= 0 or slide <= 0:
        raise ValueError(
            f"size and slide must be positive (size={size}, slide={slide})"
        )
    ratio = size / slide
    per_record = round(ratio)
    # isclose: 0.3 / 0.1 is 2.9999999999999996 in binary floating point, yet 0.3 is 3 slides.
    if per_record < 1 or not math.isclose(ratio, per_record, rel_tol=1e-9):
        raise ValueError(f"size {size} is not a multiple of slide {slide}")
    windows: dict[Key, Aggregate] = {}
    for record in records:
        # The latest window holding the record starts at its slide boundary; the others start
        # one slide earlier each. Starts are (whole number) * slide, as window_start computes
        # them, so equal windows get equal keys.
        last = math.floor(record.event_time / slide)
        for back in range(per_record):
            key = (record.source, float((last - back) * slide))
            windows.setdefault(key, Aggregate()).add(record.value)
    return windows


class WindowedAggregator:
    """Stage 6: tumbling windows over an unordered stream. The watermark is the largest
    event_time seen minus `allowed_lateness`; a window [s, e) closes once the watermark >= e and
    is emitted then. A record whose window has already closed is late: counted in `late`, never
    silently dropped, never added."""

    late: int
    watermark: float

    def __init__(self, size: float, allowed_lateness: float) -> None:
        """No window open yet, nothing late, and a watermark of -inf (nothing seen)."""
        self.size = size
        self.allowed_lateness = allowed_lateness
        self.late = 0
        self.watermark = -math.inf  # nothing seen yet: no window can be closed
        self._open: dict[Key, Aggregate] = {}

    def add(self, record: Record) -> list[tuple[tuple[str, float], Aggregate]]:
        """Take one record; return the windows that closed because of it (sorted by start,
        then source)."""
        start = window_start(record.event_time, self.size)
        if self.watermark >= start + self.size:
            # Its window is closed (and perhaps already emitted): reopening it would emit the
            # same window twice with different contents.
            self.late += 1
            return []
        key = (record.source, start)
        self._open.setdefault(key, Aggregate()).add(record.value)
        # The watermark never moves back: an old record says nothing about what is still coming.
        self.watermark = max(self.watermark, record.event_time - self.allowed_lateness)
        closed = sorted(
            (key for key in self._open if key[1] + self.size <= self.watermark),
            key=lambda key: (key[1], key[0]),
        )
        return [(key, self._open.pop(key)) for key in closed]

    def flush(self) -> list[tuple[tuple[str, float], Aggregate]]:
        """Close every open window (end of stream / shutdown)."""
        closed = sorted(self._open, key=lambda key: (key[1], key[0]))
        return [(key, self._open.pop(key)) for key in closed]
