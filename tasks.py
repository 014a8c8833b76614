"""Kit commands for contributors and facilitators: `invoke --list`. Logic lives in src/climb_kit."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from invoke import Collection, Exit, task

from climb_kit.cohort.tasks import cohort
from climb_kit.contributor.checksums import write_checksums
from climb_kit.contributor.verify import verify as verify_template
from climb_kit.layout import KitError, finished_projects
from climb_kit.render import SAMPLE_LEARNER, new_project, render
from climb_kit.report import check_line, console, verify_table
from climb_kit.showcase.tasks import showcase
from climb_kit.task_help import answer_help_after_any_task

# `invoke new --help` typed in the kit's root works too, not only `python3 kit.py new --help`.
answer_help_after_any_task()

# The kit is the folder this file is in (not wherever climb_kit happens to be installed from).
KIT_ROOT = Path(__file__).resolve().parent


@task(
    help={
        "project": "which project, e.g. scheduler (required)",
        "dest": "the folder to create for the learner (required)",
        "learner-name": "the learner's name (default: Sample Learner)",
        "github-handle": "the learner's GitHub username (default: sample-learner)",
        "cohort": "their cohort or workshop (default: none)",
        "python-version": "3.11, 3.12 or 3.13 (default: 3.11)",
        "allow-dirty": "render even though this checkout has uncommitted changes (default: off)",
    }
)
def new(
    c,
    project,
    dest,
    learner_name=None,
    github_handle=None,
    cohort=None,
    python_version=None,
    allow_dirty=False,
):
    """Render a project for a learner from this kit checkout."""
    answers = {
        key: value
        for key, value in {
            "learner_name": learner_name,
            "github_handle": github_handle,
            "cohort": cohort,
            "python_version": python_version,
        }.items()
        if value is not None
    }
    try:
        path, note = new_project(
            KIT_ROOT, project, Path(dest).resolve(), answers, allow_dirty
        )
    except KitError as err:
        raise Exit(f"error: {err}", code=2) from None
    console.print(f"Rendered {project} into {path} ({note}).")
    console.print(f"Next: cd {dest} && invoke test")


@task(
    help={
        "project": "which project (default: scheduler)",
        "dest": "folder to render into (default: a fresh demo-<project>[-N])",
    }
)
def demo(c, project="scheduler", dest=None):
    """Render a project for a sample learner and show its first failing stage."""
    target = Path(dest) if dest else _fresh_folder(KIT_ROOT / f"demo-{project}")
    try:
        render(KIT_ROOT, target.resolve(), project, SAMPLE_LEARNER)
    except KitError as err:
        raise Exit(f"error: {err}", code=2) from None
    console.print(
        f"[bold]Rendered the {project} project for a sample learner in {target}[/]"
    )
    console.print("Inside it, `invoke test` says:\n")
    shown = os.path.relpath(target)
    code = subprocess.run(
        [sys.executable, "-m", "invoke", "test"], cwd=target
    ).returncode
    if code != 1:  # 1 is the expected "stage failing"; anything else is the kit's fault
        raise Exit(f"error: `invoke test` in {shown} exited {code}; see above", code=1)
    console.print(
        "\nThat failure is the starting line: every stage fails until the learner writes "
        f"it. Explore with `cd {shown}` then `invoke progress` or `invoke hint`."
    )


def _fresh_folder(base: Path) -> Path:
    candidate, n = base, 1
    while candidate.exists():
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate


@task(
    positional=["project"],
    help={
        "project": "the template to verify, or 'all' for every finished one (required)",
        "repeat": "how many times the reference solution must pass, to catch flaky tests "
        "(default: 1)",
        "keep": "keep the renders in this folder for inspection (default: none kept)",
        "ladder-only": "check only the ladder: each stage's state passes it and fails the next "
        "(default: off, every check)",
    },
)
def verify(c, project, repeat=1, keep=None, ladder_only=False):
    """Prove templates sound: render, lint, skeleton fails, reference passes, mutants caught."""
    finished = finished_projects(KIT_ROOT)
    if project.startswith("-"):
        raise Exit(
            "error: name a project first; for this task's options: "
            "python3 kit.py verify --help",
            2,
        )
    if project != "all" and project not in finished:
        raise Exit(
            f"error: no finished template {project!r}; give one of: {', '.join(finished)}, "
            "or 'all'",
            code=2,
        )
    breached = []
    for name in finished if project == "all" else [project]:
        console.print(f"[bold]Verifying {name}[/] (reference runs: {repeat})")
        checks = verify_template(
            name,
            repeat=int(repeat),
            kit_root=KIT_ROOT,
            on_check=lambda check, n=name: check_line(n, check),
            keep=Path(keep) / name if keep else None,
            only_ladder=ladder_only,
        )
        console.print(verify_table(name, checks))
        if not all(check.ok for check in checks):
            breached.append(name)
    if breached:
        raise Exit(f"verification failed for: {', '.join(breached)}", code=1)


@task(
    help={
        "project": "the template whose reference solution to benchmark (default: scheduler)",
        "sizes": "comma-separated problem sizes, passed to the project's benchmarks/bench.py "
        "(default: the project's own)",
    }
)
def bench(c, project="scheduler", sizes=None):
    """Benchmark a project's reference solution with the project's own benchmark."""
    import tempfile

    from climb_kit.contributor.reference import solved_render

    with tempfile.TemporaryDirectory(prefix="climb-bench-") as scratch:
        try:
            solved = solved_render(project, Path(scratch), kit_root=KIT_ROOT)
        except KitError as err:
            raise Exit(f"error: {err}", code=2) from None
        args = ["--sizes", sizes] if sizes else []
        code = subprocess.run(
            [sys.executable, "-m", "invoke", "bench", *args], cwd=solved
        )
    if code.returncode:
        raise Exit(code=code.returncode)


@task(
    positional=["project"],
    help={
        "project": "the template whose hints and checksums to regenerate, or 'all' "
        "(required)"
    },
)
def checksums(c, project):
    """Regenerate templates/PROJECT's encoded hints and tests/SHA256SUMS after changing it.

    The hints come from reference/PROJECT/hints.yml; the checksums cover every template-owned
    file a learner gets verbatim, the hints included.
    """
    finished = finished_projects(KIT_ROOT)
    if project != "all" and project not in finished:
        raise Exit(
            f"error: no finished template {project!r}; give one of: {', '.join(finished)}, "
            "or 'all'",
            code=2,
        )
    for name in finished if project == "all" else [project]:
        try:
            changed = write_checksums(name, KIT_ROOT)
        except KitError as err:
            raise Exit(f"error: {err}", code=2) from None
        for path in changed:
            console.print(f"{path} updated: commit it")
        if not changed:
            console.print(f"templates/{name}: hints and checksums already up to date")


@task(
    name="new",
    positional=["name"],
    help={
        "name": "the new template's folder name, kebab-case, e.g. url-shortener (required)",
        "title": "the project's title as learners see it, e.g. 'URL Shortener' (required)",
    },
)
def template_new(c, name, title):
    """Scaffold templates/NAME and reference/NAME with two example stages that verify."""
    from climb_kit.contributor.scaffold import new_template

    try:
        made = new_template(name, title, KIT_ROOT)
    except KitError as err:
        raise Exit(f"error: {err}", code=2) from None
    for folder in made:
        console.print(f"Created {folder.relative_to(KIT_ROOT)}/")
    console.print(
        f"Listed {name} in copier.yml. Next: `invoke verify {name}`, then replace the example "
        "stages with your own (CONTRIBUTING.md says how)."
    )


def _one_project(project: str) -> str:
    finished = finished_projects(KIT_ROOT)
    if project not in finished:
        raise Exit(
            f"error: no finished template {project!r}; give one of: {', '.join(finished)}",
            code=2,
        )
    return project


@task(
    positional=["project"],
    help={
        "project": "the template whose tests to measure (required)",
        "max-children": "parallel mutmut workers (default: one per core)",
        "show": "how many surviving mutants to print in full (default: 20)",
    },
)
def mutation(c, project, max_children=None, show=20):
    """Measure a project's test strength: mutation testing of its reference with mutmut."""
    import tempfile

    from climb_kit.contributor.mutation import mutation_test

    project = _one_project(project)
    with tempfile.TemporaryDirectory(prefix="climb-mutation-") as scratch:
        try:
            report = mutation_test(
                project,
                Path(scratch),
                kit_root=KIT_ROOT,
                max_children=int(max_children) if max_children else None,
                show=int(show),
            )
        except KitError as err:
            raise Exit(f"error: {err}", code=2) from None
    for diff in report.diffs.values():
        console.print(f"\n{diff}", markup=False, highlight=False)
    hidden = [name for name in report.survivors if name not in report.diffs]
    if hidden:
        console.print(
            f"\n{len(hidden)} more not caught: " + ", ".join(hidden), markup=False
        )
    counts = ", ".join(f"{n} {s}" for s, n in sorted(report.statuses.items()))
    console.print(
        f"\n[bold]{project}: mutation score {report.score:.1%}[/] "
        f"({report.caught} of {report.judged} caught; {counts}); "
        f"{len(report.survivors)} not caught"
    )


