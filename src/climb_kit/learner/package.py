"""Build the showcase bundle (`invoke package`): your last commit, checked, tested and described.

The bundle is `dist/<handle>-<project>-<version>.tar.gz`, where the version is the short (12 hex
digits) id of HEAD. It holds one folder of the same name with every git-tracked file at its path,
plus `manifest.json` and `showcase.yml` (bundle.py describes and checks that layout). A copy of the
showcase entry is written beside it, ready for a pull request to the curriculum's showcase.

Packaging refuses, with the reason and the fix and without writing anything, when the work tree has
uncommitted changes (so the tests run on exactly what is packaged), when a file holds merge conflict
markers, is runtime data, looks like a secret or is too big, or when a passed stage has no journal
entry. Template files that differ from the template version are not a refusal: the manifest records
them (`template_files`), so a facilitator sees it.

Runtime data is what a project writes while it runs, never the work handed in (it can hold other
people's data: http-service's links and hashed keys, chat's room history). It is, in every project
(the rendered .gitignore keeps all of it out of new commits):
- any file in the top-level `data/` folder, where the READMEs' `--data data` keeps a service's
  database and history (http-service's `links.sqlite3`, chat's `rooms/<room>.jsonl`);
- an SQLite database, known by its first 16 bytes (`SQLite format 3` and a zero byte) whatever
  its name, or by the name `*.sqlite`, `*.sqlite3`, `*.db`, `*.db3`, and SQLite's files beside
  one (its `-wal`, `-shm` and `-journal`);
- a Redis dump: an RDB snapshot (`*.rdb`, or a file starting with `REDIS` and its 4-digit
  version) or an append-only file (`*.aof`, anything in an `appendonlydir/`).

Secrets are found by Yelp's detect-secrets (its default plugins and filters) and by file name
(`.env`, `id_rsa`, `*.pem` ...). One filter is added (is_generated_value): in a Python file, a
keyword match (a name like secret, api_key or password given a value) whose string is only part of
a value computed at run time, such as the prefix in `"sk_" + secrets.token_urlsafe(32)`, is code
that makes a key, not a key, and is no alarm. A string that is the whole value still is one, and
every other plugin (AWS, Stripe, high entropy ...) still reads every line.

The same commit always gives the same bytes: entries are sorted, owners, modes and times are fixed
(every member's mtime and the manifest's `created_at` are HEAD's committer date, never the clock),
the gzip header carries no name or time, and the manifest leaves out test durations. Only the
machine's zlib could change the compressed bytes; the manifest's hashes never change.
"""

from __future__ import annotations

import ast
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml
from rich.text import Text

from . import display
from .answers import AnswersError, read_answers
from .bundle import (
    FORMAT_VERSION,
    MANIFEST,
    MAX_FILE_BYTES,
    SHOWCASE,
    Verdict,
    bundle_stem,
    manifest_problems,
)
from .conflicts import conflict_line
from .hints import revealed
from .integrity import CHECKSUMS, Drift, template_drift
from .journal import JOURNAL, read_journal
from .runner import run_every_stage, stage_status
from .stages import STAGE_ID, StageFileError, load_stages
from .worktree import uncommitted_changes

DIST = "dist"
GITHUB_HANDLE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
# Secrets recognised by their file name; their contents are left to detect-secrets.
SECRET_NAMES = {"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", ".netrc", ".pypirc"}
SECRET_SUFFIXES = (".pem", ".key", ".p12", ".pfx")
ENV_EXAMPLES = {".env.example", ".env.sample", ".env.template"}
# Runtime data (the module's docstring says what and why).
DATA_FOLDER = "data/"
SQLITE_HEADER = b"SQLite format 3\x00"
SQLITE_SUFFIXES = (".sqlite", ".sqlite3", ".db", ".db3")
SQLITE_BESIDE = {
    "-wal": "SQLite's write-ahead log",
    "-shm": "SQLite's shared-memory index",
    "-journal": "SQLite's rollback journal",
}
REDIS_RDB = re.compile(rb"REDIS[0-9]{4}")
RUNTIME_DATA_FIX = (
    "stop tracking each file (`git rm --cached FILE`, or `git rm -r --cached data` for the data "
    "folder: the files stay on your disk), commit, and package again. The project's .gitignore "
    "already keeps data/, database files and Redis dumps out of new commits. Sample data you "
    "mean to hand in goes in as text (CSV, SQL, JSON lines) outside data/."
)
SECRET_FIX = (
    "remove the secret from the file (or stop tracking the file: `git rm --cached FILE` and add "
    "it to .gitignore), rotate the secret if it was real, commit, and package again. A false "
    "alarm? End that line with the comment `pragma: allowlist secret`."
)


