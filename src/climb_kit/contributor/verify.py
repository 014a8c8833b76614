"""The verification contract: what makes a template sound (DESIGN.md).

For one template, from a clean snapshot of the kit:
1. it renders with default answers and with awkward ones, with no Jinja left over;
2. the rendered skeleton, and the reference solution overlaid on it, pass the project's pre-commit;
3. on the skeleton every test of every stage fails, by assertion, quickly;
4. stage ids agree across stage file, tests, markers, README, journal and skeleton;
5. with the reference solution overlaid every test passes, N times in a row;
6. every mutant is caught by its stage's tests;
7. the ladder climbs one rung at a time: the state a learner has after stage k (the skeleton with
   reference/<project>/states/ 1..k overlaid) passes stages 1..k and fails stage k+1 by assertion.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..layout import KIT_ROOT, KitError, package_name, reference_dir
from ..learner.runner import RunResult, run_pytest
from ..learner.stages import StageFileError, load_stages
from ..render import render
from ..snapshot import GIT_ENV, git, snapshot
from . import consistency
from .checksums import stale_checksums
from .mutants import MutantError, apply_mutant, load_mutants
from .reference import (
    FROM_SOLUTION,
    copies_of_solution,
    overlay_solution,
    overlay_state,
    unknown_state_folders,
)

AWKWARD_ANSWERS = {
    # Non-ASCII, quotes and an apostrophe in the name; a handle of GitHub's maximum length.
    "learner_name": 'Zoë Ñúñez-Łukasiewicz 李 "Z" O\'Brien',
    "github_handle": "a" * 19 + "-" + "b" * 19,
    "cohort": "Köln · spring '27",
    "python_version": "3.13",
}
JINJA_MARKS = ("{{", "{%", "{#")
# A skeleton test fails at once; taking this long means it is waiting on something.
SLOW_TEST_SECONDS = 10.0
ALLOWED_FAILURES = {"AssertionError", "Failed"}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    seconds: float = 0.0


class Verifier:
    """Runs the contract's checks for one template and collects their results."""

    def __init__(
        self,
        project: str,
        workdir: Path,
        kit_root: Path = KIT_ROOT,
        on_check: Callable[[Check], None] = lambda check: None,
    ) -> None:
        self.project = project
        self.package = package_name(project)
        self.workdir = workdir
        self.kit_root = kit_root
        self.reference = reference_dir(project, kit_root)
        self.on_check = on_check
        self.checks: list[Check] = []

    def record(
        self, name: str, problems: list[str], ok_detail: str, started: float
    ) -> bool:
        detail = (
            ok_detail
            if not problems
            else "; ".join(problems[:5])
            + (f" (+{len(problems) - 5} more)" if len(problems) > 5 else "")
        )
        check = Check(name, not problems, detail, time.monotonic() - started)
        self.checks.append(check)
        self.on_check(check)
        return check.ok

    def run(self, repeat: int = 1) -> list[Check]:
        started = time.monotonic()
        source = snapshot(self.workdir / "kit", kit_root=self.kit_root)
        skeleton, awkward = self.workdir / "default", self.workdir / "awkward"
        name = "renders (default and awkward answers)"
        try:
            render(source, skeleton, self.project)
            render(source, awkward, self.project, AWKWARD_ANSWERS)
        except Exception as err:  # whatever breaks a render is this check's breach
            self.record(name, [f"{type(err).__name__}: {err}"], "", started)
            return self.checks
        self.record(
            name,
            self.leftover_jinja(skeleton)
            + self.leftover_jinja(awkward)
            + self.awkward_answers_kept(awkward),
            "no Jinja left over; awkward answers kept exactly",
            started,
        )
        # The awkward render targets Python 3.13, whose lint rules differ from 3.11's.
        self.check_pre_commit([skeleton, awkward], "skeleton")
        skeleton_run = self.check_skeleton(skeleton)
        self.check_consistency(skeleton, skeleton_run)
        solved = self.check_reference(skeleton, repeat)
        if solved is not None:
            self.check_pre_commit([solved], "reference solution")
            self.check_mutants(solved)
        self.check_ladder(skeleton)
        return self.checks

    def run_ladder(self) -> list[Check]:
        """Only check 7, on a fresh default render: what `invoke ladder` runs while writing states."""
        started = time.monotonic()
        source = snapshot(self.workdir / "kit", kit_root=self.kit_root)
        skeleton = self.workdir / "default"
        try:
            render(source, skeleton, self.project)
        except Exception as err:  # whatever breaks a render is this check's breach
            self.record("renders", [f"{type(err).__name__}: {err}"], "", started)
            return self.checks
        self.check_ladder(skeleton)
        return self.checks

    # 1. rendering ---------------------------------------------------------------------------
    def leftover_jinja(self, project: Path) -> list[str]:
        problems = []
        for path in sorted(project.rglob("*")):
            relative = path.relative_to(project).as_posix()
            if any(mark in relative for mark in JINJA_MARKS):
                problems.append(f"{relative}: Jinja left in the file name")
            if path.is_file():
                text = path.read_text(encoding="utf-8", errors="replace")
                for mark in JINJA_MARKS:
                    if mark in text:
                        line = text[: text.index(mark)].count("\n") + 1
                        problems.append(f"{relative}:{line}: {mark!r} left over")
        return problems

    def awkward_answers_kept(self, project: Path) -> list[str]:
        problems = []
        answers = yaml.safe_load((project / ".copier-answers.yml").read_text("utf-8"))
        for key, value in AWKWARD_ANSWERS.items():
            if answers.get(key) != value:
                problems.append(
                    f"answers file: {key} is {answers.get(key)!r}, not {value!r}"
                )
        try:
            pyproject = tomllib.loads((project / "pyproject.toml").read_text("utf-8"))
            authors = [a.get("name") for a in pyproject["project"].get("authors", [])]
            if authors and authors != [AWKWARD_ANSWERS["learner_name"]]:
                problems.append(
                    f"pyproject.toml: authors {authors} lost the name's characters"
                )
        except (tomllib.TOMLDecodeError, KeyError) as err:
            problems.append(
                f"pyproject.toml does not parse with an awkward name: {err}"
            )
        for name in ("README.md", "JOURNAL.md"):
            if AWKWARD_ANSWERS["learner_name"] not in (project / name).read_text(
                "utf-8"
            ):
                problems.append(f"{name} does not show the learner's name exactly")
        return problems

    # 2. the rendered project's own linters --------------------------------------------------
    def check_pre_commit(self, projects: list[Path], what: str) -> None:
        started = time.monotonic()
        tools = str(Path(sys.executable).parent)
        env = {
            **os.environ,
            **GIT_ENV,
            "PATH": tools + os.pathsep + os.environ["PATH"],
            "PRE_COMMIT_HOME": str(self.workdir / "pre-commit-home"),
        }
        problems = []
        for project in projects:
            # A copy, because hooks that fail may also fix files in place.
            lint = self.workdir / f"lint-{project.name}"
            shutil.copytree(project, lint, symlinks=True)
            git(lint, "init", "-q")
            git(lint, "add", "-A")
            done = subprocess.run(
                ["pre-commit", "run", "--all-files", "--show-diff-on-failure"],
                cwd=lint,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            if done.returncode != 0:
                output = (done.stdout + done.stderr)[-3000:]
                problems.append(
                    f"pre-commit failed on the {project.name} render:\n{output}"
                )
        self.record(
            f"{what} passes the project's pre-commit",
            problems,
            "all hooks pass",
            started,
        )

    # 3. the skeleton fails every stage, by assertion ----------------------------------------
    def check_skeleton(self, skeleton: Path) -> RunResult:
        started = time.monotonic()
        stage_file = load_stages(skeleton)
        result = run_pytest(skeleton, ["tests"], timeout=600)
        problems = []
        if result.timed_out_after:
            problems.append("the skeleton's tests did not finish (a hang)")
        if result.exit_code != 1:
            problems.append(
                f"pytest exit code {result.exit_code}, expected 1 (tests failed)"
            )
        problems += [
            f"collection error in {e['nodeid']}" for e in result.collection_errors
        ]
        for test in result.tests:
            if test.outcome != "failed":
                problems.append(f"{test.nodeid} {test.outcome} on the skeleton")
            elif test.exception not in ALLOWED_FAILURES:
                problems.append(
                    f"{test.nodeid} crashed with {test.exception}, not an assertion"
                )
            if test.duration > SLOW_TEST_SECONDS:
                problems.append(
                    f"{test.nodeid} took {test.duration:.1f} s on the skeleton"
                )
        per_stage = {
            stage.id: sum(t.file in stage.tests for t in result.tests)
            for stage in stage_file.stages
        }
        problems += [
            f"stage {sid} has no tests" for sid, n in per_stage.items() if n == 0
        ]
        slowest = max((t.duration for t in result.tests), default=0.0)
        self.record(
            "skeleton fails every stage by assertion",
            problems,
            f"{len(result.tests)} tests in {len(per_stage)} stages all fail by assertion "
            f"(slowest {slowest:.2f} s)",
            started,
        )
        return result

    # 4. stage ids agree ---------------------------------------------------------------------
    def check_consistency(self, skeleton: Path, skeleton_run: RunResult) -> None:
        started = time.monotonic()
        stage_file = load_stages(skeleton)
        problems = consistency.check_project(
            skeleton, self.package, stage_file, skeleton_run.tests
        )
        try:
            ids = {s.id for s in stage_file.stages}
            problems += [
                f"mutant {m.id} names unknown stage {m.stage!r}"
                for m in load_mutants(self.reference)
                if m.stage not in ids
            ]
        except MutantError as err:
            problems.append(str(err))
        if stale := stale_checksums(self.project, self.kit_root):
            problems.append(stale)
        self.record(
            "stage ids agree everywhere",
            problems,
            f"{len(stage_file.stages)} stages agree across stages.yml, tests, markers, README, "
            "JOURNAL, skeleton and mutants",
            started,
        )

    # 5. the reference passes, repeatedly ----------------------------------------------------
    def check_reference(self, skeleton: Path, repeat: int) -> Path | None:
        started = time.monotonic()
        name = f"reference passes every stage ({repeat}x)"
        solved = self.workdir / "solved"
        shutil.copytree(skeleton, solved, symlinks=True)
        try:
            overlay_solution(self.project, solved, self.kit_root)
        except KitError as err:
            self.record(name, [str(err)], "", started)
            return None
        problems = []
        counts = set()
        for attempt in range(1, repeat + 1):
            result = run_pytest(solved, ["tests"], timeout=600)
            bad = [t for t in result.tests if t.outcome != "passed"]
            counts.add(len(result.tests))
            if result.exit_code != 0 or bad or result.collection_errors:
                problems.append(
                    f"run {attempt}: exit {result.exit_code}; "
                    + ", ".join(f"{t.nodeid} {t.outcome}" for t in bad[:3])
                )
        self.record(
            name,
            problems,
            f"{'/'.join(map(str, sorted(counts)))} tests passed in each of {repeat} runs",
            started,
        )
        return solved if not problems else None

    # 6. every mutant is caught --------------------------------------------------------------
    def check_mutants(self, solved: Path) -> None:
        started = time.monotonic()
        stage_file = load_stages(solved)
        try:
            mutants = load_mutants(self.reference)
        except MutantError as err:
            self.record("every mutant is caught", [str(err)], "", started)
            return

        def catch(index_mutant):
            index, mutant = index_mutant
            copy = self.workdir / f"mutant-{index}"
            shutil.copytree(solved, copy, symlinks=True)
            try:
                apply_mutant(mutant, copy)
            except MutantError as err:
                return mutant, None, str(err)
            try:
                stage = stage_file.get(mutant.stage)
            except StageFileError as err:
                return mutant, None, str(err)
            # Caught means one test fails: stop there (the rest of a stage's tests, waiting on
            # a mutant's deadlocks and timeouts, would only add minutes).
            result = run_pytest(copy, ["--maxfail=1", *stage.tests], timeout=600)
            caught = [t.nodeid for t in result.tests if t.outcome == "failed"]
            errors = [t.nodeid for t in result.tests if t.outcome == "error"]
            if errors or result.collection_errors:
                return mutant, caught, "a test errored instead of failing"
            return mutant, caught, ""

        problems = []
        with ThreadPoolExecutor(max_workers=2) as pool:
            outcomes = list(pool.map(catch, enumerate(mutants)))
        for mutant, caught, trouble in outcomes:
            if trouble:
                problems.append(f"{mutant.id}: {trouble}")
            elif not caught:
                problems.append(
                    f"{mutant.id} ({mutant.description}) is NOT caught by stage {mutant.stage}"
                )
        if len(mutants) == 0:
            problems.append(f"no mutants in {self.reference / 'mutants'}")
        self.record(
            "every mutant is caught",
            problems,
            f"{len(mutants)} mutants, each caught by a test of its stage",
            started,
        )

    # 7. the ladder climbs one rung at a time ------------------------------------------------
    def check_ladder(self, skeleton: Path) -> None:
        started = time.monotonic()
        stage_file = load_stages(skeleton)
        ids = [stage.id for stage in stage_file.stages]
        problems = [
            f"reference/{self.project}/states/{name} matches no stage but the last"
            for name in unknown_state_folders(self.project, ids, self.kit_root)
        ]
        problems += [
            f"reference/{self.project}/{path} is a copy of the solution's: list it in "
            f"{FROM_SOLUTION} instead, so solution fixes reach the state"
            for path in copies_of_solution(self.project, self.kit_root)
        ]
        outcomes = list(
            ThreadPoolExecutor(max_workers=2).map(
                lambda k: self.climb_to(skeleton, stage_file, k), range(1, len(ids))
            )
        )
        summary = []
        for state_problems, line in outcomes:
            problems += state_problems
            summary.append(line)
        self.record(
            "the ladder climbs one rung at a time",
            problems,
            f"{len(ids) - 1} state{'s' if len(ids) != 2 else ''}: "
            + "; ".join(summary),
            started,
        )

    def climb_to(self, skeleton: Path, stage_file, k: int) -> tuple[list[str], str]:
        """State k passes stages 1..k and fails stage k+1 by assertion."""
        stage, following = stage_file.stages[k - 1], stage_file.stages[k]
        name = f"state after stage {k} ({stage.id})"
        copy = self.workdir / f"state-{k}-{stage.id}"
        shutil.copytree(skeleton, copy, symlinks=True)
        try:
            overlay_state(
                self.project, copy, [s.id for s in stage_file.stages], k, self.kit_root
            )
        except KitError as err:
            return [f"{name}: {err}"], f"{k}: missing"
        paths = [path for s in stage_file.stages[: k + 1] for path in s.tests]
        result = run_pytest(copy, paths, timeout=600)
        problems = []
        if result.timed_out_after:
            problems.append(f"{name}: the tests did not finish (a hang)")
        problems += [
            f"{name}: collection error in {e['nodeid']}"
            for e in result.collection_errors
        ]
        earlier = {path for s in stage_file.stages[:k] for path in s.tests}
        reached = [t for t in result.tests if t.file in earlier]
        for test in reached:
            if test.outcome != "passed":
                problems.append(
                    f"{name}: {test.nodeid} {test.outcome}: {first_said(test.failure)}"
                )
        ahead = [t for t in result.tests if t.file in following.tests]
        failing = [t for t in ahead if t.outcome != "passed"]
        if not ahead:
            problems.append(f"{name}: stage {k + 1} ({following.id}) ran no tests")
        elif not failing:
            problems.append(
                f"{name}: every test of stage {k + 1} ({following.id}) already passes"
            )
        for test in failing:
            if test.outcome != "failed" or test.exception not in ALLOWED_FAILURES:
                problems.append(
                    f"{name}: {test.nodeid} {test.outcome} with {test.exception or 'an error'}, "
                    "not an assertion"
                )
        line = (
            f"{k}: {sum(t.outcome == 'passed' for t in reached)}/{len(reached)} pass, "
            f"stage {k + 1} {len(failing)}/{len(ahead)} fail"
        )
        return problems, line


def first_said(failure: str) -> str:
    """The line of a failure that says what went wrong: the learner's box starts with the
    test's own message (pytest_plugin.failure_text)."""
    return next((line.strip() for line in failure.splitlines() if line.strip()), "")[
        :200
    ]


def verify(
    project: str,
    repeat: int = 1,
    kit_root: Path = KIT_ROOT,
    on_check: Callable[[Check], None] = lambda check: None,
    keep: Path | None = None,
    only_ladder: bool = False,
) -> list[Check]:
    """Verify one template; returns every check (ok or not)."""

    def checks(workdir: Path) -> list[Check]:
        verifier = Verifier(project, workdir, kit_root, on_check)
        return verifier.run_ladder() if only_ladder else verifier.run(repeat)

    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        return checks(keep)
    with tempfile.TemporaryDirectory(prefix=f"climb-verify-{project}-") as scratch:
        return checks(Path(scratch))
