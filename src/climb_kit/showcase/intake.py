"""Take submission bundles into the showcase store: check everything first, then write data only.

A bundle is checked by the learner runtime's own verifier (`check_bundle`: manifest schema,
hashes, sizes, paths, links, devices, duplicates), after a guard of our own on the raw gzip stream
(a decompression bomb is stopped before the tar reader sees a byte of it), and then for what a
public gallery needs beyond a valid bundle: a project this kit has, a showcase entry that agrees
with the manifest, a journal of reasonable size, no secrets.

An accepted bundle becomes a folder `entries/<handle>-<project>/` in the store holding
`entry.json` (what the site shows), `journal.md` (the learner's journal, as text) and, when the
project has one, `chart.png` (its benchmark chart, kept only if it really is a PNG). No code from
the bundle is ever stored. The folder is written beside the store under a temporary name and
renamed into place, so a rejected bundle, or a crash, leaves no trace.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import yaml

from climb_kit.learner.bundle import MANIFEST, SHOWCASE, check_bundle
from climb_kit.learner.journal import parse_journal
from climb_kit.learner.package import (
    GITHUB_HANDLE,
    Tracked,
    find_secrets,
    secret_file_names,
)

ENTRIES = "entries"
ENTRY = "entry.json"
JOURNAL_COPY = "journal.md"
CHART_COPY = "chart.png"
ENTRY_FORMAT = 1

# A whole project is a few hundred KiB of text; these leave room and stop abuse early.
MAX_BUNDLE_BYTES = 8 << 20  # the .tar.gz as submitted
MAX_EXPANDED_BYTES = 16 << 20  # what its gzip stream may expand to
MAX_JOURNAL_BYTES = 64 << 10
MAX_SHOWCASE_BYTES = 16 << 10
MAX_CHART_BYTES = 512 << 10
MAX_HIGHLIGHTS = 12
# Longest text per field, in characters (what fits a gallery card and a page).
MAX_CHARS = {
    "title": 120,
    "name": 100,
    "cohort": 60,
    "summary": 400,
    "highlight": 400,
    "template_version": 40,
}
README_EXCERPT_CHARS = 600
BENCHMARK_JSON = "benchmarks/report.json"
BENCHMARK_PNG = "benchmarks/report.png"
MAX_BENCHMARK_ROWS = 60
MAX_BENCHMARK_COLUMNS = 16
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]*$")


class Rejected(Exception):
    """The bundle cannot go into the showcase; the message is the one reason to show."""


@dataclass(frozen=True)
class Outcome:
    """What intake did with one bundle: added, updated, unchanged or rejected (with why)."""

    bundle: Path
    status: str
    entry_id: str = ""
    reason: str = ""
    notes: tuple[str, ...] = ()

    @property
    def accepted(self) -> bool:
        return self.status != "rejected"


def add_bundles(bundles: list[Path], store: Path, projects: list[str]) -> list[Outcome]:
    """Check and admit each bundle into `store`; one Outcome per bundle, in order."""
    return [add_bundle(Path(bundle), Path(store), projects) for bundle in bundles]


def add_bundle(bundle: Path, store: Path, projects: list[str]) -> Outcome:
    """Check one bundle and, when it passes, write its entry into `store`."""
    try:
        entry, journal, chart, notes = read_submission(bundle, projects)
    except Rejected as err:
        return Outcome(bundle, "rejected", reason=str(err))
    status = _store_entry(store, entry, journal, chart)
    return Outcome(bundle, status, entry_id=entry["id"], notes=tuple(notes))


def read_submission(
    bundle: Path, projects: list[str]
) -> tuple[dict, bytes, bytes | None, list[str]]:
    """Check a bundle completely; (entry, journal bytes, chart bytes or None, notes), or Rejected."""
    data = _read_bounded(bundle)
    _guard_expansion(data)
    # The verifier reads from a path: give it a private copy of exactly the bytes checked above
    # and used below, so the file cannot change in between.
    with tempfile.TemporaryDirectory(prefix="climb-intake-") as scratch:
        copy = Path(scratch) / "bundle.tar.gz"
        copy.write_bytes(data)
        verdict = check_bundle(copy)
        if not verdict.ok:
            problems = [verdict.unreadable] if verdict.unreadable else verdict.problems
            first = problems[0].replace(str(copy), bundle.name)
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise Rejected(f"not a valid bundle: {first}{more}")
        manifest = verdict.manifest
        files = _members(data)
        _refuse_secrets(Path(scratch) / "files", files)
    return _entry(manifest, files, projects)


def _read_bounded(bundle: Path) -> bytes:
    try:
        if not bundle.is_file():
            raise Rejected("not a file" if bundle.exists() else "no such file")
        with open(bundle, "rb") as stream:
            # One byte past the limit is enough to know, even if the file grows meanwhile.
            data = stream.read(MAX_BUNDLE_BYTES + 1)
        if len(data) > MAX_BUNDLE_BYTES:
            raise Rejected(
                f"over the limit of {MAX_BUNDLE_BYTES >> 20} MiB "
                f"({MAX_BUNDLE_BYTES:,} bytes) for a bundle"
            )
        return data
    except FileNotFoundError:
        raise Rejected("no such file") from None
    except OSError as err:
        raise Rejected(f"cannot be read: {err.strerror or err}") from None


def _guard_expansion(data: bytes) -> None:
    """Decompress the gzip stream in small steps, counting, and stop at MAX_EXPANDED_BYTES."""
    if data[:2] != b"\x1f\x8b":
        raise Rejected("not a bundle: not a gzip-compressed tar archive")
    expanded = 0
    rest = data
    try:
        while rest:
            # wbits 31: gzip framing; a file may hold several gzip members back to back.
            stream = zlib.decompressobj(wbits=31)
            chunk = rest
            while not stream.eof:
                # At most 64 KiB out per step: the bomb is never held in memory.
                out = stream.decompress(chunk, 1 << 16)
                expanded += len(out)
                if expanded > MAX_EXPANDED_BYTES:
                    raise Rejected(
                        f"its gzip stream expands to more than {MAX_EXPANDED_BYTES >> 20} MiB "
                        f"from {len(data):,} bytes (a decompression bomb?)"
                    )
                chunk = stream.unconsumed_tail
                if not out and not chunk:
                    raise Rejected("not a bundle: the gzip stream is cut short")
            rest = stream.unused_data
            if rest and rest[:2] != b"\x1f\x8b":
                break  # trailing padding after the last member, as gzip itself allows
    except zlib.error as err:
        raise Rejected(f"not a bundle: damaged gzip stream ({err})") from None


def _members(data: bytes) -> dict[str, bytes]:
    """The verified bundle's files by their path inside the top folder."""
    files = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar:
            if member.isreg():
                relative = member.name.split("/", 1)[1]
                files[relative] = tar.extractfile(member).read()
    return files


