"""Kit commands for contributors and facilitators: `invoke --list`. Logic lives in src/climb_kit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from invoke import Collection, Exit, task

from climb_kit.checksums import write_checksums
from climb_kit.cohort.tasks import cohort
from climb_kit.layout import KitError, finished_projects
from climb_kit.render import SAMPLE_LEARNER, new_project, render
from climb_kit.report import check_line, console, verify_table
from climb_kit.verify import verify as verify_template

# The kit is the folder this file is in (not wherever climb_kit happens to be installed from).
KIT_ROOT = Path(__file__).resolve().parent


@task(
    help={
        "project": "which project (e.g. scheduler)",
        "dest": "the folder to create for the learner",
        "learner-name": "the learner's name",
        "github-handle": "the learner's GitHub username",
        "cohort": "their cohort or workshop (optional)",
        "python-version": "3.11, 3.12 or 3.13",
        "allow-dirty": "render even though this checkout has uncommitted changes",
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
        "project": "the template to verify, or 'all' for every finished one",
        "repeat": "how many times the reference solution must pass (catches flaky tests)",
        "keep": "keep the renders in this folder for inspection",
    },
)
def verify(c, project, repeat=1, keep=None):
    """Prove templates sound: render, lint, skeleton fails, reference passes, mutants caught."""
    finished = finished_projects(KIT_ROOT)
    if project.startswith("-"):
        raise Exit(
            "error: name a project first; for this task's options: invoke --help verify",
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
        )
        console.print(verify_table(name, checks))
        if not all(check.ok for check in checks):
            breached.append(name)
    if breached:
        raise Exit(f"verification failed for: {', '.join(breached)}", code=1)


@task(
    help={
        "project": "the template whose reference solution to benchmark (default: scheduler)",
        "sizes": "comma-separated problem sizes (default: the project's own)",
    }
)
def bench(c, project="scheduler", sizes=None):
    """Benchmark a project's reference solution with the project's own benchmark."""
    import tempfile

    from climb_kit.reference import solved_render

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
    help={"project": "the template whose checksum file to regenerate, or 'all'"},
)
def checksums(c, project):
    """Regenerate templates/PROJECT/tests/SHA256SUMS after changing a template's files."""
    finished = finished_projects(KIT_ROOT)
    if project != "all" and project not in finished:
        raise Exit(
            f"error: no finished template {project!r}; give one of: {', '.join(finished)}, "
            "or 'all'",
            code=2,
        )
    for name in finished if project == "all" else [project]:
        changed = write_checksums(name, KIT_ROOT)
        console.print(
            f"templates/{name}/tests/SHA256SUMS "
            + ("updated: commit it" if changed else "already up to date")
        )


ns = Collection(new, demo, verify, bench, checksums)
ns.add_collection(cohort)
