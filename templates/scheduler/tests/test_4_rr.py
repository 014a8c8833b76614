"""Stage 4 (rr): Round Robin with one FIFO ready queue."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.fcfs import fcfs
from scheduler.metrics import compute_metrics
from scheduler.rr import round_robin
from scheduler.sjf import sjf
from tests.support import (
    assert_valid_timeline,
    check_timeline,
    first_runs,
    make_jobs,
    merge,
    show,
    show_call,
    workloads,
)
from tests.teaching import got_vs_expected, raises

pytestmark = pytest.mark.stage("rr")

EVENT_ORDER = (
    "at time t: (1) the job whose quantum expired goes to the tail, (2) then jobs "
    "arriving at t, by id, (3) then the head runs with a fresh quantum"
)


def rr_call(jobs, quantum):
    return show_call("round_robin", jobs, quantum=quantum)


def test_rr_quantum_1_gives_the_best_response_time():
    """OSTEP ch. 7: three 5-tick jobs at t=0; RR (q=1) average response 1, SJF 5."""
    jobs = make_jobs((0, 0, 5), (1, 0, 5), (2, 0, 5))
    got = round_robin(jobs, 1)
    expected = (
        "0[0,1) 1[1,2) 2[2,3) 0[3,4) 1[4,5) 2[5,6) 0[6,7) 1[7,8) 2[8,9) "
        "0[9,10) 1[10,11) 2[11,12) 0[12,13) 1[13,14) 2[14,15)"
    )
    check_timeline(rr_call(jobs, 1), got, expected, EVENT_ORDER)
    rr_report, sjf_report = compute_metrics(jobs, got), compute_metrics(jobs, sjf(jobs))
    assert rr_report.avg_response == pytest.approx(1), got_vs_expected(
        f"compute_metrics(jobs, {rr_call(jobs, 1)}).avg_response",
        rr_report.avg_response,
        1,
    )
    assert sjf_report.avg_response == pytest.approx(5), got_vs_expected(
        "compute_metrics(jobs, sjf(jobs)).avg_response", sjf_report.avg_response, 5
    )
    assert rr_report.avg_turnaround == pytest.approx(14), got_vs_expected(
        f"compute_metrics(jobs, {rr_call(jobs, 1)}).avg_turnaround",
        rr_report.avg_turnaround,
        14,
        "RR's price: turnaround is bad",
    )


def test_rr_expired_job_goes_back_before_a_job_arriving_at_the_same_time():
    """Job 0's quantum ends at t=2, the moment job 1 arrives: job 0 is queued first, so
    it runs on.
    """
    jobs = make_jobs((0, 0, 4), (1, 2, 2))
    check_timeline(
        rr_call(jobs, 2),
        round_robin(jobs, 2),
        "0[0,4) 1[4,6)",
        "a job whose quantum expires at t goes back in the queue before jobs "
        "arriving at t",
    )


def test_rr_with_arrivals_expiries_and_early_finishes():
    jobs = make_jobs((0, 0, 5), (1, 1, 3), (2, 3, 4), (3, 6, 2))
    check_timeline(
        rr_call(jobs, 3),
        round_robin(jobs, 3),
        "0[0,3) 1[3,6) 0[6,8) 2[8,11) 3[11,13) 2[13,14)",
        EVENT_ORDER,
    )


def test_rr_job_alone_keeps_running_with_a_fresh_quantum():
    """Job 0 is alone at t=2, so it starts a new quantum [2,4); job 1 arrives at 3 and
    waits until 4.
    """
    jobs = make_jobs((0, 0, 5), (1, 3, 1))
    got = round_robin(jobs, 2)
    check_timeline(
        rr_call(jobs, 2),
        got,
        "0[0,4) 1[4,5) 0[5,6)",
        "a job whose quantum expires while nobody else is ready simply goes on, with "
        "a fresh quantum",
    )
    switches = compute_metrics(jobs, got).context_switches
    assert switches == 2, got_vs_expected(
        f"compute_metrics(jobs, {rr_call(jobs, 2)}).context_switches",
        switches,
        2,
        "a job going on after its quantum is not a switch",
    )


def test_rr_finishing_early_frees_the_cpu_at_once():
    jobs = make_jobs((0, 0, 1), (1, 0, 7), (2, 0, 2))
    check_timeline(
        rr_call(jobs, 3),
        round_robin(jobs, 3),
        "0[0,1) 1[1,4) 2[4,6) 1[6,10)",
        EVENT_ORDER,
    )


def test_rr_arrivals_at_the_same_time_queue_by_id():
    jobs = make_jobs((2, 0, 2), (1, 0, 2), (0, 1, 2))
    check_timeline(
        rr_call(jobs, 1),
        round_robin(jobs, 1),
        "1[0,1) 2[1,2) 1[2,3) 0[3,4) 2[4,5) 0[5,6)",
        EVENT_ORDER,
    )


def test_rr_idles_until_the_next_arrival():
    jobs = make_jobs((0, 0, 2), (1, 5, 3))
    check_timeline(rr_call(jobs, 2), round_robin(jobs, 2), "0[0,2) 1[5,8)")


def test_rr_of_no_jobs_is_an_empty_timeline():
    got = round_robin([], 3)
    assert got == [], got_vs_expected("round_robin([], quantum=3)", got, [])


@pytest.mark.parametrize("quantum", [0, -2])
def test_rr_rejects_a_quantum_below_1(quantum):
    ok = make_jobs((0, 0, 2))
    check_timeline(rr_call(ok, 1), round_robin(ok, 1), "0[0,2)")
    call = rr_call(ok, quantum)
    err = raises(
        ValueError, call, lambda: round_robin(ok, quantum), "quantum must be >= 1"
    )
    assert "quantum" in str(err), (
        f"{call}\n  raised {err!r}\n  expected the message to name 'quantum'"
    )


def test_rr_refuses_io():
    ok = make_jobs((0, 0, 2))
    check_timeline(rr_call(ok, 1), round_robin(ok, 1), "0[0,2)")
    jobs = make_jobs((0, 0, 2), (1, 0, 4, 0, 2, 1))
    call = rr_call(jobs, 2)
    err = raises(ValueError, call, lambda: round_robin(jobs, 2), "only mlfq models I/O")
    assert "rr" in str(err).lower() or "round" in str(err).lower(), (
        f"{call}\n  raised {err!r}\n  expected the message to name the policy (rr / "
        "round robin)"
    )


# --- properties -----------------------------------------------------------------------


@settings(max_examples=80)
@given(workloads(), st.integers(1, 4))
def test_property_rr_timeline_is_valid(jobs, quantum):
    assert_valid_timeline(rr_call(jobs, quantum), jobs, round_robin(jobs, quantum))


@settings(max_examples=60)
@given(workloads(), st.integers(0, 3))
def test_property_rr_with_a_quantum_at_least_every_burst_is_fcfs(jobs, extra):
    quantum = max(j.burst for j in jobs) + extra
    got, expected = show(merge(round_robin(jobs, quantum))), show(merge(fcfs(jobs)))
    assert got == expected, got_vs_expected(
        rr_call(jobs, quantum),
        got,
        f"{expected} (= fcfs)",
        "no job ever uses up its quantum, so RR is FCFS",
    )


@settings(max_examples=80)
@given(workloads(), st.integers(1, 4))
def test_property_rr_response_is_at_most_n_minus_1_quanta(jobs, quantum):
    """Ahead of a newly queued job are at most n-1 other jobs, and each runs at most
    one quantum.
    """
    got = round_robin(jobs, quantum)
    starts = first_runs(got)
    bound = (len(jobs) - 1) * quantum
    for j in jobs:
        response = starts.get(j.id, j.arrival) - j.arrival
        assert response <= bound, got_vs_expected(
            rr_call(jobs, quantum) + f"\n  timeline: {show(merge(got))}",
            f"job {j.id} first runs at {starts.get(j.id)} (response {response})",
            f"response <= (jobs - 1) * quantum = {bound}",
            "FIFO queue: nobody overtakes a waiting job",
        )