def _refuse_secrets(folder: Path, files: dict[str, bytes]) -> None:
    """The learner runtime's own secret checks (names, then detect-secrets on the contents)."""
    tracked = []
    for relative, data in files.items():
        if relative in (MANIFEST, SHOWCASE):
            continue
        # Names were checked by the verifier: plain relative paths inside the bundle.
        target = folder / relative
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        except OSError as err:  # e.g. a file `notes` and a file `notes/a.txt`
            raise Rejected(
                f"{relative}: cannot be laid out as a project ({err.strerror or err})"
            ) from None
        tracked.append(Tracked(relative, False, data))
    found = secret_file_names({file.path for file in tracked}) + find_secrets(
        folder, tracked
    )
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise Rejected(f"looks like it holds a secret: {found[0]}{more}")


def _entry(
    manifest: dict, files: dict[str, bytes], projects: list[str]
) -> tuple[dict, bytes, bytes | None, list[str]]:
    project = manifest["project"]
    learner = manifest["learner"]
    handle = learner["github_handle"]
    if project not in projects:
        raise Rejected(
            f"project {project!r} is not one of this kit's: {', '.join(projects)}"
        )
    if not GITHUB_HANDLE.match(handle):
        raise Rejected(f"github_handle {handle!r} is not a valid GitHub username")

    journal = files[manifest["journal"]]
    if len(journal) > MAX_JOURNAL_BYTES:
        raise Rejected(
            f"the journal is {len(journal):,} bytes, over the showcase's limit of "
            f"{MAX_JOURNAL_BYTES >> 10} KiB"
        )
    journal_text = _text(journal, "the journal")
    showcase = _showcase_entry(files[SHOWCASE], manifest)
    parsed = parse_journal(journal_text)
    summary = parsed.summary or showcase["summary"]
    highlights = parsed.highlights
    if len(highlights) > MAX_HIGHLIGHTS:
        raise Rejected(
            f"the journal has {len(highlights)} Highlight lines (at most {MAX_HIGHLIGHTS})"
        )
    _limit("summary", summary)
    for highlight in highlights:
        _limit("highlight", highlight)
    for key, value in (
        ("title", showcase["title"]),
        ("name", learner["name"]),
        ("cohort", learner["cohort"]),
        ("template_version", manifest["template"]["version"]),
    ):
        _limit(key, value)

    notes: list[str] = []
    benchmark = _benchmark_table(files.get(BENCHMARK_JSON), notes)
    chart = files.get(BENCHMARK_PNG)
    if chart is not None and not (
        chart.startswith(PNG_MAGIC) and len(chart) <= MAX_CHART_BYTES
    ):
        notes.append(
            f"{BENCHMARK_PNG} left out: not a PNG of at most {MAX_CHART_BYTES >> 10} KiB"
        )
        chart = None

    outcomes: dict[str, int] = {}
    for test in manifest["tests"]:
        outcomes[test["outcome"]] = outcomes.get(test["outcome"], 0) + 1
    tamper = manifest["template_files"]
    entry = {
        "format": ENTRY_FORMAT,
        # GitHub handles are case-insensitive: one entry per person and project.
        "id": f"{handle.lower()}-{project}",
        "project": project,
        "title": showcase["title"],
        "learner": {"name": learner["name"], "github_handle": handle},
        "cohort": learner["cohort"],
        "template_version": manifest["template"]["version"],
        "commit": manifest["commit"],
        "created_at": manifest["created_at"],
        "summary": summary,
        "highlights": highlights,
        "readme_excerpt": _readme_excerpt(files.get("README.md")),
        "stages": [
            {
                key: stage[key]
                for key in (
                    "id",
                    "title",
                    "status",
                    "passed",
                    "total",
                    "hints_revealed",
                )
            }
            for stage in manifest["stages"]
        ],
        "tests": dict(sorted(outcomes.items(), key=_outcome_order)),
        "tampered": {
            "changed": tamper["changed"],
            "missing": tamper["missing"],
            "problem": tamper["problem"],
        },
        "benchmark": benchmark,
        "chart": CHART_COPY if chart is not None else None,
        "files": len(manifest["files"]),
        "digest": _digest(manifest),
    }
    return entry, journal, chart, notes


