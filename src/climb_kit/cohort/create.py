"""`cohort.create`: one git repository per roster row, exactly what `copier copy` gives each learner.

Each repository is rendered into `<into>/.staging/`, committed, and only then renamed into place
(`<into>/<handle>`), so an interrupted run (even `kill -9`) leaves no half-made repository where a
reader looks; a rerun removes the leftovers and makes the learners still missing. An existing
learner folder is never touched, except to push it again when a remote is configured (a push of
the same commit is a no-op, a push over different history is refused by git).

Speed: Copier clones the template for every copy and removes the clone afterwards, and asks git
about `core.fileMode` once per rendered file; for a cohort that is most of the time. Here the tagged
template is cloned once (with Copier's own clone function) and every render in every worker process
uses that clone, and Copier's per-file git question is asked once per repository (copier_speed.py).
Output is byte-identical to the `copier copy` CLI (a kit test compares them); should Copier's
internals change, the renders fall back to plain `run_copy`, slower and still identical.
"""

from __future__ import annotations

import fcntl
import io
import os
import shutil
import subprocess
import uuid
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ..layout import KIT_ROOT, KitError
from ..learner.update import _is_local
from ..render import check_project
from .copier_speed import ask_git_file_mode_once
from .record import STAGING, Cohort, read_cohort, run_git, write_cohort
from .roster import Learner

LOCK = ".cohort.lock"
PUSH_TIMEOUT = 120


@dataclass(frozen=True)
class Made:
    handle: str
    state: str  # created, existed or failed
    pushed: str = ""  # "" (no remote), "pushed" or the reason the push failed
    problem: str = ""


def template_version(source: str) -> str:
    """The release Copier will render from `source`: its newest PEP 440 tag, from a clean tree."""
    from packaging.version import InvalidVersion, Version

    if _is_local(source):
        if not Path(source).is_dir():
            raise KitError(f"the template {source} does not exist")
        if dirty := run_git(Path(source), "status", "--porcelain").splitlines():
            raise KitError(
                f"the template checkout {source} has uncommitted changes ({len(dirty)} "
                "path(s)); learners' repositories must record a clean, tagged version: "
                "commit and tag them first"
            )
        tags = run_git(Path(source), "tag", "--list").split()
    else:
        listing = run_git(
            Path.cwd(), "ls-remote", "--tags", "--refs", source, timeout=120
        )
        tags = [line.rsplit("refs/tags/", 1)[-1] for line in listing.splitlines()]
    versions = []
    for tag in tags:
        try:
            versions.append((Version(tag), tag))
        except InvalidVersion:
            continue
    releases = [(v, tag) for v, tag in versions if not v.is_prerelease]
    if not releases:
        raise KitError(
            f"the template {source} has no release tag (such as v1.0.0); tag a release first, "
            "so every learner's repository records a version it can update from"
        )
    return max(releases)[1]


def plain_source(source: str | Path) -> str:
    """Copier records the source as given: always an absolute path (or a URL), never relative."""
    text = str(source)
    return str(Path(text).resolve()) if _is_local(text) else text


