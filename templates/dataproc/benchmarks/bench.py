"""How does throughput scale with workers: threads, processes or asyncio, on CPU or I/O work?

    python benchmarks/bench.py [--sizes 400] [--workers 1,2,4] [--rounds 3] [--seed 1]

A cell is one stage (cpu, io), one mode (threads, processes, asyncio), one number of workers
and one size n (records per measurement). Every cell is measured --rounds times by
`dataproc.scaling.measure`, each time in a fresh Python process of its own, and the rounds
are interleaved: round 1 measures every cell once, in a shuffled order (from --seed), then
round 2 does, and so on. A machine that gets busier or quieter during the run so slows every
cell alike, not just the cells measured last. The report shows each cell's median over the
rounds and its spread, the slowest and the fastest round (min–max): when two cells' spreads
overlap, this run cannot tell them apart; rerun on a quieter machine or with more --rounds.

Memory: while a cell runs, this script samples (with psutil, every 10 ms) the resident memory
of the cell's process plus every process it started (its workers), and keeps the largest sum:
that is the cell's "memory KiB", the median over the rounds. A fresh process per cell makes
it that configuration's own figure, not the high-water mark of all that ran before it. Memory
a forked worker shares with its parent is counted in both, so processes mode is a little
overstated. (Your Row's peak_memory_kib, ru_maxrss, is that process's own high-water mark.)

It writes benchmarks/report.json (one row per cell: medians and spreads), benchmarks/report.md
(that table; then every run, as your to_markdown writes it; then its "## What I see" section
for you to fill in: a rerun rewrites the tables and keeps that section as you wrote it) and
benchmarks/report.png (median records/s against workers, a bar from the slowest to the fastest
round, the y-axis from 0). psutil and matplotlib come with `pip install -e ".[dev]"`. Git
ignores these files (.gitignore): to hand one in, `git add -f` it and commit.

What to expect on two cores: on the CPU stage threads barely gain from a second worker (one
GIL), processes do (about 1.3x or more), asyncio does not (the work runs inline on one event
loop). On the I/O stage every mode scales several-fold with workers: waiting needs no core.
Processes mode costs memory: every worker is a Python interpreter of its own.

A function that still raises NotImplementedError is reported as "not written yet".
"""

import argparse
import itertools
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from arguments import counts  # benchmarks/arguments.py, shared by every project

HERE = Path(__file__).resolve().parent
NOTES = "## What I see"  # the report's section for the learner's own words
SAMPLE_SECONDS = 0.010  # how often a cell's memory is read
# Finding a process's children scans every process on the machine (about 2 ms), so it is done
# every this many samples only; reading the known processes' memory is cheap.
SAMPLES_PER_CHILDREN_SCAN = 5
SUMMARY = [  # the summary table: its heading, and the key of report.json's rows it shows
    ("stage", "stage"),
    ("mode", "mode"),
    ("workers", "workers"),
    ("records", "records"),
    ("rounds", "rounds"),
    ("records/s median", "records_per_second_median"),
    ("records/s min–max", ("records_per_second_min", "records_per_second_max")),
    ("p50 ms median", "p50_ms_median"),
    ("p99 ms median", "p99_ms_median"),
    ("p99 ms max", "p99_ms_max"),
    ("peak queue", "peak_queue"),
    ("peak busy", "peak_busy"),
    ("memory KiB median", "memory_kib_median"),
]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=counts,
        default="400",
        help="comma-separated record counts per measurement (default: %(default)s)",
    )
    parser.add_argument(
        "--workers",
        type=counts,
        default="1,2,4",
        help="comma-separated worker counts (default: %(default)s)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="how many times every cell is measured, interleaved (default: %(default)s)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=1,
        help="seed of the generated records and of the order of the cells (default: "
        "%(default)s)",
    )
    # How this script runs one cell in a fresh process: --cell STAGE,MODE,WORKERS,RECORDS
    # --into FILE measures it and writes the result to FILE as JSON.
    parser.add_argument("--cell", help=argparse.SUPPRESS)
    parser.add_argument("--into", type=Path, help=argparse.SUPPRESS)
    opts = parser.parse_args(argv)
    if opts.rounds < 1:
        parser.error(f"argument --rounds: must be at least 1; got {opts.rounds}")
    return opts


def run_cell(cell: str, seed: int, into: Path) -> int:
    """Inside the cell's own process: measure once, write {"row": ...} or {"missing": ...}."""
    from dataproc.scaling import measure

    stage, mode, workers, records = cell.split(",")
    try:
        row = measure(stage, mode, int(workers), int(records), seed=seed)
    except NotImplementedError as missing:
        result = {"missing": str(missing)}
    else:
        result = {"row": asdict(row)}
    into.write_text(json.dumps(result), encoding="utf-8")
    return 0


def resident_kib(processes: list) -> int:
    """The resident memory of these processes together, in KiB (one that is gone counts 0)."""
    import psutil

    total = 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.Error:
            pass  # it ended between the scan and now
    return total // 1024


