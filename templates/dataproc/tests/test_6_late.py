"""Stage 6 (late): a WindowedAggregator over an unordered stream.

The watermark is the largest event_time seen minus allowed_lateness; a tumbling window
[start, end) closes, and `add` returns it, once the watermark >= end. A record whose window
has already closed is late: `late` goes up by one and the record is not added anywhere.
`flush` closes what is still open. Every record ends up either in exactly one emitted window
or in the `late` count.

Each test replays a stream of `add` calls; a failure shows the replay so far. Aggregates are
shown (and compared) as count/total/min/max; values are whole numbers so totals are exact.
"""

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataproc.sensors import Record
from dataproc.windows import WindowedAggregator
from tests.teaching import got_vs_expected

pytestmark = pytest.mark.stage("late")


def expect(ok: bool, message: str) -> None:
    """Fail with the teaching message alone (no pytest diff of the compared values)."""
    if not ok:
        pytest.fail(message, pytrace=False)


Summary = tuple[int, float, float, float]  # (count, total, minimum, maximum)
Closed = list[tuple[tuple[str, float], Summary]]

RULE = (
    "watermark = largest event_time seen - allowed_lateness; a window [start, end) closes "
    "when watermark >= end, and add returns the windows it closed, sorted by (start, source)"
)


def rec(source: str, event_time: float, value: float = 1.0) -> Record:
    return Record(source=source, seq=0, event_time=event_time, value=value)


def show_record(r: Record) -> str:
    return f"{r.source}@{r.event_time}={r.value}"


def summarise(call: str, closed: Any) -> Closed:
    """What add/flush returned, as [((source, start), (count, total, min, max)), ...]."""
    shape = "a list of ((source, window start), Aggregate) pairs"
    expect(isinstance(closed, list), got_vs_expected(call, repr(closed), shape))
    out = []
    for item in closed:
        expect(
            isinstance(item, tuple) and len(item) == 2,
            got_vs_expected(call, repr(closed), shape),
        )
        key, agg = item
        out.append((key, (agg.count, agg.total, agg.minimum, agg.maximum)))
    return out


def show_closed(closed: Closed) -> str:
    if not closed:
        return "[] (no window closed)"
    return (
        "["
        + ", ".join(
            f"({source!r}, {start}) count={n} total={total} min={low} max={high}"
            for (source, start), (n, total, low, high) in closed
        )
        + "]"
    )


class Replay:
    """Drives one WindowedAggregator and keeps a transcript for failure messages."""

    def __init__(self, size: float, allowed_lateness: float) -> None:
        self.agg = WindowedAggregator(size, allowed_lateness)
        self.lines = [
            f"agg = WindowedAggregator(size={size}, allowed_lateness={allowed_lateness})"
        ]

    def transcript(self) -> str:
        return "\n    ".join(self.lines)

    def add(self, record: Record, expected: Closed | None = None) -> Closed:
        call = f"agg.add({show_record(record)})"
        got = summarise(f"{self.transcript()}\n    {call}", self.agg.add(record))
        self.lines.append(f"{call} -> {show_closed(got)}")
        if expected is not None:
            self.check(got, expected, RULE)
        return got

    def flush(self, expected: Closed | None = None) -> Closed:
        got = summarise(f"{self.transcript()}\n    agg.flush()", self.agg.flush())
        self.lines.append(f"agg.flush() -> {show_closed(got)}")
        if expected is not None:
            self.check(
                got,
                expected,
                "flush returns every window still open (and only those), sorted by "
                "(start, source); a window already returned by add is not returned again",
            )
        return got

    def check(self, got: Closed, expected: Closed, rule: str) -> None:
        expect(
            got == expected,
            got_vs_expected(
                self.transcript() + "  <- this one",
                show_closed(got),
                show_closed(expected),
                rule,
            ),
        )

    def check_attr(self, name: str, expected: float, rule: str) -> None:
        got = getattr(self.agg, name)
        expect(
            got == expected,
            got_vs_expected(
                f"{self.transcript()}\n    agg.{name}", repr(got), repr(expected), rule
            ),
        )


def one(source: str, start: float, *values: float) -> tuple[tuple[str, float], Summary]:
    """An expected closed window holding `values`."""
    return ((source, start), (len(values), sum(values), min(values), max(values)))


# --- scripted streams -----------------------------------------------------------------


