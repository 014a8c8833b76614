"""Stage 5 (priority): preemptive priority scheduling, with aging against starvation.

The simulation jumps from event to event: an arrival, a completion, or the moment a
waiting job's aging lifts it above the running job. To find that moment without stepping
tick by tick, each waiting job gets a *standing* that does not change while it waits:

    standing = priority * aging - since    (aging > 0; since = when it began waiting)
    standing = priority                    (aging == 0)

and its effective priority at time t is `(standing + t) // aging` (or just `standing`),
which equals `priority + (t - since) // aging`. A higher standing never means a lower
effective priority, so the best waiting jobs are those with the highest standings; but
several standings can round down to the same effective priority, and then the lower id
must win.
"""

import heapq  # noqa: F401 (used by code you write)

from .metrics import Slice
from .workload import Job, reject_io  # noqa: F401 (used by code you write)


class WaitingJobs:
    """The jobs waiting for the CPU, grouped by standing (see the module docstring).

    Jobs with the same standing always have the same effective priority, so within a
    group only the lowest id can win: each group is a heap of ids, and a heap of
    standings finds the best groups.

    A helper for `priority`, which can also be written without it: a tick-by-tick loop
    that recomputes every ready job's effective priority is a fine first version.
    """

    def __init__(self, aging: int) -> None:
        """No jobs waiting yet; `aging` as given to `priority`."""
        raise NotImplementedError(
            "Stage 5 (priority): set up the groups of waiting jobs"
        )

    def __bool__(self) -> bool:
        """True while some job is waiting."""
        raise NotImplementedError("Stage 5 (priority): say whether any job is waiting")

    def effective(self, standing: int, t: int) -> int:
        """The effective priority at time t of a job with this standing."""
        raise NotImplementedError(
            "Stage 5 (priority): compute the effective priority from a standing"
        )

    def add(self, job_id: int, priority: int, since: int) -> None:
        """A job starts waiting at time `since`.

        Its standing is `priority * aging - since`, or just `priority` when aging == 0.
        """
        raise NotImplementedError(
            "Stage 5 (priority): add a waiting job to its standing's group"
        )

    def best(self, t: int) -> int:
        """The highest effective priority among the waiting jobs at time t."""
        raise NotImplementedError(
            "Stage 5 (priority): return the best effective priority among waiting jobs"
        )

    def overtakes(self, level: int) -> int:
        """The first time a waiting job's effective priority is above `level`.

        That is the smallest t with (best standing + t) // aging > level, which is
        `aging * (level + 1) - best standing`. Only for aging > 0 with jobs waiting.
        """
        raise NotImplementedError(
            "Stage 5 (priority): return when a waiting job first beats `level`"
        )

    def pop(self, t: int) -> int:
        """Remove and return the job to run at time t: the best effective priority,
        then the lowest id."""
        raise NotImplementedError(
            "Stage 5 (priority): remove the best waiting job (lowest id on a tie)"
        )


def priority(jobs: list[Job], aging: int = 0) -> list[Slice]:
    """Preemptive priority scheduling; a higher number is more important.

    At the start of every tick t, each ready job has an effective priority

        priority + waited // aging      (just `priority` when aging == 0)

    where waited = t - max(arrival, end of its last run): the count restarts whenever
    the job runs, so the running job always has waited == 0. The job with the highest
    effective priority runs; on a tie the job that ran in tick t-1 keeps the CPU,
    otherwise the lower id wins. So a job preempts the running one only with a strictly
    higher effective priority.
    Raises ValueError if aging < 0 (naming `aging`), or naming "priority" if any job
    does I/O.
    """
    raise NotImplementedError(
        "Stage 5 (priority): run the job with the highest effective priority"
    )
