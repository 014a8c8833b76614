"""Run a project's tests stage by stage, the way `invoke test`, `progress` and `check` need them.

Each run is a fresh `python -m pytest` subprocess (the learner's code is re-imported every time)
whose results come back through the JSON report written by `pytest_plugin`.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .stages import Stage, StageFile, StageFileError

# A backstop for a whole pytest run; single tests are bounded by pytest-timeout (pyproject.toml).
RUN_TIMEOUT_SECONDS = 900
# How often a running pytest's progress file is read (what a live display can show).
POLL_SECONDS = 0.1
# How long an interrupted pytest may take to tear down (stop its services) before SIGKILL.
STOP_SECONDS = 5.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
CACHE_DIR = Path(".climb") / "cache"
# The last run that found the stage to work on: what `invoke hint` answers from.
LAST_RUN = CACHE_DIR / "last-run.json"
NOT_RUN = "not run"

# Told (nodeid, state) as a test starts ("running") and ends (its outcome).
OnTest = Callable[[str, str], None]


@dataclass(frozen=True)
class TestRecord:
    nodeid: str
    file: str
    stage: str | None
    outcome: str  # passed, failed, error, skipped, not run
    failure: str
    exception: str
    duration: float
    # A Hypothesis test (reports written before had no such field).
    property_test: bool = False

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
    def failures(self) -> list[TestRecord]:
        """The tests that ran and did not pass (not those a stop at the first failure skipped)."""
        return [t for t in self.tests if t.outcome not in ("passed", NOT_RUN)]

    @property
    def not_run(self) -> int:
        return sum(t.outcome == NOT_RUN for t in self.tests)

    @property
    def first_failure(self) -> TestRecord | None:
        return next(iter(self.failures), None) or next(
            (t for t in self.tests if t.outcome != "passed"), None
        )


def run_pytest(
    project_root: Path,
    paths: Iterable[str],
    timeout: float = RUN_TIMEOUT_SECONDS,
    on_test: OnTest | None = None,
) -> RunResult:
    """Run pytest on `paths` inside the project and return its report (every test's outcome,
    unless `paths` holds an option such as --exitfirst). `on_test` hears of each test as it
    starts and ends."""
    # Imported here: the plugin imports pytest and Hypothesis (a third of a second), which
    # `invoke hint` answering from the last run must not wait for.
    from .pytest_plugin import GROUPS_ENV, REPORT_ENV, RUNNER_ENV

    with tempfile.TemporaryDirectory(prefix="climb-") as scratch:
        report_path = Path(scratch) / "report.json"
        progress = _ProgressReader(report_path.with_suffix(".progress"), on_test)
        # The tests note here each process group they start (tests/service.py).
        groups = Path(scratch) / "groups"
        groups.mkdir()
        env = {
            **os.environ,
            REPORT_ENV: str(report_path),
            GROUPS_ENV: str(groups),
            RUNNER_ENV: str(os.getpid()),
        }
        out_path, err_path = Path(scratch) / "stdout", Path(scratch) / "stderr"
        with out_path.open("w") as out, err_path.open("w") as err, _sigterm_exits():
            process = subprocess.Popen(
                pytest_command(paths),
                cwd=project_root,
                env=env,
                stdout=out,
                stderr=err,
                text=True,
                stdin=subprocess.DEVNULL,
                # A group of its own, which _stop ends whole. Not from a worker thread
                # (verify), where no signal handler can run: there Ctrl-C in the terminal must
                # reach pytest itself, in the terminal's group.
                start_new_session=_in_main_thread(),
            )
            try:
                finished = _wait(process, timeout, progress.read)
            finally:
                _stop(process, groups, _in_main_thread())
        output = out_path.read_text(errors="replace")
        if not finished:
            return RunResult(exit_code=-1, output=output, timed_out_after=timeout)
        progress.read()
        output += err_path.read_text(errors="replace")
        if not report_path.exists():
            # pytest stopped before the plugin could report: a usage or internal error.
            return RunResult(exit_code=process.returncode, output=output)
        return read_report(report_path, output=output)


def _wait(
    process: subprocess.Popen, timeout: float, meanwhile: Callable[[], None]
) -> bool:
    """Wait for `process`, calling `meanwhile` every POLL_SECONDS; False when it takes longer
    than `timeout`. (The caller stops it, then and when the wait is interrupted.)"""
    deadline = time.monotonic() + timeout
    while True:
        try:
            process.wait(timeout=min(POLL_SECONDS, timeout))
            return True
        except subprocess.TimeoutExpired:
            meanwhile()
            if time.monotonic() >= deadline:
                return False


def _stop(process: subprocess.Popen, groups: Path, own_group: bool) -> None:
    """End pytest (its whole process group when `own_group`) and every group its tests noted
    in `groups`, however the run ended (done, timed out, Ctrl-C, SIGTERM). SIGTERM first:
    pytest then tears down as on Ctrl-C, stopping the services it started; SIGKILL after
    STOP_SECONDS. What a killed pytest could not stop, its noted groups, gets SIGCONT and
    SIGKILL."""
    from .pytest_plugin import kill_noted_groups

    with _interrupts_held():
        if process.poll() is None:
            _signal(process, signal.SIGTERM, own_group)
            try:
                process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                pass
        # pytest if it lingers, and in its group what it left
        _signal(process, signal.SIGKILL, own_group)
        process.wait()
        kill_noted_groups(groups)


def _signal(process: subprocess.Popen, signum: int, group: bool) -> None:
    try:
        if group:
            os.killpg(process.pid, signum)
        elif process.poll() is None:
            process.send_signal(signum)
    except (ProcessLookupError, PermissionError):
        pass  # it is gone


def _in_main_thread() -> bool:
    # Only the main thread may set signal handlers (verify runs pytest from worker threads).
    return threading.current_thread() is threading.main_thread()


@contextmanager
def _sigterm_exits() -> Iterator[None]:
    """While pytest runs, SIGTERM (`timeout`, `kill`) ends this program as SystemExit(143)
    instead of at once, so that pytest and what it started are stopped first. A handler
    already set (`invoke watch`'s) is left alone."""

    def exit_now(signum, frame):
        raise SystemExit(128 + signum)

    if not _in_main_thread() or signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, exit_now)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextmanager
