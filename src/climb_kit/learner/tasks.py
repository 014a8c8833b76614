"""The learner's commands (`invoke --list`). Each task is a few lines over the modules beside it."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

from invoke import Collection, Exit, task
from rich.text import Text

from . import display
from .hints import reveal_next, revealed
from .integrity import template_drift
from .journal import JOURNAL, PROJECT_HEADING, add_entry, read_journal
from .result import RESULT_ENV, result_document, write_result
from .runner import (
    last_run,
    remembered_stage,
    run_stage,
)
from .stages import StageFile, StageFileError, load_stages
from .update import UpdateError, apply_update, plan_update, preflight

# climb/ sits at the root of the learner's project.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _stages() -> StageFile:
    try:
        return load_stages(PROJECT_ROOT)
    except StageFileError as err:
        raise Exit(f"error: {err}", code=2) from None


@task(
    help={
        "stage": "run only this stage's tests: a stage id from stages.yml, e.g. the one "
        "`invoke progress` shows as failing (default: your current stage, then the earlier "
        "ones)",
        "all": "do not stop at the first failing test: run every stage's tests (or, with "
        "--stage, that stage's), show every failure of the first stage that fails, and, "
        "without --stage, the progress table (default: off)",
    }
)
def test(c, stage=None, all_=False):
    """Run your current stage's tests, then the earlier ones; stop at the first failing test.

    --all runs every test instead and shows every failure of the stage that fails.
    """
    stage_file = _stages()
    display.warning(template_drift(PROJECT_ROOT).warning())
    if stage:
        try:
            chosen = stage_file.get(stage)
        except StageFileError as err:
            raise Exit(f"error: {err}", code=2) from None
        with display.console.status(f"Running {chosen.label} {chosen.title}…"):
            run = run_stage(PROJECT_ROOT, chosen, stop_at_first=not all_)
        display.stage_line(run)
        if not run.ok:
            display.failure_details(run, every=all_)
            raise Exit(code=1)
        return
    if all_:
        runs = display.run_every_stage_live(
            PROJECT_ROOT, stage_file, "invoke test --all"
        )
        display.console.print(
            display.progress_table(stage_file, runs, revealed(PROJECT_ROOT))
        )
        failing = next((run for run in runs.values() if not run.ok), None)
        if failing is not None:
            display.failure_details(failing, every=True)
        display.next_step(stage_file, runs, read_journal(PROJECT_ROOT))
        if failing is not None:
            raise Exit(code=1)
        return
    failed = display.climb_and_report(
        PROJECT_ROOT, stage_file, remembered_stage(PROJECT_ROOT, stage_file)
    )
    if failed is not None:
        raise Exit(code=1)


@task
def progress(c):
    """Show every stage (passed, failing or locked), hints used, and what to do next."""
    stage_file = _stages()
    runs = display.run_every_stage_live(PROJECT_ROOT, stage_file, "invoke progress")
    journal = read_journal(PROJECT_ROOT)
    display.console.print(
        display.progress_table(stage_file, runs, revealed(PROJECT_ROOT), journal)
    )
    display.missing_reflections(stage_file, runs, journal)
    display.next_step(stage_file, runs, journal)


@task(
    help={
        "stage": "the stage to get a hint for (default: the first stage that does not pass yet)"
    }
)
def hint(c, stage=None):
    """Reveal the next hint for your current stage (each call is one level more specific).

    The current stage comes from your last `invoke test` (at once); only when there is none
    does it run the tests first.
    """
    stage_file = _stages()
    try:
        if stage:
            chosen = stage_file.get(stage)
        else:
            last = last_run(PROJECT_ROOT, stage_file)
            if last is None:
                display.console.print(
                    "No earlier test results here: running the tests to find your current "
                    "stage (from now on `invoke hint` answers from the last `invoke test`)."
                )
                display.climb_and_report(
                    PROJECT_ROOT,
                    stage_file,
                    remembered_stage(PROJECT_ROOT, stage_file),
                    command="invoke hint",
                    details=False,
                )
                last = last_run(PROJECT_ROOT, stage_file)
                assert last is not None, "the run just recorded itself"
            if last.failing_stage is None:
                display.all_done(stage_file, read_journal(PROJECT_ROOT))
                return
            chosen = stage_file.get(last.failing_stage)
            display.hint_source(last, chosen)
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
    display.warning(template_drift(PROJECT_ROOT).warning())
    display.console.rule("pre-commit")
    hooks_ok = (
        subprocess.run(
            ["pre-commit", "run", "--all-files", "--show-diff-on-failure"],
            cwd=PROJECT_ROOT,
        ).returncode
        == 0
    )
    display.console.rule("tests")
    runs = display.run_every_stage_live(PROJECT_ROOT, stage_file, "invoke check")
    hints = revealed(PROJECT_ROOT)
    display.console.print(display.progress_table(stage_file, runs, hints))
    if summary := os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(summary, "a", encoding="utf-8") as out:
            out.write(display.progress_markdown(stage_file, runs, hints))
    if result := os.environ.get(RESULT_ENV):
        document = result_document(
            PROJECT_ROOT, stage_file, runs, template_drift(PROJECT_ROOT)
        )
        write_result(Path(result), document)
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
        "sizes": "comma-separated problem sizes, e.g. 100,1000; `python benchmarks/bench.py "
        "--help` says what a size counts here (default: the benchmark's own)"
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


@task(
    help={
        "to": "the template version to update to: a tag such as v1.2.0, a branch or a commit "
        "(default: the newest release)",
        "dry-run": "only show what would change; touch nothing (default: off)",
    }
)
def update(c, to=None, dry_run=False):
    """Bring in the template's fixes (tests, CI, hints) without touching your code or journal."""
    try:
        with display.console.status("Checking your project…") as status:
            answers = preflight(PROJECT_ROOT)
            status.update(
                f"Rendering the template at {answers.version} and at "
                f"{to or 'its newest version'} to compare…"
            )
            plan = plan_update(PROJECT_ROOT, answers, to)
        display.update_plan(plan, dry_run)
        if dry_run or plan.nothing_to_do:
            if dry_run and not plan.nothing_to_do:
                display.console.print(
                    "Dry run: nothing was changed. Run `invoke update"
                    + (f" --to {to}" if to else "")
                    + "` to do it."
                )
            return
        with display.console.status("Running copier update and settling each file…"):
            outcome = apply_update(PROJECT_ROOT, plan)
    except UpdateError as err:
        raise Exit(f"error: {err}", code=2) from None
    display.update_outcome(outcome, PROJECT_ROOT)


