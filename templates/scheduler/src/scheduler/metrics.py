"""Stage 2 (fcfs): timelines, and the metrics that judge them.

Every policy turns jobs into a timeline: a list of slices, each saying "job J ran from
tick start up to (not including) tick end". This module measures a timeline, whatever
produced it.
"""

from dataclasses import dataclass
from itertools import pairwise  # noqa: F401 (used by code you write)

from .workload import Job


@dataclass(frozen=True)
class Slice:
    """Job `job` holds the CPU from time `start` to `end` (exclusive; end > start)."""

    job: int
    start: int
    end: int


@dataclass(frozen=True)
class JobMetrics:
    """How one job fared.

    response = first_run - arrival; turnaround = completion - arrival;
    wait = turnaround - burst - ticks blocked on I/O (time ready but not running).
    """

    id: int
    arrival: int
    burst: int
    first_run: int
    completion: int
    response: int
    turnaround: int
    wait: int


@dataclass(frozen=True)
class Report:
    """How a whole timeline fared; `jobs` sorted by id."""

    jobs: list[JobMetrics]
    avg_response: float
    avg_turnaround: float
    avg_wait: float
    cpu_utilisation: float
    context_switches: int
    makespan: int


def io_ticks(job: Job) -> int:
    """Ticks `job` spends blocked on I/O over its life.

    It issues an I/O after every `io_every` ticks of CPU, except on the tick it
    finishes: that makes `((burst - 1) // io_every) * io_time` ticks, or 0 when
    `io_every == 0`.
    """
    raise NotImplementedError(
        "Stage 2 (fcfs): count the ticks this job spends blocked on I/O"
    )


def merge_slices(slices: list[Slice]) -> list[Slice]:
    """Return the slices sorted by start, with touching slices of the same job joined.

    Slice(0, 0, 2), Slice(0, 2, 5) become Slice(0, 0, 5); slices of the same job with a
    gap between them, or touching slices of different jobs, stay apart. The input is not
    changed.
    """
    raise NotImplementedError(
        "Stage 2 (fcfs): sort by start and join touching slices of the same job"
    )


def compute_metrics(jobs: list[Job], slices: list[Slice]) -> Report:
    """Measure a timeline.

    Per job: first_run = its earliest slice start, completion = its latest slice end,
    then response, turnaround and wait as in JobMetrics (wait also subtracts
    `io_ticks(job)`). Averages are plain means over jobs. makespan = last completion -
    earliest arrival; cpu_utilisation = busy ticks / makespan. context_switches: after
    `merge_slices`, the number of neighbouring slices whose jobs differ (an idle gap
    between them does not matter).

    Raises ValueError if a slice names a job that is not in `jobs`, or if the slices do
    not give some job exactly its burst. No jobs (and no slices) give a report of zeros.
    """
    raise NotImplementedError(
        "Stage 2 (fcfs): measure each job, then the averages and totals"
    )