def measure_in_own_process(cell: tuple, seed: int, into: Path) -> tuple[dict, int]:
    """Run one cell in a fresh Python process; return what it wrote and the most resident
    memory (KiB) that process and its children held at once. No process outlives this call."""
    import psutil

    stage, mode, workers, records = cell
    into.unlink(missing_ok=True)
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--cell",
        f"{stage},{mode},{workers},{records}",
        "--seed",
        str(seed),
        "--into",
        str(into),
    ]
    child = subprocess.Popen(command)
    watched = psutil.Process(child.pid)
    peak = 0
    family = [watched]
    try:
        for sample in itertools.count():
            if child.poll() is not None:
                break
            if sample % SAMPLES_PER_CHILDREN_SCAN == 0:
                try:
                    family = [watched, *watched.children(recursive=True)]
                except psutil.Error:
                    pass  # it is exiting: keep the family last seen
            peak = max(peak, resident_kib(family))
            time.sleep(SAMPLE_SECONDS)
    finally:
        if child.poll() is None:  # stopped early (Ctrl-C, an error here)
            try:
                family = [watched, *watched.children(recursive=True)]
            except psutil.Error:
                pass
        # Normally all gone already; a worker that outlived its cell would skew the next one.
        for process in family:
            try:
                process.kill()
            except psutil.Error:
                pass
        child.wait()
        psutil.wait_procs(family, timeout=5)
    if child.returncode != 0 or not into.exists():
        raise RuntimeError(
            f"measuring {stage} {mode} with {workers} workers and {records} records ended "
            f"with exit status {child.returncode} (its error is printed above)"
        )
    return json.loads(into.read_text(encoding="utf-8")), peak


def summarize(runs: list) -> dict:
    """One cell's runs, (Row, memory KiB) pairs, as one flat row of report.json."""
    first = runs[0][0]
    rates = [row.records_per_second for row, _ in runs]
    p99s = [row.p99_ms for row, _ in runs]
    return {
        "stage": first.stage,
        "mode": first.mode,
        "workers": first.workers,
        "records": first.records,
        "rounds": len(runs),
        "records_per_second_median": statistics.median(rates),
        "records_per_second_min": min(rates),
        "records_per_second_max": max(rates),
        "p50_ms_median": statistics.median(row.p50_ms for row, _ in runs),
        "p99_ms_median": statistics.median(p99s),
        "p99_ms_max": max(p99s),
        "peak_queue": max(row.peak_queue for row, _ in runs),
        "peak_busy": max(row.peak_busy for row, _ in runs),
        "memory_kib_median": round(statistics.median(kib for _, kib in runs)),
    }


def cell_text(summary: dict, key) -> str:
    """One cell of the summary table: rates as whole numbers, milliseconds with 2 decimals."""
    if isinstance(key, tuple):
        return "–".join(cell_text(summary, part) for part in key)
    value = summary[key]
    if key.startswith("records_per_second"):
        return f"{value:,.0f}"
    if key.endswith("_ms_median") or key.endswith("_ms_max"):
        return f"{value:.2f}"
    return str(value)


