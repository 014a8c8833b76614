"""Check a showcase bundle (`invoke package --verify FILE`) without unpacking it.

A bundle is `<handle>-<project>-<version>.tar.gz` holding one folder of the same name: the learner's
git-tracked files at their paths, `manifest.json` (what was packaged, with the size and sha256 of
every file) and `showcase.yml`. `invoke package` builds it (package.py); this module only reads.

The archive is read as a stream, in memory, under limits: nothing is ever written to disk, so a
hostile bundle (links, device files, `../` or absolute paths, a decompression bomb) can do no harm.
Pure standard library plus PyYAML: the kit's showcase intake reuses `verify_bundle`.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import tarfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SHOWCASE = "showcase.yml"
# A learner project is small text; a bigger file is data or a build artefact that slipped into git.
MAX_FILE_BYTES = 1 << 20
# Everything the archive decompresses to, tar headers included: the guard against a gzip bomb.
MAX_TOTAL_BYTES = 64 << 20
MAX_MEMBERS = 10_000
FILE_MODES = (0o644, 0o755)
SHA256 = re.compile(r"^[0-9a-f]{64}$")
# SHA-1 repositories have 40 hex digits, SHA-256 ones 64.
COMMIT = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")
STAGE_STATUSES = ("passed", "failing", "locked")

_NONE = type(None)
# The manifest's shape: a type, a tuple of types, {key: shape} for an object, [shape] for a list.
MANIFEST_SHAPE = {
    "format_version": int,
    "project": str,
    "commit": str,
    "created_at": str,
    "journal": str,
    "template": {"version": str},
    "answers": dict,
    "learner": {"name": str, "github_handle": str, "cohort": str},
    "stages": [
        {
            "id": str,
            "title": str,
            "status": str,
            "passed": int,
            "total": int,
            "hints_revealed": int,
            "journal_written": bool,
        }
    ],
    "tests": [{"nodeid": str, "stage": (str, _NONE), "outcome": str}],
    "files": [{"path": str, "size": int, "sha256": str}],
    "showcase": {"path": str, "size": int, "sha256": str},
    "template_files": {
        "checked": int,
        "changed": [str],
        "missing": [str],
        "problem": str,
        "checksums_sha256": (str, _NONE),
    },
}


class _TooBig(Exception):
    pass


class _Limited:
    """A read-only stream that stops once more than `limit` bytes have come through it."""

    def __init__(self, stream, limit: int):
        self._stream = stream
        self._limit = limit
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        room = (
            self._limit - self.count + 1
        )  # one byte more than allowed tells us it is over
        data = self._stream.read(room if size is None or size < 0 else min(size, room))
        self.count += len(data)
        if self.count > self._limit:
            raise _TooBig
        return data


@dataclass
class Verdict:
    """What checking a bundle found. `unreadable` is set when the file is not a bundle at all."""

    problems: list[str] = field(default_factory=list)
    unreadable: str = ""
    manifest: dict | None = None
    files: int = (
        0  # the project's files the manifest lists (its own two files not counted)
    )

    @property
    def ok(self) -> bool:
        return not self.unreadable and not self.problems


def verify_bundle(path: str | Path) -> list[str]:
    """Every problem with the bundle at `path`, one line each; an empty list means it is good."""
    verdict = check_bundle(path)
    return [verdict.unreadable] if verdict.unreadable else verdict.problems


def check_bundle(path: str | Path) -> Verdict:
    path = Path(path)
    verdict = Verdict()
    try:
        stream = open(path, "rb")
    except FileNotFoundError:
        verdict.unreadable = f"{path} does not exist"
        return verdict
    except IsADirectoryError:
        verdict.unreadable = f"{path} is a folder, not a bundle"
        return verdict
    except OSError as err:
        verdict.unreadable = f"{path} cannot be read: {err.strerror or err}"
        return verdict
    with stream:
        if stream.read(2) != b"\x1f\x8b":
            verdict.unreadable = (
                f"{path} is not a bundle: not a gzip-compressed tar archive"
            )
            return verdict
        stream.seek(0)
        members = _read_members(gzip.GzipFile(fileobj=stream, mode="rb"), path, verdict)
    if members is None or verdict.unreadable:
        return verdict
    top, files = members
    _check_contents(top, files, verdict)
    return verdict


def _read_members(raw, path: Path, verdict: Verdict):
    """Read every member into memory (within the limits); (top folder, {relative path: bytes})."""
    limited = _Limited(raw, MAX_TOTAL_BYTES)
    files: dict[str, bytes] = {}
    seen: set[str] = set()
    top = None
    problems = verdict.problems
    try:
        tar = tarfile.open(fileobj=limited, mode="r|")
    except _TooBig:
        verdict.unreadable = f"{path} is not a bundle: it decompresses to more than {_mib(MAX_TOTAL_BYTES)}"
        return None
    except (tarfile.TarError, OSError, EOFError, zlib.error) as err:
        verdict.unreadable = (
            f"{path} is not a bundle: not a gzip-compressed tar archive ({err})"
        )
        return None
    count = 0
    complete = False
    try:
        with tar:
            for member in tar:
                count += 1
                if count > MAX_MEMBERS:
                    problems.append(f"more than {MAX_MEMBERS} members; stopped reading")
                    break
                name = member.name
                shown = repr(name)
                if trouble := _name_problem(name):
                    problems.append(f"{shown}: {trouble}")
                    continue
                parts = name.rstrip("/").split("/")
                if top is None:
                    top = parts[0]
                if parts[0] != top:
                    problems.append(
                        f"{shown}: outside the bundle's single top folder {top!r}"
                    )
                    continue
                key = "/".join(parts)
                if key in seen:
                    problems.append(f"{shown}: appears twice in the archive")
                    continue
                seen.add(key)
                if member.isdir():
                    if member.mode != 0o755:
                        problems.append(
                            f"{shown}: folder with mode {member.mode:o} (expected 755)"
                        )
                    continue
                if not member.isreg() or member.issparse():
                    problems.append(
                        f"{shown}: {_kind(member)}, but a bundle holds regular files only"
                    )
                    continue
                if len(parts) < 2:
                    problems.append(f"{shown}: a file outside the bundle's top folder")
                    continue
                if member.mode not in FILE_MODES:
                    problems.append(
                        f"{shown}: file mode {member.mode:o} (expected 644 or 755)"
                    )
                if member.size > MAX_FILE_BYTES:
                    problems.append(
                        f"{shown}: {member.size:,} bytes, over the limit of {_mib(MAX_FILE_BYTES)} "
                        f"({MAX_FILE_BYTES:,} bytes) per file"
                    )
                    continue
                data = tar.extractfile(member).read()
                if len(data) != member.size:
                    problems.append(
                        f"{shown}: truncated ({len(data)} of {member.size} bytes)"
                    )
                    continue
                files["/".join(parts[1:])] = data
            else:
                complete = True
    except _TooBig:
        problems.append(
            f"the archive decompresses to more than {_mib(MAX_TOTAL_BYTES)} (a decompression bomb?); "
            "stopped reading"
        )
    except (tarfile.TarError, OSError, EOFError, zlib.error) as err:
        problems.append(f"the archive is damaged after {count} member(s): {err}")
    if top is None and not problems:
        verdict.unreadable = f"{path} is not a bundle: the archive is empty"
        return None
    if not complete:
        # Members after the stop were never seen: comparing them with the manifest would only
        # add noise.
        return None
    return top, files


def _name_problem(name: str) -> str:
    if not name:
        return "an empty name"
    if "\0" in name or "\\" in name:
        return "a name with a NUL or backslash (unsafe on some systems)"
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "an absolute path"
    parts = name.rstrip("/").split("/")
    if ".." in parts:
        return "a `..` component, which would escape the bundle"
    if any(part in ("", ".") for part in parts):
        return "not a plain relative path (empty or `.` component)"
    return ""


def _kind(member: tarfile.TarInfo) -> str:
    if member.issym():
        return f"a symbolic link (to {member.linkname!r})"
    if member.islnk():
        return f"a hard link (to {member.linkname!r})"
    if member.ischr() or member.isblk():
        return "a device file"
    if member.isfifo():
        return "a FIFO"
    if member.issparse():
        return "a sparse file"
    return f"a member of tar type {member.type!r}"


def _check_contents(top: str, files: dict[str, bytes], verdict: Verdict) -> None:
    problems = verdict.problems
    if MANIFEST not in files:
        problems.append(f"{top}/{MANIFEST} is missing (or could not be read)")
        return
    try:
        manifest = json.loads(files[MANIFEST].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        problems.append(f"{top}/{MANIFEST} is not valid JSON: {err}")
        return
    shape_problems = manifest_problems(manifest)
    if shape_problems:
        problems.extend(f"{MANIFEST}: {problem}" for problem in shape_problems)
        return
    verdict.manifest = manifest
    expected_top = bundle_stem(
        manifest["learner"]["github_handle"], manifest["project"], manifest["commit"]
    )
    if top != expected_top:
        problems.append(
            f"top folder {top!r} should be {expected_top!r} (from the manifest)"
        )

    listed: dict[str, dict] = {}
    for entry in manifest["files"]:
        where = f"{MANIFEST}: files: {entry['path']!r}"
        if trouble := _name_problem(entry["path"]):
            problems.append(f"{where}: {trouble}")
        elif entry["path"] in (MANIFEST, SHOWCASE):
            problems.append(
                f"{where}: that name is reserved for the bundle's own files"
            )
        elif entry["path"] in listed:
            problems.append(f"{where}: listed twice")
        else:
            listed[entry["path"]] = entry
    verdict.files = len(listed)
    if manifest["journal"] not in listed:
        problems.append(
            f"{MANIFEST}: the journal {manifest['journal']!r} is not among the files"
        )

    expected = {**listed, SHOWCASE: manifest["showcase"]}
    if manifest["showcase"]["path"] != SHOWCASE:
        problems.append(f"{MANIFEST}: showcase path should be {SHOWCASE!r}")
    for relative, entry in sorted(expected.items()):
        data = files.get(relative)
        if data is None:
            problems.append(
                f"{top}/{relative}: listed in the manifest but missing from the bundle"
            )
        elif len(data) != entry["size"]:
            problems.append(
                f"{top}/{relative}: {len(data)} bytes, but the manifest says {entry['size']}"
            )
        elif hashlib.sha256(data).hexdigest() != entry["sha256"]:
            problems.append(
                f"{top}/{relative}: sha256 differs from the manifest (changed after packaging)"
            )
    for relative in sorted(set(files) - set(expected) - {MANIFEST}):
        problems.append(
            f"{top}/{relative}: in the bundle but not listed in the manifest"
        )
    if SHOWCASE in files:
        try:
            yaml.safe_load(files[SHOWCASE].decode("utf-8"))
        except (UnicodeDecodeError, yaml.YAMLError) as err:
            problems.append(f"{top}/{SHOWCASE} is not valid YAML: {err}")


def manifest_problems(manifest: object) -> list[str]:
    """Schema errors in a parsed manifest (required keys and their types)."""
    problems: list[str] = []
    _check_shape(manifest, MANIFEST_SHAPE, "manifest", problems)
    if problems:
        return problems
    if manifest["format_version"] != FORMAT_VERSION:
        problems.append(
            f"format_version {manifest['format_version']} is not supported "
            f"(this checker reads version {FORMAT_VERSION})"
        )
    if not COMMIT.match(manifest["commit"]):
        problems.append("commit is not a full git commit id")
    for entry in manifest["files"]:
        if not SHA256.match(entry["sha256"]):
            problems.append(f"files: {entry['path']!r}: sha256 is not 64 hex digits")
        if entry["size"] < 0:
            problems.append(f"files: {entry['path']!r}: negative size")
    if not SHA256.match(manifest["showcase"]["sha256"]):
        problems.append("showcase: sha256 is not 64 hex digits")
    for stage in manifest["stages"]:
        if stage["status"] not in STAGE_STATUSES:
            problems.append(
                f"stages: {stage['id']!r}: unknown status {stage['status']!r}"
            )
    return problems


def _check_shape(value: object, shape, where: str, problems: list[str]) -> None:
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            problems.append(f"{where}: expected an object")
            return
        for key, inner in shape.items():
            if key not in value:
                problems.append(f"{where}: missing {key!r}")
            else:
                _check_shape(value[key], inner, f"{where}.{key}", problems)
    elif isinstance(shape, list):
        if not isinstance(value, list):
            problems.append(f"{where}: expected a list")
            return
        for index, item in enumerate(value):
            _check_shape(item, shape[0], f"{where}[{index}]", problems)
    else:
        types = shape if isinstance(shape, tuple) else (shape,)
        # JSON true/false are not numbers here, even though bool is an int in Python.
        if (
            isinstance(value, bool)
            and bool not in types
            or not isinstance(value, types)
        ):
            names = " or ".join("null" if t is _NONE else t.__name__ for t in types)
            problems.append(f"{where}: expected {names}, got {type(value).__name__}")


def bundle_stem(handle: str, project: str, commit: str) -> str:
    """`<handle>-<project>-<short commit>`: the archive's name and its top folder."""
    return f"{handle}-{project}-{commit[:12]}"


def _mib(size: int) -> str:
    return f"{size >> 20} MiB"
