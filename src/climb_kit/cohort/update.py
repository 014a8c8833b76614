"""`cohort.update`: roll a template release out to every learner with the learners' own safe update.

Each repository gets exactly what `invoke update --to REF` does for a learner (climb.update: the
same module, imported from the kit), landed as **one commit on the learner's main branch**, then
pushed to the learner's remote when the cohort has one (a plain push: a learner who pushed
meanwhile makes it fail, and nothing is forced). Per learner the result is one of:
- updated: a clean update, committed (learner-owned files untouched, by construction);
- conflicts: the update would leave conflicts in shared files; it is rolled back and nothing is
  committed, so the learner resolves it with `invoke update` in their own copy;
- refused: the update could not start (uncommitted changes, conflict markers ...), with the reason;
- up to date: already at that version.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

from ..layout import KitError
from ..learner.update import (
    UpdateError,
    _rollback,
    apply_update,
    check_ref,
    plan_update,
    preflight,
)
from ..snapshot import GIT_ENV
from .copier_speed import ask_git_file_mode_once
from .create import cohort_lock, push_repo
from .record import learner_repos, read_cohort, run_git, use_fast_scratch


@dataclass(frozen=True)
class Updated:
    handle: str
    state: str  # updated, conflicts, refused, up to date or failed
    old_version: str = ""
    new_version: str = ""
    files: list[str] = field(
        default_factory=list
    )  # conflicting files, or files changed
    reason: str = ""
    pushed: str = ""


def update_cohort(
    into: Path,
    to: str,
    jobs: int | None = None,
    on_start: Callable[[int], None] = lambda total: None,
    on_done: Callable[[Updated], None] = lambda updated: None,
) -> list[Updated]:
    """Update every learner repository in `into` to template version `to`."""
    into = Path(into).resolve()
    cohort = read_cohort(into)
    try:  # one clear error for a version that does not exist, not one per learner
        check_ref(cohort.template, to)
    except UpdateError as err:
        raise KitError(str(err)) from None
    repos = learner_repos(into)
    on_start(len(repos))
    results = []
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(repos) or 1))
    with (
        cohort_lock(into),
        ProcessPoolExecutor(jobs, initializer=_start_worker) as pool,
    ):
        futures = [pool.submit(update_learner, repo, to, cohort) for repo in repos]
        for future in as_completed(futures):
            updated = future.result()
            results.append(updated)
            on_done(updated)
    return sorted(results, key=lambda updated: updated.handle.lower())


def _start_worker() -> None:
    use_fast_scratch()
    ask_git_file_mode_once()


def update_learner(repo: Path, to: str, cohort=None) -> Updated:
    """Update one learner's repository (runs in a worker process: Copier prints to stdout)."""
    os.environ.update(GIT_ENV)
    handle = repo.name
    quiet = io.StringIO()
    try:
        with redirect_stdout(quiet), redirect_stderr(quiet):
            answers = preflight(repo)
            plan = plan_update(repo, answers, to)
            if plan.up_to_date and plan.nothing_to_do:
                return Updated(handle, "up to date", plan.old_version, plan.new_version)
            outcome = apply_update(repo, plan)
    except UpdateError as err:
        return Updated(handle, "refused", reason=str(err))
    except Exception as err:  # one learner's failure must not stop the cohort
        return Updated(handle, "failed", reason=f"{type(err).__name__}: {err}")
    if outcome.conflicts:
        # Never commit conflict markers for a learner: leave the repository as it was.
        _rollback(repo)
        return Updated(
            handle,
            "conflicts",
            plan.old_version,
            plan.new_version,
            files=outcome.conflicts,
            reason="not applied; the learner resolves it with `invoke update`",
        )
    changed = [item.path for item in plan.files]
    try:
        run_git(repo, "add", "-A")
        run_git(
            repo,
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            f"Update the template from {plan.old_version} to {plan.new_version} "
            "(cohort.update)",
        )
    except RuntimeError as err:
        _rollback(repo)
        return Updated(handle, "failed", reason=str(err))
    pushed = push_repo(cohort, repo) if cohort is not None else ""
    return Updated(
        handle, "updated", plan.old_version, plan.new_version, changed, pushed=pushed
    )
