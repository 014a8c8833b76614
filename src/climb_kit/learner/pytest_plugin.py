"""pytest plugin every learner project loads: the `stage` marker, teaching failures, a JSON report.

A skeleton function raises NotImplementedError("Stage N (id): ..."). Left alone, pytest would report
that as a crash deep in the learner's code; here it becomes a plain failure that says which stage's
work is missing, so a fresh project fails every test by assertion, never by error.

When the environment names a file in CLIMB_REPORT, the outcome of every test (with its stage marker
and failure text) is written there as JSON: that is how `invoke test`, `invoke progress` and the
kit's verifier read results, one format for all of them. While the run goes on, a line per test
starting and finishing is appended to the file beside it (`report.progress` for `report.json`):
that is how `invoke progress` shows counts as they come.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import pytest

REPORT_ENV = "CLIMB_REPORT"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "stage(id): the stage (from stages.yml) this test belongs to"
    )
    if os.environ.get(REPORT_ENV):
        config.pluginmanager.register(_Recorder(Path(os.environ[REPORT_ENV])))


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
