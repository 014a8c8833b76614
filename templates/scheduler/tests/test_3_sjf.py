"""Stage 3 (sjf): Shortest Job First and Shortest Time-to-Completion First."""

import pytest
from hypothesis import given, settings

from scheduler.fcfs import fcfs
from scheduler.metrics import compute_metrics
from scheduler.sjf import sjf, stcf
from tests.support import (
    assert_valid_timeline,
    avg_turnaround,
    check_timeline,
    make_jobs,
    merge,
    run_ticks,
    show,
    show_call,
    workloads,
)
from tests.teaching import got_vs_expected, raises

pytestmark = pytest.mark.stage("sjf")

SJF_RULE = (
    "whenever the CPU is free, the ready job with the smallest burst runs to "
    "completion; ties by lower id"
)
STCF_RULE = (
    "each tick the ready job with the least remaining time runs; a tie keeps the "
    "running job, else lower id"
)


def check_avg_turnaround(name, fn, jobs, expected):
    report = compute_metrics(jobs, fn(jobs))
    assert report.avg_turnaround == pytest.approx(expected, abs=0.01), got_vs_expected(
        f"compute_metrics(jobs, {show_call(name, jobs)}).avg_turnaround",
        report.avg_turnaround,
        expected,
    )


# --- sjf ------------------------------------------------------------------------------


def test_sjf_beats_the_convoy():
    """OSTEP ch. 7: the same three jobs that give FCFS an average turnaround of 110."""
    jobs = make_jobs((0, 0, 100), (1, 0, 10), (2, 0, 10))
    check_timeline(
        show_call("sjf", jobs), sjf(jobs), "1[0,10) 2[10,20) 0[20,120)", SJF_RULE
    )
    check_avg_turnaround("sjf", sjf, jobs, 50)


def test_sjf_is_not_preemptive_so_late_short_jobs_still_wait():
    """OSTEP ch. 7: a 100-tick job starts alone; two 10-tick jobs arrive at 10."""
    jobs = make_jobs((0, 0, 100), (1, 10, 10), (2, 10, 10))
    check_timeline(
        show_call("sjf", jobs), sjf(jobs), "0[0,100) 1[100,110) 2[110,120)", SJF_RULE
    )
    check_avg_turnaround("sjf", sjf, jobs, 103.33)


def test_sjf_chooses_among_the_jobs_ready_when_the_cpu_frees():
    jobs = make_jobs((0, 0, 8), (1, 1, 4), (2, 2, 2), (3, 3, 1))
    check_timeline(
        show_call("sjf", jobs), sjf(jobs), "0[0,8) 3[8,9) 2[9,11) 1[11,15)", SJF_RULE
    )


def test_sjf_breaks_burst_ties_by_lower_id():
    jobs = make_jobs((2, 0, 3), (0, 0, 5), (1, 0, 3))
    check_timeline(show_call("sjf", jobs), sjf(jobs), "1[0,3) 2[3,6) 0[6,11)", SJF_RULE)


def test_sjf_does_not_wait_for_a_shorter_job_that_has_not_arrived():
    jobs = make_jobs((0, 0, 1), (1, 3, 5), (2, 4, 1))
    check_timeline(
        show_call("sjf", jobs),
        sjf(jobs),
        "0[0,1) 1[3,8) 2[8,9)",
        "only ready jobs count; the CPU is never idle",
    )


def test_sjf_considers_jobs_that_arrived_while_another_ran():
    jobs = make_jobs((0, 0, 5), (1, 0, 5), (2, 2, 1))
    check_timeline(
        show_call("sjf", jobs),
        sjf(jobs),
        "0[0,5) 2[5,6) 1[6,11)",
        "when the CPU frees, every job that has arrived by then competes",
    )


# --- stcf -----------------------------------------------------------------------------


def test_stcf_preempts_the_long_job():
    """OSTEP ch. 7: STCF brings the average turnaround from 103.33 (SJF) down to 50."""
    jobs = make_jobs((0, 0, 100), (1, 10, 10), (2, 10, 10))
    check_timeline(
        show_call("stcf", jobs),
        stcf(jobs),
        "0[0,10) 1[10,20) 2[20,30) 0[30,120)",
        STCF_RULE,
    )
    check_avg_turnaround("stcf", stcf, jobs, 50)


def test_stcf_preempts_each_time_a_shorter_job_arrives():
    jobs = make_jobs((0, 0, 8), (1, 1, 4), (2, 2, 2), (3, 3, 1))
    check_timeline(
        show_call("stcf", jobs),
        stcf(jobs),
        "0[0,1) 1[1,2) 2[2,4) 3[4,5) 1[5,8) 0[8,15)",
        STCF_RULE,
    )


def test_stcf_tie_keeps_the_running_job():
    """At t=2 job 1 has 2 ticks left and job 0 arrives needing 2: job 1 keeps it."""
    jobs = make_jobs((1, 0, 4), (0, 2, 2))
    check_timeline(
        show_call("stcf", jobs),
        stcf(jobs),
        "1[0,4) 0[4,6)",
        "on a tie the running job keeps the CPU (not lower id)",
    )


