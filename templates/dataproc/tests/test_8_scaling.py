"""Stage 8 (scaling): measure() fills a consistent Row, really does the work, and reports it.

No test here judges speed: a slow machine is not a wrong answer. They check that the numbers
agree with each other (records / seconds, p50 <= p99, the in-flight bound) and that every
record's work was done (the checksum equals a plain loop over the same lines).
"""

import math
import time

import pytest

from dataproc.pipeline import parse
from dataproc.scaling import (
    CPU_ITERATIONS,
    IO_SECONDS,
    MODES,
    MODULUS,
    STAGES,
    WINDOW_PER_WORKER,
    Row,
    measure,
    percentile,
    to_markdown,
    work,
)
from dataproc.sensors import SensorSpec, simulate
from tests.teaching import got_vs_expected, raises

pytestmark = pytest.mark.stage("scaling")


def expected_result(stage: str, line: str) -> int:
    """One record's result, computed here the plain way (no timing)."""
    record = parse(line)
    x = (record.seq + round(record.value * 1000)) % MODULUS
    if stage == "cpu":
        for i in range(CPU_ITERATIONS):
            x = (x * 31 + i) % MODULUS
    return x


def expected_checksum(stage: str, records: int, seed: int) -> int:
    lines = simulate(SensorSpec("s1", seed, records))
    return sum(expected_result(stage, line) for line in lines)


def measured(stage: str, mode: str, workers: int, records: int, seed: int) -> Row:
    """measure(...), and check its Row against what this test saw from outside."""
    started = time.perf_counter()
    row = measure(stage, mode, workers, records, seed=seed)
    outside = time.perf_counter() - started
    check_row(row, stage, mode, workers, records, seed)
    assert row.seconds <= outside, got_vs_expected(
        f"measure({stage!r}, {mode!r}, workers={workers}, records={records}): seconds",
        row.seconds,
        f"at most the {outside:.6f} s the call took, seen from outside",
        "seconds = time.perf_counter() at the last result minus the reading at the start",
    )
    return row


def check_row(row: Row, stage: str, mode: str, workers: int, records: int, seed: int):
    call = f"measure({stage!r}, {mode!r}, workers={workers}, records={records}, seed={seed})"
    assert isinstance(row, Row), got_vs_expected(call, repr(row), "a Row")
    same = (row.stage, row.mode, row.workers, row.records)
    assert same == (stage, mode, workers, records), got_vs_expected(
        call + ": (stage, mode, workers, records)",
        same,
        (stage, mode, workers, records),
        "the Row says what was measured, and counts every record that finished",
    )
    assert row.seconds > 0, got_vs_expected(call + ": seconds", row.seconds, "> 0")
    assert math.isclose(
        row.records_per_second, row.records / row.seconds, rel_tol=1e-6
    ), got_vs_expected(
        call + ": records_per_second",
        row.records_per_second,
        f"records / seconds = {records} / {row.seconds} = {records / row.seconds}",
    )
    assert 0 <= row.p50_ms <= row.p99_ms, got_vs_expected(
        call + ": (p50_ms, p99_ms)",
        (row.p50_ms, row.p99_ms),
        "0 <= p50_ms <= p99_ms",
        "half the records take at most p50, 99% take at most p99: p99 is never smaller",
    )
    if stage == "io":
        # Every record waits IO_SECONDS inside its latency (a little slack for the clocks).
        least = IO_SECONDS * 1000 * 0.9
        assert row.p50_ms >= least, got_vs_expected(
            call + ": p50_ms",
            row.p50_ms,
            f">= {least:g} (each record waits IO_SECONDS = {IO_SECONDS} s)",
            "latencies are in milliseconds: seconds * 1000",
        )
    assert row.p99_ms / 1000 <= row.seconds * 1.000001 + 1e-6, got_vs_expected(
        call + ": p99_ms against seconds",
        f"p99_ms={row.p99_ms}, seconds={row.seconds}",
        "p99_ms / 1000 <= seconds",
        "no record can take longer than the whole run; latencies are in milliseconds",
    )
    bound = min(records, WINDOW_PER_WORKER * workers)
    assert 1 <= row.peak_queue <= bound, got_vs_expected(
        call + ": peak_queue",
        row.peak_queue,
        f"between 1 and min(records, WINDOW_PER_WORKER * workers) = {bound}",
        "at most WINDOW_PER_WORKER records per worker are submitted and not yet finished",
    )
    assert 1 <= row.peak_busy <= workers, got_vs_expected(
        call + ": peak_busy", row.peak_busy, f"between 1 and workers = {workers}"
    )
    assert row.peak_memory_kib > 0, got_vs_expected(
        call + ": peak_memory_kib", row.peak_memory_kib, "> 0 (ru_maxrss, in KiB)"
    )
    want = expected_checksum(stage, records, seed)
    assert row.checksum == want, got_vs_expected(
        call + ": checksum",
        row.checksum,
        want,
        "the sum of every record's result, each computed once: a record lost, done twice "
        "or done wrong changes it",
    )


