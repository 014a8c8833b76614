"""Stage 4 (parallel): run_parallel gives run_single's Result, with workers partitioned by source.

Each concurrent run is repeated many times, and with Hypothesis inputs, so that a race which
shows once in fifty runs fails here. Per-source order is watched through `on_record`, which
the worker calls for each record it takes (threads mode).
"""

import threading
import zlib

import pytest
from hypothesis import given, settings

from dataproc.parallel import partition, run_parallel
from dataproc.pipeline import run_single
from dataproc.sensors import SensorSpec, simulate
from tests.support import aggregate_fields, line_mixes, same_aggregate
from tests.teaching import got_vs_expected, raises

pytestmark = pytest.mark.stage("parallel")

NAMES = ["s1", "s2", "s3", "pump-7", "t_room", "a", "b", "sensor-42", "x" * 30, ""]


def mixed_lines(seed: int, sources: int = 5, count: int = 40) -> list[str]:
    streams = [
        list(simulate(SensorSpec(f"s{i}", seed=seed + i, count=count, garbage=0.1)))
        for i in range(sources)
    ]
    # Interleave the sources, as lines would arrive from several sensors at once.
    return [s[j] for j in range(count) for s in streams]


def check_same_as_single(call: str, lines: list[str], got) -> None:
    expected = run_single(lines)
    got_aggs = {s: aggregate_fields(a) for s, a in got.aggregates.items()}
    exp_aggs = {s: aggregate_fields(a) for s, a in expected.aggregates.items()}
    assert got_aggs.keys() == exp_aggs.keys() and all(
        same_aggregate(got_aggs[s], exp_aggs[s]) for s in exp_aggs
    ), got_vs_expected(
        f"{call}.aggregates",
        got_aggs,
        exp_aggs,
        "every record aggregated exactly once: none lost, none counted twice",
    )
    assert got.processed == expected.processed, got_vs_expected(
        f"{call}.processed", got.processed, expected.processed
    )
    assert got.dead == expected.dead, got_vs_expected(
        f"{call}.dead",
        got.dead,
        expected.dead,
        "dead letters as run_single gives them, in input order",
    )


# --- partition ------------------------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2, 3, 7])
def test_partition_is_crc32_modulo_workers(workers):
    for name in NAMES:
        got = partition(name, workers)
        expected = zlib.crc32(name.encode()) % workers
        assert got == expected, got_vs_expected(
            f"partition({name!r}, {workers})",
            got,
            expected,
            "zlib.crc32(source.encode()) % workers: the same in every process and run, "
            "unlike hash(), which Python salts per process",
        )


# --- same Result as run_single --------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_threads_give_run_singles_result_every_time(workers):
    for seed in range(30):
        lines = mixed_lines(seed)
        got = run_parallel(lines, workers, "threads")
        check_same_as_single(
            f"run_parallel(mixed_lines(seed={seed}), {workers}, 'threads')", lines, got
        )


@settings(max_examples=40, deadline=None)
@given(items=line_mixes())
def test_threads_on_any_lines(items):
    lines = [line for line, _ in items]
    for workers in (1, 2, 4):
        got = run_parallel(lines, workers, "threads")
        check_same_as_single(
            f"run_parallel({lines!r}, {workers}, 'threads')", lines, got
        )


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_processes_give_run_singles_result(workers):
    lines = mixed_lines(seed=7, count=30)
    got = run_parallel(lines, workers, "processes")
    check_same_as_single(
        f"run_parallel(mixed_lines(seed=7), {workers}, 'processes')", lines, got
    )


# --- one worker per source, order kept ------------------------------------------------


@pytest.mark.parametrize("workers", [2, 3, 4])
def test_each_source_goes_to_its_worker_in_order(workers):
    for seed in range(30):
        lines = mixed_lines(seed, sources=6, count=25)
        seen: list = []
        lock = threading.Lock()

        def on_record(index, record, seen=seen, lock=lock):
            with lock:
                seen.append((index, record))

        run_parallel(lines, workers, "threads", on_record=on_record)
        call = (
            f"run_parallel(mixed_lines(seed={seed}), {workers}, 'threads', on_record)"
        )
        for index, record in seen:
            want = zlib.crc32(record.source.encode()) % workers
            assert index == want, got_vs_expected(
                f"{call}: the worker that took {record}",
                index,
                want,
                "each record goes to the worker partition(source, workers) names",
            )
        by_source: dict = {}
        for _, record in seen:
            by_source.setdefault(record.source, []).append(record.seq)
        for source, seqs in by_source.items():
            assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), (
                got_vs_expected(
                    f"{call}: seq of source {source!r} in the order its worker took them",
                    seqs,
                    sorted(set(seqs)),
                    "one worker per source, fed through one FIFO queue: the order is kept",
                )
            )


# --- arguments ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["thread", "asyncio", ""])
def test_an_unknown_mode_is_refused(mode):
    raises(
        ValueError,
        f"run_parallel([], 2, {mode!r})",
        lambda: run_parallel([], 2, mode),
        "mode is 'threads' or 'processes'",
    )


@pytest.mark.parametrize("workers", [0, -1])
def test_workers_below_one_is_refused(workers):
    raises(
        ValueError,
        f"run_parallel([], {workers}, 'threads')",
        lambda: run_parallel([], workers, "threads"),
        "at least one worker",
    )
