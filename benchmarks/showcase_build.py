"""How long does the showcase take for many submissions?  `python3 kit.py showcase.bench`.

Generates COUNT valid bundles in memory (samples.py: the real format, no test suites run), admits
them all into a fresh store, then builds the site three times and reports the median. The target
is a build under 10 s for 200 submissions. Two baselines measured in the same run put the number in
context: copying the store's files (the least a build could cost) and a build for a tenth as many
submissions (times ten: how far from linear the build grows). Exits 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.progress import track
from rich.table import Table

from climb_kit.layout import finished_projects
from climb_kit.showcase.intake import add_bundles
from climb_kit.showcase.samples import Sample, tiny_png, write_sample
from climb_kit.showcase.site import build_site

TARGET_SECONDS = 10.0
COHORTS = ["spring-2026", "autumn-2026", "evening-group", ""]
REPORT = (
    b'[{"stage": "cpu", "mode": "processes", "workers": 1, "records_per_second": 5120.5},'
    b' {"stage": "cpu", "mode": "processes", "workers": 2, "records_per_second": 9870.25}]'
)


def samples(count: int, projects: list[str]) -> list[Sample]:
    made = []
    for n in range(count):
        project = projects[n % len(projects)]
        extra = (
            {"benchmarks/report.json": REPORT, "benchmarks/report.png": tiny_png()}
            if project == "dataproc"
            else {}
        )
        made.append(
            Sample(
                handle=f"learner-{n:04}",
                name=f"Learner {n}",
                project=project,
                cohort=COHORTS[n % len(COHORTS)],
                passed=n % 6,
                highlights=[f"Highlight {n}: what surprised me <b>most</b>."],
                extra_files=extra,
                changed_templates=["tests/test_1_x.py"] if n % 17 == 0 else [],
                seed=n,
            )
        )
    return made


def timed(action, repeat: int = 1) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="submissions")
    args = parser.parse_args()
    console = Console(highlight=False)
    projects = finished_projects()
    with tempfile.TemporaryDirectory(prefix="showcase-bench-") as scratch:
        root = Path(scratch)
        inbox, store, small_store = root / "in", root / "store", root / "small"
        inbox.mkdir()
        bundles = [
            write_sample(sample, inbox)
            for sample in track(
                samples(args.count, projects), "Writing bundles", console=console
            )
        ]
        started = time.perf_counter()
        rejected = []
        for bundle in track(bundles, "Admitting bundles", console=console):
            rejected += [
                o for o in add_bundles([bundle], store, projects) if not o.accepted
            ]
        intake = time.perf_counter() - started
        if rejected:
            console.print(
                f"[red]{len(rejected)} sample bundles were rejected[/]: {rejected[0]}"
            )
            return 1
        tenth = max(1, args.count // 10)
        add_bundles(bundles[:tenth], small_store, projects)

        build = timed(lambda: build_site(store, root / "site"), repeat=3)
        small = timed(lambda: build_site(small_store, root / "small-site"), repeat=3)
        copy = timed(
            lambda: (
                shutil.rmtree(root / "copy", ignore_errors=True),
                shutil.copytree(store, root / "copy"),
            ),
            repeat=3,
        )
        pages = len(list((root / "site" / "entries").glob("*.html"))) + 1

    table = Table(title=f"showcase for {args.count} submissions")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row(
        "intake, every bundle verified",
        f"{intake:.2f} s ({intake / args.count * 1000:.0f} ms each)",
    )
    table.add_row(f"site build ({pages} pages, median of 3)", f"{build:.3f} s")
    table.add_row("target", f"< {TARGET_SECONDS:.0f} s")
    table.add_row(
        "baseline: copying the store", f"{copy:.3f} s (build is {build / copy:.1f}x)"
    )
    table.add_row(
        f"baseline: build for {tenth} submissions x {args.count / tenth:.0f}",
        f"{small * args.count / tenth:.3f} s (build is {build / (small * args.count / tenth):.2f}x)",
    )
    console.print(table)
    if build >= TARGET_SECONDS:
        console.print(
            f"[red]over the target: {build:.2f} s >= {TARGET_SECONDS:.0f} s[/]"
        )
        return 1
    console.print(
        f"[green]within the target[/]: {build:.2f} s for {args.count} submissions"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