# --- work and percentile --------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_work_returns_the_result_and_its_interval(stage):
    line = "s1,7,100.0,20.125"
    got = work(stage, line)
    want = expected_result(stage, line)
    assert isinstance(got, tuple) and len(got) == 3, got_vs_expected(
        f"work({stage!r}, {line!r})", repr(got), "a tuple (result, started, finished)"
    )
    result, started, finished = got
    assert result == want, got_vs_expected(
        f"work({stage!r}, {line!r}): result",
        result,
        want,
        "x = (seq + round(value * 1000)) % MODULUS, then for the CPU stage "
        "CPU_ITERATIONS turns of x = (x * 31 + i) % MODULUS",
    )
    assert started <= finished, got_vs_expected(
        f"work({stage!r}, {line!r}): (started, finished)",
        (started, finished),
        "started <= finished (time.perf_counter() before and after the work)",
    )


PERCENTILES = [
    ([5.0], 0.5, 5.0),
    ([5.0], 0.99, 5.0),
    ([3.0, 1.0, 2.0], 0.5, 2.0),
    ([4.0, 1.0, 3.0, 2.0], 0.5, 2.0),
    ([4.0, 1.0, 3.0, 2.0], 0.99, 4.0),
    ([float(v) for v in range(1, 101)], 0.99, 99.0),
    ([float(v) for v in range(1, 101)], 0.5, 50.0),
    ([float(v) for v in range(200, 0, -1)], 0.99, 198.0),
    ([2.0, 9.0], 0.0, 2.0),
    ([2.0, 9.0], 1.0, 9.0),
]


@pytest.mark.parametrize("values, fraction, want", PERCENTILES)
def test_percentile_is_the_nearest_rank(values, fraction, want):
    shown = (
        values if len(values) < 6 else f"[{values[0]}, {values[1]}, ..., {values[-1]}]"
    )
    got = percentile(list(values), fraction)
    assert got == want, got_vs_expected(
        f"percentile({shown}, {fraction})",
        got,
        want,
        "sorted(values)[ceil(fraction * n) - 1], the first value when that is below 0",
    )


@pytest.mark.parametrize("values, fraction", [([], 0.5), ([1.0], 1.5), ([1.0], -0.1)])
def test_percentile_rejects_nonsense(values, fraction):
    call = f"percentile({values}, {fraction})"
    err = raises(
        ValueError,
        call,
        lambda: percentile(values, fraction),
        "no values have no percentile; fraction is between 0 and 1",
    )
    assert str(fraction) in str(err), got_vs_expected(
        call + ": the error message",
        repr(str(err)),
        f"a message that names the fraction, {fraction}",
        "an error that says what it was given saves its reader a debugging session",
    )


# --- measure --------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("mode", ["threads", "asyncio"])
@pytest.mark.parametrize("workers", [1, 2])
def test_measure_fills_a_consistent_row(stage, mode, workers):
    measured(stage, mode, workers, records=12, seed=3)


@pytest.mark.parametrize("stage", STAGES)
def test_measure_with_processes(stage):
    measured(stage, "processes", 2, records=8, seed=5)


def test_measure_with_one_record_and_one_process():
    measured("io", "processes", 1, records=1, seed=2)


@pytest.mark.parametrize("mode", MODES)
def test_the_io_stage_overlaps_with_two_workers(mode):
    """Two workers waiting at the same time is the whole point of the I/O stage."""
    records = 6 if mode == "processes" else 20
    row = measure("io", mode, 2, records)
    assert row.peak_busy == 2, got_vs_expected(
        f"measure('io', {mode!r}, workers=2, records={records}).peak_busy",
        row.peak_busy,
        2,
        "with 2 workers two records wait at the same time (their started..finished "
        "intervals overlap); 1 means the records ran one after another",
    )
    want = min(records, WINDOW_PER_WORKER * 2)
    assert row.peak_queue == want, got_vs_expected(
        f"measure('io', {mode!r}, workers=2, records={records}).peak_queue",
        row.peak_queue,
        want,
        "the submitter fills the window (WINDOW_PER_WORKER per worker) before it waits",
    )


def test_asyncio_runs_the_cpu_stage_one_at_a_time():
    row = measure("cpu", "asyncio", 4, 8)
    assert row.peak_busy == 1, got_vs_expected(
        "measure('cpu', 'asyncio', workers=4, records=8).peak_busy",
        row.peak_busy,
        1,
        "one event loop runs one coroutine at a time: CPU work inline never overlaps",
    )


def test_a_different_seed_is_different_work():
    one, other = (
        measure("io", "threads", 2, 10, seed=1),
        measure("io", "threads", 2, 10, seed=2),
    )
    assert one.checksum != other.checksum, got_vs_expected(
        "measure('io', 'threads', 2, 10, seed=1 and seed=2).checksum",
        (one.checksum, other.checksum),
        "two different checksums: the seed picks the simulated lines",
    )


