"""Helpers shared by the scheduler tests.

- `make_jobs((id, arrival, burst[, priority[, io_every, io_time]]), ...)` builds jobs.
- Timelines are compared as text: `show(merge(slices))` gives e.g.
  "0[0,3) 1[3,5) 0[7,9)": job 0 runs from t=0 to t=3 (end exclusive), then job 1, then
  job 0 again after an idle gap.
- `timeline_problems(jobs, slices)` checks the rules every policy obeys.
- `workloads(...)` is the hypothesis strategy for small random workloads.
"""

from collections.abc import Iterable
from typing import Any

from hypothesis import strategies as st

from scheduler.metrics import Slice
from scheduler.workload import Job
from tests.teaching import got_vs_expected

Piece = tuple[int, int, int]  # (job id, start, end)


# --- building workloads ---------------------------------------------------------------


def make_jobs(*rows: tuple[int, ...]) -> list[Job]:
    """make_jobs((0, 0, 5), (1, 2, 3, 7)): job 0 arrives at 0 needing 5 ticks of CPU;
    job 1 arrives at 2 needing 3, with priority 7."""
    names = ("id", "arrival", "burst", "priority", "io_every", "io_time")
    return [Job(**dict(zip(names, row, strict=False))) for row in rows]


def show_job(job: Job) -> str:
    text = f"J{job.id} arr={job.arrival} burst={job.burst}"
    if job.priority:
        text += f" prio={job.priority}"
    if job.io_every:
        text += f" io={job.io_every}/{job.io_time}"
    return text


def show_jobs(jobs: Iterable[Job]) -> str:
    """A workload, compactly: "[J0 arr=0 burst=3; J1 arr=1 burst=2 io=1/2]".

    io=every/time: after every `every` ticks of CPU, `time` ticks of I/O."""
    return "[" + "; ".join(show_job(j) for j in jobs) + "]"


def show_call(name: str, jobs: list[Job], **params: Any) -> str:
    """What a test called, for failure messages: "rr([J0 arr=0 burst=3], quantum=2)"."""
    extra = "".join(f", {key}={value!r}" for key, value in params.items())
    return f"{name}({show_jobs(jobs)}{extra})"


# --- timelines ------------------------------------------------------------------------


def pieces(slices: Iterable[Any]) -> list[Piece]:
    """Slices (or (job, start, end) tuples) as plain tuples, in the order given."""
    out = []
    for s in slices:
        if isinstance(s, tuple):
            out.append(s)
        else:
            out.append((s.job, s.start, s.end))
    return out


def merge(slices: Iterable[Any]) -> list[Piece]:
    """Sort by start and join touching pieces of the same job (the tests' own merge)."""
    merged: list[Piece] = []
    for job, start, end in sorted(pieces(slices), key=lambda p: (p[1], p[2])):
        if merged and merged[-1][0] == job and merged[-1][2] == start:
            merged[-1] = (job, merged[-1][1], end)
        else:
            merged.append((job, start, end))
    return merged


def show(slices: Iterable[Any]) -> str:
    """A timeline as text: "0[0,3) 1[3,5)"; "(empty)" for no slices."""
    text = " ".join(f"{job}[{start},{end})" for job, start, end in pieces(slices))
    return text or "(empty)"


def timeline(text: str) -> list[Slice]:
    """The reverse of show(): "0[0,3) 1[3,5)" -> [Slice(0, 0, 3), Slice(1, 3, 5)]."""
    out = []
    for token in text.split():
        job, rest = token.split("[")
        start, end = rest.rstrip(")").split(",")
        out.append(Slice(int(job), int(start), int(end)))
    return out


def check_timeline(call: str, got: list[Any], expected: str, rule: str = "") -> None:
    """Assert that a policy's slices, once merged, read exactly `expected`."""
    assert isinstance(got, list), f"{call} returned {got!r}; expected a list of Slice"
    assert show(merge(got)) == expected, got_vs_expected(
        call, show(merge(got)), expected, rule
    )


def run_ticks(jobs: list[Job], slices: Iterable[Any]) -> dict[int, list[int]]:
    """For each job id, the sorted ticks in which it ran."""
    ran: dict[int, list[int]] = {j.id: [] for j in jobs}
    for job, start, end in pieces(slices):
        ran.setdefault(job, []).extend(range(start, end))
    return {job: sorted(ticks) for job, ticks in ran.items()}


