"""Stage 4 (rr): Round Robin."""

from collections import deque

from .metrics import Slice
from .workload import Job, reject_io


def round_robin(jobs: list[Job], quantum: int) -> list[Slice]:
    """Round Robin with one FIFO ready queue and a time slice of `quantum` ticks.

    Order of events at time t:
      1. the job whose quantum expired at t (it ran t-quantum..t) goes to the tail;
      2. jobs arriving at t go to the tail, in id order;
      3. if the CPU is free, the head of the queue runs with a fresh quantum.
    A job that finishes before its quantum ends frees the CPU at once. A job whose
    quantum expires while nobody else is ready simply runs on (no context switch). Jobs
    arriving while a job runs join the queue at their arrival, so ahead of that job if
    its quantum then expires. Raises ValueError if quantum < 1 (naming `quantum`), or
    naming "round_robin (rr)" if any job does I/O.
    """
    reject_io(jobs, "round_robin (rr)")
    if quantum < 1:
        raise ValueError(f"quantum must be at least 1, got {quantum}")
    pending = sorted(jobs, key=lambda job: (job.arrival, job.id))
    remaining = {job.id: job.burst for job in jobs}
    ready: deque[int] = deque()
    timeline: list[Slice] = []
    clock = 0
    i = 0
    while ready or i < len(pending):
        if not ready:
            clock = max(clock, pending[i].arrival)
        while i < len(pending) and pending[i].arrival <= clock:
            ready.append(pending[i].id)
            i += 1
        job_id = ready.popleft()
        turn = min(quantum, remaining[job_id])
        end = clock + turn
        while i < len(pending) and pending[i].arrival < end:
            ready.append(pending[i].id)  # arrived during this turn
            i += 1
        remaining[job_id] -= turn
        if remaining[job_id] > 0:
            ready.append(
                job_id
            )  # quantum expired: to the tail, before arrivals at `end`
        if timeline and timeline[-1].job == job_id and timeline[-1].end == clock:
            timeline[-1] = Slice(job_id, timeline[-1].start, end)
        else:
            timeline.append(Slice(job_id, clock, end))
        clock = end
    return timeline
