"""Stage 5 (priority): preemptive priority scheduling with aging."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.fcfs import fcfs
from scheduler.priority import priority
from tests.support import (
    assert_valid_timeline,
    check_timeline,
    make_jobs,
    merge,
    run_ticks,
    show,
    show_call,
    workloads,
)
from tests.teaching import got_vs_expected, raises

pytestmark = pytest.mark.stage("priority")

RULE = (
    "each tick the ready job with the highest effective priority runs; "
    "a tie keeps the job that ran in the tick before, else lower id"
)
AGING = (
    "effective priority = priority + waited // aging, waited = t - max(arrival, end "
    "of its last run); "
    "it restarts whenever the job runs"
)


def prio_call(jobs, aging=0):
    return show_call("priority", jobs, aging=aging)


# rows: (id, arrival, burst, priority)


def test_priority_higher_number_preempts_and_equal_never_does():
    """t=1: job 3 (prio 5) preempts job 0 (prio 1). t=2: job 1 (prio 5) arrives, ties
    with the running job 3 and waits. t=4: jobs 0 and 2 tie at prio 1 and neither
    ran at t=3: lower id (0) runs.
    """
    jobs = make_jobs((0, 0, 3, 1), (3, 1, 2, 5), (2, 2, 2, 1), (1, 2, 1, 5))
    check_timeline(
        prio_call(jobs), priority(jobs), "0[0,1) 3[1,3) 1[3,4) 0[4,6) 2[6,8)", RULE
    )


def test_priority_tie_keeps_the_running_job_even_against_a_lower_id():
    jobs = make_jobs((1, 0, 3, 2), (0, 1, 2, 2))
    check_timeline(
        prio_call(jobs),
        priority(jobs),
        "1[0,3) 0[3,5)",
        "a job arriving at the same priority never preempts",
    )


def test_priority_without_aging_starves_the_low_priority_job():
    jobs = make_jobs((0, 0, 2, 0), (1, 0, 3, 1), (2, 2, 3, 1))
    check_timeline(prio_call(jobs), priority(jobs), "1[0,3) 2[3,6) 0[6,8)", RULE)


def test_aging_lets_a_waiting_job_overtake():
    """aging=2. Job 1 waits: effective prio at t=6 is 0 + 6//2 = 3 > 2, so it runs one
    tick; then its waited count restarts and job 0 (waited 1 -> 2 + 0) runs to the
    end.
    """
    jobs = make_jobs((0, 0, 10, 2), (1, 0, 3, 0))
    check_timeline(
        prio_call(jobs, 2),
        priority(jobs, aging=2),
        "0[0,6) 1[6,7) 0[7,11) 1[11,13)",
        AGING,
    )


def test_aging_counts_from_arrival_not_from_zero():
    """aging=1. Job 1 arrives at 2: effective prio t-2. At t=5 it ties job 0 (3) and
    waits; at t=6 it runs.
    """
    jobs = make_jobs((0, 0, 8, 3), (1, 2, 1, 0))
    check_timeline(
        prio_call(jobs, 1), priority(jobs, aging=1), "0[0,6) 1[6,7) 0[7,9)", AGING
    )


def test_aging_of_a_preempted_job_counts_from_the_end_of_its_last_run():
    """aging=3. Job 1 (prio 4) preempts job 0 (prio 2) at t=1, so job 0 waits from
    t=1. At t=7 its effective prio is 2 + 6//3 = 4, a tie: the running job 1 keeps the
    CPU. At t=10 it is 2 + 9//3 = 5 > 4 and job 0 runs. At t=11 job 0 is back to 2, and
    job 1 (4 + 1//3 = 4) takes the CPU back and finishes.
    """
    jobs = make_jobs((0, 0, 6, 2), (1, 1, 12, 4))
    check_timeline(
        prio_call(jobs, 3),
        priority(jobs, aging=3),
        "0[0,1) 1[1,10) 0[10,11) 1[11,14) 0[14,18)",
        AGING,
    )


def test_priority_of_no_jobs_is_an_empty_timeline():
    got = priority([], aging=2)
    assert got == [], got_vs_expected("priority([], aging=2)", got, [])


def test_priority_rejects_negative_aging():
    ok = make_jobs((0, 0, 2))
    check_timeline(prio_call(ok, 1), priority(ok, aging=1), "0[0,2)")
    call = prio_call(ok, -1)
    err = raises(ValueError, call, lambda: priority(ok, aging=-1), "aging must be >= 0")
    assert "aging" in str(err), (
        f"{call}\n  raised {err!r}\n  expected the message to name 'aging'"
    )


def test_priority_refuses_io():
    ok = make_jobs((0, 0, 2))
    check_timeline(prio_call(ok), priority(ok), "0[0,2)")
    jobs = make_jobs((0, 0, 2), (1, 0, 4, 0, 2, 1))
    call = prio_call(jobs)
    err = raises(ValueError, call, lambda: priority(jobs), "only mlfq models I/O")
    assert "priority" in str(err), (
        f"{call}\n  raised {err!r}\n  expected the message to name the policy "
        "'priority'"
    )


# --- properties -----------------------------------------------------------------------


def rule_problem(jobs, slices, aging):
    """The first tick where the job that ran was not the one the priority rule picks."""
    ran = run_ticks(jobs, slices)
    owner = {t: job for job, ticks in ran.items() for t in ticks}
    left = {j.id: j.burst for j in jobs}
    last_end = {j.id: j.arrival for j in jobs}
    for t in sorted(owner):
        ready = [j for j in jobs if j.arrival <= t and left[j.id]]
        eff = {
            j.id: j.priority + ((t - last_end[j.id]) // aging if aging else 0)
            for j in ready
        }
        top = max(eff.values())
        tied = [i for i in eff if eff[i] == top]
        want = owner.get(t - 1) if owner.get(t - 1) in tied else min(tied)
        if owner[t] != want:
            shown = ", ".join(f"job {i}: {e}" for i, e in sorted(eff.items()))
            return (
                f"tick {t}: job {owner[t]} runs, but job {want} should "
                f"(effective priorities {shown})"
            )
        left[owner[t]] -= 1
        last_end[owner[t]] = t + 1
    return ""


@settings(max_examples=80)
@given(workloads(priorities=True), st.integers(0, 3))
def test_property_priority_follows_its_rule(jobs, aging):
    call = prio_call(jobs, aging)
    got = priority(jobs, aging=aging)
    assert_valid_timeline(call, jobs, got)
    problem = rule_problem(jobs, got, aging)
    assert not problem, (
        f"{call}\n  got: {show(merge(got))}\n  {problem}\n  rule: {RULE}; {AGING}"
    )


@settings(max_examples=60)
@given(workloads())
def test_property_equal_priorities_without_aging_and_ids_in_arrival_order_is_fcfs(jobs):
    """Renumber so that ids follow arrival order; with everyone at the same priority
    nothing preempts.
    """
    order = sorted(jobs, key=lambda j: (j.arrival, j.id))
    jobs = make_jobs(*((i, j.arrival, j.burst) for i, j in enumerate(order)))
    got, expected = show(merge(priority(jobs))), show(merge(fcfs(jobs)))
    assert got == expected, got_vs_expected(
        prio_call(jobs), got, f"{expected} (= fcfs)", "equal priorities never preempt"
    )
