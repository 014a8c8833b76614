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

import heapq

from .metrics import Slice
from .workload import Job, reject_io


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
        self.aging = aging
        self.groups: dict[int, list[int]] = {}  # standing -> heap of job ids
        self.standings: list[int] = []  # heap of -standing, one entry per group

    def __bool__(self) -> bool:
        """True while some job is waiting."""
        return bool(self.standings)

    def effective(self, standing: int, t: int) -> int:
        """The effective priority at time t of a job with this standing."""
        return standing if self.aging == 0 else (standing + t) // self.aging

    def add(self, job_id: int, priority: int, since: int) -> None:
        """A job starts waiting at time `since`.

        Its standing is `priority * aging - since`, or just `priority` when aging == 0.
        """
        standing = priority * self.aging - since if self.aging else priority
        if standing not in self.groups:
            self.groups[standing] = []
            heapq.heappush(self.standings, -standing)
        heapq.heappush(self.groups[standing], job_id)

    def best(self, t: int) -> int:
        """The highest effective priority among the waiting jobs at time t."""
        return self.effective(-self.standings[0], t)

    def overtakes(self, level: int) -> int:
        """The first time a waiting job's effective priority is above `level`.

        That is the smallest t with (best standing + t) // aging > level, which is
        `aging * (level + 1) - best standing`. Only for aging > 0 with jobs waiting.
        """
        return self.aging * (level + 1) + self.standings[0]

    def pop(self, t: int) -> int:
        """Remove and return the job to run at time t: the best effective priority,
        then the lowest id."""
        best = self.best(t)
        tied = []  # the standings whose effective priority is `best`
        while self.standings and self.effective(-self.standings[0], t) == best:
            tied.append(-heapq.heappop(self.standings))
        winner = min(tied, key=lambda standing: self.groups[standing][0])
        job_id = heapq.heappop(self.groups[winner])
        for standing in tied:
            if self.groups[standing]:
                heapq.heappush(self.standings, -standing)
            else:
                del self.groups[standing]
        return job_id


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
    reject_io(jobs, "priority")
    if aging < 0:
        raise ValueError(f"aging must be 0 or more, got {aging}")
    pending = sorted(jobs, key=lambda job: (job.arrival, job.id))
    base = {job.id: job.priority for job in jobs}
    remaining = {job.id: job.burst for job in jobs}
    waiting = WaitingJobs(aging)
    timeline = []
    clock = 0
    i = 0
    running: int | None = None  # id of the job on the CPU
    since = 0  # when the running job got the CPU
    while running is not None or waiting or i < len(pending):
        if running is None and not waiting:
            clock = max(clock, pending[i].arrival)
        while i < len(pending) and pending[i].arrival <= clock:
            waiting.add(pending[i].id, pending[i].priority, pending[i].arrival)
            i += 1
        if running is None:
            running = waiting.pop(clock)
            since = clock
        elif waiting and waiting.best(clock) > base[running]:
            timeline.append(Slice(running, since, clock))
            waiting.add(running, base[running], clock)
            running = waiting.pop(clock)
            since = clock

        next_event = clock + remaining[running]  # it finishes
        if i < len(pending):
            next_event = min(next_event, pending[i].arrival)
        if aging and waiting:
            # From the next tick on, the running job competes with its plain priority
            # (its wait count restarts), and the best waiting job may climb above it.
            overtake = max(clock + 1, waiting.overtakes(base[running]))
            next_event = min(next_event, overtake)
        remaining[running] -= next_event - clock
        clock = next_event
        if remaining[running] == 0:
            timeline.append(Slice(running, since, clock))
            running = None
    return timeline
