"""`cohort.status`: grade every learner's last commit in a sandbox and say who is where.

For each learner: the committed tree (HEAD, or the remote's main after `fetch`) is exported into a
scratch folder, every stage's tests run there in one pytest run inside the sandbox (sandbox.py)
with the kit's own Python, and the results are judged with the learner runtime's own code
(climb.runner), so a facilitator sees exactly what `invoke progress` shows the learner.

The stage file and the checksums of template files are taken from the kit at the template version
the learner's answers record, not from the learner's copy: an edited test is flagged as tampering.
"""

from __future__ import annotations

import csv
import io
import json
import os
import queue
import shutil
import subprocess
import tarfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import yaml

from ..learner.answers import ANSWERS_FILE
from ..learner.integrity import CHECKSUMS, parse_checksums, sha256_of
from ..learner.runner import (
    RunResult,
    judge_stages,
    pytest_command,
    read_report,
    stage_status,
)
from ..learner.stages import StageFile, StageFileError, parse_stages
from .record import Cohort, learner_repos, learner_scratch, read_cohort, run_git
from .sandbox import (
    Isolation,
    Limits,
    prepare_scratch,
    run_sandboxed,
    sandbox_env,
)

REPORT = ".climb-status-report.json"
RESULT_FILE = "climb-result.json"  # what the learner's CI uploads (climb.result)
STALE_DAYS = 7

# What a test's failure says when the sandbox, not the learner's logic, stopped it.
_LIMIT_SIGNS = (
    ("MemoryError", "memory limit"),
    ("Network is unreachable", "network blocked"),
    ("Errno 101", "network blocked"),
    ("Resource temporarily unavailable", "process limit"),
    ("BlockingIOError", "process limit"),
    ("Timeout >", "time limit (per test)"),
)


@dataclass
class LearnerStatus:
    handle: str
    name: str = ""
    template_version: str = ""
    stages_passed: int = 0
    stages_total: int = 0
    current_stage: str = ""  # the first stage that does not pass ("" when all do)
    tests_passed: int = 0
    tests_failed: int = 0
    tampered: list[str] = field(default_factory=list)
    last_commit: str = ""  # ISO 8601, the committer date of the graded commit
    limit: str = ""  # a sandbox limit the learner's code ran into
    problem: str = ""  # why the learner could not be graded
    stages: dict[str, str] = field(
        default_factory=dict
    )  # stage id -> passed/failing/locked
    seconds: float = 0.0

    def days_since_commit(self, now: datetime) -> float | None:
        if not self.last_commit:
            return None
        return (now - datetime.fromisoformat(self.last_commit)).total_seconds() / 86400

    @property
    def progress(self) -> tuple:
        return (-self.stages_passed, -self.tests_passed, self.handle.lower())


def grade_cohort(
    into: Path,
    isolation: Isolation,
    limits: Limits | None = None,
    stage_seconds: float = 60.0,
    jobs: int | None = None,
    fetch: bool = False,
    on_done: Callable[[LearnerStatus], None] = lambda status: None,
) -> list[LearnerStatus]:
    """Grade every learner repository in `into`; sorted by progress, furthest first."""
    into = Path(into).resolve()
    cohort = read_cohort(into)
    repos = learner_repos(into)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(repos) or 1))
    slots: queue.Queue[int] = queue.Queue()
    for slot in range(jobs):
        slots.put(slot)
    trusted = _TrustedTemplate(cohort)

    def grade(repo: Path) -> LearnerStatus:
        slot = slots.get()
        try:
            status = grade_learner(
                repo, cohort, trusted, isolation, limits, stage_seconds, slot, fetch
            )
        finally:
            slots.put(slot)
        on_done(status)
        return status

    with ThreadPoolExecutor(jobs) as pool:
        results = list(pool.map(grade, repos))
    return sorted(results, key=lambda status: status.progress)


