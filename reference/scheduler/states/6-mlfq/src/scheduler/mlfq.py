"""Stage 6 (mlfq): the Multi-Level Feedback Queue, after OSTEP's `mlfq.py`.

Queues are numbered 0..queues-1 and queue `queues - 1` is the top (highest priority);
jobs enter at the top. The simulation follows the tick rules below exactly, but jumps
from event to event: between two events (an arrival, an I/O ending, a boost, the running
job finishing, issuing an I/O or using up its slice) the same job keeps running, so
those ticks can be taken in one step.
"""

import heapq
from collections import deque

from .metrics import Slice
from .workload import Job


def per_level(name: str, value: int | list[int], queues: int) -> list[int]:
    """`quantum` or `allotment` as one value per queue, indexed by queue (0 = bottom).

    An int applies to every queue. A list is given top first (like mlfq.py's -Q and -A),
    so [10, 20, 40] with 3 queues means queue 2 gets 10, queue 1 gets 20, queue 0 gets
    40. Raises ValueError naming `name` if the list's length is not `queues` or a value
    is < 1.
    """
    values = [value] * queues if isinstance(value, int) else list(reversed(value))
    if len(values) != queues:
        raise ValueError(
            f"{name} has {len(values)} values, but there are {queues} queues"
        )
    for one in values:
        if one < 1:
            raise ValueError(f"{name} must be at least 1, got {one}")
    return values


def mlfq(
    jobs: list[Job],
    queues: int = 3,
    quantum: int | list[int] = 10,
    allotment: int | list[int] = 1,
    boost: int = 0,
    gaming: bool = False,
) -> list[Slice]:
    """Multi-Level Feedback Queue.

    `quantum` is the length of a slice (ticks) and `allotment` the number of slices a
    job gets at a level before it moves down; each an int for every queue, or a list
    given top first.

    Each tick t, in this order:
      1. Boost, if boost > 0 and t > 0 and t % boost == 0: every unfinished job goes to
         the top with a fresh slice and a fresh allotment. The ready jobs join the top
         queue after those already there, taking the lower queues from queue 0 upward,
         each in its queue order. A job doing I/O moves to the top too, and joins it
         when its I/O ends.
      2. Jobs arriving at t join the top queue in id order; then jobs whose I/O ends at
         t join the tail of their level's queue in id order.
      3. The head of the highest non-empty queue runs this tick. A job preempted by a
         higher queue stays at the head of its own queue, with the rest of its slice.
    After the tick (time t+1):
      - if the job is done, it leaves;
      - else if io_every > 0 and its CPU time so far is a multiple of io_every, it
        leaves for I/O until t+1+io_time, keeping what is left of its slice and
        allotment; with gaming=True both are reset to fresh ones instead (OSTEP's rule-4
        loophole, mlfq.py's -S);
      - then, if its slice is used up, one allotment is used: with allotment left it
        gets a fresh slice at the tail of the same queue; with none left it moves one
        queue down (the bottom queue keeps it) with a fresh slice and allotment, at the
        tail. A job that went to I/O joins that queue when its I/O ends.
    Raises ValueError naming the parameter if queues < 1, boost < 0, a quantum or
    allotment is < 1, or a quantum/allotment list's length is not `queues`.
    """
    if queues < 1:
        raise ValueError(f"queues must be at least 1, got {queues}")
    quanta = per_level("quantum", quantum, queues)
    allotments = per_level("allotment", allotment, queues)
    if boost < 0:
        raise ValueError(f"boost must be 0 (off) or more, got {boost}")
    top = queues - 1

    # Per-job state, indexed by position in id order (so index order is id order).
    order = sorted(jobs, key=lambda job: job.id)
    remaining = [job.burst for job in order]
    cpu = [0] * len(order)  # CPU ticks had so far
    level = [top] * len(order)
    slice_left = [quanta[top]] * len(order)
    allot_left = [allotments[top]] * len(order)
    arrivals = sorted(range(len(order)), key=lambda k: (order[k].arrival, k))
    ready: list[deque[int]] = [deque() for _ in range(queues)]  # ready[q]: queue q
    in_io: list[tuple[int, int]] = []  # heap of (time its I/O ends, index)
    blocked: set[int] = set()  # indices of the jobs doing I/O

    def refresh(k: int) -> None:
        level[k] = top
        slice_left[k] = quanta[top]
        allot_left[k] = allotments[top]

    def do_boost() -> None:
        for k in blocked:
            refresh(k)
        boosted = ready[top]
        for q in range(top):
            boosted.extend(ready[q])
            ready[q].clear()
        for k in boosted:
            refresh(k)

    timeline: list[Slice] = []
    clock = 0
    i = 0  # next arrival, in `arrivals`
    finished = 0
    while finished < len(order):
        # 1. boost, 2. arrivals then I/O returns.
        if boost and clock > 0 and clock % boost == 0:
            do_boost()
        while i < len(arrivals) and order[arrivals[i]].arrival == clock:
            ready[top].append(arrivals[i])
            i += 1
        while in_io and in_io[0][0] == clock:
            k = heapq.heappop(in_io)[1]
            blocked.discard(k)
            ready[level[k]].append(k)

        # The next event from outside the running job: an arrival, an I/O end, a boost
        # (which only matters while some job is in the system).
        q = next((q for q in range(top, -1, -1) if ready[q]), None)
        upcoming = []
        if i < len(arrivals):
            upcoming.append(order[arrivals[i]].arrival)
        if in_io:
            upcoming.append(in_io[0][0])
        if boost and (q is not None or blocked):
            upcoming.append((clock // boost + 1) * boost)
        if q is None:
            # Idle until then (some job is unfinished, so there is a next event).
            clock = min(upcoming)
            continue

        # 3. The head of the highest non-empty queue runs, up to the next event at most.
        k = ready[q][0]
        job = order[k]
        run = min(slice_left[k], remaining[k], *(t - clock for t in upcoming))
        if job.io_every:
            run = min(run, job.io_every - cpu[k] % job.io_every)
        if timeline and timeline[-1].job == job.id and timeline[-1].end == clock:
            timeline[-1] = Slice(job.id, timeline[-1].start, clock + run)
        else:
            timeline.append(Slice(job.id, clock, clock + run))
        clock += run
        remaining[k] -= run
        cpu[k] += run
        slice_left[k] -= run

        # After the tick.
        if remaining[k] == 0:
            ready[q].popleft()
            finished += 1
            continue
        went_to_io = job.io_every > 0 and cpu[k] % job.io_every == 0
        if went_to_io:
            ready[q].popleft()
            blocked.add(k)
            heapq.heappush(in_io, (clock + job.io_time, k))
            if gaming:
                slice_left[k] = quanta[q]
                allot_left[k] = allotments[q]
        if slice_left[k] == 0:
            if not went_to_io:
                ready[q].popleft()
            allot_left[k] -= 1
            if allot_left[k] == 0:
                level[k] = max(q - 1, 0)
                allot_left[k] = allotments[level[k]]
            slice_left[k] = quanta[level[k]]
            if not went_to_io:
                ready[level[k]].append(k)
    return timeline
