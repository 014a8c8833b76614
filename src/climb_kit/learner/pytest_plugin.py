"""pytest plugin every learner project loads: the `stage` marker, teaching failures, a JSON report.

A skeleton function raises NotImplementedError("Stage N (id): ..."). Left alone, pytest would report
that as a crash deep in the learner's code; here it becomes a plain failure that says which stage's
work is missing, so a fresh project fails every test by assertion, never by error.

When the environment names a file in CLIMB_REPORT, the outcome of every test (with its stage marker
and failure text) is written there as JSON: that is how `invoke test`, `invoke progress` and the
kit's verifier read results, one format for all of them. While the run goes on, a line per test
starting and finishing is appended to the file beside it (`report.progress` for `report.json`):
that is how `invoke progress` shows counts as they come.

A failure's text starts with what the test said (never with chained exceptions), then where it
failed, then what a witness adds: tests/service.py adds the last traceback a service under test
wrote. SIGTERM stops a run as Ctrl-C does, so teardown stops what the tests started; the process
groups they note (CLIMB_PROCESS_GROUPS) are killed by the runner if pytest itself could not.
"""

from __future__ import annotations

import ctypes
import functools
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Protocol

import pytest

REPORT_ENV = "CLIMB_REPORT"
# A folder where the tests note each process group they start (tests/service.py), by number.
GROUPS_ENV = "CLIMB_PROCESS_GROUPS"
# The pid of the runner that started this pytest (climb/runner.py).
RUNNER_ENV = "CLIMB_RUNNER_PID"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "stage(id): the stage (from stages.yml) this test belongs to"
    )
    if os.environ.get(REPORT_ENV):
        config.pluginmanager.register(_Recorder(Path(os.environ[REPORT_ENV])))
    _interrupt_on_sigterm()
    _end_with_the_runner()


class _NotWrittenYet(BaseException):
    """Carries a skeleton's NotImplementedError out of a Hypothesis property test at once.

    Hypothesis retries and shrinks on any Exception; missing code fails on every input, so
    searching only costs seconds. A BaseException subclass is not caught by Hypothesis.
    """


def _stop_property_search_on_missing_code(item: pytest.Item) -> None:
    # `inner_test` is Hypothesis's documented hook for plugins that wrap the test body.
    handle = getattr(getattr(item, "obj", None), "hypothesis", None)
    if handle is None or getattr(handle.inner_test, "_climb_wrapped", False):
        return
    inner = handle.inner_test

    @functools.wraps(inner)
    def wrapped(*args, **kwargs):
        try:
            return inner(*args, **kwargs)
        except NotImplementedError as missing:
            raise _NotWrittenYet(str(missing)) from None

    wrapped._climb_wrapped = True
    handle.inner_test = wrapped


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    _stop_property_search_on_missing_code(item)
    try:
        return (yield)
    except (NotImplementedError, _NotWrittenYet) as missing:
        what = str(missing) or "a function this test calls"
    # Failing outside the except block keeps pytest from printing the chained exception.
    pytest.fail(
        f"not written yet: {what}\n"
        "Fill in that function body; the test's name and docstring say what it must do.",
        pytrace=False,
    )


# --- stopping what the tests started -------------------------------------------------------------


