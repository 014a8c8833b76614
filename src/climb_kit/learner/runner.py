"""Run a project's tests stage by stage, the way `invoke test`, `progress` and `check` need them.

Each run is a fresh `python -m pytest` subprocess (the learner's code is re-imported every time)
whose results come back through the JSON report written by `pytest_plugin`.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .pytest_plugin import REPORT_ENV
from .stages import Stage, StageFile, StageFileError

# A backstop for a whole pytest run; single tests are bounded by pytest-timeout (pyproject.toml).
RUN_TIMEOUT_SECONDS = 900
CACHE_DIR = Path(".climb") / "cache"


@dataclass(frozen=True)
class TestRecord:
    nodeid: str
    file: str
    stage: str | None
    outcome: str  # passed, failed, error, skipped, not run
    failure: str
    exception: str
    duration: float

    @property
    def rerun_command(self) -> str:
        return f"python -m pytest {shlex.quote(self.nodeid)}"


@dataclass
class RunResult:
    """What one pytest run reported."""

    exit_code: int
    tests: list[TestRecord] = field(default_factory=list)
    collection_errors: list[dict] = field(default_factory=list)
    output: str = ""
    timed_out_after: float = (
        0.0  # seconds, when the run was stopped for taking too long
    )


@dataclass
class StageRun:
    """The outcome of one stage's tests."""

    stage: Stage
    tests: list[TestRecord]
    # Set when the stage could not be judged: collection error, timeout, no tests.
    problem: str = ""

    @property
    def passed(self) -> int:
        return sum(t.outcome == "passed" for t in self.tests)

    @property
    def total(self) -> int:
        return len(self.tests)

    @property
    def ok(self) -> bool:
        return not self.problem and self.total > 0 and self.passed == self.total

    @property
    def first_failure(self) -> TestRecord | None:
        return next((t for t in self.tests if t.outcome != "passed"), None)


def run_pytest(
    project_root: Path,
    paths: Iterable[str],
    timeout: float = RUN_TIMEOUT_SECONDS,
) -> RunResult:
    """Run pytest on `paths` inside the project and return its report."""
    with tempfile.TemporaryDirectory(prefix="climb-") as scratch:
        report_path = Path(scratch) / "report.json"
        env = {**os.environ, REPORT_ENV: str(report_path)}
        try:
            done = subprocess.run(
                pytest_command(paths),
                cwd=project_root,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as expired:
            output = expired.stdout or ""
            if isinstance(output, bytes):
                output = output.decode(errors="replace")
            return RunResult(exit_code=-1, output=output, timed_out_after=timeout)
        if not report_path.exists():
            # pytest stopped before the plugin could report: a usage or internal error.
            return RunResult(
                exit_code=done.returncode, output=done.stdout + done.stderr
            )
        return read_report(report_path, output=done.stdout + done.stderr)


def pytest_command(paths: Iterable[str]) -> list[str]:
    """The pytest command line every run uses (also the facilitators' sandboxed runs)."""
    return [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--tb=short",
        "-rN",
        *paths,
    ]


def read_report(report_path: Path, output: str = "") -> RunResult:
    """Read the JSON report `pytest_plugin` wrote (ValueError, KeyError or TypeError if malformed)."""
    data = json.loads(report_path.read_text(encoding="utf-8"))
    return RunResult(
        exit_code=data["exit_code"],
        tests=[TestRecord(**record) for record in data["tests"]],
        collection_errors=data["collection_errors"],
        output=output,
    )


def judge_stages(stages: Iterable[Stage], result: RunResult) -> dict[str, StageRun]:
    """Split one run's results by stage (tests belong to the stage whose file lists them)."""
    judged = {}
    for stage in stages:
        tests = [t for t in result.tests if t.file in stage.tests]
        problem = ""
        if result.timed_out_after:
            problem = (
                f"the tests did not finish within {result.timed_out_after:.0f} s; "
                "is there an endless loop? Run `python -m pytest -x -v "
                f"{' '.join(stage.tests)}` to see which test hangs"
            )
        elif broken := [
            e
            for e in result.collection_errors
            if any(e["nodeid"].startswith(path) for path in stage.tests)
        ]:
            problem = "the tests could not be loaded:\n" + broken[0]["failure"]
        elif not tests and result.exit_code not in (0, 1, 5):
            problem = "pytest could not run:\n" + result.output.strip()[-2000:]
        elif not tests:
            problem = f"no tests found in {', '.join(stage.tests)}"
        judged[stage.id] = StageRun(stage=stage, tests=tests, problem=problem)
    return judged


def run_stage(project_root: Path, stage: Stage) -> StageRun:
    return judge_stages([stage], run_pytest(project_root, stage.tests))[stage.id]


def run_every_stage(project_root: Path, stage_file: StageFile) -> dict[str, StageRun]:
    """Run all stages' tests in one pytest run (fast: one interpreter start)."""
    paths = [path for stage in stage_file.stages for path in stage.tests]
    return judge_stages(stage_file.stages, run_pytest(project_root, paths))


def stage_status(
    stage_file: StageFile, runs: dict[str, StageRun]
) -> list[tuple[Stage, str]]:
    """passed for the ladder's passing prefix, failing for the first stage that does not pass,
    locked for the rest (their tests still run, so the counts are real)."""
    statuses = []
    blocked = False
    for stage in stage_file.stages:
        run = runs.get(stage.id)
        if blocked:
            statuses.append((stage, "locked"))
        elif run is not None and run.ok:
            statuses.append((stage, "passed"))
        else:
            statuses.append((stage, "failing"))
            blocked = True
    return statuses


def first_failing(stage_file: StageFile, runs: dict[str, StageRun]) -> Stage | None:
    """The stage to work on: the first one that does not pass (None when all do)."""
    return next(
        (
            stage
            for stage, status in stage_status(stage_file, runs)
            if status == "failing"
        ),
        None,
    )


@dataclass
class Climb:
    """The result of walking the ladder: what ran, and the run that stopped it (if any)."""

    runs: list[StageRun]
    stopped_at: StageRun | None
    current: Stage | None  # the stage to work on next; None when every stage passes


def climb(
    project_root: Path,
    stage_file: StageFile,
    start: Stage,
    on_run: Callable[[StageRun], None] = lambda run: None,
    on_start: Callable[[Stage], None] = lambda stage: None,
) -> Climb:
    """Run `start` first, then the stages before it; while all pass, go on to the next stage.

    Stops at the first failing stage. Earlier stages are re-run once, as regression checks.
    """
    runs: list[StageRun] = []
    current = start
    queue = [start, *stage_file.before(start)]
    while True:
        for stage in queue:
            on_start(stage)
            run = run_stage(project_root, stage)
            runs.append(run)
            on_run(run)
            if not run.ok:
                return Climb(runs=runs, stopped_at=run, current=current)
        following = stage_file.after(current)
        if following is None:
            return Climb(runs=runs, stopped_at=None, current=None)
        current = following
        queue = [following]


def remembered_stage(project_root: Path, stage_file: StageFile) -> Stage:
    """The stage `invoke test` reached last time (a cache: wrong or missing just means stage 1)."""
    try:
        stage_id = (project_root / CACHE_DIR / "current-stage").read_text().strip()
        return stage_file.get(stage_id)
    except (OSError, StageFileError):
        return stage_file.stages[0]


def remember_stage(project_root: Path, stage: Stage | None) -> None:
    cache = project_root / CACHE_DIR
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "current-stage").write_text(f"{stage.id}\n" if stage else "")
