"""`invoke watch`: reruns the current stage on every save, moves on when it passes, stops cleanly.

The slow tests run `python -m invoke watch` in a rendered project as a learner's terminal would:
in its own process group, which Ctrl-C signals as a whole. Every wait has a deadline.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from climb_kit.layout import reference_dir
from climb_kit.learner.watch import FOOTER, GOODBYE, changed_files, is_relevant

SOLUTION = reference_dir("scheduler") / "solution" / "src" / "scheduler"
# A stage's run takes seconds; this leaves room for a loaded machine without ever hanging.
DEADLINE = 120
STOP_DEADLINE = 30


class Watching:
    """`python -m invoke watch` running in `project`, its output collected as it arrives."""

    def __init__(self, project: Path):
        tools = str(Path(sys.executable).parent)
        env = {
            **os.environ,
            "PATH": tools + os.pathsep + os.environ["PATH"],
            "COLUMNS": "200",
            "NO_COLOR": "1",
        }
        # As on a learner's machine: Python writes bytecode next to the code under watch, and
        # buffers a pipe unless the program flushes.
        for name in ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"):
            env.pop(name, None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "invoke", "watch"],
            cwd=project,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self._out: list[str] = []
        self._err: list[str] = []
        self._readers = [
            threading.Thread(target=self._collect, args=pipe, daemon=True)
            for pipe in (
                (self.process.stdout, self._out),
                (self.process.stderr, self._err),
            )
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _collect(stream, lines: list[str]) -> None:
        for line in stream:
            lines.append(line)

    @property
    def stdout(self) -> str:
        return "".join(self._out)

    @property
    def stderr(self) -> str:
        return "".join(self._err)

    def transcript(self) -> str:
        return f"stdout:\n{self.stdout}\nstderr:\n{self.stderr}"

    def wait_for(
        self, ready, what: str, timeout: float = DEADLINE, running: bool = True
    ) -> None:
        """Poll until `ready()` is true; fail (never hang) after `timeout` seconds, or as soon
        as invoke watch exits when it should be `running`."""
        deadline = time.monotonic() + timeout
        while not ready():
            if running and self.process.poll() is not None:
                pytest.fail(
                    f"invoke watch exited ({self.process.returncode}) before {what}\n"
                    + self.transcript()
                )
            if time.monotonic() > deadline:
                pytest.fail(f"no {what} within {timeout} s\n" + self.transcript())
            time.sleep(0.05)

    def stays_quiet(self, seconds: float) -> None:
        """Fail if another run starts within `seconds` (a run must not trigger the next)."""
        before = len(headers(self.stdout))
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert len(headers(self.stdout)) == before, (
                "a run started although nothing was saved\n" + self.transcript()
            )
            time.sleep(0.05)

    def signal_group(self, sig: int) -> None:
        """What a terminal does on Ctrl-C: signal every process in the foreground group."""
        os.killpg(self.process.pid, sig)

    def finish(self) -> int:
        try:
            code = self.process.wait(timeout=STOP_DEADLINE)
        except subprocess.TimeoutExpired:
            pytest.fail(
                f"invoke watch still running {STOP_DEADLINE} s after the signal\n"
                + self.transcript()
            )
        for reader in self._readers:
            reader.join(timeout=STOP_DEADLINE)
        return code

    def group_is_gone(self) -> bool:
        """True once no process of the group (say, a pytest run) is left behind."""
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return True
        return False

    def kill(self) -> None:
        if not self.group_is_gone():
            os.killpg(self.process.pid, signal.SIGKILL)
        try:
            self.process.wait(timeout=STOP_DEADLINE)
        except subprocess.TimeoutExpired:
            pass


@pytest.fixture
def start_watch():
    started: list[Watching] = []

    def start(project: Path) -> Watching:
        started.append(Watching(project))
        return started[-1]

    yield start
    for watching in started:
        watching.kill()


def headers(output: str) -> list[str]:
    """What started each run, from the rule above it: 'started' or '<file> changed'."""
    return re.findall(r"^─+ \d\d:\d\d:\d\d · (.+?) ─+$", output, re.M)


def finished_runs(output: str) -> list[str]:
    return output.split(FOOTER)[:-1]


def stage_lines(output: str) -> list[tuple[str, str, str]]:
    return re.findall(r"^([✓✗]) Stage (\d+) \(([a-z-]+)\)", output, re.M)


def assert_stopped_cleanly(watching: Watching) -> None:
    code = watching.finish()
    assert code == 0, watching.transcript()
    assert "Traceback" not in watching.stdout + watching.stderr, watching.transcript()
    assert watching.stdout.rstrip().endswith(GOODBYE), watching.transcript()
    watching.wait_for(
        watching.group_is_gone,
        "every process of the group to end",
        STOP_DEADLINE,
        running=False,
    )


def hang_on_import(project: Path) -> Path:
    """Make stage 1's tests hang while importing the learner's code; return a file that
    appears once they are hanging, so a signal surely lands in the middle of a run."""
    marker = project / "pytest-is-running"
    (project / "src" / "scheduler" / "workload.py").write_text(
        "import pathlib\nimport time\n\n"
        f"pathlib.Path({str(marker)!r}).touch()\ntime.sleep(600)\n"
    )
    return marker


@pytest.mark.slow
def test_a_save_reruns_the_stage_and_a_pass_moves_on_to_the_next(
    skeleton_render, copy_project, start_watch
):
    project = copy_project(skeleton_render)
    watching = start_watch(project)
    watching.wait_for(lambda: finished_runs(watching.stdout), "first run")
    assert headers(watching.stdout) == ["started"]
    assert stage_lines(watching.stdout) == [("✗", "1", "workload")], watching.stdout
    # Each rerun is `invoke test`'s: as fast as the first failing test.
    assert "(stopped at the first failure)" in watching.stdout
    assert "invoke test --stage workload --all" in watching.stdout

    shutil.copy(SOLUTION / "workload.py", project / "src" / "scheduler" / "workload.py")
    passed_one = [("✓", "1", "workload"), ("✗", "2", "fcfs")]
    watching.wait_for(
        lambda: stage_lines(finished_runs(watching.stdout)[-1]) == passed_one,
        "rerun in which stage 1 passes and stage 2 fails",
    )
    assert headers(watching.stdout)[-1] == "src/scheduler/workload.py changed"
    assert "invoke test --stage fcfs" in finished_runs(watching.stdout)[-1]
    current = project / ".climb" / "cache" / "current-stage"
    assert current.read_text().strip() == "fcfs", (
        "the next `invoke test` starts at fcfs"
    )
    # pytest writes bytecode into src/ and tests/; that must not count as a save.
    watching.stays_quiet(2)

    watching.signal_group(signal.SIGINT)
    assert_stopped_cleanly(watching)
    assert len(headers(watching.stdout)) == len(finished_runs(watching.stdout))


@pytest.mark.slow
def test_ctrl_c_in_the_middle_of_a_run_stops_its_pytest_and_exits_cleanly(
    skeleton_render, copy_project, start_watch
):
    project = copy_project(skeleton_render)
    running = hang_on_import(project)
    watching = start_watch(project)
    watching.wait_for(running.exists, "pytest importing the learner's code")
    watching.signal_group(signal.SIGINT)
    assert_stopped_cleanly(watching)
    assert FOOTER not in watching.stdout, "the run was cut short, not waited for"


@pytest.mark.slow
def test_sigterm_in_the_middle_of_a_run_stops_its_pytest_and_exits_cleanly(
    skeleton_render, copy_project, start_watch
):
    project = copy_project(skeleton_render)
    running = hang_on_import(project)
    watching = start_watch(project)
    watching.wait_for(running.exists, "pytest importing the learner's code")
    # Unlike Ctrl-C, `kill` signals invoke alone: its pytest must be stopped for it.
    watching.process.terminate()
    assert_stopped_cleanly(watching)


@pytest.mark.parametrize(
    ("path", "relevant"),
    [
        ("src/scheduler/workload.py", True),
        ("tests/test_1_workload.py", True),
        ("stages.yml", True),
        ("src/scheduler/__pycache__/workload.cpython-311.pyc", False),
        ("src/scheduler/workload.pyc", False),
        ("tests/.pytest_cache/v/cache/lastfailed", False),
        ("tests/.hypothesis/examples/0a1b", False),
        (".climb/cache/current-stage", False),
        ("src/scheduler/.workload.py.swp", False),
        ("src/scheduler/4913", False),
        ("src/scheduler/workload.py~", False),
        ("src/scheduler/.#workload.py", False),
        ("src/scheduler/#workload.py#", False),
    ],
)
def test_only_the_learners_saves_count_as_changes(path, relevant):
    root = Path(
        "/home/ada/.hypothesis/scheduler"
    )  # ignored names above the project are fine
    assert is_relevant(root / path, root) is relevant
    assert not is_relevant(Path("/elsewhere") / path, root)


def next_within(saves, seconds: float = 10) -> list[str]:
    """The watcher's next report, waited for in a thread: in the main thread it would turn any
    signal (pytest-timeout's too) into KeyboardInterrupt, and a missed change would hang."""
    outcome: list = []

    def advance() -> None:
        try:
            outcome.append(next(saves))
        except BaseException as err:  # handed to the test below
            outcome.append(err)

    worker = threading.Thread(target=advance, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        pytest.fail(f"the watcher reported nothing within {seconds} s")
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def test_the_watcher_ignores_bytecode_and_follows_a_stage_file_an_editor_replaced(
    tmp_path,
):
    (tmp_path / "src").mkdir()
    (tmp_path / "tests").mkdir()
    stages = tmp_path / "stages.yml"
    stages.write_text("one\n")
    saves = changed_files(tmp_path)
    assert next_within(saves) == [], "the watcher says when it listens"

    (tmp_path / "src" / "__pycache__").mkdir()
    (tmp_path / "src" / "__pycache__" / "model.cpython-311.pyc").write_bytes(b"")
    (tmp_path / "src" / "model.py").write_text("x = 1\n")
    assert next_within(saves) == ["src/model.py"]

    replacement = tmp_path / "stages.yml.new"
    replacement.write_text("two\n")
    os.replace(replacement, stages)
    assert next_within(saves) == ["stages.yml"]
    stages.write_text(
        "three\n"
    )  # in place, into the file that replaced the watched one
    assert next_within(saves) == ["stages.yml"]
    saves.close()