@task(
    positional=["project"],
    help={
        "project": "the template whose reference suite to run again and again (required)",
        "runs": "how many full runs, every other one with the other cores busy (default: 50)",
    },
)
def flakes(c, project, runs=50):
    """Run a project's reference suite many times, half under load; list tests that ever failed."""
    import tempfile

    from rich.progress import Progress

    from climb_kit.contributor.flakes import hunt_flakes

    project = _one_project(project)
    if int(runs) < 1:
        raise Exit("error: --runs must be at least 1", code=2)
    with (
        tempfile.TemporaryDirectory(prefix="climb-flakes-") as scratch,
        Progress(console=console) as progress,
    ):
        bar = progress.add_task(f"{project}: full runs", total=int(runs))
        failed_runs = 0

        def on_run(run, loaded, failed):
            nonlocal failed_runs
            failed_runs += bool(failed)
            progress.update(
                bar,
                advance=1,
                description=f"{project}: full runs ({failed_runs} with failures)",
            )

        try:
            report = hunt_flakes(project, Path(scratch), int(runs), KIT_ROOT, on_run)
        except KitError as err:
            raise Exit(f"error: {err}", code=2) from None
    for broken in report.broken_runs:
        console.print(f"run {broken}", markup=False)
    for nodeid, where in sorted(report.failures.items()):
        console.print(
            f"FLAKY {nodeid}: failed in runs {', '.join(where)}", markup=False
        )
        said = report.first_failure.get(nodeid, "").splitlines()
        console.print(textwrap.indent("\n".join(said[-25:]), "    "), markup=False)
    console.print(
        f"[bold]{project}: {report.runs} runs of {report.tests} tests, "
        f"{len(report.failures)} tests ever failed, {len(report.broken_runs)} runs broken[/]"
    )
    if report.failures or report.broken_runs:
        raise Exit(code=1)


