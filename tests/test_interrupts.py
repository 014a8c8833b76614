"""Ctrl-C or SIGTERM at any moment of `invoke test` leaves nothing running (issue 20, point 4).

For each project whose tests start processes (services, redis-server, the learner's CLI and its
workers), a solved render runs `invoke test --stage S` once whole, then again and again, each
time interrupted at a random moment of that run's length: alternately SIGINT to invoke's process
group (Ctrl-C in a terminal) and SIGTERM to invoke alone (`timeout`, `kill`). After each, no
process that run started may be alive and none may listen on a port. A run's processes are found
by a mark in their environment, which every child inherits whatever its parent or group. The
moments come from a seed the failure prints (CLIMB_INTERRUPT_SEED replays one).

A quick test beside it kills pytest itself from inside a test: the runner must still end the
(frozen) process group that test started and noted.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest

from climb_kit.contributor.reference import overlay_solution
from climb_kit.layout import KIT_ROOT
from climb_kit.learner.runner import run_pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads processes from /proc"
)

MARK = "CLIMB_INTERRUPT_MARK"
# project: (the stage run, how many interrupts). chat's redis stage starts redis-server and two
# servers and freezes Redis with SIGSTOP; http-service's persistence stage restarts and SIGKILLs
# its service; dataproc's shutdown stage signals the CLI, which reads sensors over TCP.
PROJECTS = {
    "chat": ("redis", 20),
    "http-service": ("persistence", 20),
    "dataproc": ("shutdown", 5),
}
EXIT_SECONDS = 60  # an interrupted `invoke test` must be gone well within this
GONE_SECONDS = 10  # what it SIGKILLed on its way out must be gone within this


def take_ctrl_c() -> None:
    """In the child before exec: Ctrl-C as in a terminal. A shell that started the tests in the
    background set SIGINT to be ignored, and a child inherits that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def marked(mark: str) -> list[psutil.Process]:
    """The live processes (not zombies) whose environment holds `mark`."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                continue
            if process.environ().get(MARK) == mark:
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def describe(processes: list[psutil.Process]) -> list[str]:
    lines = []
    for process in processes:
        try:
            ports = [
                c.laddr.port
                for c in process.net_connections(kind="inet")
                if c.status == psutil.CONN_LISTEN
            ]
            lines.append(
                f"pid {process.pid} ({process.status()}, parent {process.ppid()}, "
                f"listening on {ports or 'nothing'}): {' '.join(process.cmdline())[:160]}"
            )
        except psutil.Error:
            continue
    return lines


def listening_ports(processes: list[psutil.Process]) -> list[int]:
    ports = []
    for process in processes:
        try:
            connections = process.net_connections(kind="inet")
        except psutil.Error:
            continue
        ports += [c.laddr.port for c in connections if c.status == psutil.CONN_LISTEN]
    return ports


class Run:
    """One `invoke test --stage STAGE` in `project`, its processes marked."""

    def __init__(self, project: Path, stage: str, log: Path) -> None:
        self.mark = uuid.uuid4().hex
        self.log = log
        self.started = time.monotonic()
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "invoke", "test", "--stage", stage],
                cwd=project,
                env={**os.environ, MARK: self.mark, "NO_COLOR": "1", "COLUMNS": "200"},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group, as a terminal's foreground job
                preexec_fn=take_ctrl_c,
            )

    def interrupt(self, signum: int) -> None:
        if self.process.poll() is not None:
            return  # it finished first
        if signum == signal.SIGINT:
            os.killpg(self.process.pid, signum)  # what Ctrl-C in a terminal does
        else:
            self.process.send_signal(signum)  # what `timeout` and `kill` do

    def finish(self) -> tuple[int | None, list[str]]:
        """Wait for invoke to exit; (its exit code or None, what is still alive after
        GONE_SECONDS). Anything left is killed, so that one failure does not spread."""
        try:
            code = self.process.wait(EXIT_SECONDS)
        except subprocess.TimeoutExpired:
            code = None
        deadline = time.monotonic() + GONE_SECONDS
        while (left := marked(self.mark)) and time.monotonic() < deadline:
            time.sleep(0.1)
        said = describe(left)
        ports = listening_ports(left)
        if ports:
            said.append(f"ports still listening: {sorted(ports)}")
        for process in left:
            try:
                process.resume()
                process.kill()
            except psutil.Error:
                pass
        return code, said

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


@pytest.fixture
def solved(render_of, tmp_path):
    def of(project: str) -> Path:
        folder = tmp_path / project
        shutil.copytree(render_of(project), folder, symlinks=True)
        return overlay_solution(project, folder)

    return of


@pytest.mark.slow
@pytest.mark.parametrize("project", sorted(PROJECTS))
def test_an_interrupted_invoke_test_leaves_no_process_and_no_port(
    project, solved, tmp_path
):
    stage, moments = PROJECTS[project]
    root = solved(project)
    seed = int(os.environ.get("CLIMB_INTERRUPT_SEED") or random.randrange(2**32))
    rng = random.Random(seed)
    whole = Run(root, stage, tmp_path / "whole.log")
    code, left = whole.finish()
    seconds = time.monotonic() - whole.started
    assert code == 0 and not left, (
        f"{project}: `invoke test --stage {stage}` on the reference, not interrupted: exit "
        f"{code}, left {left}\n{whole.output()}"
    )
    problems = []
    for number in range(moments):
        signum = (signal.SIGINT, signal.SIGTERM)[number % 2]
        delay = rng.uniform(0.2, seconds)
        run = Run(root, stage, tmp_path / f"run-{number}.log")
        time.sleep(max(0.0, run.started + delay - time.monotonic()))
        run.interrupt(signum)
        code, left = run.finish()
        how = f"run {number}: {signal.Signals(signum).name} after {delay:.1f} s"
        if code is None:
            problems.append(f"{how}: invoke still running {EXIT_SECONDS} s later")
        if left:
            problems.append(f"{how}: left behind\n    " + "\n    ".join(left))
        if problems and problems[-1].startswith(how):
            problems.append(f"    its output (end):\n{run.output()}")
    assert not problems, (
        f"{project}: {moments} interrupts of `invoke test --stage {stage}` (a whole run takes "
        f"{seconds:.0f} s; seed {seed}, replay with CLIMB_INTERRUPT_SEED={seed}):\n"
        + "\n".join(problems)
    )


HANGING_TEST = """
import os, signal, subprocess, sys
from climb.pytest_plugin import note_process_group