BAD = [  # the arguments, the wrong one among them, and the rule
    ("gpu", "threads", 2, 5, "gpu", "stage is 'cpu' or 'io'"),
    ("cpu", "fibers", 2, 5, "fibers", "mode is 'threads', 'processes' or 'asyncio'"),
    ("cpu", "threads", 0, 5, "0", "at least one worker"),
    ("io", "asyncio", -1, 5, "-1", "at least one worker"),
    ("io", "threads", 1, 0, "0", "at least one record: no records, no percentiles"),
]


@pytest.mark.parametrize("stage, mode, workers, records, wrong, why", BAD)
def test_measure_rejects_bad_arguments(stage, mode, workers, records, wrong, why):
    call = f"measure({stage!r}, {mode!r}, {workers}, {records})"
    err = raises(ValueError, call, lambda: measure(stage, mode, workers, records), why)
    assert wrong in str(err), got_vs_expected(
        call + ": the error message",
        repr(str(err)),
        f"a message that names the wrong value, {wrong}",
        why,
    )


# --- to_markdown ----------------------------------------------------------------------


def a_row(stage: str, mode: str, workers: int) -> Row:
    return Row(
        stage=stage,
        mode=mode,
        workers=workers,
        records=100,
        seconds=0.5,
        records_per_second=200.0,
        p50_ms=1.5,
        p99_ms=4.25,
        peak_queue=2 * workers,
        peak_memory_kib=20480,
        checksum=12345,
        peak_busy=workers,
    )


def test_to_markdown_has_a_header_one_line_per_row_in_order_and_what_i_see():
    rows = [
        a_row("cpu", "threads", 1),
        a_row("io", "asyncio", 4),
        a_row("cpu", "processes", 2),
    ]
    text = to_markdown(rows)
    lines = text.splitlines()
    table = [line for line in lines if line.lstrip().startswith("|")]
    shown = "\n    " + "\n    ".join(lines)
    assert len(table) == 2 + len(rows), got_vs_expected(
        "to_markdown(3 rows): lines starting with '|'",
        shown,
        "5: a header line, a |---| line, then one line per Row",
    )
    header, rule, *body = table
    for column in ("stage", "mode", "workers", "records/s", "p50", "p99"):
        assert column in header, got_vs_expected(
            "to_markdown(...): the header line", header, f"a column named {column!r}"
        )
    assert set(rule.replace(" ", "")) <= set("|-:"), got_vs_expected(
        "to_markdown(...): the second table line", rule, "the |---|---| line"
    )
    for line, row in zip(body, rows, strict=True):
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        assert cells[:3] == [row.stage, row.mode, str(row.workers)], got_vs_expected(
            "to_markdown(...): first cells of a row's line",
            cells[:3],
            [row.stage, row.mode, str(row.workers)],
            "one line per Row, in the order given, starting with stage, mode, workers",
        )
    assert "## What I see" in text, got_vs_expected(
        "to_markdown(...)", shown, "a '## What I see' section after the table"
    )
    assert text.index("## What I see") > text.index(table[-1]), got_vs_expected(
        "to_markdown(...)", shown, "the '## What I see' section after the table"
    )


TABLE_HEADER = (
    "| stage | mode | workers | records | seconds | records/s | p50 ms | p99 ms "
    "| peak queue | peak busy | peak memory KiB |"
)
TABLE_RULE = "|" + " --- |" * 11


def test_to_markdown_writes_every_cell_as_documented():
    row = Row(
        stage="io",
        mode="processes",
        workers=4,
        records=3000,
        seconds=0.24301,
        records_per_second=12345.6,
        p50_ms=1.5,
        p99_ms=4.256,
        peak_queue=8,
        peak_memory_kib=20480,
        checksum=12345,
        peak_busy=3,
    )
    want = [
        TABLE_HEADER,
        TABLE_RULE,
        "| io | processes | 4 | 3000 | 0.243 | 12,346 | 1.50 | 4.26 | 8 | 3 | 20480 |",
    ]
    # The table's lines: a title or a blank line may come before them.
    got = [line for line in to_markdown([row]).splitlines() if line.startswith("|")]
    for number, (got_line, want_line) in enumerate(
        zip(got + [""] * 3, want, strict=False), start=1
    ):
        assert got_line == want_line, got_vs_expected(
            f"to_markdown([one Row]): table line {number}",
            repr(got_line),
            repr(want_line),
            "cells joined by ' | ' between '| ' and ' |'; seconds with 3 decimals, "
            "records/s as a whole number with thousands separators, p50/p99 with 2 decimals",
        )


def test_to_markdown_of_no_rows_is_just_the_header():
    text = to_markdown([])
    table = [line for line in text.splitlines() if line.lstrip().startswith("|")]
    assert len(table) == 2 and "## What I see" in text, got_vs_expected(
        "to_markdown([])", repr(text), "the header, the |---| line and '## What I see'"
    )
