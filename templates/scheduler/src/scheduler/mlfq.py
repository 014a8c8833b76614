"""Stage 6 (mlfq): the Multi-Level Feedback Queue, after OSTEP's `mlfq.py`.

Queues are numbered 0..queues-1 and queue `queues - 1` is the top (highest priority);
jobs enter at the top. The simulation follows the tick rules below exactly, but jumps
from event to event: between two events (an arrival, an I/O ending, a boost, the running
job finishing, issuing an I/O or using up its slice) the same job keeps running, so
those ticks can be taken in one step.
"""

import heapq  # noqa: F401 (used by code you write)
from collections import deque  # noqa: F401 (used by code you write)

from .metrics import Slice
from .workload import Job


def per_level(name: str, value: int | list[int], queues: int) -> list[int]:
    """`quantum` or `allotment` as one value per queue, indexed by queue (0 = bottom).

    An int applies to every queue. A list is given top first (like mlfq.py's -Q and -A),
    so [10, 20, 40] with 3 queues means queue 2 gets 10, queue 1 gets 20, queue 0 gets
    40. Raises ValueError naming `name` if the list's length is not `queues` or a value
    is < 1.
    """
    raise NotImplementedError(
        "Stage 6 (mlfq): turn an int or a top-first list into one value per queue"
    )


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
    raise NotImplementedError(
        "Stage 6 (mlfq): boost, admit arrivals and I/O returns, run, then update"
    )
