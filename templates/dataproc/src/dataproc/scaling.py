"""Stage 8 (scaling): measure how throughput scales with workers, honestly.

The same records go through the same work in three ways: a pool of threads, a pool of
processes, and asyncio tasks. Two kinds of work show the difference: the CPU stage is pure
Python arithmetic (threads share one GIL, processes do not), the I/O stage is a short wait
standing in for a network call (everyone can wait at the same time). At most
WINDOW_PER_WORKER * workers records are in flight at once, so the submitter waits when the
workers are behind (backpressure) and each record's latency counts its time in the queue.
"""

import asyncio  # noqa: F401 (used by code you write)
import math  # noqa: F401 (used by code you write)
import resource  # noqa: F401 (used by code you write)
import time  # noqa: F401 (used by code you write)
from concurrent import futures  # noqa: F401 (used by code you write)
from dataclasses import dataclass

from dataproc.pipeline import parse  # noqa: F401 (used by code you write)
from dataproc.sensors import SensorSpec, simulate  # noqa: F401 (used by code you write)

STAGES = ("cpu", "io")
"""The kinds of work per record."""

MODES = ("threads", "processes", "asyncio")
"""The ways to run the work concurrently."""

CPU_ITERATIONS = 50_000
"""Loop turns of integer arithmetic per record in the CPU stage."""

IO_SECONDS = 0.002
"""How long each record waits in the I/O stage."""

MODULUS = 1_000_003
"""Every record's result is below this prime."""

WINDOW_PER_WORKER = 2
"""At most this many records per worker are submitted and not yet finished."""


@dataclass
class Row:
    """One measurement: one stage, one mode, one number of workers."""

    stage: str  # "cpu" or "io"
    mode: str  # "threads", "processes" or "asyncio"
    workers: int
    records: int
    seconds: float  # wall-clock time from the first submission to the last result
    records_per_second: float  # records / seconds
    p50_ms: float  # median latency of one record, submission to result, in milliseconds
    p99_ms: float  # 99th percentile latency (nearest rank), in milliseconds
    peak_queue: int  # the most records submitted and not yet finished at once
    peak_memory_kib: int  # resource.getrusage ru_maxrss (KiB; see measure)
    checksum: int  # sum of every record's result: proof the work was done
    peak_busy: int  # the most records being worked on at the same moment


def work(stage: str, line: str) -> tuple[int, float, float]:
    """Parse `line` and do one record's work; return (result, started, finished), the last two
    from time.perf_counter() (one clock for every process on the machine).

    The result starts as x = (seq + round(value * 1000)) % MODULUS. The CPU stage then turns
    CPU_ITERATIONS times: x = (x * 31 + i) % MODULUS for i = 0, 1, ...; the I/O stage instead
    sleeps IO_SECONDS (time.sleep) and keeps x as it is."""
    raise NotImplementedError(
        "Stage 8 (scaling): parse the line, do the CPU loop or the sleep, return (result, started, finished)"
    )


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest value with at least `fraction` of all values
    at or below it, i.e. sorted(values)[ceil(fraction * n) - 1] (the first value when that
    index is below 0). No values, or fraction outside 0..1, raises ValueError naming the
    fraction."""
    raise NotImplementedError(
        "Stage 8 (scaling): sort the values and take the nearest rank"
    )


def measure(stage: str, mode: str, workers: int, records: int, seed: int = 1) -> Row:
    """Run `records` simulated lines (simulate(SensorSpec("s1", seed, records)), no garbage)
    through work(stage, line) with `workers` workers in `mode`:

    - "threads": a ThreadPoolExecutor(workers); "processes": a ProcessPoolExecutor(workers),
      started (and warmed up) before the clock starts; "asyncio": one task per record with an
      asyncio.Semaphore(workers); the I/O stage awaits asyncio.sleep(IO_SECONDS) instead of
      time.sleep, the CPU stage runs inline (so one worker at a time, whatever `workers` is).
    - At most WINDOW_PER_WORKER * workers records are in flight: the submitter waits for one
      to finish before submitting more. peak_queue is the most in flight at once.
    - A record's latency runs from its submission until the submitter sees its result.
    - peak_busy: the most records whose (started, finished) intervals overlap.
    - peak_memory_kib: resource.getrusage ru_maxrss in KiB, the high-water mark of this
      process's resident memory (in "processes" mode the larger of this process and its
      largest child). It is a high-water mark since the process started, not of this run.

    stage not in STAGES, mode not in MODES, workers < 1 or records < 1 raise ValueError, its
    message naming the value that was wrong."""
    raise NotImplementedError(
        "Stage 8 (scaling): run the records through a pool or asyncio tasks and fill in a Row"
    )


def to_markdown(rows: list[Row]) -> str:
    """A Markdown table, one line per Row in the given order under a header line and its
    |---| line, then a "## What I see" section with a prompt for the reader to fill in.

    Every table line starts with "| ", ends with " |" and has " | " between its cells; the
    |---| line is "|" and then " --- |" once per column. The columns, and how a Row's value is
    written in each: stage, mode, workers, records (as they are), seconds (3 decimals),
    records/s (a whole number with thousands separators, as f"{n:,.0f}": 12,346), p50 ms,
    p99 ms (2 decimals), peak queue, peak busy, peak memory KiB (as they are)."""
    raise NotImplementedError(
        "Stage 8 (scaling): a header line, a |---| line, one line per Row, then '## What I see'"
    )
