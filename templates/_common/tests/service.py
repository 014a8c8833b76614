"""Run a service under test as a real process on 127.0.0.1, and always stop it again.

Shared by every project whose tests talk to a server over the network. The command that starts
the service lives in one place, the project's pyproject.toml:

    [tool.climb.service]
    command = ["python", "-m", "http_service", "--port", "{port}", "--data", "{data_dir}"]
    ready = "/ready"          # an HTTP path that answers 200 once the service can take traffic

`{port}`, `{host}` and `{data_dir}` are filled in for every start; a leading "python" is the
Python running the tests. `ServiceProcess` starts the command in its own process group on a free
loopback port with its output going to files, waits until the port accepts connections and the
ready path answers 200 (or the process dies, or the deadline passes), and stops it with SIGTERM,
then SIGKILL after a grace period. Starting never raises: a service that did not come up is
reported, with the end of its output, by `require_up()` inside the test, so a test fails by
assertion and says why. When a test fails and a service it used crashed or wrote a traceback
(a 500, a WebSocket closed with 1011), the failure ends with that traceback.

Nothing a test starts outlives the run: `start_process` gives every process (services, and
helpers such as chat's redis-server) a process group of its own, which `stop_process` stops
whole (a frozen, SIGSTOPped one too), the interpreter's exit stops if a test could not, and the
runner (`invoke test`) kills if pytest itself was killed (climb/pytest_plugin.py notes groups).
"""

from __future__ import annotations

import atexit
import http.client
import os
import shlex
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from climb.pytest_plugin import (
    add_failure_witness,
    forget_process_group,
    note_process_group,
)

HOST = "127.0.0.1"
PROBE_SECONDS = 2.0  # the timeout of one readiness probe
TRACEBACK = "Traceback (most recent call last):"
LIBRARY = sysconfig.get_paths()["stdlib"] + os.sep  # Python's own modules
_STARTED: set[subprocess.Popen] = set()  # every process started and not yet stopped


@dataclass(frozen=True)
class ServiceConfig:
    """`[tool.climb.service]` in pyproject.toml: how to start the service and know it is up."""

    command: list[str]
    ready: str = "/"
    startup_seconds: float = 20.0
    grace_seconds: float = 10.0
    env: dict[str, str] = field(default_factory=dict)


def service_config(project_root: Path) -> ServiceConfig:
    """Read `[tool.climb.service]` from the project's pyproject.toml."""
    with open(project_root / "pyproject.toml", "rb") as file:
        table = tomllib.load(file).get("tool", {}).get("climb", {}).get("service")
    if not table or not table.get("command"):
        raise RuntimeError(
            "pyproject.toml has no [tool.climb.service] command: the tests need it to start "
            "your service"
        )
    return ServiceConfig(
        command=[str(part) for part in table["command"]],
        ready=table.get("ready", "/"),
        startup_seconds=float(table.get("startup_seconds", 20.0)),
        grace_seconds=float(table.get("grace_seconds", 10.0)),
        env={str(k): str(v) for k, v in table.get("env", {}).items()},
    )


def start_process(argv: list[str], **popen) -> subprocess.Popen:
    """Start `argv` (Popen's keyword arguments as given) in a process group of its own, so that
    stopping it reaches the children it starts; noted, so that it never outlives the run."""
    process = subprocess.Popen(argv, start_new_session=True, **popen)
    _STARTED.add(process)
    note_process_group(process.pid)
    return process


def signal_group(process: subprocess.Popen, signum: int) -> None:
    """Send `signum` to the process's whole group (nothing if it is gone)."""
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def stop_process(
    process: subprocess.Popen, signum: int = signal.SIGTERM, grace: float = 10.0
) -> bool:
    """Send `signum` to the group, and SIGCONT (a stopped process takes a signal only once it
    runs again); wait up to `grace` seconds for the process to exit, then SIGKILL whatever is
    left of its group, children included. True when the process itself needed the SIGKILL."""
    killed = False
    if process.poll() is None:
        signal_group(process, signum)
        signal_group(process, signal.SIGCONT)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            killed = True
    signal_group(process, signal.SIGKILL)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        pass  # only a process stuck in the kernel outlives SIGKILL; nothing more to do
    _STARTED.discard(process)
    forget_process_group(process.pid)
    return killed


@atexit.register
def _stop_leftovers() -> None:
    """A test run that is interrupted still leaves nothing behind (SIGCONT: a frozen one too)."""
    for process in list(_STARTED):
        signal_group(process, signal.SIGCONT)
        signal_group(process, signal.SIGKILL)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            pass
        _STARTED.discard(process)
        forget_process_group(process.pid)