def _outcome_order(item: tuple[str, int]) -> tuple[int, str]:
    known = ("passed", "failed", "error", "skipped")
    return (known.index(item[0]) if item[0] in known else len(known), item[0])


def _showcase_entry(raw: bytes, manifest: dict) -> dict:
    if len(raw) > MAX_SHOWCASE_BYTES:
        raise Rejected(
            f"{SHOWCASE} is {len(raw):,} bytes (at most {MAX_SHOWCASE_BYTES >> 10} KiB)"
        )
    entry = yaml.safe_load(_text(raw, SHOWCASE))
    if not isinstance(entry, dict):
        raise Rejected(f"{SHOWCASE} is not a mapping")
    title, summary = entry.get("title"), entry.get("summary", "")
    if not isinstance(title, str) or not isinstance(summary, str):
        raise Rejected(f"{SHOWCASE}: title and summary must be text")
    learner = entry.get("learner")
    # The entry is copied from the manifest at packaging; a mismatch means a hand-edited bundle.
    agrees = (
        isinstance(learner, dict)
        and learner.get("github_handle") == manifest["learner"]["github_handle"]
        and learner.get("name") == manifest["learner"]["name"]
        and entry.get("project") == manifest["project"]
        and (entry.get("cohort") or "") == manifest["learner"]["cohort"]
    )
    if not agrees:
        raise Rejected(
            f"{SHOWCASE} does not agree with {MANIFEST} on the learner, project or cohort"
        )
    return {"title": title, "summary": summary}