class _TrustedTemplate:
    """The stage file and checksums of each template version, read from the kit, not the learner."""

    def __init__(self, cohort: Cohort):
        self.cohort = cohort
        self.cache: dict[str, tuple[StageFile | None, dict[str, str] | None]] = {}

    def at(self, version: str) -> tuple[StageFile | None, dict[str, str] | None]:
        if version not in self.cache:
            self.cache[version] = (self._stages(version), self._checksums(version))
        return self.cache[version]

    def _show(self, version: str, path: str) -> str | None:
        source = Path(self.cohort.template)
        if not source.is_dir():
            return None
        try:
            return run_git(
                source, "show", f"{version}:templates/{self.cohort.project}/{path}"
            )
        except RuntimeError:
            return None

    def _stages(self, version: str) -> StageFile | None:
        text = self._show(version, "stages.yml")
        try:
            return parse_stages(yaml.safe_load(text)) if text else None
        except (StageFileError, yaml.YAMLError):
            return None

    def _checksums(self, version: str) -> dict[str, str] | None:
        text = self._show(version, CHECKSUMS)
        try:
            return parse_checksums(text) if text else None
        except ValueError:
            return None


def grade_learner(
    repo: Path,
    cohort: Cohort,
    trusted: _TrustedTemplate,
    isolation: Isolation,
    limits: Limits | None,
    stage_seconds: float,
    slot: int,
    fetch: bool = False,
) -> LearnerStatus:
    status = LearnerStatus(handle=repo.name)
    try:
        ref = _graded_ref(repo, fetch)
        status.last_commit = run_git(repo, "log", "-1", "--format=%cI", ref).strip()
        answers = yaml.safe_load(run_git(repo, "show", f"{ref}:{ANSWERS_FILE}")) or {}
        status.name = str(answers.get("learner_name", ""))
        status.template_version = str(answers.get("_commit", ""))
    except (RuntimeError, subprocess.TimeoutExpired, yaml.YAMLError) as err:
        status.problem = f"cannot read the repository: {err}".splitlines()[0]
        return status
    with learner_scratch("status", repo.name) as scratch:
        try:
            _export(repo, ref, scratch)
        except (RuntimeError, tarfile.TarError, OSError) as err:
            status.problem = f"cannot export the last commit: {err}".splitlines()[0]
            return status
        stage_file, checksums = trusted.at(status.template_version)
        if stage_file is None:
            try:
                stage_file = parse_stages(
                    yaml.safe_load((scratch / "stages.yml").read_text("utf-8"))
                )
            except (OSError, StageFileError, yaml.YAMLError, ValueError) as err:
                status.problem = f"no usable stage file: {err}".splitlines()[0]
                return status
        if checksums is None:
            try:
                checksums = parse_checksums((scratch / CHECKSUMS).read_text("utf-8"))
            except (OSError, ValueError):
                checksums = {}
        status.tampered = _tampered(scratch, checksums)
        _run_stages(scratch, stage_file, isolation, limits, stage_seconds, slot, status)
    return status


def _graded_ref(repo: Path, fetch: bool) -> str:
    if not fetch:
        return "HEAD"
    run_git(repo, "fetch", "-q", "origin", timeout=300)
    return "origin/main"


def _export(repo: Path, ref: str, scratch: Path) -> None:
    """The committed tree only (what CI would see), without the learner's .git."""
    archive = run_git(repo, "archive", "--format=tar", ref, text=False)
    scratch.mkdir()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(scratch, filter="data")


def _tampered(scratch: Path, checksums: dict[str, str]) -> list[str]:
    changed = []
    for path, digest in sorted(checksums.items()):
        file = scratch / path
        if not file.is_file() or file.is_symlink() or sha256_of(file) != digest:
            changed.append(path)
    return changed