def free_port(host: str = HOST) -> int:
    """A TCP port that nothing listens on right now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class ServiceProcess:
    """One run of the service: start, wait until ready, stop; output kept in files."""

    def __init__(
        self,
        config: ServiceConfig,
        cwd: Path,
        workdir: Path,
        data_dir: Path | None = None,
        port: int | None = None,
    ) -> None:
        """`cwd`: the project (src/ goes on PYTHONPATH); `workdir`: a folder of the test's for
        the output files (and the data, unless `data_dir` is given)."""
        self.config = config
        self.cwd = cwd
        self.host = HOST
        self.port = port or free_port()
        self.data_dir = data_dir or workdir / "data"
        self.process: subprocess.Popen | None = None
        self.problem = ""  # why the service is not up, when it is not
        self.exit_code: int | None = None
        self.killed = (
            False  # SIGKILL was needed: it did not stop within the grace period
        )
        self.signalled = False  # a signal was sent to it: its ending is not a crash
        self._said_before = 0  # the bytes of its stderr from before the current test
        workdir.mkdir(parents=True, exist_ok=True)
        self._logs = Path(tempfile.mkdtemp(prefix="service-", dir=workdir))

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def argv(self) -> list[str]:
        """The command with {port}, {host} and {data_dir} filled in."""
        values = {
            "{port}": str(self.port),
            "{host}": self.host,
            "{data_dir}": str(self.data_dir),
        }
        argv = []
        for part in self.config.command:
            for mark, value in values.items():
                part = part.replace(mark, value)
            argv.append(part)
        if argv and argv[0] in ("python", "python3"):
            argv[0] = sys.executable
        return argv

    @property
    def shown_command(self) -> str:
        return shlex.join(self.argv)

    # --- starting -------------------------------------------------------------------------

    def start(self) -> ServiceProcess:
        """Start the command and wait until it is ready; never raises (see `require_up`)."""
        src = str(self.cwd / "src")
        path = os.environ.get("PYTHONPATH")
        env = {
            **os.environ,
            "PYTHONPATH": src + (os.pathsep + path if path else ""),
            "PYTHONUNBUFFERED": "1",
            **self.config.env,
        }
        try:
            self.process = start_process(
                self.argv,
                cwd=self.cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=open(self._logs / "stdout", "wb"),  # noqa: SIM115 (the child owns it)
                stderr=open(self._logs / "stderr", "wb"),  # noqa: SIM115
            )
        except OSError as err:
            self.problem = f"could not start `{self.shown_command}`: {err}"
            return self
        _WITNESS.services.add(self)
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.config.startup_seconds
        last = "it never accepted a connection"
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                self.exit_code = code
                self.problem = (
                    f"the service exited with code {code} before it was ready"
                )
                return
            status = self._probe()
            if status == 200:
                return
            if status is not None:
                last = f"GET {self.config.ready} last answered {status}, not 200"
            time.sleep(0.05)
        self.problem = f"the service was not ready after {self.config.startup_seconds:g} s ({last})"

    def _probe(self) -> int | None:
        """The ready path's status, or None when the port does not answer HTTP yet."""
        try:
            with socket.create_connection(
                (self.host, self.port), timeout=PROBE_SECONDS
            ):
                pass
        except OSError:
            return None
        conn = http.client.HTTPConnection(self.host, self.port, timeout=PROBE_SECONDS)
        try:
            conn.request("GET", self.config.ready)
            return conn.getresponse().status
        except (OSError, http.client.HTTPException):
            return None
        finally:
            conn.close()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def require_up(self) -> None:
        """Fail the current test, showing the service's output, unless the service is up."""
        if self.problem or not self.running:
            why = self.problem or (
                f"the service is no longer running (exit code {self.process.poll()})"
                if self.process
                else "the service was never started"
            )
            pytest.fail(
                f"{why}\n  command: {self.shown_command}\n{self.output_tail()}",
                pytrace=False,
            )

    # --- stopping -------------------------------------------------------------------------

    def send_signal(self, signum: int) -> None:
        """Send `signum` to the service's whole process group."""
        if self.running:
            self.signalled = True
            signal_group(self.process, signum)

    def wait(self, seconds: float) -> int | None:
        """Wait up to `seconds` for the service to exit; its exit code, or None if running."""
        if self.process is None:
            return None
        try:
            self.exit_code = self.process.wait(seconds)
        except subprocess.TimeoutExpired:
            return None
        return self.exit_code

    def stop(self, signum: int = signal.SIGTERM) -> int | None:
        """Send `signum` (SIGTERM), wait the grace period, then SIGKILL what is left of the
        process group. Returns the exit code (negative: killed by that signal)."""
        if self.process is None:
            return None
        self.signalled = self.signalled or self.running
        self.killed = stop_process(self.process, signum, self.config.grace_seconds)
        self.exit_code = self.process.poll()
        return self.exit_code

    def output(self) -> tuple[str, str]:
        """Everything the service wrote so far: (stdout, stderr)."""
        return tuple(
            (self._logs / name).read_text(encoding="utf-8", errors="replace")
            if (self._logs / name).exists()
            else ""
            for name in ("stdout", "stderr")
        )

    def output_tail(self, chars: int = 2000) -> str:
        """The service's last traceback (if it wrote one), then the end of its stderr and
        stdout, for a failure message."""
        out, err = self.output()
        return _said(err, chars) + (
            f"\n  service stdout (end):\n{_indent(out[-chars:]) or '    (nothing)'}"
        )

    def failure_note(self, failure: str) -> str:
        """For a failing test: this service's traceback if it wrote one during the test, or the
        end of its stderr if it ended on its own; "" when it has nothing to add, or when the
        test's message (`failure`) already shows it."""
        try:
            with open(self._logs / "stderr", "rb") as file:
                file.seek(self._said_before)
                err = file.read().decode("utf-8", errors="replace")
        except OSError:  # its folder is gone: nothing to tell
            return ""
        code = self.process.poll() if self.process is not None else None
        if code is not None and not self.signalled:
            what = f"exited on its own (code {code})"
        elif TRACEBACK in err:
            what = "wrote a traceback"
        else:
            return ""
        told = (_last_traceback(err)[0] or err).strip().splitlines()
        if (told[-1] if told else "service stderr (end):") in failure:
            return ""
        return (
            f"The service {what} during this test (`{self.shown_command}`):\n"
            + _said(err)
        )

    def __enter__(self) -> ServiceProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.rstrip().splitlines())