def _interrupts_held() -> Iterator[None]:
    """Ignore Ctrl-C and SIGTERM for the length of the block: a second one must not cut the
    clean-up short (the first is on its way up already)."""
    if not _in_main_thread():
        yield
        return
    saved = {sig: signal.signal(sig, signal.SIG_IGN) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


class _ProgressReader:
    """Reads the lines `pytest_plugin` appends as tests start and end, passing each on once."""

    def __init__(self, path: Path, on_test: OnTest | None) -> None:
        self.path = path
        self.on_test = on_test
        self.offset = 0

    def read(self) -> None:
        if self.on_test is None or not self.path.exists():
            return
        with self.path.open("rb") as progress:
            progress.seek(self.offset)
            chunk = progress.read()
        # Only whole lines: the plugin may be halfway through writing the last one.
        whole = chunk[: chunk.rfind(b"\n") + 1]
        self.offset += len(whole)
        for line in whole.decode("utf-8").splitlines():
            event = json.loads(line)
            self.on_test(event["nodeid"], event["state"])


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


def run_stage(
    project_root: Path,
    stage: Stage,
    stop_at_first: bool = False,
    on_test: OnTest | None = None,
) -> StageRun:
    """Run one stage's tests; with `stop_at_first`, only up to its first failing test (the
    learner's loop: the rest are "not run")."""
    paths = ["--exitfirst", *stage.tests] if stop_at_first else stage.tests
    result = run_pytest(project_root, paths, on_test=on_test)
    return judge_stages([stage], result)[stage.id]


def run_every_stage(
    project_root: Path, stage_file: StageFile, on_test: OnTest | None = None
) -> dict[str, StageRun]:
    """Run all stages' tests in one pytest run (fast: one interpreter start)."""
    paths = [path for stage in stage_file.stages for path in stage.tests]
    result = run_pytest(project_root, paths, on_test=on_test)
    return judge_stages(stage_file.stages, result)


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
    on_test: OnTest | None = None,
) -> Climb:
    """Run `start` first, then the stages before it; while all pass, go on to the next stage.

    Stops at the first failing test (so at the first failing stage). Earlier stages are re-run
    once, as regression checks.
    """
    runs: list[StageRun] = []
    current = start
    queue = [start, *stage_file.before(start)]
    while True:
        for stage in queue:
            on_start(stage)
            run = run_stage(project_root, stage, stop_at_first=True, on_test=on_test)
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


@dataclass(frozen=True)
class LastRun:
    """What the last run that looked for the stage to work on found (`invoke test`, `progress`,
    `check`; not `test --stage`, which looks at one stage only). Kept in .climb/cache/, which git
    ignores, so `invoke hint` can answer at once."""

    command: str  # as the learner typed it, e.g. "invoke test"
    finished_at: datetime  # local time, with its offset
    failing_stage: (
        str | None
    )  # the first stage that did not pass; None when every stage did
    first_failure: (
        str  # the nodeid of its first failing test ("" when it could not be judged)
    )
    # The stages that ran, in order: id -> passed, failed and not run (after a stop) counts.
    counts: dict[str, dict[str, int]]


def remember_run(
    project_root: Path, command: str, runs: Iterable[StageRun], failing: StageRun | None
) -> LastRun:
    """Record a run; `failing` is the run of the stage to work on (None when all pass). Runs
    that stopped at the first failure count only what ran, but still name the failing stage."""
    first = failing.first_failure if failing is not None else None
    last = LastRun(
        command=command,
        finished_at=datetime.now().astimezone().replace(microsecond=0),
        failing_stage=failing.stage.id if failing is not None else None,
        first_failure=first.nodeid if first is not None and not failing.problem else "",
        counts={
            run.stage.id: {
                "passed": run.passed,
                "failed": len(run.failures),
                "not_run": run.not_run,
            }
            for run in runs
        },
    )
    document = {**last.__dict__, "finished_at": last.finished_at.isoformat()}
    path = project_root / LAST_RUN
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    scratch.replace(path)  # whole or not at all: `invoke hint` may be reading it
    return last


def last_run(project_root: Path, stage_file: StageFile) -> LastRun | None:
    """The last recorded run; None when there is none, it is unreadable, or it names a stage
    stages.yml no longer has (a template update changed the ladder)."""
    try:
        data = json.loads((project_root / LAST_RUN).read_text(encoding="utf-8"))
        last = LastRun(
            **{**data, "finished_at": datetime.fromisoformat(data["finished_at"])}
        )
        if last.failing_stage is not None:
            stage_file.get(last.failing_stage)
    except (OSError, ValueError, TypeError, KeyError, StageFileError):
        return None
    return last
