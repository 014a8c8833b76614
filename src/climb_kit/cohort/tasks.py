"""Facilitator tasks (`invoke cohort.create|status|update|collect|bench`); the logic is beside."""

from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from invoke import Collection, Exit, task
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from ..layout import KIT_ROOT, KitError
from ..report import console
from .collect import collect_cohort
from .create import create_cohort
from .dashboard import dashboard_html, status_table
from .record import learner_repos, read_cohort
from .roster import RosterError, read_roster
from .sandbox import probe
from .status import grade_cohort, status_csv, statuses_from_results, write_atomically
from .update import update_cohort


@contextmanager
def _progress(what: str):
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        bar = progress.add_task(what, total=None)
        yield progress, bar


def _jobs(jobs) -> int | None:
    if jobs is None:
        return None
    if int(jobs) < 1:
        raise Exit("error: --jobs must be at least 1", code=2)
    return int(jobs)


def _advance_unless_existed(progress, bar, made) -> None:
    # Learners already there are reported before the bar starts counting the missing ones.
    if made.state != "existed":
        progress.advance(bar)


@task(
    help={
        "roster": "the roster CSV: columns name, github_handle, and optionally email, cohort "
        "(required)",
        "project": "which project every learner gets, e.g. scheduler (required)",
        "into": "the cohort folder: one repository per learner, named by handle (required)",
        "remote-url-template": "push each repository here; {handle} and {project} are filled "
        "in, e.g. git@github.com:org/{project}-{handle}.git (default: none, nothing pushed)",
        "jobs": "parallel renders (default: the number of CPUs)",
        "template": "the kit to render from: a URL or path of a clean, tagged clone "
        "(default: this checkout)",
    }
)
def create(c, roster, project, into, remote_url_template="", jobs=None, template=None):
    """Create one repository per roster row (resumable; existing learners are never touched)."""
    try:
        learners = read_roster(Path(roster))
    except RosterError as err:
        raise Exit(f"error: {err}", code=2) from None
    try:
        with _progress("Creating repositories") as (progress, bar):
            results = create_cohort(
                learners,
                project,
                Path(into),
                template or KIT_ROOT,
                remote_url_template,
                _jobs(jobs),
                on_start=lambda total: progress.update(bar, total=total, completed=0),
                on_done=lambda made: _advance_unless_existed(progress, bar, made),
            )
    except KitError as err:
        raise Exit(f"error: {err}", code=2) from None
    counts = {
        state: sum(m.state == state for m in results)
        for state in ("created", "existed", "failed")
    }
    console.print(
        f"{counts['created']} created, {counts['existed']} already there, "
        f"{counts['failed']} failed, in {into}"
    )
    for made in results:
        if made.problem or made.pushed not in ("", "pushed"):
            console.print(f"  {made.handle}: {made.problem or made.pushed}")
    if counts["failed"] or any(m.pushed not in ("", "pushed") for m in results):
        raise Exit(code=1)


@task(
    help={
        "into": "the cohort folder, made by cohort.create (required)",
        "html": "also write a self-contained HTML dashboard to this file (default: none)",
        "csv": "also write the table as CSV to this file (default: none)",
        "stage-seconds": "time limit per stage in seconds; a learner's run is stopped at this "
        "times the number of stages (default: 60)",
        "jobs": "learners graded in parallel (default: the number of CPUs)",
        "fetch": "fetch each repository's remote first and grade its main branch "
        "(default: off, the local clone as it is)",
        "results": "read the learners' CI results (climb-result.json files) from this folder "
        "instead of running their tests (default: none, run the tests)",
    }
)
def status(
    c,
    into,
    html=None,
    csv=None,
    stage_seconds=60,
    jobs=None,
    fetch=False,
    results=None,
):
    """Grade every learner's last commit in a sandbox: progress table, CSV, HTML."""
    try:
        cohort = read_cohort(Path(into))
        total = len(learner_repos(Path(into)))
    except KitError as err:
        raise Exit(f"error: {err}", code=2) from None
    if results:
        if not Path(results).is_dir():
            raise Exit(f"error: {results} is not a folder of CI results", code=2)
        isolation_level = "none: results from the learners' CI"
        statuses = statuses_from_results(Path(into), Path(results))
    else:
        isolation = probe()
        isolation_level = isolation.level
        if isolation.warning:
            console.print(f"[yellow]{isolation.warning}[/]")
        with _progress("Grading") as (progress, bar):
            progress.update(bar, total=total)
            statuses = grade_cohort(
                Path(into),
                isolation,
                stage_seconds=float(stage_seconds),
                jobs=_jobs(jobs),
                fetch=fetch,
                on_done=lambda s: progress.advance(bar),
            )
    console.print(status_table(statuses))
    if csv:
        write_atomically(Path(csv), status_csv(statuses))
        console.print(f"CSV: {csv}")
    if html:
        write_atomically(
            Path(html), dashboard_html(statuses, cohort.project, isolation_level)
        )
        console.print(f"Dashboard: {html}")


