"""Stage 4 (rr): Round Robin."""

from collections import deque  # noqa: F401 (used by code you write)

from .metrics import Slice
from .workload import Job, reject_io  # noqa: F401 (used by code you write)


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
    raise NotImplementedError(
        "Stage 4 (rr): take turns of `quantum` ticks from one FIFO queue"
    )