def summary_table(summaries: list[dict]) -> str:
    lines = [
        "| " + " | ".join(heading for heading, _ in SUMMARY) + " |",
        "|" + " --- |" * len(SUMMARY),
    ]
    for summary in summaries:
        cells = [cell_text(summary, key) for _, key in SUMMARY]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def chart(summaries: list[dict], workers: list[int]):
    """The figure: median records/s against workers, one line per mode (and size), a bar
    from the slowest to the fastest round; each y-axis from 0, x ticks at the worker counts."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(10, 4))
    for axis, stage in zip(axes, ("cpu", "io"), strict=True):
        lines: dict[tuple[str, int], list[dict]] = {}
        for summary in summaries:
            if summary["stage"] == stage:
                key = (summary["mode"], summary["records"])
                lines.setdefault(key, []).append(summary)
        for (mode, records), points in lines.items():
            points.sort(key=lambda point: point["workers"])
            median = [p["records_per_second_median"] for p in points]
            below = [
                p["records_per_second_median"] - p["records_per_second_min"]
                for p in points
            ]
            above = [
                p["records_per_second_max"] - p["records_per_second_median"]
                for p in points
            ]
            axis.errorbar(
                [p["workers"] for p in points],
                median,
                yerr=[below, above],
                marker="o",
                capsize=4,
                label=f"{mode} ({records} records)",
            )
        rounds = max((s["rounds"] for s in summaries), default=0)
        axis.set_title(f"{stage} stage: median of {rounds} rounds, bar min–max")
        axis.set_xlabel("workers")
        axis.set_xticks(sorted(set(workers)))  # whole workers only: there is no 1.5
        axis.set_ylim(bottom=0)  # from 0, so a line's rise is in proportion
        axis.set_ylabel("records/s")
        axis.legend()
    figure.tight_layout()
    return figure


def draw(summaries: list[dict], workers: list[int], path: Path) -> bool:
    """Save the chart as a PNG; False (and no file) without matplotlib."""
    try:
        figure = chart(summaries, workers)
    except ImportError:
        return False
    figure.savefig(path)
    import matplotlib.pyplot as plt

    plt.close(figure)
    return True


def write_report(path: Path, fresh: str) -> str:
    """Write the fresh report, never losing what the reader wrote in the one already there.

    The old report's NOTES section replaces the fresh one's empty prompt. An old report without
    that heading is kept whole beside it. Returns a line saying what was kept, or "".
    """
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    kept = ""
    if NOTES in old and NOTES in fresh:
        fresh = fresh[: fresh.index(NOTES)] + old[old.index(NOTES) :]
        kept = f"kept the {NOTES!r} section of benchmarks/{path.name} as it was"
    elif old.strip():
        previous = path.with_name(path.stem + ".previous.md")
        previous.write_text(old, encoding="utf-8")
        kept = (
            f"benchmarks/{path.name} had no {NOTES!r} heading: kept it whole as "
            f"benchmarks/{previous.name}"
        )
    path.write_text(fresh, encoding="utf-8")
    return kept


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    sys.path.insert(0, str(HERE.parent / "src"))
    if opts.cell:
        return run_cell(opts.cell, opts.seed, opts.into)
    try:
        import psutil  # noqa: F401 (what measures each cell's memory)
    except ImportError:
        print('error: the benchmark needs psutil: pip install -e ".[dev]"')
        return 2
    from dataproc.scaling import MODES, STAGES, Row, to_markdown

    cells = list(itertools.product(opts.sizes, STAGES, MODES, opts.workers))
    cells = [(stage, mode, workers, records) for records, stage, mode, workers in cells]
    runs: dict[tuple, list] = {cell: [] for cell in cells}
    order = random.Random(opts.seed)
    print(
        f"seed {opts.seed}; records per measurement {opts.sizes}; workers {opts.workers}; "
        f"{opts.rounds} rounds of {len(cells)} cells, each in a fresh process"
    )
    print(
        f"{'round':>5} {'stage':<6} {'mode':<10} {'workers':>7} {'records':>7}"
        f" {'seconds':>8} {'records/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'queue':>5}"
        f" {'busy':>4} {'memory KiB':>10}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        into = Path(scratch) / "cell.json"
        for round_number in range(1, opts.rounds + 1):
            this_round = list(cells)
            order.shuffle(this_round)
            for cell in this_round:
                try:
                    result, kib = measure_in_own_process(cell, opts.seed, into)
                except RuntimeError as failed:
                    print(f"error: {failed}")
                    return 1
                except KeyboardInterrupt:
                    print("interrupted: no report written")
                    return 130
                if "missing" in result:
                    print(f"measure not written yet: {result['missing']}")
                    return 0
                row = Row(**result["row"])
                runs[cell].append((row, kib))
                print(
                    f"{round_number:>5} {row.stage:<6} {row.mode:<10} {row.workers:>7}"
                    f" {row.records:>7} {row.seconds:>8.3f}"
                    f" {row.records_per_second:>10,.0f} {row.p50_ms:>8.2f}"
                    f" {row.p99_ms:>8.2f} {row.peak_queue:>5} {row.peak_busy:>4}"
                    f" {kib:>10}",
                    flush=True,
                )

    summaries = [summarize(runs[cell]) for cell in cells]
    (HERE / "report.json").write_text(json.dumps(summaries, indent=2) + "\n")
    try:
        every_run = to_markdown([row for cell in cells for row, _ in runs[cell]])
    except NotImplementedError as missing:
        print(f"to_markdown not written yet: {missing}")
        return 0
    table = summary_table(summaries)
    fresh = (
        "# Scaling report\n\n"
        + table
        + f"\nRounds per cell: {opts.rounds}, interleaved, every run in a fresh process "
        f"(seed {opts.seed}). Each cell shows the median, and the slowest and fastest round "
        "(min–max). Memory KiB: the most resident memory the cell's process and its workers "
        "held together. Below, every run as measure() reported it; its peak memory KiB is "
        "ru_maxrss, the high-water mark of one process.\n\n"
        "## Every run\n\n" + every_run
    )
    kept = write_report(HERE / "report.md", fresh)
    written = ["report.json", "report.md"]
    if draw(summaries, opts.workers, HERE / "report.png"):
        written.append("report.png")
    print()
    print(table)
    print(f"wrote {', '.join('benchmarks/' + name for name in written)}")
    if "report.png" not in written:
        print(
            'no benchmarks/report.png: matplotlib is not installed (pip install -e ".[dev]")'
        )
    if kept:
        print(kept)
    return 0


if __name__ == "__main__":
    sys.exit(main())
