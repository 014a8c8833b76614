"""Stage 3 (scan): many probes at once, never more than `concurrency` in flight."""

import random

import pytest

from portscan.probe import CLOSED, FILTERED, OPEN, PortResult
from portscan.scan import scan
from tests.support import (
    HOST,
    Ports,
    check_results,
    count_sockets_in_flight,
    run,
    show_results,
)
from tests.teaching import got_vs_expected, raises

pytestmark = pytest.mark.stage("scan")

TIMEOUT = 0.3  # for filtered ports; open and closed ones answer at once


def scan_call(ports: list[int], **kw) -> str:
    """What a test called, for failure messages (on_result given by name)."""
    extra = "".join(
        f", {key}={value if key == 'on_result' else repr(value)}"
        for key, value in kw.items()
    )
    return f"scan({HOST!r}, {ports}{extra})"


def test_each_port_is_classified_and_results_come_back_sorted():
    with Ports() as ports:
        filtered, closed = ports.filtered_ports(2), ports.closed_ports(3)
        # A filtered port answers last; open ports above it make finishing order differ
        # from port order.
        opened = ports.open_ports(2, above=min(filtered))
        expected = sorted(
            [PortResult(p, OPEN, "connected") for p in opened]
            + [PortResult(p, CLOSED, "refused") for p in closed]
            + [PortResult(p, FILTERED, "timeout") for p in filtered],
            key=lambda r: r.port,
        )
        order = opened + closed + filtered
        random.Random(7).shuffle(order)
        call = scan_call(order, concurrency=10, timeout=TIMEOUT)
        got = run(scan(HOST, order, concurrency=10, timeout=TIMEOUT), call)
        check_results(
            call,
            got,
            expected,
            "one PortResult per port, sorted by port, whatever order the ports came in",
        )


def test_each_distinct_port_is_scanned_once_from_any_iterable():
    with Ports() as ports:
        opened, closed = ports.open_port(), ports.closed_port()
        given = [closed, opened, closed, opened, closed]
        expected = sorted(
            [
                PortResult(opened, OPEN, "connected"),
                PortResult(closed, CLOSED, "refused"),
            ],
            key=lambda r: r.port,
        )
        call = f"scan({HOST!r}, (a generator of {given}), timeout={TIMEOUT})"
        got = run(scan(HOST, (p for p in given), timeout=TIMEOUT), call)
        check_results(
            call,
            got,
            expected,
            "ports may come from any iterable (read it once) and repeat; each distinct port "
            "is probed once and has one result",
        )


def test_on_result_is_called_once_for_each_port_as_it_finishes():
    with Ports() as ports:
        [filtered], closed = ports.filtered_ports(1), ports.closed_ports(3)
        opened = ports.open_ports(2, above=filtered)
        targets = opened + closed + [filtered]
        expected = sorted(
            [PortResult(p, OPEN, "connected") for p in opened]
            + [PortResult(p, CLOSED, "refused") for p in closed]
            + [PortResult(filtered, FILTERED, "timeout")],
            key=lambda r: r.port,
        )
        seen = []
        call = scan_call(targets, timeout=TIMEOUT, on_result="seen.append")
        got = run(scan(HOST, targets, timeout=TIMEOUT, on_result=seen.append), call)
        check_results(call, got, expected)
        check_results(
            call + ", then sorted what on_result received",
            sorted(seen, key=lambda r: getattr(r, "port", 0)),
            expected,
            "on_result(result) is called once for each result",
        )
        assert seen[-1].port == filtered, got_vs_expected(
            call,
            f"on_result received {show_results(seen)}",
            f"the filtered port {filtered} last",
            "on_result is called as each probe finishes (that is what shows progress, "
            "and keeps partial results when the scan is interrupted): open and closed "
            "ports answer at once, the filtered one only after its timeout",
        )


@pytest.mark.parametrize(("concurrency", "n"), [(1, 3), (4, 12)])
def test_no_more_than_concurrency_connections_at_once(concurrency, n):
    """Every port here is filtered, so each probe holds its socket until the timeout; the
    test counts the sockets the scan holds, at every turn of the event loop."""
    with Ports() as ports:
        targets = ports.filtered_ports(n)
        call = scan_call(targets, concurrency=concurrency, timeout=TIMEOUT)
        got, peak = run(
            count_sockets_in_flight(
                scan(HOST, targets, concurrency=concurrency, timeout=TIMEOUT)
            ),
            call,
        )
        expected = [PortResult(p, FILTERED, "timeout") for p in sorted(targets)]
        check_results(call, got, expected)
        assert peak <= concurrency, (
            f"{call}\n  at one moment {peak} connections were in flight\n"
            f"  expected: at most {concurrency}; hold the semaphore for the whole probe, "
            f"timeout included (or start only {concurrency} workers)"
        )
        if concurrency > 1:
            assert peak >= 2, (
                f"{call}\n  never more than {peak} connection(s) in flight at once\n"
                f"  expected: up to {concurrency} probes waiting at the same time. Are the "
                "probes started concurrently (asyncio.gather, a TaskGroup, workers)? Does "
                "probe block the event loop?"
            )


@pytest.mark.parametrize("concurrency", [0, -1])
def test_concurrency_below_1_is_a_value_error(concurrency):
    with Ports() as ports:
        port = ports.closed_port()
        seen = []
        call = scan_call([port], concurrency=concurrency, on_result="seen.append")
        # A scan that works proves the error below is about concurrency.
        good_call = scan_call([port], concurrency=1)
        good = run(scan(HOST, [port], concurrency=1), good_call)
        check_results(good_call, good, [PortResult(port, CLOSED, "refused")])
        raises(
            ValueError,
            call,
            lambda: run(
                scan(HOST, [port], concurrency=concurrency, on_result=seen.append), call
            ),
            "at least one probe must be allowed at a time",
        )
        assert not seen, f"{call} probed {show_results(seen)} before raising ValueError"


def test_no_ports_give_no_results():
    call = scan_call([])
    check_results(call, run(scan(HOST, []), call), [])


def test_a_thousand_closed_ports_with_the_default_concurrency():
    with Ports() as ports:
        closed = ports.closed_ports(1000)
        call = f"scan({HOST!r}, ({len(closed)} closed ports {closed[0]}..{closed[-1]}))"
        expected = [PortResult(p, CLOSED, "refused") for p in sorted(closed)]
        check_results(call, run(scan(HOST, closed), call), expected)