def blocked_ticks(job: Job, ticks: list[int]) -> set[int]:
    """Ticks the job spends blocked on I/O, given the ticks it ran in: after every
    io_every ticks of CPU, except on the tick it finishes, it is away io_time ticks."""
    blocked: set[int] = set()
    if job.io_every <= 0:
        return blocked
    for done, tick in enumerate(ticks, start=1):
        if done % job.io_every == 0 and done < job.burst:
            blocked.update(range(tick + 1, tick + 1 + job.io_time))
    return blocked


def completions(slices: Iterable[Any]) -> dict[int, int]:
    ends: dict[int, int] = {}
    for job, _, end in pieces(slices):
        ends[job] = max(end, ends.get(job, end))
    return ends


def first_runs(slices: Iterable[Any]) -> dict[int, int]:
    starts: dict[int, int] = {}
    for job, start, _ in pieces(slices):
        starts[job] = min(start, starts.get(job, start))
    return starts


def avg_turnaround(jobs: list[Job], slices: Iterable[Any]) -> float:
    ends = completions(slices)
    return sum(ends[j.id] - j.arrival for j in jobs) / len(jobs)


def avg_response(jobs: list[Job], slices: Iterable[Any]) -> float:
    starts = first_runs(slices)
    return sum(starts[j.id] - j.arrival for j in jobs) / len(jobs)


def timeline_problems(jobs: list[Job], slices: Any) -> list[str]:
    """The rules every policy obeys; returns what is broken (empty list: all fine).

    Each job runs exactly its burst, never before it arrives nor while blocked on I/O;
    at most one job runs in any tick; the CPU is never idle while some job is ready.
    """
    if not isinstance(slices, list):
        return [f"returned {slices!r}, not a list of Slice"]
    by_id = {j.id: j for j in jobs}
    problems = []
    owner: dict[int, int] = {}
    for job, start, end in pieces(slices):
        if job not in by_id:
            problems.append(f"{job}[{start},{end}): there is no job {job}")
        if end <= start:
            problems.append(f"{job}[{start},{end}): a slice must have end > start")
        for t in range(start, end):
            if t in owner:
                problems.append(
                    f"tick {t}: both job {owner[t]} and job {job} run (one at a time)"
                )
            owner.setdefault(t, job)
    if problems:
        return problems
    ran = run_ticks(jobs, slices)
    for j in jobs:
        if len(ran[j.id]) != j.burst:
            problems.append(
                f"job {j.id} ran {len(ran[j.id])} ticks; its burst is {j.burst}"
            )
        elif ran[j.id][0] < j.arrival:
            problems.append(
                f"job {j.id} runs in tick {ran[j.id][0]}, before it arrives at "
                f"{j.arrival}"
            )
        else:
            hit = sorted(blocked_ticks(j, ran[j.id]) & set(ran[j.id]))
            if hit:
                problems.append(
                    f"job {j.id} runs in tick {hit[0]} while blocked on I/O"
                )
    if problems or not jobs:
        return problems
    blocked = {j.id: blocked_ticks(j, ran[j.id]) for j in jobs}
    done_at = {j.id: ran[j.id][-1] + 1 for j in jobs}
    for t in range(min(j.arrival for j in jobs), max(done_at.values())):
        if t in owner:
            continue
        ready = [
            j.id
            for j in jobs
            if j.arrival <= t < done_at[j.id]
            and t not in blocked[j.id]
            and t not in ran[j.id]
        ]
        if ready:
            problems.append(f"tick {t}: CPU idle while job {ready[0]} is ready")
            break
    return problems


def assert_valid_timeline(call: str, jobs: list[Job], slices: Any) -> None:
    problems = timeline_problems(jobs, slices)
    assert not problems, (
        f"{call}\n  got: "
        f"{show(merge(slices)) if isinstance(slices, list) else slices!r}\n  "
        + "\n  ".join(problems)
    )


# --- random workloads (hypothesis) ----------------------------------------------------


@st.composite
def workloads(
    draw: st.DrawFn,
    *,
    max_jobs: int = 6,
    max_arrival: int = 12,
    max_burst: int = 6,
    priorities: bool = False,
    io: bool = False,
) -> list[Job]:
    """A small workload: unique ids (not always 0..n-1), given in a shuffled order."""
    ids = draw(st.lists(st.integers(0, 9), min_size=1, max_size=max_jobs, unique=True))
    jobs = []
    for job_id in ids:
        io_every = draw(st.integers(0, 3)) if io else 0
        jobs.append(
            Job(
                id=job_id,
                arrival=draw(st.integers(0, max_arrival)),
                burst=draw(st.integers(1, max_burst)),
                priority=draw(st.integers(0, 3)) if priorities else 0,
                io_every=io_every,
                io_time=draw(st.integers(1, 3)) if io_every else 0,
            )
        )
    return draw(st.permutations(jobs))