@contextmanager
def cohort_lock(into: Path) -> Iterator[None]:
    """One cohort command at a time per folder (a second one is told so, not left to collide)."""
    into.mkdir(parents=True, exist_ok=True)
    with open(into / LOCK, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise KitError(
                f"another cohort command is working in {into}; wait for it to finish"
            ) from None
        yield


def create_cohort(
    learners: list[Learner],
    project: str,
    into: Path,
    source: str | Path,
    remote_url_template: str = "",
    jobs: int | None = None,
    on_start: Callable[[int], None] = lambda total: None,
    on_done: Callable[[Made], None] = lambda made: None,
) -> list[Made]:
    """Make every learner's repository that is not there yet; push when a remote is given."""
    source = plain_source(source)
    check_project(project, Path(source) if _is_local(source) else KIT_ROOT)
    _check_remote_template(remote_url_template)
    into = Path(into).resolve()
    version = template_version(source)
    cohort = Cohort(project, source, remote_url_template)
    with cohort_lock(into):
        _check_same_cohort(into, cohort)
        write_cohort(into, cohort)
        staging = into / STAGING
        shutil.rmtree(staging, ignore_errors=True)  # what an interrupted run left
        staging.mkdir()
        results: list[Made] = []
        missing = [
            learner for learner in learners if not (into / learner.handle).exists()
        ]
        for learner in learners:
            if learner not in missing:
                made = Made(
                    learner.handle, "existed", push_repo(cohort, into / learner.handle)
                )
                results.append(made)
                on_done(made)
        on_start(len(missing))
        if missing:
            clone = staging / "template"
            _clone_template(source, version, clone)
            jobs = max(1, min(jobs or os.cpu_count() or 1, len(missing)))
            with ProcessPoolExecutor(
                jobs,
                initializer=_start_worker,
                initargs=(source, version, str(clone)),
            ) as pool:
                futures = [
                    pool.submit(_make_one, learner, project, str(into), cohort)
                    for learner in missing
                ]
                for future in as_completed(futures):
                    made = future.result()
                    results.append(made)
                    on_done(made)
        shutil.rmtree(staging, ignore_errors=True)
    return sorted(results, key=lambda made: made.handle.lower())


def _check_remote_template(template: str) -> None:
    if not template:
        return
    try:
        template.format(handle="h", project="p")
    except (KeyError, IndexError, ValueError) as err:
        raise KitError(
            f"--remote-url-template {template!r}: only {{handle}} and {{project}} may be "
            f"filled in ({err})"
        ) from None
    if "{handle}" not in template:
        raise KitError(
            f"--remote-url-template {template!r} has no {{handle}}: every learner would "
            "push to the same repository"
        )


def _check_same_cohort(into: Path, cohort: Cohort) -> None:
    if not (into / "cohort.yml").exists():
        return
    recorded = read_cohort(into)
    for field, label in (("project", "project"), ("template", "template")):
        if getattr(recorded, field) != getattr(cohort, field):
            raise KitError(
                f"{into} holds a cohort with {label} {getattr(recorded, field)!r}, not "
                f"{getattr(cohort, field)!r}; use another folder"
            )
    if recorded.remote_url_template and cohort.remote_url_template != (
        recorded.remote_url_template
    ):
        raise KitError(
            f"{into} pushes to {recorded.remote_url_template!r}; give the same "
            "--remote-url-template (or use another folder)"
        )


# -- in the worker processes --------------------------------------------------------------------

_shared: dict = {}


def _clone_template(source: str, version: str, location: Path) -> None:
    """Clone the template at `version` once, the way Copier clones it for every copy."""
    location.mkdir(parents=True)
    try:
        from copier._vcs import clone
    except ImportError:  # Copier reorganised: every render clones for itself instead
        return
    clone(source, version, location=str(location))


def _start_worker(source: str, version: str, clone: str) -> None:
    ask_git_file_mode_once()
    _shared.update(source=source, version=version, clone=Path(clone))
    _shared["worker_class"] = _fast_worker_class(source, version, Path(clone))


def _fast_worker_class(source: str, version: str, clone: Path):
    try:
        from copier._main import Worker
        from copier._template import Template
    except ImportError:
        return None
    if not (clone / "copier.yml").exists():
        return None
    template = Template(url=source, ref=version)
    # The clone Copier would make for this copy, made once (see the module's docstring).
    template.__dict__["local_abspath"] = clone.resolve()

    class CohortWorker(Worker):
        @property
        def template(self):
            return template

    if not isinstance(vars(Worker).get("template"), cached_property):
        return None
    return CohortWorker


def render_learner(project: str, learner: Learner, dest: Path) -> None:
    """Render `project` for `learner` into `dest` as the `copier copy` CLI would."""
    data = {"project": project, **learner.answers()}
    quiet = io.StringIO()
    with (
        warnings.catch_warnings(),
        redirect_stderr(quiet),
        redirect_stdout(quiet),
    ):
        warnings.simplefilter("ignore")
        worker_class = _shared.get("worker_class")
        if worker_class is None:
            from copier import run_copy

            run_copy(
                _shared["source"],
                dest,
                data=data,
                vcs_ref=_shared["version"],
                defaults=True,
                quiet=True,
                unsafe=False,
            )
            return
        with worker_class(
            src_path=_shared["source"],
            dst_path=dest,
            data=data,
            vcs_ref=_shared["version"],
            defaults=True,
            quiet=True,
            unsafe=False,
        ) as worker:
            worker.run_copy()


def _make_one(learner: Learner, project: str, into: str, cohort: Cohort) -> Made:
    final = Path(into) / learner.handle
    work = Path(into) / STAGING / f"{learner.handle}-{uuid.uuid4().hex[:8]}"
    try:
        render_learner(project, learner, work)
        run_git(work, "init", "-q", "-b", "main")
        run_git(work, "add", "-A")
        run_git(
            work,
            "commit",
            "-q",
            "-m",
            f"Start the {project} project (template {_shared['version']})",
        )
        if remote := cohort.remote_url(learner.handle):
            run_git(work, "remote", "add", "origin", remote)
        try:
            os.rename(work, final)  # atomic: the repository appears whole or not at all
        except OSError:
            shutil.rmtree(work, ignore_errors=True)
            return Made(learner.handle, "existed", push_repo(cohort, final))
    except Exception as err:  # one learner's failure must not stop the cohort
        shutil.rmtree(work, ignore_errors=True)
        return Made(learner.handle, "failed", problem=f"{type(err).__name__}: {err}")
    return Made(learner.handle, "created", push_repo(cohort, final))


def push_repo(cohort: Cohort, repo: Path) -> str:
    remote = cohort.remote_url(repo.name)
    if not remote:
        return ""
    try:
        run_git(repo, "push", "-q", remote, "main:main", timeout=PUSH_TIMEOUT)
    except (RuntimeError, subprocess.TimeoutExpired) as err:
        return f"push failed: {err}".splitlines()[0]
    return "pushed"
