"""Bring template fixes into a learner's project (`invoke update`) without losing their work.

How: render the template at the version the project records (the base) and at the new version
(theirs) into scratch folders, compare them with the project (ours) file by file, then run
`copier update` (3-way merge, inline conflicts) and settle every file by its owner
(see ownership.py):
- yours: exactly as in the last commit, whatever the merge did (a file the template adds to your
  folder for a new stage is created if you have none);
- template: exactly the new version; your own edit of such a file is copied to a backup first;
- shared: copier's 3-way merge; conflicts stay marked in the file and in git's index.
Nothing starts unless the working tree is clean, so the last commit holds everything and any
failure rolls back to it.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import tempfile
import warnings
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import yaml

from .answers import ANSWERS_FILE, Answers, AnswersError, read_answers
from .conflicts import conflict_line
from .ownership import SHARED, TEMPLATE, YOURS, is_learner_path, owner
from .stages import STAGE_FILE, StageFileError, load_stages, parse_stages
from .worktree import uncommitted_changes

BACKUPS = Path(".climb") / "backups"
GIT_TIMEOUT = 60


class UpdateError(Exception):
    """The update cannot start or was rolled back; the message says why and what to do."""


# -- small git helpers ------------------------------------------------------------------------


def _git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(
        ["git", *args],
        cwd=root,
        capture_output=True,
        timeout=GIT_TIMEOUT,
        stdin=subprocess.DEVNULL,
    )
    if check and done.returncode != 0:
        raise UpdateError(
            f"`git {' '.join(args)}` failed: {done.stderr.decode(errors='replace').strip()}"
        )
    return done


def _lines(output: bytes) -> list[str]:
    return [line for line in output.decode(errors="replace").split("\0") if line]


def files_with_conflict_markers(root: Path, paths: list[str]) -> list[str]:
    """The files among `paths` that hold a merge conflict's markers."""
    found = []
    for path in paths:
        try:
            data = (root / path).read_bytes()
        except (FileNotFoundError, IsADirectoryError, PermissionError):
            continue
        if conflict_line(data):
            found.append(path)
    return found


def unmerged_paths(root: Path) -> list[str]:
    listing = _git(root, "ls-files", "-u", "-z").stdout
    return sorted({entry.split("\t", 1)[1] for entry in _lines(listing)})


def tracked_files(root: Path) -> list[str]:
    return _lines(_git(root, "ls-files", "-z").stdout)


def _shown(paths: list[str], limit: int = 8) -> str:
    more = f" and {len(paths) - limit} more" if len(paths) > limit else ""
    return ", ".join(paths[:limit]) + more


# -- checks before anything happens -----------------------------------------------------------


def preflight(root: Path) -> Answers:
    """Refuse, with the reason and the fix, anything that could lose work or go wrong midway."""
    inside = _git(root, "rev-parse", "--show-toplevel", check=False)
    if inside.returncode != 0:
        raise UpdateError(
            "this project is not a git repository, so an update could not be undone; run "
            '`git init && git add -A && git commit -m "Start"` first'
        )
    if Path(inside.stdout.decode().strip()).resolve() != root.resolve():
        raise UpdateError(
            f"run `invoke update` from the project's own repository: {root} sits inside "
            f"another repository ({inside.stdout.decode().strip()})"
        )
    if _git(root, "rev-parse", "--verify", "-q", "HEAD", check=False).returncode:
        raise UpdateError(
            'nothing is committed yet; run `git add -A && git commit -m "Start"` first'
        )
    if unmerged := unmerged_paths(root):
        raise UpdateError(
            f"unresolved merge conflicts in {_shown(unmerged)}: edit out the <<<<<<< / "
            ">>>>>>> markers, `git add` the files and commit, then update"
        )
    if marked := files_with_conflict_markers(root, tracked_files(root)):
        raise UpdateError(
            f"conflict markers (<<<<<<< ... >>>>>>>) are still in {_shown(marked)}: "
            "resolve them and commit, then update"
        )
    try:
        changes = uncommitted_changes(root)
    except (RuntimeError, subprocess.TimeoutExpired) as err:
        raise UpdateError(f"`git status` failed: {err}") from None
    if dirty := [path for _, path in changes]:
        raise UpdateError(
            f"you have uncommitted changes ({_shown(dirty)}); an update needs a clean "
            'working tree so nothing can be lost. Commit them (`git add -A && git commit -m "..."`) '
            "or stash them (`git stash -u`), then update"
        )
    try:
        answers = read_answers(root)
    except AnswersError as err:
        raise UpdateError(str(err)) from None
    _check_project_identity(root, answers)
    check_source(answers.source)
    return answers