def test_in_order_stream_emits_each_window_as_the_watermark_passes_it():
    r = Replay(size=10, allowed_lateness=0)
    r.add(rec("s1", 1.0, 1.0), [])
    r.add(rec("s1", 5.0, 2.0), [])
    r.add(rec("s1", 9.5, 3.0), [])
    r.add(rec("s1", 10.0, 4.0), [one("s1", 0.0, 1.0, 2.0, 3.0)])
    r.add(rec("s1", 15.0, 5.0), [])
    r.add(rec("s1", 20.0, 6.0), [one("s1", 10.0, 4.0, 5.0)])
    r.flush([one("s1", 20.0, 6.0)])
    r.check_attr("late", 0, "an in-order stream has no late records")


def test_window_closes_when_the_watermark_reaches_its_end_exactly():
    r = Replay(size=10, allowed_lateness=2)
    r.add(rec("s1", 5.0, 1.0), [])
    r.add(rec("s1", 11.5, 2.0), [])  # watermark 9.5 < 10: [0, 10) stays open
    r.add(rec("s1", 12.0, 3.0), [one("s1", 0.0, 1.0)])  # watermark 10 >= 10


def test_out_of_order_record_within_lateness_is_added():
    r = Replay(size=10, allowed_lateness=5)
    r.add(rec("s1", 12.0, 1.0), [])  # watermark 7
    r.add(rec("s1", 3.0, 2.0), [])  # [0, 10) is still open: 7 < 10
    r.check_attr(
        "late", 0, "3.0 came 9 s behind the newest record, but [0, 10) was open"
    )
    r.add(rec("s1", 8.0, 4.0), [])
    r.add(rec("s1", 15.0, 8.0), [one("s1", 0.0, 2.0, 4.0)])  # watermark 10
    r.flush([one("s1", 10.0, 1.0, 8.0)])


def test_record_beyond_lateness_is_counted_late_and_not_added():
    r = Replay(size=10, allowed_lateness=5)
    r.add(rec("s1", 3.0, 1.0), [])
    r.add(rec("s1", 16.0, 2.0), [one("s1", 0.0, 1.0)])  # watermark 11: [0, 10) closed
    r.add(rec("s1", 9.0, 100.0), [])
    r.check_attr(
        "late",
        1,
        "s1@9.0 belongs to [0, 10), which closed already: it is late, counted",
    )
    r.add(rec("s2", 4.0, 100.0), [])
    r.check_attr(
        "late",
        2,
        "the watermark is one for the whole stream: [0, 10) is closed for s2 too, "
        "even though s2 never had a record there",
    )
    r.flush([one("s1", 10.0, 2.0)])  # the late values are in no window


def test_watermark_is_newest_event_time_minus_lateness_and_never_moves_back():
    r = Replay(size=10, allowed_lateness=3)
    r.add(rec("s1", 20.0))
    r.check_attr("watermark", 17.0, "20.0 - 3")
    r.add(rec("s1", 18.0))
    r.check_attr("watermark", 17.0, "an older record does not move the watermark back")
    r.add(rec("s2", 25.5))
    r.check_attr("watermark", 22.5, "25.5 - 3: every source moves the one watermark")


def test_windows_closed_together_come_sorted_by_start_then_source():
    r = Replay(size=10, allowed_lateness=20)
    for record in [  # the watermark stays below 0: nothing closes yet
        rec("s2", 1.0, 1.0),
        rec("s3", 11.0, 2.0),
        rec("s1", 2.0, 3.0),
        rec("s1", 13.0, 4.0),
        rec("s2", 5.0, 5.0),
    ]:
        r.add(record)
    r.add(
        rec("s1", 40.0, 6.0),  # watermark 20: [0, 10) and [10, 20) close together
        [
            one("s1", 0.0, 3.0),
            one("s2", 0.0, 1.0, 5.0),
            one("s1", 10.0, 4.0),
            one("s3", 10.0, 2.0),
        ],
    )


def test_flush_closes_every_open_window_once():
    r = Replay(size=10, allowed_lateness=100)
    for record in [rec("s2", 25.0, 1.0), rec("s1", 3.0, 2.0), rec("s1", 27.0, 3.0)]:
        r.add(record, [])  # watermark at most -73: nothing closes
    r.flush([one("s1", 0.0, 2.0), one("s1", 20.0, 3.0), one("s2", 20.0, 1.0)])
    r.flush([])