class Refused(Exception):
    """Packaging cannot go on; each reason comes with what to do about it."""

    def __init__(self, *reasons: Reason):
        super().__init__("; ".join(reason.title for reason in reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class Reason:
    title: str
    details: tuple[str, ...]
    fix: str


@dataclass(frozen=True)
class Tracked:
    path: str
    executable: bool
    data: bytes


@dataclass
class Built:
    archive: Path
    showcase: Path
    size: int
    sha256: str
    manifest: dict
    drift: Drift

    @property
    def stages_passed(self) -> int:
        return sum(stage["status"] == "passed" for stage in self.manifest["stages"])


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=root,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip())
    return done.stdout


def build_package(
    root: Path, on_step: Callable[[str], None] = lambda text: None
) -> Built:
    """Check the project, run its tests and write the bundle into dist/; raise Refused instead."""
    root = Path(root)
    on_step("Checking your last commit…")
    commit, committed_at = _head(root)
    _refuse_uncommitted(root)
    try:
        answers = read_answers(root)
        stage_file = load_stages(root)
        hints = revealed(root)
        journal = read_journal(root)
    # ValueError includes UnicodeDecodeError: a file that is not UTF-8 text.
    except (AnswersError, StageFileError, ValueError) as err:
        raise Refused(
            Reason("the project's own files cannot be read", (str(err),), "")
        ) from None
    handle = answers.learner["github_handle"]
    if not GITHUB_HANDLE.match(handle) or not STAGE_ID.match(answers.project):
        raise Refused(
            Reason(
                "the answers file does not give a usable GitHub handle and project name",
                (f"github_handle: {handle!r}, project: {answers.project!r}",),
                "restore .copier-answers.yml from git or ask your facilitator",
            )
        )
    on_step("Reading and scanning your tracked files…")
    files = _tracked_files(root)
    _refuse_bad_files(root, files)
    on_step("Running every stage's tests…")
    runs = run_every_stage(root, stage_file)
    statuses = stage_status(stage_file, runs)
    unwritten = [
        s
        for s, status in statuses
        if status == "passed" and not journal.is_written(s.id)
    ]
    if unwritten:
        raise Refused(
            Reason(
                "a stage you passed has no journal entry yet",
                tuple(f"{s.label} {s.title}" for s in unwritten),
                f"run `invoke journal --stage {unwritten[0].id}` (once per stage listed), write "
                f"your entry in {JOURNAL}, commit, and package again",
            )
        )
    drift = template_drift(root)

    on_step("Writing the bundle…")
    stem = bundle_stem(handle, answers.project, commit)
    passed = [stage for stage, status in statuses if status == "passed"]
    showcase = _showcase_text(stage_file, answers, journal, passed, commit)
    manifest = {
        "format_version": FORMAT_VERSION,
        "project": answers.project,
        "commit": commit,
        "created_at": committed_at.isoformat().replace("+00:00", "Z"),
        "journal": JOURNAL,
        # The template version only: its source path may be a folder on a facilitator's machine.
        "template": {"version": answers.version},
        "answers": answers.questions,
        "learner": answers.learner,
        "stages": [
            {
                "id": stage.id,
                "title": stage.title,
                "status": status,
                "passed": runs[stage.id].passed,
                "total": runs[stage.id].total,
                "hints_revealed": len(hints.get(stage.id, [])),
                "journal_written": journal.is_written(stage.id),
            }
            for stage, status in statuses
        ],
        # Outcomes only: durations would make two packages of one commit differ.
        "tests": sorted(
            (
                {"nodeid": test.nodeid, "stage": test.stage, "outcome": test.outcome}
                for run in runs.values()
                for test in run.tests
            ),
            key=lambda test: test["nodeid"],
        ),
        "files": [
            {"path": file.path, "size": len(file.data), "sha256": _sha256(file.data)}
            for file in files
        ],
        "showcase": {
            "path": SHOWCASE,
            "size": len(showcase),
            "sha256": _sha256(showcase),
        },
        "template_files": {
            "checked": drift.checked,
            "changed": drift.changed,
            "missing": drift.missing,
            "problem": drift.problem,
            # So a facilitator can compare it with the kit's own checksum file.
            "checksums_sha256": next(
                (_sha256(file.data) for file in files if file.path == CHECKSUMS), None
            ),
        },
    }
    # str(): a YAML answer can be a date or another type JSON does not know.
    manifest = json.loads(json.dumps(manifest, default=str))
    if slips := manifest_problems(manifest):
        raise Refused(
            Reason(
                "the manifest would not pass its own check (a bug in the kit)",
                tuple(slips),
                "please show this message to your facilitator",
            )
        )
    manifest_bytes = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    members = [
        *(
            (f"{stem}/{f.path}", f.data, 0o755 if f.executable else 0o644)
            for f in files
        ),
        (f"{stem}/{MANIFEST}", manifest_bytes, 0o644),
        (f"{stem}/{SHOWCASE}", showcase, 0o644),
    ]
    archive_bytes = archive(members, int(committed_at.timestamp()))
    dist = root / DIST
    archive_path = dist / f"{stem}.tar.gz"
    showcase_path = dist / f"{stem}.showcase.yml"
    try:
        dist.mkdir(exist_ok=True)
        _write_atomically(archive_path, archive_bytes)
        _write_atomically(showcase_path, showcase)
    except OSError as err:
        raise Refused(
            Reason(
                f"the bundle cannot be written into {DIST}/",
                (str(err),),
                f"make {DIST}/ a writable folder (or remove a file of that name) and package again",
            )
        ) from None
    return Built(
        archive=archive_path,
        showcase=showcase_path,
        size=len(archive_bytes),
        sha256=_sha256(archive_bytes),
        manifest=manifest,
        drift=drift,
    )


def archive(members: list[tuple[str, bytes, int]], mtime: int) -> bytes:
    """A deterministic .tar.gz of (name, data, mode) members: sorted, fixed owners and times."""
    buffer = io.BytesIO()
    # No file name and time 0 in the gzip header, so nothing about this run leaks into the bytes.
    with gzip.GzipFile(
        filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9
    ) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for name, data, mode in sorted(members):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                info.mode = mode
                info.mtime = mtime
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _head(root: Path) -> tuple[str, datetime]:
    if shutil.which("git") is None:
        raise Refused(
            Reason("git is not installed", (), "install git, then package again")
        )
    try:
        inside = _git(root, "rev-parse", "--is-inside-work-tree").strip() == "true"
    except (RuntimeError, OSError):
        inside = False
    if not inside:
        raise Refused(
            Reason(
                "this project is not a git repository",
                (),
                'run `git init && git add -A && git commit -m "Start"`, then package again',
            )
        )
    try:
        commit, seconds = _git(root, "log", "-1", "--format=%H %ct", "HEAD").split()
    except (RuntimeError, ValueError):
        raise Refused(
            Reason(
                "there is no commit yet",
                (),
                'commit your work (`git add -A && git commit -m "..."`) first',
            )
        ) from None
    return commit, datetime.fromtimestamp(int(seconds), UTC)


def _refuse_uncommitted(root: Path) -> None:
    unmerged = sorted(
        {
            line.split("\t", 1)[1]
            for line in _git(root, "ls-files", "-u", "-z").split("\0")
            if "\t" in line
        }
    )
    if unmerged:
        raise Refused(
            Reason(
                "a merge is not finished: these files have unresolved conflicts",
                tuple(unmerged),
                "resolve each conflict, `git add` the files, commit, and package again",
            )
        )
    changed = [
        f"{path} (untracked)" if code == "??" else f"{path} ({code.strip()})"
        for code, path in uncommitted_changes(root)
    ]
    if changed:
        raise Refused(
            Reason(
                "you have uncommitted changes; a package holds exactly your last commit",
                tuple(changed),
                "commit first (`git add -A && git commit`), or delete or .gitignore what should "
                "not be in the project, then package again",
            )
        )


def _tracked_files(root: Path) -> list[Tracked]:
    files = []
    links = []
    for entry in _git(root, "ls-files", "-s", "-z").split("\0"):
        if not entry:
            continue
        info, path = entry.split("\t", 1)
        mode = info.split()[0]
        if mode not in ("100644", "100755"):
            links.append(path)
            continue
        files.append((path, mode == "100755"))
    if links:
        raise Refused(
            Reason(
                "git tracks links or submodules, but a bundle holds regular files only",
                tuple(links),
                "replace each link with the file itself (or `git rm --cached` it), commit, and "
                "package again",
            )
        )
    big = [
        f"{path} ({os.path.getsize(root / path):,} bytes)"
        for path, _ in files
        if os.path.getsize(root / path) > MAX_FILE_BYTES
    ]
    if big:
        raise Refused(
            Reason(
                f"some tracked files are over the limit of {MAX_FILE_BYTES >> 20} MiB "
                f"({MAX_FILE_BYTES:,} bytes) per file",
                tuple(big),
                "remove them from git (`git rm --cached FILE`, add them to .gitignore), commit, "
                "and package again; a project needs no big data files",
            )
        )
    return sorted(
        (
            Tracked(path, executable, (root / path).read_bytes())
            for path, executable in files
        ),
        key=lambda file: file.path,
    )


def _refuse_bad_files(root: Path, files: list[Tracked]) -> None:
    reasons = []
    paths = {file.path for file in files}
    if clash := sorted(paths & {MANIFEST, SHOWCASE}):
        reasons.append(
            Reason(
                "these names at the project's top are the bundle's own",
                tuple(clash),
                "rename the file (`git mv`), commit, and package again",
            )
        )
    if JOURNAL not in paths:
        reasons.append(
            Reason(
                f"{JOURNAL} is not tracked by git",
                (),
                f"restore your journal (`git checkout HEAD~1 -- {JOURNAL}` if you removed it), "
                "commit, and package again",
            )
        )
    if conflicts := [found for file in files if (found := conflict_marker(file))]:
        reasons.append(
            Reason(
                "these files still hold merge conflict markers",
                tuple(conflicts),
                "resolve each conflict (keep the right lines, delete the <<<<<<<, ======= and "
                ">>>>>>> lines), commit, and package again",
            )
        )
    data = runtime_data(files)
    if data:
        reasons.append(
            Reason(
                "these files are runtime data your project wrote while it ran, not your work",
                tuple(data),
                RUNTIME_DATA_FIX,
            )
        )
    # Runtime data is refused whole: scanning a database for secrets would only add noise.
    flagged = {line.split(":", 1)[0] for line in data}
    scanned = [file for file in files if file.path not in flagged]
    if secrets := secret_file_names(paths) + find_secrets(root, scanned):
        reasons.append(
            Reason(
                "these files look like they hold secrets", tuple(secrets), SECRET_FIX
            )
        )
    if reasons:
        raise Refused(*reasons)


def conflict_marker(file: Tracked) -> str:
    """'path, line N' when the file holds a merge conflict's markers, else ""."""
    line = conflict_line(file.data)
    return f"{file.path}, line {line}" if line else ""


def runtime_data(files: list[Tracked]) -> list[str]:
    """'path: what it is' for every tracked file that is runtime data (the module's docstring)."""
    found = []
    for file in files:
        if kind := _runtime_data_kind(file):
            found.append(f"{file.path}: {kind}")
    return found


def _runtime_data_kind(file: Tracked) -> str:
    name = file.path.rsplit("/", 1)[-1]
    lowered = name.lower()
    if file.path.startswith(DATA_FOLDER):
        return "in data/, where your service keeps what it writes (`--data data`)"
    if file.data.startswith(SQLITE_HEADER):
        return "an SQLite database"
    if lowered.endswith(SQLITE_SUFFIXES):
        return "a database file"
    for ending, what in SQLITE_BESIDE.items():
        if lowered.endswith(ending) and lowered.removesuffix(ending).endswith(
            SQLITE_SUFFIXES
        ):
            return what
    if lowered.endswith(".rdb") or REDIS_RDB.match(file.data):
        return "a Redis snapshot (RDB)"
    if lowered.endswith(".aof") or "appendonlydir" in file.path.split("/")[:-1]:
        return "a Redis append-only file"
    return ""


def secret_file_names(paths: set[str]) -> list[str]:
    found = []
    for path in sorted(paths):
        name = path.rsplit("/", 1)[-1]
        if (
            name in SECRET_NAMES
            or name.endswith(SECRET_SUFFIXES)
            or (
                (name == ".env" or name.startswith(".env."))
                and name not in ENV_EXAMPLES
            )
        ):
            found.append(f"{path}: a file of this name usually holds keys or passwords")
    return found


def find_secrets(root: Path, files: list[Tracked]) -> list[str]:
    """'path, line N: kind' for every secret detect-secrets finds: its default plugins and filters,
    and is_generated_value."""
    try:
        from detect_secrets.core.scan import scan_file
        from detect_secrets.settings import default_settings
    except ImportError:
        raise Refused(
            Reason(
                "the secret scanner (detect-secrets) is not installed",
                (),
                'run `pip install -e ".[dev]"` and package again',
            )
        ) from None
    found = []
    with default_settings() as settings:
        # Filters are named by import path; this module's own name works in the kit and in a
        # project (climb/) alike.
        settings.configure_filters(
            [
                *settings.json()["filters_used"],
                {"path": f"{__name__}.{is_generated_value.__name__}"},
            ]
        )
        for file in files:
            secrets = scan_file(str(root / file.path))
            for secret in sorted(secrets, key=lambda s: (s.line_number, s.type)):
                found.append(f"{file.path}, line {secret.line_number}: {secret.type}")
    return found


def is_generated_value(filename: str, secret: str, plugin, line: str) -> bool:
    """A detect-secrets filter: True when a keyword match is code that makes a key, not a key.

    detect-secrets' KeywordDetector reports the string literal given to a name like secret,
    api_key or password. When the value is `"sk_" + secrets.token_urlsafe(32)` (or
    `"sk_%s" % token`, `"sk_{}".format(token)`) that literal is only a prefix of a value the
    code computes at run time. Only the keyword plugin's findings on Python lines that parse on
    their own are judged: a literal that is the whole value, a call's argument or a sum of
    literals only still matches, and every other plugin still sees the line.
    """
    from detect_secrets.plugins.keyword import KeywordDetector

    if not isinstance(plugin, KeywordDetector) or not filename.endswith(".py"):
        return False
    try:
        tree = ast.parse(line.strip())
    except SyntaxError:
        return False
    parents = {
        child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)
    }
    literals = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value == secret
    ]
    return bool(literals) and all(
        _part_of_computed_value(literal, parents) for literal in literals
    )