@task(
    positional=["project"],
    help={
        "project": "the template whose blind round to judge (required)",
        "round": "which round of reference/PROJECT/blind/ (default: the newest)",
    },
)
def blind(c, project, round=None):
    """Judge a blind round: run the whole suite on each wrong solution; record what got through."""
    import tempfile

    from climb_kit.contributor.blind import (
        find_round,
        judge_round,
        record_results,
        tally,
    )

    project = _one_project(project)
    try:
        number = None if round is None else int(round)
    except ValueError:
        raise Exit(f"error: --round takes a number, not {round!r}", code=2) from None
    try:
        folder = find_round(project, number, KIT_ROOT)
    except KitError as err:
        raise Exit(f"error: {err}", code=2) from None
    console.print(
        f"{project} {folder.name}: the whole suite on each wrong solution (two at a time)",
        markup=False,
    )

    def on_verdict(verdict):
        said = f"caught by {verdict.caught_by}" if verdict.caught else "NOT CAUGHT"
        if verdict.trouble:
            said = f"{said} ({verdict.trouble})" if verdict.caught else verdict.trouble
        # One line each, however long the node id: easy to grep and to copy.
        console.print(
            f"  {verdict.mutant.id} [{verdict.mutant.stage}]: {said}",
            markup=False,
            soft_wrap=True,
        )

    with tempfile.TemporaryDirectory(prefix="climb-blind-") as scratch:
        try:
            verdicts = judge_round(project, folder, Path(scratch), KIT_ROOT, on_verdict)
        except KitError as err:
            raise Exit(f"error: {err}", code=2) from None
    commit = (
        subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=KIT_ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        or "an uncommitted checkout"
    )
    written = record_results(project, folder, verdicts, commit)
    console.print(
        f"[bold]{project} {folder.name}: {tally(verdicts)}[/] "
        f"(recorded in {written.relative_to(KIT_ROOT)})"
    )
    if not all(v.caught for v in verdicts):
        raise Exit(code=1)


template = Collection("template")
template.add_task(template_new)

ns = Collection(new, demo, verify, bench, checksums, mutation, flakes, blind, template)
ns.add_collection(showcase)
ns.add_collection(cohort)
ns.configure({"kit_root": str(KIT_ROOT)})
