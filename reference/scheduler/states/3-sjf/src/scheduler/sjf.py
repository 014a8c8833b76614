"""Stage 3 (sjf): Shortest Job First, and its preemptive cousin STCF.

Both jump from event to event (an arrival, a completion) rather than stepping tick by
tick: between two events nothing can change which job should run.
"""

import heapq

from .metrics import Slice
from .workload import Job, reject_io


def sjf(jobs: list[Job]) -> list[Slice]:
    """Shortest Job First: non-preemptive.

    Whenever the CPU is free, start the ready job (arrival <= now) with the smallest
    burst, ties by lower id, and run it to completion. If no job is ready, idle until
    the next arrival, and admit every job arriving at that instant before choosing.
    Raises ValueError naming "sjf" if any job does I/O.
    """
    reject_io(jobs, "sjf")
    pending = sorted(jobs, key=lambda job: (job.arrival, job.id))
    ready: list[tuple[int, int]] = []  # heap of (burst, id)
    timeline = []
    clock = 0
    i = 0
    while i < len(pending) or ready:
        if not ready:
            clock = max(clock, pending[i].arrival)
        while i < len(pending) and pending[i].arrival <= clock:
            heapq.heappush(ready, (pending[i].burst, pending[i].id))
            i += 1
        burst, job_id = heapq.heappop(ready)
        timeline.append(Slice(job_id, clock, clock + burst))
        clock += burst
    return timeline


def stcf(jobs: list[Job]) -> list[Slice]:
    """Shortest Time-to-Completion First: preemptive SJF.

    At every tick the ready job with the least remaining time runs. On a tie the running
    job (the one that ran in the previous tick) keeps the CPU; among waiting jobs the
    lower id wins. So a newcomer preempts only with strictly less remaining time than
    the running job. Only an arrival or a completion can change the choice. Raises
    ValueError naming "stcf" if any job does I/O.
    """
    reject_io(jobs, "stcf")
    pending = sorted(jobs, key=lambda job: (job.arrival, job.id))
    ready: list[tuple[int, int]] = []  # heap of (remaining, id) of waiting jobs
    timeline = []
    clock = 0
    i = 0
    running: tuple[int, int] | None = None  # (remaining, id) of the job on the CPU
    since = 0  # when the running job got the CPU
    while running or ready or i < len(pending):
        if running is None and not ready:
            clock = max(clock, pending[i].arrival)
        while i < len(pending) and pending[i].arrival <= clock:
            heapq.heappush(ready, (pending[i].burst, pending[i].id))
            i += 1
        if running is None:
            running = heapq.heappop(ready)
            since = clock
        elif ready and ready[0][0] < running[0]:
            timeline.append(Slice(running[1], since, clock))
            running = heapq.heapreplace(
                ready, running
            )  # pop the shorter job, push ours
            since = clock

        remaining, job_id = running
        next_arrival = pending[i].arrival if i < len(pending) else None
        if next_arrival is None or clock + remaining <= next_arrival:
            clock += remaining
            timeline.append(Slice(job_id, since, clock))
            running = None
        else:
            running = (remaining - (next_arrival - clock), job_id)
            clock = next_arrival
    return timeline