def _check_project_identity(root: Path, answers: Answers) -> None:
    try:
        stage_project = load_stages(root).project
    except (
        StageFileError
    ):  # a missing or broken stage file is repaired by the update itself
        return
    if stage_project != answers.project:
        raise UpdateError(
            f"{ANSWERS_FILE} says this is the {answers.project!r} project but {STAGE_FILE} says "
            f"{stage_project!r}; Copier would turn one project into the other. Restore "
            f"{ANSWERS_FILE} from git (`git log -p -- {ANSWERS_FILE}`) before updating"
        )


def _is_local(source: str) -> bool:
    return "://" not in source and not re.match(r"^[\w.-]+@|^(gh|gl):", source)


def check_source(source: str) -> None:
    """The template recorded in the answers file must be reachable now."""
    fix = (
        f"If the kit moved, set `_src_path` in {ANSWERS_FILE} to its new place (an absolute "
        "path or a git URL), commit, and update again; or ask your facilitator."
    )
    if _is_local(source):
        path = Path(source).expanduser()
        if not path.is_dir():
            raise UpdateError(
                f"the template {source} cannot be found on this machine. {fix}"
            )
        if _git(path, "rev-parse", "--git-dir", check=False).returncode:
            raise UpdateError(f"the template {source} is not a git repository. {fix}")
        return
    try:
        reached = _git(
            Path.cwd(), "ls-remote", "--exit-code", source, "HEAD", check=False
        )
    except subprocess.TimeoutExpired:
        raise UpdateError(
            f"the template {source} did not answer within {GIT_TIMEOUT} s. {fix}"
        ) from None
    if reached.returncode:
        reason = reached.stderr.decode(errors="replace").strip().splitlines()
        raise UpdateError(
            f"the template {source} cannot be reached ({reason[-1] if reason else 'no answer'}). {fix}"
        )


def template_versions(source: str) -> list[str]:
    """The template's release tags, oldest first as git sorts them."""
    if _is_local(source):
        out = _git(
            Path(source).expanduser(), "tag", "--list", "--sort=v:refname"
        ).stdout
        return out.decode().split()
    out = _git(Path.cwd(), "ls-remote", "--tags", "--refs", source).stdout.decode()
    return [
        line.split("refs/tags/", 1)[1]
        for line in out.splitlines()
        if "refs/tags/" in line
    ]


def check_ref(source: str, ref: str) -> None:
    """`--to REF` must name something in the template (a tag, a branch or a commit)."""
    if _is_local(source):
        found = _git(
            Path(source).expanduser(),
            "rev-parse",
            "--verify",
            "-q",
            ref + "^{commit}",
            check=False,
        )
        ok = found.returncode == 0
    else:
        out = _git(Path.cwd(), "ls-remote", source, ref, check=False).stdout
        ok = bool(out.strip()) or bool(re.fullmatch(r"[0-9a-f]{7,40}", ref))
    if not ok:
        versions = template_versions(source)
        listed = ", ".join(versions[-10:]) if versions else "none are tagged"
        raise UpdateError(
            f"the template has no version {ref!r}; its versions: {listed}"
        )


