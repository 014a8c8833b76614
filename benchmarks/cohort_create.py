"""Benchmark `cohort.create` against a plain shell-style loop of `copier copy` CLI calls.

Both make the same N learner repositories (render + `git init` + first commit) from the same clean,
tagged snapshot of this kit, in the same run; every pair of repositories is then compared byte for
byte. Prints both times and the ratio (target: cohort.create at least 5x faster).

    python benchmarks/cohort_create.py --learners 100      (or: invoke cohort.bench)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from climb_kit.cohort.create import create_cohort
from climb_kit.cohort.roster import Learner
from climb_kit.snapshot import GIT_ENV, snapshot

COPIER = str(Path(sys.executable).parent / "copier")


def copier_loop(
    source: Path, learners: list[Learner], project: str, into: Path
) -> None:
    """What a facilitator's shell loop does: one `copier copy` CLI call and a commit per learner."""
    for learner in learners:
        dest = into / learner.handle
        data = [
            arg
            for key, value in learner.answers().items()
            for arg in ("--data", f"{key}={value}")
        ]
        subprocess.run(
            [COPIER, "copy", "--quiet", "--defaults", "--data", f"project={project}"]
            + data
            + [str(source), str(dest)],
            check=True,
            capture_output=True,
        )
        for args in (
            ["init", "-q", "-b", "main"],
            ["add", "-A"],
            ["commit", "-qm", "Start"],
        ):
            subprocess.run(["git", *args], cwd=dest, check=True, capture_output=True)


def tree(root: Path) -> dict[str, tuple[int, bytes]]:
    found = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in files:
            path = Path(folder) / name
            found[path.relative_to(root).as_posix()] = (
                path.stat().st_mode & 0o111,
                path.read_bytes(),
            )
    return found


def report(
    console: Console, learners: int, ours: float, loop: float, json_path: str | None
) -> None:
    table = Table(title=f"Creating {learners} learner repositories (same run)")
    for column in ("method", "seconds", "per learner", "ratio"):
        table.add_column(column, justify="right")
    table.add_row(
        "copier copy CLI loop", f"{loop:.1f}", f"{loop / learners:.2f}", "1.0x"
    )
    table.add_row(
        "cohort.create", f"{ours:.1f}", f"{ours / learners:.2f}", f"{loop / ours:.1f}x"
    )
    console.print(table)
    console.print("every repository byte-identical to copier's (.git/ aside)")
    if json_path:
        numbers = {
            "learners": learners,
            "cohort_create_seconds": round(ours, 2),
            "copier_loop_seconds": round(loop, 2),
            "ratio": round(loop / ours, 2),
        }
        Path(json_path).write_text(json.dumps(numbers, indent=1) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=100, help="cohort size")
    parser.add_argument("--project", default="scheduler", help="which project")
    parser.add_argument("--json", help="also write the numbers to this file")
    args = parser.parse_args()
    os.environ.update(GIT_ENV)
    learners = [
        Learner(
            i + 2,
            f"Learner Nº {i}",
            f"learner-{i:03d}",
            cohort="bench" if i % 2 else "",
        )
        for i in range(args.learners)
    ]
    console = Console()
    with tempfile.TemporaryDirectory(prefix="climb-cohort-bench-") as scratch:
        work = Path(scratch)
        source = snapshot(work / "kit", tag="v1.0.0")
        console.print(
            f"{args.learners} learners, project {args.project}, {os.cpu_count()} CPUs"
        )

        started = time.perf_counter()
        made = create_cohort(learners, args.project, work / "ours", source)
        ours = time.perf_counter() - started
        assert all(m.state == "created" for m in made), made
        console.print(f"cohort.create: {ours:.1f} s")

        started = time.perf_counter()
        copier_loop(source, learners, args.project, work / "loop")
        loop = time.perf_counter() - started
        console.print(f"copier copy loop: {loop:.1f} s")

        differing = [
            learner.handle
            for learner in learners
            if tree(work / "ours" / learner.handle)
            != tree(work / "loop" / learner.handle)
        ]
        if differing:
            console.print(f"[red]repositories differ from copier's: {differing[:5]}[/]")
            return 1
        # Reported before the cleanup: deleting 200 repositories takes a while on some disks.
        report(console, args.learners, ours, loop, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
