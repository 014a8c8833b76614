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
    started = time.perf_counter()
    record = parse(line)
    x = (record.seq + round(record.value * 1000)) % MODULUS
    if stage == "cpu":
        for i in range(CPU_ITERATIONS):
            x = (x * 31 + i) % MODULUS
    else:
        time.sleep(IO_SECONDS)
    return x, started, time.perf_counter()


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest value with at least `fraction` of all values
    at or below it, i.e. sorted(values)[ceil(fraction * n) - 1] (the first value when that
    index is below 0). No values, or fraction outside 0..1, raises ValueError naming the
    fraction."""
    if not values or not 0 <= fraction <= 1:
        raise ValueError(f"percentile of {len(values)} values at {fraction}")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


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
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}, not {stage!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    if records < 1:
        raise ValueError(f"records must be at least 1, not {records}")
    lines = list(simulate(SensorSpec("s1", seed, records)))
    window = WINDOW_PER_WORKER * workers
    latencies: list[float] = []
    results: list[tuple[int, float, float]] = []
    peak_queue = 0

    if mode == "asyncio":

        async def one(line: str, gate: asyncio.Semaphore) -> tuple[int, float, float]:
            async with gate:
                if stage == "cpu":
                    return work(stage, line)
                started = time.perf_counter()
                record = parse(line)
                await asyncio.sleep(IO_SECONDS)
                x = (record.seq + round(record.value * 1000)) % MODULUS
                return x, started, time.perf_counter()

        async def run_all() -> None:
            nonlocal peak_queue
            gate = asyncio.Semaphore(workers)
            in_flight: dict[asyncio.Task, float] = {}

            async def collect() -> None:
                done, _ = await asyncio.wait(
                    in_flight, return_when=asyncio.FIRST_COMPLETED
                )
                now = time.perf_counter()
                for task in done:
                    latencies.append(now - in_flight.pop(task))
                    results.append(task.result())

            for line in lines:
                while len(in_flight) >= window:
                    await collect()
                in_flight[asyncio.create_task(one(line, gate))] = time.perf_counter()
                peak_queue = max(peak_queue, len(in_flight))
            while in_flight:
                await collect()

        start = time.perf_counter()
        asyncio.run(run_all())
        seconds = time.perf_counter() - start
    else:
        kind = (
            futures.ThreadPoolExecutor
            if mode == "threads"
            else futures.ProcessPoolExecutor
        )
        with kind(max_workers=workers) as pool:
            # Start every worker before the clock: process start-up is not throughput.
            list(pool.map(abs, range(2 * workers)))
            in_flight: dict[futures.Future, float] = {}

            def collect() -> None:
                done, _ = futures.wait(in_flight, return_when=futures.FIRST_COMPLETED)
                now = time.perf_counter()
                for future in done:
                    latencies.append(now - in_flight.pop(future))
                    results.append(future.result())

            start = time.perf_counter()
            for line in lines:
                while len(in_flight) >= window:
                    collect()
                in_flight[pool.submit(work, stage, line)] = time.perf_counter()
                peak_queue = max(peak_queue, len(in_flight))
            while in_flight:
                collect()
            seconds = time.perf_counter() - start

    # The most overlapping (started, finished) intervals: sweep the edges in time order,
    # an end before a start at the same instant.
    edges = sorted(
        [(started, 1) for _, started, _ in results]
        + [(finished, -1) for _, _, finished in results]
    )
    busy = peak_busy = 0
    for _, step in edges:
        busy += step
        peak_busy = max(peak_busy, busy)

    memory = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if mode == "processes":
        memory = max(memory, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return Row(
        stage=stage,
        mode=mode,
        workers=workers,
        records=len(results),
        seconds=seconds,
        records_per_second=len(results) / seconds,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        peak_queue=peak_queue,
        peak_memory_kib=memory,
        checksum=sum(result for result, _, _ in results),
        peak_busy=peak_busy,
    )


def to_markdown(rows: list[Row]) -> str:
    """A Markdown table, one line per Row in the given order under a header line and its
    |---| line, then a "## What I see" section with a prompt for the reader to fill in.

    Every table line starts with "| ", ends with " |" and has " | " between its cells; the
    |---| line is "|" and then " --- |" once per column. The columns, and how a Row's value is
    written in each: stage, mode, workers, records (as they are), seconds (3 decimals),
    records/s (a whole number with thousands separators, as f"{n:,.0f}": 12,346), p50 ms,
    p99 ms (2 decimals), peak queue, peak busy, peak memory KiB (as they are)."""
    header = [
        "stage",
        "mode",
        "workers",
        "records",
        "seconds",
        "records/s",
        "p50 ms",
        "p99 ms",
        "peak queue",
        "peak busy",
        "peak memory KiB",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for row in rows:
        cells = [
            row.stage,
            row.mode,
            str(row.workers),
            str(row.records),
            f"{row.seconds:.3f}",
            f"{row.records_per_second:,.0f}",
            f"{row.p50_ms:.2f}",
            f"{row.p99_ms:.2f}",
            str(row.peak_queue),
            str(row.peak_busy),
            str(row.peak_memory_kib),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "## What I see",
        "",
        "<!-- Which mode scales on the CPU stage, and which on the I/O stage? Why (the GIL,",
        "waiting)? What do p99 and the peak queue say that records/s does not? -->",
        "",
    ]
    return "\n".join(lines)