def check_not_older(old: str, new: str) -> None:
    from packaging.version import InvalidVersion, Version

    try:
        older = Version(new.split("-")[0].lstrip("v")) < Version(
            old.split("-")[0].lstrip("v")
        )
    except InvalidVersion:
        return
    if older:
        raise UpdateError(
            f"{new} is older than this project's template version {old}; updates only go "
            "forward (to undo an update, use git: `git log` and `git revert`)"
        )


# -- rendering and comparing ------------------------------------------------------------------


def _quietly(action: Callable[[], object]) -> None:
    with (
        warnings.catch_warnings(),
        redirect_stderr(io.StringIO()),
        redirect_stdout(io.StringIO()),
    ):
        warnings.simplefilter("ignore")
        action()


def _copier():
    """Copier, imported only when an update needs it (a clear error if it is not installed)."""
    try:
        import copier
        import copier.errors
    except ImportError:
        raise UpdateError(
            'Copier is not installed in this environment; run `pip install -e ".[dev]"` first'
        ) from None
    return copier


def render_version(answers: Answers, ref: str | None, dest: Path) -> dict[str, bytes]:
    """Render the template at `ref` (None: its newest release) with the project's answers."""
    copier = _copier()
    run_copy, CopierError = copier.run_copy, copier.errors.CopierError

    try:
        _quietly(
            lambda: run_copy(
                answers.source,
                dest,
                data=answers.questions,
                vcs_ref=ref,
                defaults=True,
                overwrite=True,
                quiet=True,
                unsafe=False,
            )
        )
    except (ValueError, CopierError) as err:
        raise UpdateError(
            f"the template at {ref or 'its newest version'} cannot render this project: {err}"
        ) from None
    return tree_contents(dest)


def tree_contents(root: Path) -> dict[str, bytes]:
    files = {}
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in names:
            path = Path(folder) / name
            files[path.relative_to(root).as_posix()] = path.read_bytes()
    return files


def head_contents(root: Path) -> dict[str, bytes]:
    """Every tracked file as committed (the working tree is clean, so it is the same)."""
    contents = {}
    for path in tracked_files(root):
        file = root / path
        if file.is_file() and not file.is_symlink():
            contents[path] = file.read_bytes()
    return contents


@dataclass(frozen=True)
class FilePlan:
    path: str
    owner: str  # yours, template or shared
    change: str  # what the template did: added, changed, removed (or "" for nothing)
    action: str  # what the update does to the project's copy, in words
    backed_up: bool = (
        False  # a learner edit to a template file, saved before it is replaced
    )
    conflict: bool = False  # a shared file whose merge will leave conflict markers


@dataclass
class Plan:
    project: str
    old_version: str
    new_version: str
    files: list[FilePlan]
    stages_changed: list[str]  # "Stage 2 (fcfs)" labels, in the new version's order
    base: dict[str, bytes] = field(repr=False)
    theirs: dict[str, bytes] = field(repr=False)
    ours: dict[str, bytes] = field(repr=False)

    @property
    def package(self) -> str:
        return self.project.replace("-", "_")

    @property
    def up_to_date(self) -> bool:
        return self.old_version == self.new_version

    @property
    def nothing_to_do(self) -> bool:
        return not self.files


def _merge_conflicts(ours: bytes, base: bytes, theirs: bytes) -> bool:
    with tempfile.TemporaryDirectory(prefix="climb-merge-") as scratch:
        paths = []
        for name, data in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = Path(scratch) / name
            path.write_bytes(data)
            paths.append(str(path))
        done = subprocess.run(
            ["git", "merge-file", "-p", *paths],
            capture_output=True,
            timeout=GIT_TIMEOUT,
        )
    return done.returncode != 0


