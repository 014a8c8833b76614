"""Time `cohort.status` on a cohort whose learners are spread over every stage.

Creates N learners (default 30) from a clean tagged snapshot of this kit; learner i commits the
reference modules of the first i mod (stages + 1) stages; then grades them all in the sandbox and
checks that everyone is judged at the stage they reached.

    python benchmarks/cohort_status.py --learners 30
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console

from climb_kit.cohort.create import create_cohort
from climb_kit.cohort.roster import Learner
from climb_kit.cohort.sandbox import probe
from climb_kit.cohort.status import grade_cohort
from climb_kit.contributor.reference import overlay_state
from climb_kit.layout import template_dir
from climb_kit.learner.stages import load_stages
from climb_kit.snapshot import GIT_ENV, snapshot


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=30, help="cohort size")
    parser.add_argument("--project", default="scheduler", help="which project")
    parser.add_argument("--jobs", type=int, default=None, help="parallel gradings")
    args = parser.parse_args()
    os.environ.update(GIT_ENV)
    console = Console()
    ladder = len(load_stages(template_dir(args.project)).stages)
    learners = [
        Learner(i + 2, f"Learner {i}", f"learner-{i:03d}") for i in range(args.learners)
    ]
    with tempfile.TemporaryDirectory(prefix="climb-status-bench-") as scratch:
        work = Path(scratch)
        source = snapshot(work / "kit", tag="v1.0.0")
        into = work / "cohort"
        create_cohort(learners, args.project, into, source)
        expected = {}
        for index, learner in enumerate(learners):
            reached = index % (ladder + 1)
            repo = into / learner.handle
            if reached:
                ids = [stage.id for stage in load_stages(repo).stages]
                overlay_state(args.project, repo, ids, reached)
                subprocess.run(
                    ["git", "commit", "-qam", "progress"],
                    cwd=repo,
                    check=True,
                )
            expected[learner.handle] = reached
        isolation = probe()
        started = time.perf_counter()
        statuses = grade_cohort(into, isolation, jobs=args.jobs)
        seconds = time.perf_counter() - started
    wrong = [
        s.handle for s in statuses if s.stages_passed != expected[s.handle] or s.problem
    ]
    console.print(
        f"cohort.status: {args.learners} {args.project} learners graded in {seconds:.1f} s "
        f"({seconds / args.learners:.2f} s each, {os.cpu_count()} CPUs, isolation "
        f"{isolation.level})"
    )
    if wrong:
        console.print(f"[red]graded wrongly: {wrong}[/]")
        return 1
    console.print("every learner judged at the stage they reached")
    return 0


if __name__ == "__main__":
    sys.exit(main())