def _last_traceback(text: str, lines: int = 60) -> tuple[str, str]:
    """The last Python traceback in `text` (with the exceptions chained before it), up to and
    including its exception line (its last `lines` lines when longer), and what came after it.
    ("", text) when there is none."""
    rows = text.splitlines()
    starts = [i for i, row in enumerate(rows) if row.startswith(TRACEBACK)]
    if not starts:
        return "", text
    end = starts[-1] + 1
    while end < len(rows) and rows[end].startswith((" ", "\t")):
        end += 1  # its frames; the first line that is not indented names the exception
    begin = starts[-1]
    for earlier in reversed(starts[:-1]):
        between = [row for row in rows[earlier:begin] if row.strip()]
        if between and between[-1].startswith(
            ("During handling", "The above exception")
        ):
            begin = earlier
        else:
            break
    block = _without_library_frames(rows[begin : end + 1])
    if len(block) > lines:
        block = ["...", *block[-lines:]]
    return "\n".join(block), "\n".join(rows[end + 1 :])


def _without_library_frames(rows: list[str]) -> list[str]:
    """A traceback with each run of frames in installed libraries or Python's own modules
    (uvicorn, websockets, asyncio ...) shown as one line: the frames that matter are yours."""
    kept: list[str] = []
    hidden = 0
    in_library = False
    for row in rows:
        if row.startswith('  File "'):
            path = row[len('  File "') :].split('"', 1)[0]
            in_library = "-packages" + os.sep in path or path.startswith(LIBRARY)
            if in_library:
                hidden += 1
                continue
        elif in_library and row.startswith("    "):
            continue  # the hidden frame's source line
        else:
            in_library = False
        if hidden:
            kept.append(f"  ... ({hidden} frame{'s' * (hidden > 1)} in libraries)")
            hidden = 0
        kept.append(row)
    return kept


def _said(err: str, chars: int = 2000) -> str:
    """A service's stderr for a failure message: its last traceback first, then its end."""
    traceback, after = _last_traceback(err)
    if not traceback:
        return f"  service stderr (end):\n{_indent(err[-chars:]) or '    (nothing)'}"
    return (
        f"  service stderr, its last traceback:\n{_indent(traceback)}\n"
        f"  service stderr after it (end):\n{_indent(after[-chars:]) or '    (nothing)'}"
    )


class _Witness:
    """Adds what the services said to a failing test's text (see climb/pytest_plugin.py)."""

    def __init__(self) -> None:
        self.services: set[ServiceProcess] = set()

    def test_started(self) -> None:
        for service in list(self.services):
            if service.running:
                try:
                    service._said_before = (service._logs / "stderr").stat().st_size
                except OSError:
                    self.services.discard(service)
            else:
                self.services.discard(service)  # it ended in an earlier test

    def failure_note(self, failure: str) -> str:
        notes = (service.failure_note(failure) for service in self.services)
        return "\n\n".join(note for note in notes if note)


_WITNESS = _Witness()
add_failure_witness(_WITNESS)
