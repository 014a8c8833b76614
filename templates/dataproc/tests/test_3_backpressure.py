"""Stage 3 (backpressure): run_bounded moves every line once, and a slow sink slows the sources.

The blocked-sink tests hold the sink on an Event the test controls, count how many lines the
producers have taken from the sources meanwhile, and only then let the sink go. No test judges
speed: a bounded queue caps how far the producers can run ahead, whatever the timing.
"""

import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataproc.flow import FlowStats, run_bounded
from tests.support import show_lines
from tests.teaching import got_vs_expected, raises

pytestmark = pytest.mark.stage("backpressure")

WAIT = 5.0  # the longest a test waits for run_bounded to reach a state


class Counted:
    """An iterable over `lines` that counts how many were taken (thread-safe)."""

    def __init__(self, lines: list[str], counter: "Counter") -> None:
        self.lines = lines
        self.counter = counter

    def __iter__(self):
        for line in self.lines:
            self.counter.add()
            yield line


class Counter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def add(self) -> None:
        with self._lock:
            self.value += 1


def source_lines(source: str, count: int) -> list[str]:
    return [f"{source},{seq},{float(seq)},{seq * 0.5}" for seq in range(count)]


def check_exactly_once(
    call: str, sources: list[list[str]], received: list[str]
) -> None:
    """Every line of every source arrived once, each source's lines in their order."""
    expected = sorted(line for lines in sources for line in lines)
    assert sorted(received) == expected, got_vs_expected(
        f"{call}: the lines the sink received (sorted)",
        show_lines(sorted(received)),
        show_lines(expected),
        "every line of every source reaches the sink exactly once: none lost, none twice",
    )
    for lines in sources:
        mine = set(lines)
        got = [line for line in received if line in mine]
        assert got == lines, got_vs_expected(
            f"{call}: one source's lines, in the order the sink received them",
            show_lines(got),
            show_lines(lines),
            "one producer per source puts its lines in order, and one queue keeps that order",
        )