def _file_plan(path: str, package: str, base, theirs, ours) -> FilePlan | None:
    b, t, o = base.get(path), theirs.get(path), ours.get(path)
    change = (
        "added"
        if b is None and t is not None
        else "removed"
        if b is not None and t is None
        else "changed"
        if b != t
        else ""
    )
    who = owner(path, package, [*base, *theirs])
    if path == ANSWERS_FILE:
        return (
            FilePlan(path, TEMPLATE, "changed", "records the new version")
            if change
            else None
        )
    if who == YOURS:
        if is_learner_path(path, package) and change == "added" and o is None:
            return FilePlan(
                path, YOURS, change, "created: a new starting file for you to fill in"
            )
        if change and o is not None:
            return FilePlan(
                path,
                YOURS,
                change,
                "kept as yours (the template's new starting version is not applied)",
            )
        return None
    if who == SHARED:
        if not change:
            return None
        if o is None:
            return FilePlan(
                path,
                SHARED,
                change,
                "left deleted, as you had it" if t else "stays deleted",
            )
        if t is None:
            return FilePlan(
                path,
                SHARED,
                change,
                "removed by the template; kept, since it is shared",
            )
        conflict = b is not None and o != b and _merge_conflicts(o, b, t)
        return FilePlan(
            path,
            SHARED,
            change,
            "merged: conflicts for you to resolve" if conflict else "merged",
            conflict=conflict,
        )
    # Template-owned: the project's copy ends exactly at the template's new version.
    edited = o is not None and o != b and o != t
    if not change and o == t:
        return None
    if t is None:
        action = "removed" if o is not None else "stays removed"
    elif o is None:
        action = "added" if b is None else "restored (you had deleted it)"
    else:
        action = "updated" if change else "restored to the template's version"
    if edited:
        action += "; your edit is kept in a backup"
    return FilePlan(path, TEMPLATE, change, action, backed_up=edited)


def _stages_changed(plan_files: list[FilePlan], base, theirs) -> list[str]:
    try:
        new_stages = parse_stages(yaml.safe_load(theirs[STAGE_FILE].decode("utf-8")))
    except (KeyError, StageFileError, ValueError, yaml.YAMLError):
        return []
    old_stage_tests = {}
    try:
        old = parse_stages(yaml.safe_load(base[STAGE_FILE].decode("utf-8")))
        old_stage_tests = {s.id: s.tests for s in old.stages}
    except (KeyError, StageFileError, ValueError, yaml.YAMLError):
        pass
    changed_paths = {f.path for f in plan_files if f.owner == TEMPLATE and f.change}
    labels = []
    for stage in new_stages.stages:
        if stage.id not in old_stage_tests:
            labels.append(f"{stage.label} (new)")
        elif set(stage.tests) != set(old_stage_tests[stage.id]) or changed_paths & set(
            stage.tests
        ):
            labels.append(stage.label)
    return labels


def plan_update(root: Path, answers: Answers, to: str | None) -> Plan:
    """What an update to `to` (default: the newest release) would do. Writes nothing in `root`."""
    if to:
        check_ref(answers.source, to)
    with tempfile.TemporaryDirectory(prefix="climb-update-") as scratch:
        base = render_version(answers, answers.version, Path(scratch) / "base")
        theirs_root = Path(scratch) / "theirs"
        theirs = render_version(answers, to, theirs_root)
        new_answers = read_answers(theirs_root)
    if new_answers.project != answers.project:
        raise UpdateError(
            f"the update would turn this {answers.project!r} project into {new_answers.project!r}; "
            "refused (Copier would do it silently)"
        )
    check_not_older(answers.version, new_answers.version)
    ours = head_contents(root)
    files = []
    for path in sorted({*base, *theirs, *ours}):
        if planned := _file_plan(path, answers.package, base, theirs, ours):
            files.append(planned)
    return Plan(
        project=answers.project,
        old_version=answers.version,
        new_version=new_answers.version,
        files=files,
        stages_changed=_stages_changed(files, base, theirs),
        base=base,
        theirs=theirs,
        ours=ours,
    )


# -- doing it ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    plan: Plan
    backups: list[str]  # paths whose learner edits were saved, relative to backup_dir
    backup_dir: Path | None
    conflicts: list[str]  # shared files left with conflict markers


