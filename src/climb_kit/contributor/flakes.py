"""Does any test of a project ever fail on its reference solution? Run the suite many times.

Half of the runs happen with every other core kept busy by spinning processes, because a test that
waits on a thread, a socket or a child process is most likely to fail when the machine is slow.
A test that fails once in fifty runs will fail some learner's CI: it is reported by name.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..layout import KIT_ROOT
from ..learner.runner import run_pytest
from .reference import solved_render


@dataclass
class FlakeReport:
    project: str
    runs: int = 0
    # nodeid -> the runs (1-based, with "loaded" or "idle") in which it failed
    failures: dict[str, list[str]] = field(default_factory=dict)
    broken_runs: list[str] = field(
        default_factory=list
    )  # runs that did not report at all
    # nodeid -> what the test said the first time it failed: the clue for fixing it
    first_failure: dict[str, str] = field(default_factory=dict)
    tests: int = 0


def _spin() -> None:
    while True:
        pass


@contextmanager
def busy_cores(count: int) -> Iterator[None]:
    """Keep `count` cores busy for the duration."""
    spinners = [
        multiprocessing.Process(target=_spin, daemon=True) for _ in range(count)
    ]
    for spinner in spinners:
        spinner.start()
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
        for spinner in spinners:
            spinner.join()


def hunt_flakes(
    project: str,
    workdir: Path,
    runs: int = 50,
    kit_root: Path = KIT_ROOT,
    on_run: Callable[[int, bool, int], None] = lambda run, loaded, failed: None,
) -> FlakeReport:
    """Run the reference's whole suite `runs` times, every other run under load."""
    solved = solved_render(project, workdir, kit_root=kit_root)
    others = max(1, (os.cpu_count() or 2) - 1)
    report = FlakeReport(project)
    for run in range(1, runs + 1):
        loaded = run % 2 == 0
        label = f"{run} ({'loaded' if loaded else 'idle'})"
        if loaded:
            with busy_cores(others):
                result = run_pytest(solved, ["tests"])
        else:
            result = run_pytest(solved, ["tests"])
        report.runs = run
        if not result.tests:
            report.broken_runs.append(f"{label}: {result.output.strip()[-500:]}")
        report.tests = max(report.tests, len(result.tests))
        failed = [t for t in result.tests if t.outcome in ("failed", "error")]
        for test in failed:
            report.failures.setdefault(test.nodeid, []).append(label)
            report.first_failure.setdefault(
                test.nodeid, (test.failure or test.exception).strip()
            )
        on_run(run, loaded, len(failed) + (0 if result.tests else 1))
    return report
