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
assertion and says why.
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
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

HOST = "127.0.0.1"
PROBE_SECONDS = 2.0  # the timeout of one readiness probe
_RUNNING: set[ServiceProcess] = set()


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
            self.process = subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=open(self._logs / "stdout", "wb"),  # noqa: SIM115 (the child owns it)
                stderr=open(self._logs / "stderr", "wb"),  # noqa: SIM115
                start_new_session=True,  # its own process group: stop reaches its children
            )
        except OSError as err:
            self.problem = f"could not start `{self.shown_command}`: {err}"
            return self
        _RUNNING.add(self)
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
            try:
                os.killpg(self.process.pid, signum)
            except ProcessLookupError:
                pass

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
        if self.process.poll() is None:
            self.send_signal(signum)
            if self.wait(self.config.grace_seconds) is None:
                self.killed = True
                self.send_signal(signal.SIGKILL)
                self.wait(self.config.grace_seconds)
        self.exit_code = self.process.poll()
        try:  # children the service left behind go too
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        _RUNNING.discard(self)
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
        """The end of the service's stdout and stderr, for a failure message."""
        out, err = self.output()
        return (
            f"  service stdout (end):\n{_indent(out[-chars:]) or '    (nothing)'}\n"
            f"  service stderr (end):\n{_indent(err[-chars:]) or '    (nothing)'}"
        )

    def __enter__(self) -> ServiceProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.rstrip().splitlines())


@atexit.register
def _stop_leftovers() -> None:
    """A test run that is interrupted still leaves no service behind."""
    for service in list(_RUNNING):
        service.send_signal(signal.SIGKILL)
        service.wait(5)
        _RUNNING.discard(service)
