"""Stage 6 (mlfq): Multi-Level Feedback Queue with allotment, boost, I/O and gaming."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.fcfs import fcfs
from scheduler.metrics import compute_metrics
from scheduler.mlfq import mlfq
from scheduler.rr import round_robin
from tests.support import (
    assert_valid_timeline,
    blocked_ticks,
    check_timeline,
    make_jobs,
    merge,
    run_ticks,
    show,
    show_call,
    workloads,
)
from tests.teaching import got_vs_expected, raises

pytestmark = pytest.mark.stage("mlfq")

# rows: (id, arrival, burst) or (id, arrival, burst, priority, io_every, io_time)


def mlfq_call(jobs, **params):
    return show_call("mlfq", jobs, **params)


def check_mlfq(jobs, expected, rule="", **params):
    check_timeline(mlfq_call(jobs, **params), mlfq(jobs, **params), expected, rule)


# --- levels, slices, allotment --------------------------------------------------------


def test_mlfq_new_job_preempts_a_demoted_job_which_keeps_the_rest_of_its_slice():
    """Jobs 0 and 1 use their top slice and drop to queue 0. Job 0 has run 1 tick of
    its new slice when job 2 arrives at the top (t=7) and preempts it; job 0 then
    finishes that slice (2 ticks) first.
    """
    jobs = make_jobs((0, 0, 8), (1, 0, 8), (2, 7, 1))
    check_mlfq(
        jobs,
        "0[0,3) 1[3,6) 0[6,7) 2[7,8) 0[8,10) 1[10,13) 0[13,15) 1[15,17)",
        "a job preempted by a higher queue stays at the head of its queue with the "
        "rest of its slice",
        queues=2,
        quantum=3,
        allotment=1,
    )


@pytest.mark.parametrize(
    ("allotment", "expected", "rule"),
    [
        (
            1,
            "0[0,3) 1[3,4) 0[4,6)",
            "allotment 1: after one slice job 0 is in queue 0, so job 1 preempts it",
        ),
        (
            2,
            "0[0,4) 1[4,5) 0[5,6)",
            "allotment 2: job 0 stays at the top for two slices; job 1 waits its turn",
        ),
    ],
)
def test_mlfq_allotment_is_counted_in_slices(allotment, expected, rule):
    jobs = make_jobs((0, 0, 5), (1, 3, 1))
    check_mlfq(jobs, expected, rule, queues=2, quantum=2, allotment=allotment)


def test_mlfq_quantum_list_is_given_top_first():
    """quantum=[1, 2, 4]: 1 tick at the top, 2 in the middle, 4 at the bottom."""
    jobs = make_jobs((0, 0, 10), (1, 0, 10))
    check_mlfq(
        jobs,
        "0[0,1) 1[1,2) 0[2,4) 1[4,6) 0[6,10) 1[10,14) 0[14,17) 1[17,20)",
        "lists are given top queue first (like mlfq.py's -Q)",
        queues=3,
        quantum=[1, 2, 4],
    )


def test_mlfq_allotment_list_is_given_top_first():
    """allotment=[2, 1]: two 1-tick slices at the top before dropping; job 2 then
    preempts nobody at t=3 because job 1 is still at the top.
    """
    jobs = make_jobs((0, 0, 4), (1, 0, 4), (2, 3, 1))
    check_mlfq(
        jobs,
        "0[0,1) 1[1,2) 0[2,3) 1[3,4) 2[4,5) 0[5,6) 1[6,7) 0[7,8) 1[8,9)",
        "lists are given top queue first (like mlfq.py's -A)",
        queues=2,
        quantum=1,
        allotment=[2, 1],
    )


# --- boost ----------------------------------------------------------------------------


def test_mlfq_boost_takes_lower_queues_from_queue_0_upward():
    """At t=4 job 0 is in queue 0 and jobs 1, 2 in queue 1: the boost queues them 0, 1,
    2 at the top.
    """
    jobs = make_jobs((0, 0, 4), (1, 0, 3), (2, 2, 3))
    check_mlfq(
        jobs,
        "0[0,1) 1[1,2) 2[2,3) 0[3,5) 1[5,6) 2[6,7) 0[7,8) 1[8,9) 2[9,10)",
        "a boost moves the lower queues to the top starting with queue 0 (the "
        "bottom), each in its order",
        queues=3,
        quantum=1,
        allotment=1,
        boost=4,
    )


def test_mlfq_boost_comes_before_arrivals_of_the_same_tick():
    """At t=10 jobs 1 and 0 (queue 0, in that order) are boosted before job 2 arrives
    at the top.
    """
    jobs = make_jobs((0, 0, 12), (1, 0, 12), (2, 10, 2))
    check_mlfq(
        jobs,
        "0[0,2) 1[2,4) 0[4,6) 1[6,8) 0[8,10) 1[10,12) 0[12,14) 2[14,16) 1[16,18) "
        "0[18,20) 1[20,22) 0[22,24) 1[24,26)",
        "each tick: (1) boost, (2) arrivals, (3) run",
        queues=3,
        quantum=2,
        allotment=1,
        boost=10,
    )


def test_mlfq_boost_gives_a_fresh_slice_even_to_the_job_running_at_the_top():
    """Boost every 2 ticks, quantum 3: job 0 never uses up a slice, so it is never
    demoted.
    """
    jobs = make_jobs((0, 0, 5), (1, 0, 5))
    check_mlfq(
        jobs,
        "0[0,5) 1[5,10)",
        "a boost gives every job a fresh slice",
        queues=2,
        quantum=3,
        boost=2,
    )


def test_mlfq_boost_gives_a_fresh_allotment():
    """allotment 2: job 0 has used one of its two top slices when the boost at t=3
    comes. With a fresh allotment it is still at the top at t=5, so job 1 arriving
    then waits behind it.
    """
    jobs = make_jobs((0, 0, 8), (1, 5, 1))
    check_mlfq(
        jobs,
        "0[0,8) 1[8,9)",
        "a boost gives every job a fresh slice and a fresh allotment",
        queues=2,
        quantum=2,
        allotment=2,
        boost=3,
    )


def test_mlfq_without_boost_never_moves_a_job_up():
    jobs = make_jobs((0, 0, 12), (1, 0, 12), (2, 10, 2))
    check_mlfq(
        jobs,
        "0[0,2) 1[2,4) 0[4,6) 1[6,8) 0[8,10) 2[10,12) 1[12,14) 0[14,16) 1[16,18) "
        "0[18,20) 1[20,22) 0[22,24) 1[24,26)",
        "boost=0: no boost; the new job 2 at the top runs first",
        queues=3,
        quantum=2,
        allotment=1,
        boost=0,
    )


# --- I/O ------------------------------------------------------------------------------


def test_mlfq_job_keeps_its_slice_across_io():
    """io=2/2: job 0 leaves for I/O at t=2 with 1 tick of its 3-tick slice left; back
    at t=4 it uses that tick (t=5) and drops to queue 0.
    """
    jobs = make_jobs((0, 0, 4, 0, 2, 2), (1, 0, 4))
    check_mlfq(
        jobs,
        "0[0,2) 1[2,5) 0[5,6) 1[6,7) 0[7,8)",
        "a job going to I/O keeps what is left of its slice and allotment "
        "(gaming=False)",
        queues=2,
        quantum=3,
    )


def test_mlfq_gaming_resets_the_slice_at_io():
    jobs = make_jobs((0, 0, 4, 0, 2, 2), (1, 0, 4))
    check_mlfq(
        jobs,
        "0[0,2) 1[2,5) 0[5,7) 1[7,8)",
        "gaming=True: going to I/O resets slice and allotment",
        queues=2,
        quantum=3,
        gaming=True,
    )


@pytest.mark.parametrize(
    ("gaming", "expected"),
    [
        (False, "0[0,2) 1[2,5) 0[5,6) 1[6,9) 0[9,10) 0[11,13)"),
        (True, "0[0,2) 1[2,5) 0[5,7) 1[7,8) 0[8,10) 1[10,12)"),
    ],
)
def test_mlfq_gaming_job_issuing_io_before_its_slice_ends_stays_on_top(
    gaming, expected
):
    # io=2/1 with a 3-tick slice: job 0 always gives up the CPU one tick early.
    jobs = make_jobs((0, 0, 6, 0, 2, 1), (1, 0, 6))
    check_mlfq(
        jobs,
        expected,
        "OSTEP rule 4 loophole (mlfq.py -S)",
        queues=2,
        quantum=3,
        gaming=gaming,
    )


@pytest.mark.parametrize(
    ("gaming", "expected"),
    [
        (True, "0[0,2) 1[3,5) 0[5,7) 1[7,8) 0[8,10) 1[10,11)"),
        (False, "0[0,2) 1[3,5) 0[5,7) 1[7,9) 0[9,11)"),
    ],
)
def test_mlfq_gaming_io_on_the_tick_the_slice_ends_is_not_demoted(gaming, expected):
    """Job 0's I/O falls exactly when its 2-tick slice ends. With gaming the reset comes
    first, so it stays on top and later preempts job 1; without gaming it is demoted.
    """
    jobs = make_jobs((0, 0, 6, 0, 2, 1), (1, 3, 4))
    check_mlfq(
        jobs,
        expected,
        "with gaming=True an I/O resets slice and allotment before the slice is judged",
        queues=2,
        quantum=2,
        gaming=gaming,
    )


def test_mlfq_gaming_io_on_the_tick_the_slice_ends_keeps_the_full_allotment():
    """Allotment 2: job 0's second slice ends with an I/O at t=6, which resets slice and
    allotment, and nothing is charged for that slice. Back on top, it uses one slice
    (t=8-10) and still has one left, so it stays on top and finishes at 11. Charging
    the slice that just ended (mlfq.py -S) would demote it at 10, behind job 1.
    """
    jobs = make_jobs((0, 0, 7, 0, 4, 1), (1, 0, 5))
    check_mlfq(
        jobs,
        "0[0,2) 1[2,4) 0[4,6) 1[6,8) 0[8,11) 1[11,12)",
        "with gaming=True a job whose I/O falls on the tick its slice ends keeps its "
        "level and its full allotment",
        queues=2,
        quantum=2,
        allotment=2,
        gaming=True,
    )


def test_mlfq_arrivals_join_before_jobs_back_from_io():
    """Job 0 is back from I/O at t=3, when job 1 arrives: job 1 is queued first."""
    jobs = make_jobs((0, 0, 3, 0, 1, 2), (1, 3, 1))
    check_mlfq(
        jobs,
        "0[0,1) 1[3,4) 0[4,5) 0[7,8)",
        "arrivals at t join before jobs whose I/O ends at t",
        queues=2,
        quantum=5,
    )


def test_mlfq_jobs_back_from_io_together_join_in_id_order():
    """Job 1 leaves for I/O first, but both are back at t=4: job 0 (lower id) is queued
    first.
    """
    jobs = make_jobs((1, 0, 2, 0, 1, 3), (0, 1, 2, 0, 1, 2))
    check_mlfq(
        jobs,
        "1[0,1) 0[1,2) 0[4,5) 1[5,6)",
        "jobs whose I/O ends at t join in id order",
        queues=2,
        quantum=5,
    )


def test_mlfq_job_demoted_while_leaving_for_io_returns_to_the_lower_queue():
    """Job 0 uses its whole top slice and leaves for I/O at t=2; back at t=3 it joins
    queue 0, so job 2 (arriving at the top at t=4) runs before it.
    """
    jobs = make_jobs((0, 0, 3, 0, 2, 1), (1, 0, 4), (2, 4, 2))
    check_mlfq(
        jobs,
        "0[0,2) 1[2,4) 2[4,6) 0[6,7) 1[7,9)",
        "slice used up on the way to I/O: it moves down and joins that queue when the "
        "I/O ends",
        queues=2,
        quantum=2,
    )


# --- parameters -----------------------------------------------------------------------


def test_mlfq_of_no_jobs_is_an_empty_timeline():
    got = mlfq([])
    assert got == [], got_vs_expected("mlfq([])", got, [])


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"quantum": 0}, "quantum"),
        ({"allotment": 0}, "allotment"),
        ({"queues": 0}, "queues"),
        ({"boost": -1}, "boost"),
        ({"queues": 3, "quantum": [1, 2]}, "quantum"),
        ({"queues": 2, "allotment": [1, 2, 3]}, "allotment"),
        ({"queues": 2, "quantum": [2, 0]}, "quantum"),
    ],
)
def test_mlfq_rejects_bad_parameters(params, name):
    ok = make_jobs((0, 0, 2))
    check_mlfq(ok, "0[0,2)", queues=2, quantum=[1, 1], allotment=[1, 1])
    call = mlfq_call(ok, **params)
    err = raises(ValueError, call, lambda: mlfq(ok, **params), f"bad {name}")
    assert name in str(err), (
        f"{call}\n  raised {err!r}\n  expected the message to name {name!r}"
    )


# --- properties -----------------------------------------------------------------------

PARAMS = st.fixed_dictionaries(
    {
        "queues": st.integers(1, 3),
        "quantum": st.integers(1, 3),
        "allotment": st.integers(1, 2),
        "boost": st.sampled_from([0, 0, 3, 5, 8]),
        "gaming": st.booleans(),
    }
)


@settings(max_examples=100)
@given(workloads(io=True), PARAMS)
def test_property_mlfq_timeline_is_valid(jobs, params):
    assert_valid_timeline(mlfq_call(jobs, **params), jobs, mlfq(jobs, **params))


@settings(max_examples=80)
@given(workloads(), st.integers(1, 4))
def test_property_one_queue_mlfq_is_round_robin(jobs, quantum):
    got = show(merge(mlfq(jobs, queues=1, quantum=quantum, allotment=1)))
    expected = show(merge(round_robin(jobs, quantum)))
    assert got == expected, got_vs_expected(
        mlfq_call(jobs, queues=1, quantum=quantum, allotment=1),
        got,
        f"{expected} (= round_robin)",
        "one queue: a used-up slice sends the job to the tail of the same queue, "
        "exactly RR",
    )


@settings(max_examples=60)
@given(workloads(), PARAMS, st.integers(0, 2))
def test_property_mlfq_with_a_quantum_at_least_every_burst_is_fcfs(jobs, params, extra):
    params = {**params, "quantum": max(j.burst for j in jobs) + extra}
    got, expected = show(merge(mlfq(jobs, **params))), show(merge(fcfs(jobs)))
    assert got == expected, got_vs_expected(
        mlfq_call(jobs, **params),
        got,
        f"{expected} (= fcfs)",
        "no job uses up a slice: all stay at the top, FIFO",
    )


@settings(max_examples=60)
@given(workloads(), PARAMS)
def test_property_gaming_changes_nothing_without_io(jobs, params):
    plain = show(merge(mlfq(jobs, **{**params, "gaming": False})))
    gamed = show(merge(mlfq(jobs, **{**params, "gaming": True})))
    assert plain == gamed, got_vs_expected(
        mlfq_call(jobs, **{**params, "gaming": True}),
        gamed,
        f"{plain} (as with gaming=False)",
        "gaming only matters when a job goes to I/O",
    )


@settings(max_examples=80)
@given(workloads(io=True), PARAMS)
def test_property_metrics_identities_with_io(jobs, params):
    slices = mlfq(jobs, **params)
    report = compute_metrics(jobs, slices)
    call = (
        f"compute_metrics(jobs, {mlfq_call(jobs, **params)})\n"
        f"  timeline: {show(merge(slices))}"
    )
    ran = run_ticks(jobs, slices)
    by_id = {j.id: j for j in jobs}
    for m in report.jobs:
        j = by_id[m.id]
        blocked = blocked_ticks(j, ran[j.id])
        ready = sum(
            1
            for t in range(j.arrival, m.completion)
            if t not in blocked and t not in ran[j.id]
        )
        assert m.turnaround == m.wait + j.burst + len(blocked), got_vs_expected(
            f"{call}\n  job {j.id}",
            f"turnaround {m.turnaround}, wait {m.wait}",
            f"turnaround = wait + burst ({j.burst}) + ticks blocked ({len(blocked)})",
        )
        assert m.wait == ready, got_vs_expected(
            f"{call}\n  job {j.id}",
            f"wait {m.wait}",
            f"{ready} (ticks ready but not running)",
        )
        assert m.response <= m.wait, got_vs_expected(
            f"{call}\n  job {j.id}",
            f"response {m.response}, wait {m.wait}",
            "response <= wait",
        )
