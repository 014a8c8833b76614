"""Stage 5 (windows): tumbling and sliding windows over event time.

Windows are epoch-aligned and half-open: [start, start + size), start a multiple of size (or
of slide). The tests compare your windows with a brute-force computation that checks
start <= event_time < start + size for every candidate window.

Aggregates are compared as (count, total, minimum, maximum); the values used are whole numbers,
so totals are exact whatever order you add them in.
"""

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataproc.sensors import Record
from dataproc.windows import sliding, tumbling, window_start
from tests.teaching import got_vs_expected, raises

pytestmark = pytest.mark.stage("windows")


def expect(ok: bool, message: str) -> None:
    """Fail with the teaching message alone (no pytest diff of the compared values)."""
    if not ok:
        pytest.fail(message, pytrace=False)


Summary = tuple[int, float, float, float]  # (count, total, minimum, maximum)


def rec(source: str, event_time: float, value: float = 1.0, seq: int = 0) -> Record:
    return Record(source=source, seq=seq, event_time=event_time, value=value)


def show_records(records: list[Record]) -> str:
    """[s1@12.5=3.0, ...]: source@event_time=value."""
    return (
        "[" + ", ".join(f"{r.source}@{r.event_time}={r.value}" for r in records) + "]"
    )


def summarise(call: str, windows: Any) -> dict[tuple[str, float], Summary]:
    """Your dict of Aggregates as {(source, start): (count, total, min, max)}."""
    expect(
        isinstance(windows, dict),
        got_vs_expected(
            call, repr(windows), "a dict {(source, window start): Aggregate}"
        ),
    )
    return {
        key: (agg.count, agg.total, agg.minimum, agg.maximum)
        for key, agg in windows.items()
    }


def show_windows(windows: dict[tuple[str, float], Summary]) -> str:
    if not windows:
        return "{} (no windows)"
    lines = [
        f"({source!r}, {start}): count={n} total={total} min={low} max={high}"
        for (source, start), (n, total, low, high) in sorted(
            windows.items(), key=lambda item: (item[0][1], item[0][0])
        )
    ]
    return "\n    " + "\n    ".join(lines)


