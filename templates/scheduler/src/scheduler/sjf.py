"""Stage 3 (sjf): Shortest Job First, and its preemptive cousin STCF.

Both jump from event to event (an arrival, a completion) rather than stepping tick by
tick: between two events nothing can change which job should run.
"""

import heapq  # noqa: F401 (used by code you write)

from .metrics import Slice
from .workload import Job, reject_io  # noqa: F401 (used by code you write)


def sjf(jobs: list[Job]) -> list[Slice]:
    """Shortest Job First: non-preemptive.

    Whenever the CPU is free, start the ready job (arrival <= now) with the smallest
    burst, ties by lower id, and run it to completion. If no job is ready, idle until
    the next arrival, and admit every job arriving at that instant before choosing.
    Raises ValueError naming "sjf" if any job does I/O.
    """
    raise NotImplementedError(
        "Stage 3 (sjf): when the CPU is free, run the shortest ready job to completion"
    )


def stcf(jobs: list[Job]) -> list[Slice]:
    """Shortest Time-to-Completion First: preemptive SJF.

    At every tick the ready job with the least remaining time runs. On a tie the running
    job (the one that ran in the previous tick) keeps the CPU; among waiting jobs the
    lower id wins. So a newcomer preempts only with strictly less remaining time than
    the running job. Only an arrival or a completion can change the choice. Raises
    ValueError naming "stcf" if any job does I/O.
    """
    raise NotImplementedError(
        "Stage 3 (sjf): always run the job with the least remaining time"
    )
