"""Stage 2 (fcfs): metrics from a timeline, and First Come First Served."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.fcfs import fcfs
from scheduler.metrics import Slice, compute_metrics, merge_slices
from scheduler.workload import Job
from tests.support import (
    assert_valid_timeline,
    check_timeline,
    make_jobs,
    merge,
    show,
    show_call,
    show_jobs,
    timeline,
    workloads,
)
from tests.teaching import got_vs_expected, raises

pytestmark = pytest.mark.stage("fcfs")

FIELDS = ("first_run", "completion", "response", "turnaround", "wait")


def metrics_call(jobs: list[Job], slices: list[Slice]) -> str:
    return f"compute_metrics({show_jobs(jobs)}, {show(slices)})"


def check_job_metrics(jobs, slices, expected: dict[int, tuple[int, ...]]) -> None:
    """expected: job id -> (first_run, completion, response, turnaround, wait)."""
    report = compute_metrics(jobs, slices)
    call = metrics_call(jobs, slices)
    ids = [m.id for m in report.jobs]
    assert ids == sorted(expected), got_vs_expected(
        call + ".jobs ids", ids, sorted(expected), "sorted by id"
    )
    for m in report.jobs:
        got = tuple(getattr(m, f) for f in FIELDS)
        assert got == expected[m.id], got_vs_expected(
            f"{call}, job {m.id} {FIELDS}",
            got,
            expected[m.id],
            "response = first_run - arrival; turnaround = completion - arrival; "
            "wait = turnaround - burst - ticks blocked on I/O",
        )


def check_report(jobs, slices, **expected) -> None:
    report = compute_metrics(jobs, slices)
    call = metrics_call(jobs, slices)
    for name, want in expected.items():
        got = getattr(report, name)
        assert got == pytest.approx(want), got_vs_expected(f"{call}.{name}", got, want)


# --- merge_slices ---------------------------------------------------------------------


def test_merge_slices_sorts_and_joins_touching_slices_of_the_same_job():
    given_slices = timeline("1[3,5) 0[2,3) 0[0,2) 0[7,9) 0[5,7)")
    got = merge_slices(given_slices)
    assert show(got) == "0[0,3) 1[3,5) 0[5,9)", got_vs_expected(
        f"merge_slices({show(given_slices)})", show(got), "0[0,3) 1[3,5) 0[5,9)"
    )


def test_merge_slices_keeps_a_gap_and_different_jobs_apart():
    given_slices = timeline("0[0,2) 0[3,4) 1[4,5) 0[5,6)")
    got = merge_slices(given_slices)
    assert show(got) == show(given_slices), got_vs_expected(
        f"merge_slices({show(given_slices)})",
        show(got),
        show(given_slices),
        "only touching slices (end == next start) of the same job are joined",
    )


def test_merge_slices_of_nothing():
    got = merge_slices([])
    assert got == [], got_vs_expected("merge_slices([])", got, [])


@settings(max_examples=60)
@given(
    st.lists(st.tuples(st.integers(0, 2), st.integers(1, 3)), max_size=8), st.randoms()
)
def test_property_merge_slices_undoes_any_splitting(runs, rnd):
    pieces, t = [], 0
    for job, length in runs:
        for start in range(t, t + length):
            pieces.append(Slice(job, start, start + 1))
        t += length + rnd.choice([0, 0, 1])
    rnd.shuffle(pieces)
    got = merge_slices(pieces)
    assert show(got) == show(merge(pieces)), got_vs_expected(
        f"merge_slices({show(pieces)})", show(got), show(merge(pieces))
    )


# --- compute_metrics ------------------------------------------------------------------


def test_metrics_per_job():
    jobs = make_jobs((2, 10, 1), (0, 0, 3), (1, 1, 2))
    slices = timeline("0[0,3) 1[3,5) 2[10,11)")
    check_job_metrics(
        jobs, slices, {0: (0, 3, 0, 3, 0), 1: (3, 5, 2, 4, 2), 2: (10, 11, 0, 1, 0)}
    )


def test_metrics_averages_utilisation_switches_makespan():
    jobs = make_jobs((0, 0, 3), (1, 1, 2), (2, 10, 1))
    slices = timeline("0[0,3) 1[3,5) 2[10,11)")
    check_report(
        jobs,
        slices,
        avg_response=2 / 3,
        avg_turnaround=8 / 3,
        avg_wait=2 / 3,
        cpu_utilisation=6 / 11,
        context_switches=2,
        makespan=11,
    )


def test_metrics_measure_from_arrival_not_from_zero():
    jobs = make_jobs((0, 5, 2), (1, 6, 3))
    slices = timeline("0[5,7) 1[7,10)")
    check_job_metrics(jobs, slices, {0: (5, 7, 0, 2, 0), 1: (7, 10, 1, 4, 1)})


def test_utilisation_and_makespan_start_at_the_earliest_arrival():
    jobs = make_jobs((0, 5, 2), (1, 10, 1))
    slices = timeline("0[5,7) 1[10,11)")
    check_report(jobs, slices, cpu_utilisation=0.5, makespan=6)


def test_context_switches_count_changes_of_job_after_merging():
    jobs = make_jobs((0, 0, 5), (1, 0, 1))
    slices = timeline("0[0,2) 0[2,4) 1[4,5) 0[5,6)")
    check_report(jobs, slices, context_switches=2)
    jobs = make_jobs((0, 0, 3))
    slices = timeline("0[0,2) 0[4,5)")
    check_report(jobs, slices, context_switches=0)


def test_wait_excludes_ticks_blocked_on_io():
    """io=2/3: after every 2 ticks of CPU, 3 ticks of I/O; never on the tick the job
    finishes.
    """
    jobs = make_jobs((0, 0, 5, 0, 2, 3))
    slices = timeline("0[0,2) 0[5,7) 0[10,11)")
    check_job_metrics(jobs, slices, {0: (0, 11, 0, 11, 0)})
    jobs = make_jobs((0, 0, 4, 0, 2, 3))
    slices = timeline("0[0,2) 0[5,7)")
    check_job_metrics(jobs, slices, {0: (0, 7, 0, 7, 0)})


def test_metrics_with_io_and_two_jobs():
    jobs = make_jobs((0, 0, 4, 0, 2, 2), (1, 0, 4))
    slices = timeline("0[0,2) 1[2,5) 0[5,6) 1[6,7) 0[7,8)")
    check_job_metrics(jobs, slices, {0: (0, 8, 0, 8, 2), 1: (2, 7, 2, 7, 3)})
    check_report(
        jobs, slices, cpu_utilisation=1.0, context_switches=4, makespan=8, avg_wait=2.5
    )


@pytest.mark.parametrize(
    ("slices", "why"),
    [
        ("0[0,2) 1[2,4)", "job 0 has burst 3 but runs 2 ticks"),
        ("0[0,3) 1[3,6)", "job 1 has burst 2 but runs 3 ticks"),
        ("0[0,3)", "job 1 never runs"),
    ],
)
def test_metrics_reject_a_timeline_that_does_not_run_each_burst(slices, why):
    jobs = make_jobs((0, 0, 3), (1, 0, 2))
    check_report(jobs, timeline("0[0,3) 1[3,5)"), makespan=5)
    bad = timeline(slices)
    raises(ValueError, metrics_call(jobs, bad), lambda: compute_metrics(jobs, bad), why)


@st.composite
def random_schedules(draw):
    """A workload and any valid I/O-free timeline for it: each tick, any ready job."""
    jobs = draw(workloads())
    left = {j.id: j.burst for j in jobs}
    t, slices = min(j.arrival for j in jobs), []
    while any(left.values()):
        ready = sorted(j.id for j in jobs if j.arrival <= t and left[j.id])
        if not ready:
            t = min(j.arrival for j in jobs if left[j.id])
            continue
        job = draw(st.sampled_from(ready))
        slices.append(Slice(job, t, t + 1))
        left[job] -= 1
        t += 1
    return jobs, slices


@settings(max_examples=80)
@given(random_schedules())
def test_property_metrics_of_any_valid_timeline(case):
    jobs, slices = case
    merged = merge(slices)
    report = compute_metrics(jobs, slices)
    call = metrics_call(jobs, merged)
    expected = {}
    for j in jobs:
        first = min(s.start for s in slices if s.job == j.id)
        done = max(s.end for s in slices if s.job == j.id)
        expected[j.id] = (
            first,
            done,
            first - j.arrival,
            done - j.arrival,
            done - j.arrival - j.burst,
        )
    got = {m.id: tuple(getattr(m, f) for f in FIELDS) for m in report.jobs}
    assert got == expected, got_vs_expected(f"{call}, per job {FIELDS}", got, expected)
    n = len(jobs)
    span = max(e[1] for e in expected.values()) - min(j.arrival for j in jobs)
    want = {
        "avg_response": sum(e[2] for e in expected.values()) / n,
        "avg_turnaround": sum(e[3] for e in expected.values()) / n,
        "avg_wait": sum(e[4] for e in expected.values()) / n,
        "cpu_utilisation": sum(j.burst for j in jobs) / span,
        "context_switches": sum(
            a[0] != b[0] for a, b in zip(merged, merged[1:], strict=False)
        ),
        "makespan": span,
    }
    for name, value in want.items():
        assert getattr(report, name) == pytest.approx(value), got_vs_expected(
            f"{call}.{name}", getattr(report, name), value
        )


# --- fcfs -----------------------------------------------------------------------------


def test_fcfs_convoy_effect():
    """OSTEP ch. 7: a long job first makes the short ones wait behind it."""
    jobs = make_jobs((0, 0, 100), (1, 0, 10), (2, 0, 10))
    got = fcfs(jobs)
    check_timeline(show_call("fcfs", jobs), got, "0[0,100) 1[100,110) 2[110,120)")
    report = compute_metrics(jobs, got)
    assert report.avg_turnaround == pytest.approx(110), got_vs_expected(
        f"compute_metrics(jobs, fcfs({show_jobs(jobs)})).avg_turnaround",
        report.avg_turnaround,
        110,
    )


def test_fcfs_runs_in_arrival_order():
    jobs = make_jobs((0, 4, 2), (1, 0, 3), (2, 1, 1))
    check_timeline(show_call("fcfs", jobs), fcfs(jobs), "1[0,3) 2[3,4) 0[4,6)")


def test_fcfs_breaks_arrival_ties_by_lower_id_not_input_order():
    jobs = make_jobs((2, 0, 1), (0, 0, 2), (1, 0, 3))
    check_timeline(
        show_call("fcfs", jobs),
        fcfs(jobs),
        "0[0,2) 1[2,5) 2[5,6)",
        "ties are broken by lower job id",
    )


def test_fcfs_is_not_preemptive_and_waits_for_arrivals():
    jobs = make_jobs((0, 0, 5), (1, 1, 1), (2, 9, 2))
    check_timeline(
        show_call("fcfs", jobs),
        fcfs(jobs),
        "0[0,5) 1[5,6) 2[9,11)",
        "the CPU idles until the next arrival; a running job is never preempted",
    )


def test_fcfs_of_no_jobs_is_an_empty_timeline():
    got = fcfs([])
    assert got == [], got_vs_expected("fcfs([])", got, [])


def test_fcfs_refuses_io():
    ok = make_jobs((0, 0, 2))
    check_timeline(show_call("fcfs", ok), fcfs(ok), "0[0,2)")
    jobs = make_jobs((0, 0, 2), (1, 0, 4, 0, 2, 1))
    call = show_call("fcfs", jobs)
    err = raises(ValueError, call, lambda: fcfs(jobs), "only mlfq models I/O")
    assert "fcfs" in str(err), (
        f"{call}\n  raised {err!r}\n  expected the message to name the policy 'fcfs'"
    )


@settings(max_examples=80)
@given(workloads())
def test_property_fcfs_timeline_is_valid_and_in_arrival_order(jobs):
    call = show_call("fcfs", jobs)
    got = fcfs(jobs)
    assert_valid_timeline(call, jobs, got)
    order = [p[0] for p in merge(got)]
    expected = [j.id for j in sorted(jobs, key=lambda j: (j.arrival, j.id))]
    assert order == expected, got_vs_expected(
        call,
        show(merge(got)),
        f"jobs in the order {expected}, each in one piece",
        "arrival order, ties by id",
    )


@settings(max_examples=60)
@given(workloads())
def test_property_fcfs_metrics_identities(jobs):
    report = compute_metrics(jobs, fcfs(jobs))
    call = f"compute_metrics(jobs, fcfs({show_jobs(jobs)}))"
    by_id = {j.id: j for j in jobs}
    for m in report.jobs:
        j = by_id[m.id]
        assert m.turnaround == m.wait + j.burst, got_vs_expected(
            f"{call}, job {m.id}",
            f"turnaround {m.turnaround}, wait {m.wait}",
            f"turnaround = wait + burst ({j.burst})",
        )
        assert m.response == m.wait, got_vs_expected(
            f"{call}, job {m.id}",
            f"response {m.response}, wait {m.wait}",
            "equal: a job that is never preempted only waits before it first runs",
        )
    assert report.context_switches == len(jobs) - 1, got_vs_expected(
        f"{call}.context_switches",
        report.context_switches,
        len(jobs) - 1,
        "each job runs once, in one piece",
    )
