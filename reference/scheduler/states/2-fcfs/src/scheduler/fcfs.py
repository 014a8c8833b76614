"""Stage 2 (fcfs): First Come, First Served."""

from .metrics import Slice
from .workload import Job, reject_io


def fcfs(jobs: list[Job]) -> list[Slice]:
    """Run jobs to completion in arrival order (ties: lower id first); non-preemptive.

    When the CPU is free and the next job has not arrived yet, the CPU idles until it
    arrives. Returns one slice per job, in time order; no jobs give an empty list.
    Raises ValueError naming "fcfs" if any job does I/O (`io_every > 0`).
    """
    reject_io(jobs, "fcfs")
    timeline = []
    clock = 0
    for job in sorted(jobs, key=lambda job: (job.arrival, job.id)):
        start = max(clock, job.arrival)
        clock = start + job.burst
        timeline.append(Slice(job.id, start, clock))
    return timeline