def _text(data: bytes, what: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Rejected(f"{what} is not UTF-8 text") from None
    if "\0" in text:
        raise Rejected(f"{what} holds NUL characters")
    return text


def _limit(key: str, value: str) -> None:
    if len(value) > MAX_CHARS[key]:
        raise Rejected(
            f"the {key.replace('_', ' ')} is {len(value):,} characters "
            f"(at most {MAX_CHARS[key]})"
        )


def _readme_excerpt(raw: bytes | None) -> str:
    """The README's first paragraphs of prose, at most README_EXCERPT_CHARS characters."""
    if raw is None:
        return ""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return ""
    paragraphs = []
    in_code = False
    for block in re.split(r"\n\s*\n", text):
        lines = block.strip().splitlines()
        if not lines:
            continue
        first = lines[0].lstrip()
        if first.startswith("```"):
            in_code = block.count("```") % 2 == 1 if not in_code else False
            continue
        if in_code or first.startswith(("#", "|", ">", "<", "- ", "* ", "    ")):
            continue
        if first.startswith("This copy belongs to"):
            continue  # the template's line; the page names the learner anyway
        paragraphs.append(" ".join(line.strip() for line in lines))
        if sum(map(len, paragraphs)) >= README_EXCERPT_CHARS:
            break
    excerpt = "\n\n".join(paragraphs)
    if len(excerpt) > README_EXCERPT_CHARS:
        excerpt = excerpt[:README_EXCERPT_CHARS].rsplit(" ", 1)[0] + " …"
    return excerpt


def _benchmark_table(raw: bytes | None, notes: list[str]) -> dict | None:
    """benchmarks/report.json as {columns, rows} when it is a list of flat rows, else None."""
    if raw is None:
        return None
    try:
        rows = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        rows = None
    scalar = (str, int, float, bool, type(None))
    flat = (
        isinstance(rows, list)
        and 0 < len(rows) <= MAX_BENCHMARK_ROWS
        and all(isinstance(row, dict) for row in rows)
        and all(
            isinstance(value, scalar) and len(str(value)) <= 60
            for row in rows
            for value in row.values()
        )
    )
    columns = list(rows[0]) if flat else []
    if not flat or len(columns) > MAX_BENCHMARK_COLUMNS:
        notes.append(
            f"{BENCHMARK_JSON} left out: not a list of at most {MAX_BENCHMARK_ROWS} flat rows"
        )
        return None
    return {
        "columns": columns,
        "rows": [[row.get(column) for column in columns] for row in rows],
    }


def _digest(manifest: dict) -> str:
    return hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()


def _store_entry(store: Path, entry: dict, journal: bytes, chart: bytes | None) -> str:
    """Write the entry's folder atomically; 'added', 'updated' or 'unchanged'."""
    entries = store / ENTRIES
    final = entries / entry["id"]
    existing = final / ENTRY
    if existing.is_file():
        try:
            if json.loads(existing.read_text(encoding="utf-8")) == entry:
                return "unchanged"
        except ValueError:
            pass  # a damaged entry is simply replaced
    entries.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".incoming-{entry['id']}-", dir=entries))
    try:
        (staging / ENTRY).write_text(
            json.dumps(entry, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        (staging / JOURNAL_COPY).write_bytes(journal)
        if chart is not None:
            (staging / CHART_COPY).write_bytes(chart)
        os.chmod(staging, 0o755)
        if final.exists():
            retired = Path(
                tempfile.mkdtemp(prefix=f".retired-{entry['id']}-", dir=entries)
            )
            os.replace(final, retired / "old")
            os.replace(staging, final)
            shutil.rmtree(retired)
            return "updated"
        os.replace(staging, final)
        return "added"
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def load_entries(store: Path) -> list[dict]:
    """Every stored entry, with `folder` set to where its files are, sorted by project and id."""
    entries = []
    folder = Path(store) / ENTRIES
    if not folder.is_dir():
        return []
    for path in sorted(folder.glob(f"*/{ENTRY}")):
        if path.parent.name.startswith("."):
            continue
        entry = json.loads(path.read_text(encoding="utf-8"))
        entry["folder"] = path.parent
        entries.append(entry)
    entries.sort(key=lambda e: (e["project"], e["id"]))
    return entries