def _part_of_computed_value(literal: ast.Constant, parents: dict) -> bool:
    """Whether the literal is an operand of `+` or `%`, or the string `.format()` is called on,
    in an expression that also reads a name or calls a function."""
    chain = [literal]
    while True:
        node, parent = chain[-1], parents.get(chain[-1])
        if (
            isinstance(parent, ast.BinOp)
            or (isinstance(parent, ast.Attribute) and parent.value is node)
            or (isinstance(parent, ast.Call) and parent.func is node)
        ):
            chain.append(parent)
        else:
            break
    return any(
        isinstance(node, (ast.Name, ast.Call)) and node not in chain
        for node in ast.walk(chain[-1])
    )


def _showcase_text(stage_file, answers, journal, passed, commit) -> bytes:
    learner = answers.learner
    summary = journal.summary or (
        f"{learner['name']} built {stage_file.title}, {len(passed)} of "
        f"{len(stage_file.stages)} stages."
    )
    entry = {
        "title": stage_file.title,
        "learner": {"name": learner["name"], "github_handle": learner["github_handle"]},
        "cohort": learner["cohort"],
        "project": answers.project,
        "template_version": answers.version,
        "commit": commit[:12],
        "stages_passed": f"{len(passed)} of {len(stage_file.stages)}",
        "stages": [stage.title for stage in passed],
        "summary": summary,
        "highlights": journal.highlights,
    }
    header = (
        "# A showcase entry written by `invoke package`: add it to the curriculum's showcase by "
        "pull request.\n"
    )
    return (
        header + yaml.safe_dump(entry, sort_keys=False, allow_unicode=True)
    ).encode()


