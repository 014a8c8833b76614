"""How does throughput scale with workers: threads, processes or asyncio, on CPU or I/O work?

    python benchmarks/bench.py [--sizes 400] [--workers 1,2,4] [--seed 1]

For every size n (records per measurement) it runs `dataproc.scaling.measure` for the CPU
stage and the I/O stage, in each mode (threads, processes, asyncio), with each number of
workers, prints the table, and writes benchmarks/report.json (the rows) and
benchmarks/report.md (the table, plus a "## What I see" section for you to fill in: a rerun
rewrites the table and keeps that section as you wrote it). With matplotlib installed it also
draws benchmarks/report.png (records/s against workers); without it, no picture. Git ignores
these files (.gitignore): to hand one in, `git add -f` it and commit.

What to expect on two cores: on the CPU stage threads barely gain from a second worker (one
GIL), processes do (about 1.3x or more), asyncio does not (the work runs inline on one event
loop). On the I/O stage every mode scales several-fold with workers: waiting needs no core.

A function that still raises NotImplementedError is reported as "not written yet".
"""

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from arguments import counts  # benchmarks/arguments.py, shared by every project

HERE = Path(__file__).resolve().parent
NOTES = "## What I see"  # the report's section for the learner's own words


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
        "--seed",
        type=int,
        default=1,
        help="seed of the generated records (default: %(default)s)",
    )
    opts = parser.parse_args(argv)
    return opts


def draw(rows: list, path: Path) -> bool:
    """records/s against workers, one line per stage and mode; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    figure, axes = plt.subplots(1, 2, figsize=(10, 4))
    for axis, stage in zip(axes, ("cpu", "io"), strict=True):
        lines: dict[tuple[str, int], list] = {}
        for row in rows:
            if row.stage == stage:
                lines.setdefault((row.mode, row.records), []).append(row)
        for (mode, records), points in lines.items():
            axis.plot(
                [p.workers for p in points],
                [p.records_per_second for p in points],
                marker="o",
                label=f"{mode} ({records} records)",
            )
        axis.set_title(f"{stage} stage")
        axis.set_xlabel("workers")
        axis.set_ylabel("records/s")
        axis.legend()
    figure.tight_layout()
    figure.savefig(path)
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
    from dataproc.scaling import MODES, STAGES, measure, to_markdown

    rows = []
    print(
        f"seed {opts.seed}; records per measurement {opts.sizes}; workers {opts.workers}"
    )
    print(
        f"{'stage':<6} {'mode':<10} {'workers':>7} {'records':>7} {'seconds':>8}"
        f" {'records/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'queue':>5} {'busy':>4}"
    )
    for records in opts.sizes:
        for stage in STAGES:
            for mode in MODES:
                for workers in opts.workers:
                    try:
                        row = measure(stage, mode, workers, records, seed=opts.seed)
                    except NotImplementedError as missing:
                        print(f"measure not written yet: {missing}")
                        return 0
                    rows.append(row)
                    print(
                        f"{row.stage:<6} {row.mode:<10} {row.workers:>7} {row.records:>7}"
                        f" {row.seconds:>8.3f} {row.records_per_second:>10,.0f}"
                        f" {row.p50_ms:>8.2f} {row.p99_ms:>8.2f} {row.peak_queue:>5}"
                        f" {row.peak_busy:>4}"
                    )

    (HERE / "report.json").write_text(
        json.dumps([asdict(row) for row in rows], indent=2) + "\n"
    )
    try:
        table = to_markdown(rows)
    except NotImplementedError as missing:
        print(f"to_markdown not written yet: {missing}")
        return 0
    kept = write_report(HERE / "report.md", "# Scaling report\n\n" + table)
    written = ["report.json", "report.md"]
    if draw(rows, HERE / "report.png"):
        written.append("report.png")
    print()
    print(table)
    print(f"wrote {', '.join('benchmarks/' + name for name in written)}")
    if kept:
        print(kept)
    return 0


if __name__ == "__main__":
    sys.exit(main())
