"""Stage 2 (pipeline): one lane from text lines to aggregates per source.

Every line is parsed and validated on its own; a line that fails goes to the dead letters
with the reason, and the run goes on. Later stages run the same steps in parallel and must
reach exactly the same Result.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass

from dataproc.sensors import Record

FIELDS = ("source", "seq", "event_time", "value")
"""The fields of a line, in order."""


class BadRecord(ValueError):
    """A line that cannot become a Record; str(err) is the reason."""


def parse(line: str) -> Record:
    """Exactly 4 comma-separated fields; source non-empty; seq a non-negative int; event_time and
    value finite floats. Anything else raises BadRecord naming the field and problem, e.g.
    "field 'value': not a number ('abc')"; a line with more or fewer fields names the 4 it
    needs and what it has instead, e.g. "expected 4 comma-separated fields, got 3"."""
    parts = line.split(",")
    if len(parts) != len(FIELDS):
        raise BadRecord(
            f"expected {len(FIELDS)} comma-separated fields, got {len(parts)} ({line!r})"
        )
    source, seq_text, time_text, value_text = parts
    if not source:
        raise BadRecord("field 'source': empty")
    try:
        seq = int(seq_text)
    except ValueError:
        raise BadRecord(f"field 'seq': not an integer ({seq_text!r})") from None
    if seq < 0:
        raise BadRecord(f"field 'seq': negative ({seq})")
    try:
        event_time = float(time_text)
    except ValueError:
        raise BadRecord(f"field 'event_time': not a number ({time_text!r})") from None
    if not math.isfinite(event_time):
        raise BadRecord(f"field 'event_time': not finite ({time_text!r})")
    try:
        value = float(value_text)
    except ValueError:
        raise BadRecord(f"field 'value': not a number ({value_text!r})") from None
    # float() accepts 'nan' and 'inf'; one NaN would turn every later total into NaN.
    if not math.isfinite(value):
        raise BadRecord(f"field 'value': not finite ({value_text!r})")
    return Record(source, seq, event_time, value)


@dataclass
class Aggregate:
    """Count, total, minimum and maximum of some values; empty until the first add."""

    count: int = 0
    total: float = 0.0
    minimum: float = math.inf
    maximum: float = -math.inf

    def add(self, value: float) -> None:
        """Count one more value."""
        self.count += 1
        self.total += value
        self.minimum = min(self.minimum, value)
        self.maximum = max(self.maximum, value)

    def merge(self, other: "Aggregate") -> None:
        """Fold `other` in, as if each of its values had been added here."""
        self.count += other.count
        self.total += other.total
        # inf and -inf are the identities of min and max: merging an empty one changes nothing.
        self.minimum = min(self.minimum, other.minimum)
        self.maximum = max(self.maximum, other.maximum)

    @property
    def mean(self) -> float:
        """total / count; NaN when count is 0."""
        return self.total / self.count if self.count else math.nan


@dataclass(frozen=True)
class DeadLetter:
    """A line that was not processed, and why."""

    line: str
    reason: str


@dataclass
class Result:
    """What a run produced."""

    aggregates: dict[str, Aggregate]  # by source
    dead: list[DeadLetter]  # in input order
    processed: int  # records aggregated


def run_single(lines: Iterable[str]) -> Result:
    """One lane: parse -> validate -> aggregate per source; a bad line goes to `dead` with its
    reason and never stops the run."""
    result = Result(aggregates={}, dead=[], processed=0)
    for line in lines:
        try:
            record = parse(line)
        except BadRecord as err:
            result.dead.append(DeadLetter(line, str(err)))
            continue
        result.aggregates.setdefault(record.source, Aggregate()).add(record.value)
        result.processed += 1
    return result