def _write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def print_refusal(refused: Refused) -> None:
    console = display.console
    for reason in refused.reasons:
        console.print(Text.assemble(("✗ Cannot package: ", "bold red"), reason.title))
        for detail in reason.details:
            console.print(Text(f"  - {detail}"))
        if reason.fix:
            console.print(Text.assemble(("  Fix: ", "bold"), reason.fix))
    console.print("Nothing was written.", style="dim")


def print_built(built: Built, root: Path) -> None:
    console = display.console
    stages = built.manifest["stages"]
    console.print(
        Text.assemble(
            ("✓ Packaged ", "bold green"),
            built.archive.relative_to(root).as_posix(),
            f" ({built.size / 1024:.1f} KiB, {len(built.manifest['files'])} files)",
        )
    )
    console.print(Text(f"  sha256 {built.sha256}"))
    console.print(Text(f"  stages passed: {built.stages_passed} of {len(stages)}"))
    console.print(
        Text(
            f"  showcase entry: {built.showcase.relative_to(root).as_posix()} (open a pull "
            "request with it on the curriculum's showcase)"
        )
    )
    if warning := built.drift.warning():
        console.print(
            Text(
                f"{warning} The package records this (manifest.json, template_files).",
                "yellow",
            )
        )


def print_verdict(name: str, verdict: Verdict) -> None:
    console = display.console
    if verdict.ok:
        manifest = verdict.manifest
        learner = manifest["learner"]
        console.print(
            Text.assemble(
                ("✓ ", "green"),
                f"{name} is a valid bundle: {verdict.files} files, {manifest['project']}, "
                f"{learner['name']} (@{learner['github_handle']})",
            )
        )
        return
    console.print(Text.assemble(("✗ ", "red"), f"{name} is not a valid bundle:"))
    for problem in verdict.problems:
        console.print(Text(f"  - {problem}"))