def _interrupt_on_sigterm() -> None:
    """End the run on SIGTERM as on Ctrl-C (KeyboardInterrupt), so teardown and the harness's
    clean-up stop what the tests started; the default would end pytest on the spot. A second
    SIGTERM is ignored: it must not cut that clean-up short."""

    def interrupt(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt

    if (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    ):
        signal.signal(signal.SIGTERM, interrupt)


def _end_with_the_runner() -> None:
    """Under the runner, have Linux send SIGTERM (see above) when the runner dies, even by
    SIGKILL (an IDE's stop button, the OOM killer): pytest runs in a session of its own, which
    would otherwise run on to its end with no one reading it."""
    # Popped: the processes the tests start are not the runner's pytest.
    runner = os.environ.pop(RUNNER_ENV, "")
    if not runner.isdigit() or not sys.platform.startswith("linux"):
        return
    pr_set_pdeathsig = 1  # <sys/prctl.h>
    try:
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != int(runner):  # it died before the prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


def note_process_group(pgid: int) -> None:
    """Note a process group a test started, for the runner (nothing when pytest runs alone)."""
    if folder := os.environ.get(GROUPS_ENV):
        Path(folder, str(pgid)).touch()


def forget_process_group(pgid: int) -> None:
    """The group is stopped: nothing for the runner to do."""
    if folder := os.environ.get(GROUPS_ENV):
        Path(folder, str(pgid)).unlink(missing_ok=True)


def kill_noted_groups(folder: Path) -> None:
    """SIGCONT, then SIGKILL, every process group still noted in `folder`: what a test started
    and pytest did not stop (it was killed). SIGCONT first, so a stopped (SIGSTOP) process goes
    too however it is signalled later; SIGKILL ends a stopped one as well."""
    for note in sorted(folder.iterdir()):
        if note.name.isdigit():
            for signum in (signal.SIGCONT, signal.SIGKILL):
                try:
                    os.killpg(int(note.name), signum)
                except (ProcessLookupError, PermissionError):
                    pass
        note.unlink(missing_ok=True)


# --- the failure text ----------------------------------------------------------------------------


class FailureWitness(Protocol):
    """Something the tests use that can say more when one fails (tests/service.py's services)."""

    def test_started(self) -> None:
        """A test begins: what came before it is not its story."""

    def failure_note(self, failure: str) -> str:
        """What to add to this failure (`failure`: the text so far, not to repeat); "" for none."""


_WITNESSES: list[FailureWitness] = []


def add_failure_witness(witness: FailureWitness) -> None:
    """Let `witness` add to the text of every failure from now on."""
    _WITNESSES.append(witness)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    for witness in _WITNESSES:
        witness.test_started()


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    # trylast: inside the recorder's wrapper, which then records this text.
    report = yield
    excinfo = call.excinfo
    # An exception group (Hypothesis: several distinct failures) is best shown as pytest does.
    if (
        report.failed
        and excinfo is not None
        and not isinstance(excinfo.value, BaseExceptionGroup)
    ):
        report.longrepr = failure_text(item, excinfo)
    return report


def failure_text(item: pytest.Item, excinfo: pytest.ExceptionInfo) -> str:
    """The test's message first, then where it failed (a short traceback, no chained
    exceptions; none for pytest.fail(..., pytrace=False)), then what the witnesses add."""
    error = excinfo.value
    if isinstance(error, pytest.fail.Exception):
        message = error.msg
    elif isinstance(error, AssertionError):
        message = str(error) or "assert failed"
    else:
        message = excinfo.exconly()
    message = "\n".join([message, *getattr(error, "__notes__", [])]).rstrip()
    parts = [message]
    if getattr(error, "pytrace", True):
        where = excinfo.getrepr(
            style="short",
            chain=False,
            funcargs=False,
            tbfilter=getattr(item, "_traceback_filter", True),
        )
        # The "E   ..." lines repeat the message shown above.
        lines = [
            ln
            for ln in str(where).splitlines()
            if ln != "E" and not ln.startswith("E ")
        ]
        if any(line.strip() for line in lines):
            parts.append("where it failed:\n" + "\n".join(lines).strip("\n"))
    for witness in _WITNESSES:
        if note := witness.failure_note("\n\n".join(parts)):
            parts.append(note.rstrip())
    return "\n\n".join(parts)


def _new_record(nodeid: str, stage: str | None = None) -> dict:
    return {
        "nodeid": nodeid,
        "file": nodeid.split("::", 1)[0],
        "stage": stage,
        "outcome": "not run",
        "failure": "",
        "exception": "",
        "duration": 0.0,
        # A Hypothesis test: only then is the derandomized search worth telling the learner.
        "property_test": False,
    }


class _Recorder:
    """Collects one record per test and writes them when the session ends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tests: dict[str, dict] = {}
        self.collection_errors: list[dict] = []
        self.progress = path.with_suffix(".progress")

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            marker = item.get_closest_marker("stage")
            stage = str(marker.args[0]) if marker and marker.args else None
            record = _new_record(item.nodeid, stage)
            obj = getattr(item, "obj", None)
            record["property_test"] = bool(getattr(obj, "is_hypothesis_test", False))
            self.tests[item.nodeid] = record
            self._tell(item.nodeid, "collected")

    def _tell(self, nodeid: str, state: str) -> None:
        with self.progress.open("a", encoding="utf-8") as out:
            out.write(json.dumps({"nodeid": nodeid, "state": state}) + "\n")

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self._tell(nodeid, "running")

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        self._tell(nodeid, self.tests.get(nodeid, {}).get("outcome", "not run"))

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors.append(
                {"nodeid": report.nodeid, "failure": report.longreprtext}
            )

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        report = yield
        record = self.tests.setdefault(item.nodeid, _new_record(item.nodeid))
        record["duration"] += report.duration
        if call.when == "call" or (call.when == "setup" and not report.passed):
            record["outcome"] = report.outcome
        if report.failed:
            if call.when != "call":
                record["outcome"] = "error"  # a fixture broke: the test never judged
            record["failure"] = report.longreprtext
            # `Failed` (pytest.fail) and AssertionError are how a test judges; any other
            # type (TypeError, AttributeError ...) means it crashed instead.
            record["exception"] = call.excinfo.typename if call.excinfo else "Failed"
        return report

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.path.write_text(
            json.dumps(
                {
                    "exit_code": int(exitstatus),
                    "collection_errors": self.collection_errors,
                    "tests": list(self.tests.values()),
                },
                indent=1,
            ),
            encoding="utf-8",
        )


def _use_reproducible_property_tests() -> None:
    # Property tests must never flake: derandomized search means a failing example found once is
    # found again on every rerun, on the learner's machine and in CI alike.
    try:
        from hypothesis import settings
    except ImportError:
        return
    settings.register_profile(
        "climb", derandomize=True, deadline=None, database=None, print_blob=False
    )
    settings.load_profile("climb")


_use_reproducible_property_tests()
