"""Stage 2 (fcfs): timelines, and the metrics that judge them.

Every policy turns jobs into a timeline: a list of slices, each saying "job J ran from
tick start up to (not including) tick end". This module measures a timeline, whatever
produced it.
"""

from dataclasses import dataclass
from itertools import pairwise

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
    if job.io_every == 0:
        return 0
    return (job.burst - 1) // job.io_every * job.io_time


def merge_slices(slices: list[Slice]) -> list[Slice]:
    """Return the slices sorted by start, with touching slices of the same job joined.

    Slice(0, 0, 2), Slice(0, 2, 5) become Slice(0, 0, 5); slices of the same job with a
    gap between them, or touching slices of different jobs, stay apart. The input is not
    changed.
    """
    merged: list[Slice] = []
    for piece in sorted(slices, key=lambda piece: piece.start):
        last = merged[-1] if merged else None
        if last is not None and last.job == piece.job and last.end == piece.start:
            merged[-1] = Slice(last.job, last.start, piece.end)
        else:
            merged.append(piece)
    return merged


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
    known = {job.id for job in jobs}
    ran = dict.fromkeys(known, 0)
    first_run: dict[int, int] = {}
    completion: dict[int, int] = {}
    for piece in slices:
        if piece.job not in known:
            raise ValueError(
                f"slice {piece} is for job {piece.job}, which is not in the workload"
            )
        ran[piece.job] += piece.end - piece.start
        first_run[piece.job] = min(piece.start, first_run.get(piece.job, piece.start))
        completion[piece.job] = max(piece.end, completion.get(piece.job, piece.end))
    for job in jobs:
        if ran[job.id] != job.burst:
            raise ValueError(
                f"job {job.id} ran {ran[job.id]} ticks, but its burst is {job.burst}"
            )
    if not jobs:
        return Report([], 0.0, 0.0, 0.0, 0.0, 0, 0)

    per_job = []
    for job in sorted(jobs, key=lambda job: job.id):
        turnaround = completion[job.id] - job.arrival
        per_job.append(
            JobMetrics(
                id=job.id,
                arrival=job.arrival,
                burst=job.burst,
                first_run=first_run[job.id],
                completion=completion[job.id],
                response=first_run[job.id] - job.arrival,
                turnaround=turnaround,
                wait=turnaround - job.burst - io_ticks(job),
            )
        )
    count = len(per_job)
    makespan = max(completion.values()) - min(job.arrival for job in jobs)
    merged = merge_slices(slices)
    return Report(
        jobs=per_job,
        avg_response=sum(m.response for m in per_job) / count,
        avg_turnaround=sum(m.turnaround for m in per_job) / count,
        avg_wait=sum(m.wait for m in per_job) / count,
        cpu_utilisation=sum(job.burst for job in jobs) / makespan,
        context_switches=sum(1 for a, b in pairwise(merged) if a.job != b.job),
        makespan=makespan,
    )
