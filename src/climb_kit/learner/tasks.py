"""The learner's commands (`invoke --list`). Each task is a few lines over the modules beside it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from invoke import Collection, Exit, task

from . import display
from .hints import reveal_next, revealed
from .runner import (
    climb,
    first_failing,
    remember_stage,
    remembered_stage,
    run_every_stage,
    run_stage,
)
from .stages import StageFile, StageFileError, load_stages

# climb/ sits at the root of the learner's project.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _stages() -> StageFile:
    try:
        return load_stages(PROJECT_ROOT)
    except StageFileError as err:
        raise Exit(f"error: {err}", code=2) from None


def _climb_from(stage_file: StageFile, start) -> bool:
    """Walk the ladder from `start`; print as it goes; True when every stage passes."""
    with display.console.status("") as status:
        outcome = climb(
            PROJECT_ROOT,
            stage_file,
            start,
            on_start=lambda stage: status.update(
                f"Running {stage.label} {stage.title}…"
            ),
            on_run=display.stage_line,
        )
    remember_stage(PROJECT_ROOT, outcome.current)
    if outcome.stopped_at is not None:
        display.failure_details(outcome.stopped_at)
        return False
    display.all_done(stage_file)
    return True


@task(
    help={
        "stage": "run only this stage's tests (a stage id from stages.yml, e.g. the one "
        "`invoke progress` shows as failing)",
        "all": "run every stage and show the progress table, without stopping",
    }
)
def test(c, stage=None, all_=False):
    """Run your current stage's tests, then the earlier ones; stop at the first failure."""
    stage_file = _stages()
    if stage and all_:
        raise Exit("error: give either --stage or --all, not both", code=2)
    if all_:
        runs = run_every_stage(PROJECT_ROOT, stage_file)
        display.console.print(
            display.progress_table(stage_file, runs, revealed(PROJECT_ROOT))
        )
        display.next_step(stage_file, runs)
        if not all(run.ok for run in runs.values()):
            raise Exit(code=1)
        return
    if stage:
        try:
            chosen = stage_file.get(stage)
        except StageFileError as err:
            raise Exit(f"error: {err}", code=2) from None
        run = run_stage(PROJECT_ROOT, chosen)
        display.stage_line(run)
        if not run.ok:
            display.failure_details(run)
            raise Exit(code=1)
        return
    if not _climb_from(stage_file, remembered_stage(PROJECT_ROOT, stage_file)):
        raise Exit(code=1)


@task
def progress(c):
    """Show every stage (passed, failing or locked), hints used, and what to do next."""
    stage_file = _stages()
    with display.console.status("Running every stage's tests…"):
        runs = run_every_stage(PROJECT_ROOT, stage_file)
    display.console.print(
        display.progress_table(stage_file, runs, revealed(PROJECT_ROOT))
    )
    display.next_step(stage_file, runs)


@task(
    help={
        "stage": "the stage to get a hint for (default: the first stage that does not pass yet)"
    }
)
def hint(c, stage=None):
    """Reveal the next hint for your current stage (each call is one level more specific)."""
    stage_file = _stages()
    try:
        if stage:
            chosen = stage_file.get(stage)
        else:
            with display.console.status("Finding your current stage…"):
                runs = run_every_stage(PROJECT_ROOT, stage_file)
            chosen = first_failing(stage_file, runs)
            if chosen is None:
                display.all_done(stage_file)
                return
        display.hint(reveal_next(PROJECT_ROOT, chosen))
    except (StageFileError, ValueError) as err:
        raise Exit(f"error: {err}", code=2) from None


@task
def check(c):
    """Run what CI runs: the pre-commit hooks on every file, then every stage's tests."""
    stage_file = _stages()
    if shutil.which("pre-commit") is None:
        raise Exit(
            'error: pre-commit is not installed here; run `pip install -e ".[dev]"` first',
            code=2,
        )
    if not (PROJECT_ROOT / ".git").exists():
        raise Exit(
            "error: this folder is not a git repository yet; "
            'run `git init && git add -A && git commit -m "Start"` first',
            code=2,
        )
    display.console.rule("pre-commit")
    hooks_ok = (
        subprocess.run(
            ["pre-commit", "run", "--all-files", "--show-diff-on-failure"],
            cwd=PROJECT_ROOT,
        ).returncode
        == 0
    )
    display.console.rule("tests")
    runs = run_every_stage(PROJECT_ROOT, stage_file)
    hints = revealed(PROJECT_ROOT)
    display.console.print(display.progress_table(stage_file, runs, hints))
    if summary := os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(summary, "a", encoding="utf-8") as out:
            out.write(display.progress_markdown(stage_file, runs, hints))
    failing = next((run for run in runs.values() if not run.ok), None)
    if failing is not None:
        display.failure_details(failing)
    if not hooks_ok:
        display.console.print(
            "[red]pre-commit hooks failed[/] (see above); they may have "
            "fixed files for you: review and commit them."
        )
    if failing is not None or not hooks_ok:
        raise Exit(code=1)


@task(
    help={
        "sizes": "comma-separated job counts, e.g. 1000,10000 (default: the project's)"
    }
)
def bench(c, sizes=None):
    """Measure your implementation's speed (see benchmarks/ for what it does)."""
    script = PROJECT_ROOT / "benchmarks" / "bench.py"
    if not script.exists():
        raise Exit("error: this project has no benchmark (benchmarks/bench.py)", code=2)
    command = [sys.executable, str(script)] + (["--sizes", sizes] if sizes else [])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(["src", str(PROJECT_ROOT)])}
    code = subprocess.run(command, cwd=PROJECT_ROOT, env=env).returncode
    if code:
        raise Exit(code=code)


namespace = Collection(test, progress, hint, check, bench)