def bounded(sources, sink, maxsize: int) -> FlowStats:
    """run_bounded in a helper thread, so that a run that never returns fails in 5 s."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["stats"] = run_bounded(sources, sink, maxsize)
        except BaseException as err:  # shown in the test thread
            outcome["error"] = err

    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    runner.join(WAIT)
    if "error" in outcome:
        raise outcome["error"]
    assert not runner.is_alive(), got_vs_expected(
        f"run_bounded({len(sources)} sources, maxsize={maxsize})",
        "still running after 5 s",
        "it returns once every source is exhausted and every line reached the sink",
        "take lines until every producer has said it is done; a producer blocked on a full "
        "queue nobody empties never finishes",
    )
    return outcome["stats"]


# --- every line, once, in order -------------------------------------------------------


def test_every_line_reaches_the_sink_once_and_stats_count_them():
    sources = [source_lines(f"s{i}", 50) for i in range(3)]
    for attempt in range(40):
        received: list[str] = []
        stats = bounded([list(s) for s in sources], received.append, maxsize=4)
        call = f"run_bounded(3 sources of 50 lines, sink=list.append, maxsize=4) (run {attempt + 1} of 40)"
        check_exactly_once(call, sources, received)
        assert isinstance(stats, FlowStats), got_vs_expected(
            call, repr(stats), "a FlowStats"
        )
        got = (stats.produced, stats.consumed)
        assert got == (150, 150), got_vs_expected(
            f"{call}: (stats.produced, stats.consumed)",
            got,
            (150, 150),
            "produced counts lines taken from the sources, consumed lines given to the sink",
        )
        assert 1 <= stats.peak_depth <= 4, got_vs_expected(
            f"{call}: stats.peak_depth",
            stats.peak_depth,
            "between 1 and maxsize=4",
            "peak_depth is the most lines ever waiting in the queue; a Queue(4) holds 4 at most",
        )


def test_no_sources_and_empty_sources_finish():
    for sources in ([], [[]], [[], ["s1,0,0.0,1.0"], []]):
        received: list[str] = []
        stats = bounded([list(s) for s in sources], received.append, maxsize=2)
        call = f"run_bounded({sources!r}, sink=list.append, maxsize=2)"
        expected = [line for s in sources for line in s]
        assert received == expected, got_vs_expected(
            f"{call}: lines received", received, expected
        )
        got = (stats.produced, stats.consumed)
        assert got == (len(expected), len(expected)), got_vs_expected(
            f"{call}: (stats.produced, stats.consumed)",
            got,
            (len(expected), len(expected)),
            "an empty source is exhausted at once; the run ends when every source is",
        )


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 30), min_size=1, max_size=5),
    maxsize=st.integers(1, 6),
)
def test_any_sources_any_maxsize_every_line_once(sizes, maxsize):
    sources = [source_lines(f"s{i}", n) for i, n in enumerate(sizes)]
    received: list[str] = []
    stats = bounded([list(s) for s in sources], received.append, maxsize=maxsize)
    call = f"run_bounded(sources of {sizes} lines, sink=list.append, maxsize={maxsize})"
    check_exactly_once(call, sources, received)
    total = sum(sizes)
    assert (stats.produced, stats.consumed) == (total, total), got_vs_expected(
        f"{call}: (stats.produced, stats.consumed)",
        (stats.produced, stats.consumed),
        (total, total),
    )
    assert stats.peak_depth <= maxsize, got_vs_expected(
        f"{call}: stats.peak_depth",
        stats.peak_depth,
        f"at most maxsize={maxsize}",
        "a queue.Queue(maxsize) never holds more than maxsize items",
    )


# --- a slow sink blocks the producers -------------------------------------------------


def run_with_a_held_sink(producers: int, lines_each: int, maxsize: int) -> None:
    """Hold the sink on its first line; the producers must stop at maxsize + producers + 1
    lines taken; then release, and everything must still arrive once."""
    sources = [source_lines(f"s{i}", lines_each) for i in range(producers)]
    taken = Counter()
    release = threading.Event()
    holding = threading.Event()
    received: list[str] = []
    outcome: dict = {}

    def sink(line: str) -> None:
        if not received:
            holding.set()
            release.wait(WAIT)
        received.append(line)

    def run() -> None:
        try:
            outcome["stats"] = run_bounded(
                [Counted(s, taken) for s in sources], sink, maxsize
            )
        except BaseException as err:  # shown in the test thread
            outcome["error"] = err

    call = (
        f"run_bounded({producers} sources of {lines_each} lines, a sink that holds its "
        f"first line until the test releases it, maxsize={maxsize})"
    )
    bound = maxsize + producers + 1
    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    try:
        deadline = time.monotonic() + WAIT
        while (
            runner.is_alive() and not holding.wait(0.01) and time.monotonic() < deadline
        ):
            pass
        if "error" in outcome:
            raise outcome["error"]
        assert holding.is_set(), got_vs_expected(
            call, "the sink was not called within 5 s", "a first call to the sink"
        )
        # Wait for the producers to fill up, then watch them a little longer: with a bounded
        # queue they cannot go past the bound, however long we watch.
        deadline = time.monotonic() + WAIT
        while taken.value < bound and time.monotonic() < deadline:
            time.sleep(0.005)
        watch_until = time.monotonic() + 0.2
        peak = taken.value
        while time.monotonic() < watch_until:
            peak = max(peak, taken.value)
            time.sleep(0.005)
        peak = max(peak, taken.value)
        assert peak <= bound, got_vs_expected(
            f"{call}: lines taken from the sources while the sink holds line 1",
            peak,
            f"at most maxsize + producers + 1 = {bound}",
            "the sink holds 1, the queue maxsize, each blocked producer 1 in its hand: "
            "put() on a full queue.Queue(maxsize) must block, so memory stays flat when the "
            "sink is slow",
        )
    finally:
        release.set()
        runner.join(WAIT)
    if "error" in outcome:
        raise outcome["error"]
    assert not runner.is_alive(), got_vs_expected(
        f"{call}: after the release", "still running after 5 s", "run_bounded returns"
    )
    stats = outcome["stats"]
    check_exactly_once(call, sources, received)
    total = producers * lines_each
    assert (stats.produced, stats.consumed) == (total, total), got_vs_expected(
        f"{call}: (stats.produced, stats.consumed)",
        (stats.produced, stats.consumed),
        (total, total),
    )
    assert stats.peak_depth == maxsize, got_vs_expected(
        f"{call}: stats.peak_depth",
        stats.peak_depth,
        maxsize,
        "while the sink held, the queue filled up to maxsize and never beyond",
    )


@pytest.mark.parametrize("producers, maxsize", [(1, 1), (3, 2), (4, 5)])
def test_a_held_sink_blocks_the_producers(producers, maxsize):
    run_with_a_held_sink(producers, lines_each=60, maxsize=maxsize)


def test_a_held_sink_blocks_the_producers_every_time():
    for _ in range(10):
        run_with_a_held_sink(producers=2, lines_each=30, maxsize=3)


# --- arguments ------------------------------------------------------------------------


@pytest.mark.parametrize("maxsize", [0, -1])
def test_maxsize_below_one_is_refused(maxsize):
    raises(
        ValueError,
        f"run_bounded([['s1,0,0.0,1.0']], sink, maxsize={maxsize})",
        lambda: run_bounded([["s1,0,0.0,1.0"]], lambda line: None, maxsize),
        "queue.Queue(0) is unbounded: a bounded run needs maxsize >= 1",
    )