@task(
    help={
        "into": "the cohort folder, made by cohort.create (required)",
        "to": "the template version to roll out: a tag such as v1.0.1 (required)",
        "jobs": "repositories updated in parallel (default: the number of CPUs)",
    }
)
def update(c, into, to, jobs=None):
    """Roll a template release out to every learner: one commit each, or the reason not."""
    try:
        with _progress("Updating") as (progress, bar):
            results = update_cohort(
                Path(into),
                to,
                _jobs(jobs),
                on_start=lambda total: progress.update(bar, total=total),
                on_done=lambda u: progress.advance(bar),
            )
    except KitError as err:
        raise Exit(f"error: {err}", code=2) from None
    for u in results:
        detail = ", ".join(u.files) if u.state == "conflicts" else u.reason
        line = f"{u.handle}: {u.state}" + (f" ({detail})" if detail else "")
        if u.pushed and u.pushed != "pushed":
            line += f"; {u.pushed}"
        console.print(line, markup=False)
    states = [u.state for u in results]
    console.print(
        ", ".join(f"{states.count(s)} {s}" for s in dict.fromkeys(states))
        or "no learners"
    )


@task(
    help={
        "into": "the cohort folder, made by cohort.create (required)",
        "out": "where to put the verified bundles and results.csv (required)",
        "jobs": "learners handled in parallel (default: the number of CPUs)",
    }
)
def collect(c, into, out, jobs=None):
    """Gather (or build) every learner's bundle, verify it, and write one results CSV."""
    isolation = probe()
    if isolation.warning:
        console.print(f"[yellow]{isolation.warning}[/]")
    try:
        total = len(learner_repos(Path(into)))
        with _progress("Collecting") as (progress, bar):
            progress.update(bar, total=total)
            results = collect_cohort(
                Path(into),
                Path(out),
                isolation,
                jobs=_jobs(jobs),
                on_done=lambda c: progress.advance(bar),
            )
    except KitError as err:
        raise Exit(f"error: {err}", code=2) from None
    for collected in results:
        console.print(
            f"{collected.handle}: {collected.result}"
            + (f" ({collected.reason})" if collected.reason else ""),
            markup=False,
        )
    console.print(f"Results: {Path(out) / 'results.csv'}")


@task(
    help={
        "learners": "how many learners to create (default: 100)",
        "status-learners": "how many learners to grade in the status timing (default: 30)",
        "project": "which project (default: scheduler)",
    }
)
def bench(c, learners=100, status_learners=30, project="scheduler"):
    """Time cohort.create against a loop of `copier copy` calls, then cohort.status."""
    for script, count in (
        ("cohort_create.py", learners),
        ("cohort_status.py", status_learners),
    ):
        code = subprocess.run(
            [
                sys.executable,
                str(KIT_ROOT / "benchmarks" / script),
                "--learners",
                str(count),
                "--project",
                project,
            ]
        ).returncode
        if code:
            raise Exit(code=code)


cohort = Collection("cohort", create, status, update, collect, bench)