def _run_stages(
    scratch: Path,
    stage_file: StageFile,
    isolation: Isolation,
    limits: Limits | None,
    stage_seconds: float,
    slot: int,
    status: LearnerStatus,
) -> None:
    stages = stage_file.stages
    base = limits or Limits()
    # One pytest run for every stage (one interpreter start); each stage gets its share of time.
    wall = stage_seconds * len(stages)
    limits = Limits(
        **{**asdict(base), "wall_seconds": wall, "cpu_seconds": int(wall) + 5}
    )
    paths = [path for stage in stages for path in stage.tests]
    prepare_scratch(scratch, isolation.level, slot)
    env = sandbox_env(
        scratch,
        PATH=os.environ.get("PATH", "/usr/bin:/bin"),
        CLIMB_REPORT=str(scratch / REPORT),
    )
    outcome = run_sandboxed(
        pytest_command(paths), scratch, env, limits, isolation, slot
    )
    status.seconds = outcome.seconds
    status.stages_total = len(stages)
    report = scratch / REPORT
    result = None
    if not outcome.limit and report.is_file():
        try:
            result = read_report(report)
        except (ValueError, KeyError, TypeError) as err:
            status.problem = f"unreadable test report: {err}"
    elif not outcome.limit:
        status.problem = (
            "the tests did not run: "
            + (
                outcome.output.strip().splitlines()
                or [f"exit code {outcome.exit_code}"]
            )[-1][:300]
        )
    status.limit = outcome.limit or (result and _limit_from_tests(result)) or ""
    if result is None:
        status.stages = {stage.id: "not run" for stage in stages}
        status.current_stage = stages[0].id
        return
    runs = judge_stages(stages, result)
    judged = stage_status(stage_file, runs)
    status.stages = {stage.id: state for stage, state in judged}
    status.stages_passed = sum(state == "passed" for _, state in judged)
    status.current_stage = next((s.id for s, state in judged if state == "failing"), "")
    status.tests_passed = sum(t.outcome == "passed" for t in result.tests)
    status.tests_failed = sum(t.outcome != "passed" for t in result.tests)


def _limit_from_tests(result: RunResult) -> str:
    """A limit the learner's code ran into inside a test, or while its module was imported."""
    texts = [f"{test.exception}\n{test.failure}" for test in result.tests]
    texts += [error.get("failure", "") for error in result.collection_errors]
    for text in texts:
        for sign, limit in _LIMIT_SIGNS:
            if sign in text:
                return limit
    return ""


def statuses_from_results(into: Path, results: Path) -> list[LearnerStatus]:
    """The cohort's table from the learners' own CI results (`climb-result.json`), no test run.

    Each learner's file is `RESULTS/<handle>.json` or `RESULTS/<handle>/climb-result.json` (what
    `gh run download --name climb-result --dir RESULTS/<handle>` leaves).
    """
    statuses = []
    for repo in learner_repos(Path(into)):
        status = LearnerStatus(handle=repo.name)
        candidates = [
            Path(results) / f"{repo.name}.json",
            Path(results) / repo.name / RESULT_FILE,
        ]
        found = next((path for path in candidates if path.is_file()), None)
        if found is None:
            status.problem = "no CI result found"
        else:
            _fill_from_result(status, found)
        statuses.append(status)
    return sorted(statuses, key=lambda status: status.progress)


def _fill_from_result(status: LearnerStatus, path: Path) -> None:
    try:
        document = json.loads(path.read_text("utf-8"))
        if document.get("format_version") != 1:
            raise ValueError(f"format_version {document.get('format_version')!r}")
        if str(document["github_handle"]).lower() != status.handle.lower():
            raise ValueError(f"the file is for {document['github_handle']!r}")
        stages = document["stages"]
        status.name = str(document["learner_name"])
        status.template_version = str(document["template_version"])
        status.last_commit = str(document["committed_at"])
        status.stages = {str(s["id"]): str(s["status"]) for s in stages}
        status.stages_total = len(stages)
        status.stages_passed = sum(s["status"] == "passed" for s in stages)
        status.current_stage = next(
            (str(s["id"]) for s in stages if s["status"] == "failing"), ""
        )
        status.tests_passed = int(document["tests_passed"])
        status.tests_failed = int(document["tests_failed"])
        status.tampered = [str(path) for path in document["tampered"]]
        datetime.fromisoformat(status.last_commit)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        status.problem = f"unusable CI result {path.name}: {err}"
        status.last_commit = ""


# -- reports ------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "handle",
    "name",
    "stages_passed",
    "stages_total",
    "current_stage",
    "tests_passed",
    "tests_failed",
    "template_version",
    "tampered",
    "last_commit",
    "days_since_commit",
    "limit",
    "problem",
)


def status_csv(statuses: list[LearnerStatus], now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for s in statuses:
        days = s.days_since_commit(now)
        writer.writerow(
            [
                s.handle,
                s.name,
                s.stages_passed,
                s.stages_total,
                s.current_stage,
                s.tests_passed,
                s.tests_failed,
                s.template_version,
                " ".join(s.tampered),
                s.last_commit,
                "" if days is None else f"{days:.1f}",
                s.limit,
                s.problem,
            ]
        )
    return out.getvalue()


def write_atomically(path: Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    shutil.move(temporary, path)