def test_starts_a_process_freezes_it_and_dies():
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True
    )
    note_process_group(child.pid)
    os.kill(child.pid, signal.SIGSTOP)
    with open(PIDFILE, "w") as out:
        out.write(str(child.pid))
    os.kill(os.getpid(), signal.SIGKILL)  # no teardown, no atexit: only the runner is left
"""


def test_the_runner_ends_the_groups_a_killed_pytest_left_even_frozen(tmp_path):
    project = tmp_path / "project"
    (project / "tests").mkdir(parents=True)
    (project / "climb").symlink_to(KIT_ROOT / "src" / "climb_kit" / "learner")
    (project / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\npythonpath = ["."]\n'
    )
    (project / "tests" / "conftest.py").write_text(
        'pytest_plugins = ["climb.pytest_plugin"]\n'
    )
    pidfile = tmp_path / "child.pid"
    (project / "tests" / "test_dies.py").write_text(
        f"PIDFILE = {str(pidfile)!r}\n" + HANGING_TEST
    )
    result = run_pytest(project, ["tests"], timeout=120)
    assert pidfile.exists(), f"the test never ran:\n{result.output}"
    child = int(pidfile.read_text())
    deadline = time.monotonic() + GONE_SECONDS
    while time.monotonic() < deadline:
        try:
            if psutil.Process(child).status() == psutil.STATUS_ZOMBIE:
                break
        except psutil.NoSuchProcess:
            break
        time.sleep(0.05)
    else:
        os.kill(child, signal.SIGKILL)
        pytest.fail(
            f"pid {child}, started in a group of its own, noted and SIGSTOPped by a test "
            f"whose pytest was then SIGKILLed, was still there {GONE_SECONDS} s after "
            "run_pytest returned"
        )