def test_flush_of_a_fresh_aggregator_is_empty():
    Replay(size=10, allowed_lateness=0).flush([])


# --- shuffled streams against a brute-force model -------------------------------------


def brute_start(event_time: float, size: float) -> float:
    """The k*size with k*size <= event_time < (k+1)*size, by stepping k."""
    k = int(event_time // size)
    while k * size > event_time:
        k -= 1
    while (k + 1) * size <= event_time:
        k += 1
    return float(k * size)


def windows_of(
    records: list[Record], size: float
) -> dict[tuple[str, float], list[float]]:
    out: dict[tuple[str, float], list[float]] = {}
    for r in records:
        out.setdefault((r.source, brute_start(r.event_time, size)), []).append(r.value)
    return out


def model(
    records: list[Record], size: float, lateness: float
) -> tuple[list[Closed], Closed, int]:
    """What each add returns, what flush returns, and the late count, recomputed from scratch
    after every record."""
    accepted: list[Record] = []
    emitted: set[tuple[str, float]] = set()
    newest = float("-inf")
    outputs, late = [], 0

    def by_start(key: tuple[str, float]) -> tuple[float, str]:
        return key[1], key[0]

    for record in records:
        if newest - lateness >= brute_start(record.event_time, size) + size:
            late += 1
            outputs.append([])
            continue
        accepted.append(record)
        newest = max(newest, record.event_time)
        windows = windows_of(accepted, size)
        closing = sorted(
            (
                k
                for k in windows
                if k not in emitted and k[1] + size <= newest - lateness
            ),
            key=by_start,
        )
        emitted.update(closing)
        outputs.append([one(*k, *windows[k]) for k in closing])
    windows = windows_of(accepted, size)
    rest = sorted((k for k in windows if k not in emitted), key=by_start)
    return outputs, [one(*k, *windows[k]) for k in rest], late


@st.composite
def shuffled_streams(draw):
    """A stream in event-time order, then shuffled: mildly (a few neighbours swapped) or fully."""
    times = draw(st.lists(st.integers(0, 240).map(lambda q: q / 4), max_size=40))
    records = [
        rec(
            draw(st.sampled_from(["s1", "s2", "s3"])),
            t,
            float(draw(st.integers(-50, 50))),
        )
        for t in sorted(times)
    ]
    if draw(st.booleans()):
        return draw(st.permutations(records))
    for _ in range(draw(st.integers(0, len(records)))):
        i = draw(st.integers(0, max(len(records) - 2, 0)))
        records[i : i + 2] = records[i : i + 2][::-1]
    return records


@settings(max_examples=200, deadline=None)
@given(
    records=shuffled_streams(),
    size=st.sampled_from([1, 2.5, 5, 10]),
    lateness=st.sampled_from([0, 0.5, 2, 5, 20]),
)
def test_shuffled_stream_accounts_for_every_record_once(records, size, lateness):
    r = Replay(size=size, allowed_lateness=lateness)
    outputs = [r.add(record) for record in records]
    outputs.append(r.flush())
    emitted = [key for closed in outputs for key, _ in closed]
    twice = sorted({key for key in emitted if emitted.count(key) > 1})
    expect(
        not twice,
        got_vs_expected(
            r.transcript(),
            f"windows emitted more than once: {twice}",
            "each window emitted once",
            "a closed window is gone: a record for it later is late, it does not reopen it",
        ),
    )
    in_windows = sum(n for closed in outputs for _, (n, _, _, _) in closed)
    expect(
        in_windows + r.agg.late == len(records),
        got_vs_expected(
            r.transcript() + "\n    (records in emitted windows + agg.late)",
            f"{in_windows} + {r.agg.late} = {in_windows + r.agg.late}",
            f"{len(records)}, the number of records added",
            "every record is either in exactly one emitted window or counted late",
        ),
    )
    expected_adds, expected_flush, expected_late = model(records, size, lateness)
    for step, (got, expected) in enumerate(zip(outputs, expected_adds, strict=False)):
        expect(
            got == expected,
            got_vs_expected(
                "\n    ".join(r.lines[: step + 2]) + "  <- this one",
                show_closed(got),
                show_closed(expected),
                RULE,
            ),
        )
    expect(
        r.agg.late == expected_late,
        got_vs_expected(
            r.transcript() + "\n    agg.late", r.agg.late, expected_late, RULE
        ),
    )
    r.check(outputs[-1], expected_flush, "flush returns every window still open")