@task(
    help={
        "stage": "the stage to write about (default: your current stage, the one "
        "`invoke test` works on; once every stage passes, the project's reflection)",
        "edit": "open an editor at the new entry; --no-edit only starts the entry "
        "(default: on)",
        "editor": "the editor command to open the journal with (default: $VISUAL or "
        "$EDITOR, when run in a terminal)",
    }
)
def journal(c, stage=None, edit=True, editor=None):
    """Start today's entry in JOURNAL.md under a stage's prompt, and open it."""
    stage_file = _stages()
    try:
        chosen = (
            stage_file.get(stage)
            if stage
            else remembered_stage(PROJECT_ROOT, stage_file)
        )
    except StageFileError as err:
        raise Exit(f"error: {err}", code=2) from None
    last = last_run(PROJECT_ROOT, stage_file)
    # Every stage passed: what is left to write is the reflection on the whole project.
    finished = stage is None and last is not None and last.failing_stage is None
    path = PROJECT_ROOT / JOURNAL
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
    except UnicodeDecodeError:
        raise Exit(
            f"error: {JOURNAL} is not UTF-8 text; fix its encoding first", code=2
        ) from None
    if finished:
        new_text, line = add_entry(text, None, PROJECT_HEADING, date.today())
        what, prompt = "the project", stage_file.reflection
    else:
        heading = f"## Stage {chosen.number} · {chosen.title} (`{chosen.id}`)"
        new_text, line = add_entry(text, chosen.id, heading, date.today())
        what, prompt = f"{chosen.label} {chosen.title}", chosen.journal
    path.write_text(new_text, encoding="utf-8")
    display.console.print(f"Started today's entry for {what} at {JOURNAL}:{line}")
    display.console.print(Text("The prompt: " + " ".join(prompt.split())))
    if editor is None and sys.stdin.isatty() and sys.stdout.isatty():
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if edit and editor:
        command = [*shlex.split(editor), f"+{line}", str(path)]
        try:
            subprocess.run(command, check=False)
        except OSError as err:
            raise Exit(
                f"error: could not start your editor {editor!r}: {err}", code=2
            ) from None


@task
def watch(c):
    """Rerun your current stage's tests every time you save a file; Ctrl-C stops.

    Watches src/, tests/ and stages.yml. Each run is `invoke test`'s: the current stage, then the
    earlier ones, then on to the next stage when they pass. If saves go unnoticed (some network
    drives, containers and VMs), run it as `WATCHFILES_FORCE_POLLING=1 invoke watch`.
    """
    try:
        # Here, not at the top: a project whose dev tools predate watch keeps its other commands.
        from .watch import watch_project
    except ModuleNotFoundError as err:
        if err.name != "watchfiles":
            raise
        raise Exit(
            'error: watchfiles is not installed here; run `pip install -e ".[dev]"` first',
            code=2,
        ) from None
    try:
        watch_project(PROJECT_ROOT)
    except (OSError, RuntimeError) as err:
        raise Exit(
            f"error: cannot watch files here ({err}); try "
            "`WATCHFILES_FORCE_POLLING=1 invoke watch`",
            code=2,
        ) from None


@task(
    help={
        "verify": "check the bundle FILE instead of building one: its manifest, every file's "
        "hash, and that it holds no links, devices or paths outside its folder (default: none, "
        "build a bundle)"
    }
)
def package(c, verify=None):
    """Bundle your last commit for the showcase into dist/ (or check one with --verify FILE)."""
    # Only this task needs them.
    from . import package as packaging
    from .bundle import check_bundle

    if verify is not None:
        verdict = check_bundle(verify)
        if verdict.unreadable:
            raise Exit(f"error: {verdict.unreadable}", code=2)
        packaging.print_verdict(verify, verdict)
        if not verdict.ok:
            raise Exit(code=1)
        return
    try:
        with display.console.status("Packaging…") as status:
            built = packaging.build_package(PROJECT_ROOT, on_step=status.update)
    except packaging.Refused as refused:
        packaging.print_refusal(refused)
        raise Exit(code=2) from None
    packaging.print_built(built, PROJECT_ROOT)


namespace = Collection(
    test, progress, hint, check, bench, watch, update, journal, package
)
