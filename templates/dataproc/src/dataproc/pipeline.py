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
    raise NotImplementedError(
        "Stage 2 (pipeline): split into 4 fields and check each, or raise BadRecord"
    )


@dataclass
class Aggregate:
    """Count, total, minimum and maximum of some values; empty until the first add."""

    count: int = 0
    total: float = 0.0
    minimum: float = math.inf
    maximum: float = -math.inf

    def add(self, value: float) -> None:
        """Count one more value."""
        raise NotImplementedError("Stage 2 (pipeline): count one more value")

    def merge(self, other: "Aggregate") -> None:
        """Fold `other` in, as if each of its values had been added here."""
        raise NotImplementedError("Stage 2 (pipeline): fold another Aggregate in")

    @property
    def mean(self) -> float:
        """total / count; NaN when count is 0."""
        raise NotImplementedError("Stage 2 (pipeline): total / count, NaN when empty")


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
    raise NotImplementedError(
        "Stage 2 (pipeline): parse each line, aggregate per source, keep dead letters"
    )