def test_stcf_preempts_on_strictly_less_remaining_time():
    jobs = make_jobs((1, 0, 5), (0, 1, 1))
    check_timeline(
        show_call("stcf", jobs), stcf(jobs), "1[0,1) 0[1,2) 1[2,6)", STCF_RULE
    )


def test_stcf_tie_between_waiting_jobs_goes_to_lower_id():
    jobs = make_jobs((2, 0, 3), (1, 0, 3), (0, 0, 3))
    check_timeline(
        show_call("stcf", jobs), stcf(jobs), "0[0,3) 1[3,6) 2[6,9)", STCF_RULE
    )


# --- both -----------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "fn"), [("sjf", sjf), ("stcf", stcf)])
def test_no_jobs_give_an_empty_timeline(name, fn):
    got = fn([])
    assert got == [], got_vs_expected(f"{name}([])", got, [])


@pytest.mark.parametrize(("name", "fn"), [("sjf", sjf), ("stcf", stcf)])
def test_io_is_refused(name, fn):
    ok = make_jobs((0, 0, 2))
    check_timeline(show_call(name, ok), fn(ok), "0[0,2)")
    jobs = make_jobs((0, 0, 2), (1, 0, 4, 0, 2, 1))
    call = show_call(name, jobs)
    err = raises(ValueError, call, lambda: fn(jobs), "only mlfq models I/O")
    assert name in str(err), (
        f"{call}\n  raised {err!r}\n  expected the message to name the policy {name!r}"
    )


# --- properties -----------------------------------------------------------------------


def sjf_rule_problem(jobs, slices):
    """The first merged piece whose job was not the shortest ready one at its start."""
    started = set()
    for job, start, _ in merge(slices):
        ready = [j for j in jobs if j.arrival <= start and j.id not in started]
        best = min(ready, key=lambda j: (j.burst, j.id))
        if job != best.id:
            return (
                f"at t={start} job {job} starts, but job {best.id} "
                f"(burst {best.burst}) is the one to run"
            )
        started.add(job)
    return ""


def stcf_rule_problem(jobs, slices):
    """The first tick where the job that ran was not STCF's choice."""
    ran = run_ticks(jobs, slices)
    owner = {t: job for job, ticks in ran.items() for t in ticks}
    left = {j.id: j.burst for j in jobs}
    for t in sorted(owner):
        ready = [j.id for j in jobs if j.arrival <= t and left[j.id]]
        least = min(left[i] for i in ready)
        tied = [i for i in ready if left[i] == least]
        want = owner.get(t - 1) if owner.get(t - 1) in tied else min(tied)
        if owner[t] != want:
            return (
                f"tick {t}: job {owner[t]} runs (remaining {left[owner[t]]}), "
                f"but job {want} should (remaining {least})"
            )
        left[owner[t]] -= 1
    return ""


@settings(max_examples=80)
@given(workloads())
def test_property_sjf_follows_its_rule(jobs):
    call = show_call("sjf", jobs)
    got = sjf(jobs)
    assert_valid_timeline(call, jobs, got)
    pieces = [p[0] for p in merge(got)]
    assert len(pieces) == len(jobs), got_vs_expected(
        call, show(merge(got)), "each job in one piece", SJF_RULE
    )
    problem = sjf_rule_problem(jobs, got)
    assert not problem, (
        f"{call}\n  got: {show(merge(got))}\n  {problem}\n  rule: {SJF_RULE}"
    )


@settings(max_examples=80)
@given(workloads())
def test_property_stcf_follows_its_rule(jobs):
    call = show_call("stcf", jobs)
    got = stcf(jobs)
    assert_valid_timeline(call, jobs, got)
    problem = stcf_rule_problem(jobs, got)
    assert not problem, (
        f"{call}\n  got: {show(merge(got))}\n  {problem}\n  rule: {STCF_RULE}"
    )


@settings(max_examples=60)
@given(workloads(max_arrival=0))
def test_property_with_every_arrival_at_0_stcf_equals_sjf(jobs):
    got, expected = show(merge(stcf(jobs))), show(merge(sjf(jobs)))
    assert got == expected, got_vs_expected(
        show_call("stcf", jobs),
        got,
        f"{expected} (= sjf)",
        "with no later arrivals nothing shorter ever shows up",
    )


@settings(max_examples=60)
@given(workloads())
def test_property_stcf_has_the_least_average_turnaround(jobs):
    """A theorem (shortest remaining processing time is optimal for total completion
    time).
    """
    best = avg_turnaround(jobs, stcf(jobs))
    for name, fn in (("sjf", sjf), ("fcfs", fcfs)):
        other = avg_turnaround(jobs, fn(jobs))
        assert best <= other + 1e-9, got_vs_expected(
            f"avg turnaround of {show_call('stcf', jobs)}",
            best,
            f"<= {other} ({name}'s)",
            "STCF minimises it",
        )


@settings(max_examples=60)
@given(workloads(max_arrival=0))
def test_property_with_every_arrival_at_0_sjf_beats_fcfs(jobs):
    got, other = avg_turnaround(jobs, sjf(jobs)), avg_turnaround(jobs, fcfs(jobs))
    assert got <= other + 1e-9, got_vs_expected(
        f"avg turnaround of {show_call('sjf', jobs)}",
        got,
        f"<= {other} (fcfs's)",
        "shortest first is optimal",
    )