def _write(root: Path, path: str, data: bytes | None) -> None:
    target = root / path
    if data is None:
        if target.is_file() or target.is_symlink():
            target.unlink()
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink():
        target.unlink()
    target.write_bytes(data)


def _rollback(root: Path) -> None:
    _git(root, "reset", "-q", "--hard", "HEAD", check=False)
    # Only files the update created are untracked (the tree was clean); ignored files stay.
    _git(root, "clean", "-fdq", check=False)


def apply_update(root: Path, plan: Plan, stamp: str | None = None) -> Outcome:
    """Run the update planned by `plan_update`; on any failure, roll back to the last commit."""
    stamp = stamp or datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    backup_dir = root / BACKUPS / stamp
    backups: list[str] = []
    try:
        # Save learner edits of template files first, so nothing below can lose them.
        for item in plan.files:
            if item.backed_up:
                target = backup_dir / item.path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(plan.ours[item.path])
                backups.append(item.path)
        if not plan.up_to_date:
            _run_copier_update(root, plan.new_version)
        settle(root, plan)
        answers = read_answers(root)
        if answers.project != plan.project:
            raise UpdateError("the update changed the project's name; rolled back")
        conflicts = [
            path
            for path in unmerged_paths(root)
            if owner(path, answers.package, [*plan.base, *plan.theirs]) == SHARED
        ]
        conflicts += [
            p
            for p in files_with_conflict_markers(
                root, [f.path for f in plan.files if f.owner == SHARED]
            )
            if p not in conflicts
        ]
    except BaseException as err:
        _rollback(root)
        if isinstance(err, UpdateError):
            raise
        if isinstance(err, KeyboardInterrupt):
            raise UpdateError(
                "interrupted; your project is back at its last commit"
            ) from None
        raise UpdateError(
            f"the update failed ({type(err).__name__}: {err}); your project is back at its "
            "last commit"
        ) from None
    return Outcome(
        plan=plan,
        backups=backups,
        backup_dir=backup_dir if backups else None,
        conflicts=sorted(conflicts),
    )


def _run_copier_update(root: Path, version: str) -> None:
    copier = _copier()
    run_update, CopierError = copier.run_update, copier.errors.CopierError

    try:
        _quietly(
            lambda: run_update(
                root,
                vcs_ref=version,
                conflict="inline",
                defaults=True,
                overwrite=True,
                skip_answered=True,
                quiet=True,
                unsafe=False,
            )
        )
    except (ValueError, CopierError) as err:
        raise UpdateError(
            f"copier update failed: {err}; your project is back at its last commit"
        ) from None


def settle(root: Path, plan: Plan) -> None:
    """After the merge: learner files exactly as committed, template files exactly the new version."""
    package = plan.package
    template_files = [*plan.base, *plan.theirs]
    present = set(visible_files(root))
    resolved = []
    for path in sorted({*plan.base, *plan.theirs, *plan.ours, *present}):
        if path == ANSWERS_FILE:
            continue
        who = owner(path, package, template_files)
        if who == TEMPLATE:
            want = plan.theirs.get(path)
        elif who == YOURS:
            want = plan.ours.get(path)
            new_starting_file = (
                want is None
                and path in plan.theirs
                and path not in plan.base
                and is_learner_path(path, package)
            )
            if new_starting_file:
                want = plan.theirs[path]
        else:
            continue  # shared: copier's merge stands
        current = (root / path).read_bytes() if path in present else None
        if current != want:
            _write(root, path, want)
        resolved.append(path)
    # Settled files may still carry the merge's conflict stages in git's index: clear them, so
    # only shared files are listed as conflicted.
    stuck = [path for path in unmerged_paths(root) if path in set(resolved)]
    if stuck:
        _git(root, "reset", "-q", "--", *stuck)


def visible_files(root: Path) -> list[str]:
    """Files in the working tree that git tracks or would add (ignored ones are not the update's)."""
    listing = _git(
        root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"
    ).stdout
    return sorted({path for path in _lines(listing) if (root / path).is_file()})