def brute_windows(
    records: list[Record], size: float, slide: float
) -> dict[tuple[str, float], Summary]:
    """Every window k*slide <= event_time < k*slide + size holding each record, found by trying
    each nearby k against the definition."""
    out: dict[tuple[str, float], Summary] = {}
    for r in records:
        near = int(r.event_time // slide)
        for k in range(near - int(size // slide) - 2, near + 3):
            start = k * slide
            if start <= r.event_time < start + size:
                key = (r.source, float(start))
                n, total, low, high = out.get(
                    key, (0, 0.0, float("inf"), float("-inf"))
                )
                out[key] = (
                    n + 1,
                    total + r.value,
                    min(low, r.value),
                    max(high, r.value),
                )
    return out


def check_windows(call: str, records: list[Record], got: Any, expected: dict) -> None:
    got_summary = summarise(call, got)
    expect(
        got_summary == expected,
        got_vs_expected(
            f"{call}\n  records: {show_records(records)}",
            show_windows(got_summary),
            show_windows(expected),
            "a record belongs to the window(s) [start, start + size) holding its event_time; "
            "starts are multiples of the slide (of the size for tumbling), counted from 0",
        ),
    )


# Event times on a quarter-second grid and window sizes that are exact in binary floating
# point, so the brute force and your code agree on every boundary.
times = st.integers(-400, 400).map(lambda q: q / 4)
values = st.integers(-50, 50).map(float)
sources = st.sampled_from(["s1", "s2", "s3"])
records_strategy = st.lists(
    st.builds(rec, sources, times, values), min_size=0, max_size=40
)


# --- window_start ---------------------------------------------------------------------


WINDOW_STARTS = [
    (0.0, 10, 0.0, "0 is the start of [0, 10)"),
    (7.0, 10, 0.0, "7 is in [0, 10)"),
    (9.999, 10, 0.0, "9.999 is still in [0, 10)"),
    (
        10.0,
        10,
        10.0,
        "half-open: an event at exactly 10 belongs to [10, 20), not [0, 10)",
    ),
    (25.0, 5, 25.0, "half-open: 25 opens [25, 30)"),
    (-0.5, 10, -10.0, "-0.5 is in [-10, 0): round down (floor), not towards zero"),
    (-10.0, 10, -10.0, "-10 is the start of [-10, 0)"),
    (-10.5, 10, -20.0, "-10.5 is in [-20, -10)"),
    (7.25, 2.5, 5.0, "windows of 2.5 s: 7.25 is in [5.0, 7.5)"),
    (7.5, 2.5, 7.5, "half-open: 7.5 opens [7.5, 10.0)"),
    (0.75, 0.5, 0.5, "windows of half a second: 0.75 is in [0.5, 1.0)"),
    (
        1_700_000_003.5,
        60,
        1_699_999_980.0,
        "minutes counted from the epoch, not from 0:00 local",
    ),
]


@pytest.mark.parametrize(
    ("event_time", "size", "start", "why"),
    WINDOW_STARTS,
    ids=[f"{t}-in-{size}s" for t, size, _, _ in WINDOW_STARTS],
)
def test_window_start(event_time, size, start, why):
    got = window_start(event_time, size)
    expect(
        got == start,
        got_vs_expected(
            f"window_start({event_time!r}, {size!r})", repr(got), repr(start), why
        ),
    )


# --- tumbling -------------------------------------------------------------------------


def test_tumbling_small_example():
    records = [
        rec("s1", 1.0, 10.0),
        rec("s1", 4.5, 20.0),
        rec("s2", 3.0, 5.0),
        rec("s1", 12.0, 7.0),
        rec("s1", -1.0, 3.0),
    ]
    expected = {
        ("s1", 0.0): (2, 30.0, 10.0, 20.0),
        ("s2", 0.0): (1, 5.0, 5.0, 5.0),
        ("s1", 10.0): (1, 7.0, 7.0, 7.0),
        ("s1", -10.0): (1, 3.0, 3.0, 3.0),
    }
    check_windows(
        "tumbling(records, size=10)", records, tumbling(records, 10), expected
    )


def test_tumbling_event_at_the_end_of_a_window_opens_the_next():
    records = [rec("s1", 0.0, 1.0), rec("s1", 5.0, 2.0), rec("s1", 5.5, 4.0)]
    expected = {("s1", 0.0): (1, 1.0, 1.0, 1.0), ("s1", 5.0): (2, 6.0, 2.0, 4.0)}
    check_windows("tumbling(records, size=5)", records, tumbling(records, 5), expected)


def test_tumbling_of_no_records_is_empty():
    check_windows("tumbling([], size=10)", [], tumbling([], 10), {})


def test_tumbling_reads_any_iterable_once():
    records = [rec("s1", 1.0, 2.0), rec("s1", 2.0, 3.0)]
    got = tumbling(iter(records), 10)
    check_windows(
        "tumbling(iter(records), size=10) (a one-pass iterator, like a live stream)",
        records,
        got,
        {("s1", 0.0): (2, 5.0, 2.0, 3.0)},
    )


@settings(max_examples=150, deadline=None)
@given(records=records_strategy, size=st.sampled_from([0.5, 1, 2.5, 4, 10, 60]))
def test_tumbling_matches_brute_force(records, size):
    check_windows(
        f"tumbling(records, size={size})",
        records,
        tumbling(records, size),
        brute_windows(records, size, size),
    )


# --- sliding --------------------------------------------------------------------------


def test_sliding_small_example():
    records = [rec("s1", 12.0, 1.0), rec("s1", 3.0, 2.0), rec("s2", 5.0, 4.0)]
    expected = {
        ("s1", 5.0): (1, 1.0, 1.0, 1.0),  # [5, 15) holds 12
        ("s1", 10.0): (1, 1.0, 1.0, 1.0),  # [10, 20) holds 12
        ("s1", -5.0): (1, 2.0, 2.0, 2.0),  # [-5, 5) holds 3
        ("s1", 0.0): (1, 2.0, 2.0, 2.0),  # [0, 10) holds 3
        ("s2", 0.0): (1, 4.0, 4.0, 4.0),  # [0, 10) holds 5
        ("s2", 5.0): (1, 4.0, 4.0, 4.0),  # [5, 15) holds 5 (its first window)
    }
    check_windows(
        "sliding(records, size=10, slide=5)", records, sliding(records, 10, 5), expected
    )


def test_sliding_record_is_in_size_over_slide_windows():
    records = [rec("s1", 7.0, 1.0)]
    expected = {("s1", float(start)): (1, 1.0, 1.0, 1.0) for start in (-2, 0, 2, 4, 6)}
    check_windows(
        "sliding([s1@7.0], size=10, slide=2) (10 / 2 = 5 windows hold each record: "
        "[-2, 8), [0, 10), [2, 12), [4, 14), [6, 16))",
        records,
        sliding(records, 10, 2),
        expected,
    )


def test_sliding_with_slide_equal_to_size_is_tumbling():
    records = [rec("s1", 1.0, 1.0), rec("s1", 10.0, 2.0), rec("s2", -3.0, 3.0)]
    check_windows(
        "sliding(records, size=10, slide=10) (one window per record: tumbling)",
        records,
        sliding(records, 10, 10),
        brute_windows(records, 10, 10),
    )


@pytest.mark.parametrize(("size", "slide"), [(10, 3), (10, 4), (5, 10), (2.5, 1)])
def test_sliding_size_not_a_multiple_of_slide_raises(size, slide):
    records = [rec("s1", 1.0)]
    raises(
        ValueError,
        f"sliding([s1@1.0], size={size}, slide={slide})",
        lambda: sliding(records, size, slide),
        f"{size} is not a whole number of slides of {slide}, so windows would hold a "
        "record a varying number of times",
    )


SLIDES = [(1, 0.5), (2, 1), (10, 5), (10, 2.5), (4, 4), (3, 1), (7.5, 2.5), (6, 1.5)]


@settings(max_examples=150, deadline=None)
@given(records=records_strategy, shape=st.sampled_from(SLIDES))
def test_sliding_puts_each_record_in_size_over_slide_windows(records, shape):
    size, slide = shape
    call = f"sliding(records, size={size}, slide={slide})"
    got = summarise(call, sliding(records, size, slide))
    per_record = round(size / slide)
    counted = sum(n for n, _, _, _ in got.values())
    expect(
        counted == len(records) * per_record,
        got_vs_expected(
            f"{call}\n  records: {show_records(records)}\n  (sum of the windows' counts)",
            counted,
            f"{len(records) * per_record} = {len(records)} records x {per_record} windows each",
            "every record is in exactly size / slide windows",
        ),
    )


@settings(max_examples=150, deadline=None)
@given(records=records_strategy, shape=st.sampled_from(SLIDES))
def test_sliding_matches_brute_force(records, shape):
    size, slide = shape
    check_windows(
        f"sliding(records, size={size}, slide={slide})",
        records,
        sliding(records, size, slide),
        brute_windows(records, size, slide),
    )
