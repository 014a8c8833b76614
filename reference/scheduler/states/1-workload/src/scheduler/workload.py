"""Stage 1 (workload): read a workload from CSV or JSON and reject bad input clearly.

A workload is a list of jobs. Every later stage trusts the jobs it gets, so this module
is the one place where malformed input is stopped, with an error that says where and
what is wrong.
"""

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Job:
    """One job of a workload.

    `priority`: higher number = more important (only the priority policy uses it).
    `io_every`/`io_time`: after every `io_every` ticks of CPU the job blocks on I/O for
    `io_time` ticks (only mlfq models I/O); 0 means the job never does I/O.
    """

    id: int
    arrival: int
    burst: int
    priority: int = 0
    io_every: int = 0
    io_time: int = 0


class WorkloadError(ValueError):
    """A malformed workload: where (`location`), which `field`, what the `problem` is.

    `location` is "line 4" (CSV, physical line, the header is line 1), "job 3" (JSON,
    1-based entry) or "file". `field` is "" when the problem is not about one field.
    `source` is the file's path when the error comes from `load_workload`, else "".

    str(err) == "line 4, field 'burst': must be a positive integer, got '0'"
    (or "line 4: ..." when field == ""), with "<source>: " in front when source is set.
    """

    def __init__(
        self, location: str, field: str, problem: str, source: str = ""
    ) -> None:
        self.location = location
        self.field = field
        self.problem = problem
        self.source = source
        super().__init__(str(self))

    def __str__(self) -> str:
        where = (
            f"{self.location}, field '{self.field}'" if self.field else self.location
        )
        message = f"{where}: {self.problem}"
        return f"{self.source}: {message}" if self.source else message


REQUIRED = ("id", "arrival", "burst")
"""Columns/keys every workload must have."""

DEFAULTS = {"priority": 0, "io_every": 0, "io_time": 0}
"""Optional columns/keys and the value an empty CSV cell or a missing key stands for."""

FIELDS = REQUIRED + tuple(DEFAULTS)
"""Every known column/key, in the order they are checked."""

RULES = {
    "id": (0, "must be a non-negative integer"),
    "arrival": (0, "must be a non-negative integer"),
    "burst": (1, "must be a positive integer"),
    "priority": (None, "must be an integer"),
    "io_every": (0, "must be a non-negative integer"),
    "io_time": (0, "must be a non-negative integer"),
}
"""field -> (smallest allowed value, None for any; the problem to report if broken)."""

INTEGER = re.compile(r"[-+]?[0-9]+")
"""A CSV cell holding a base-10 integer (after surrounding spaces are stripped)."""


def check_value(field: str, value: int | None, location: str, shown: str) -> int:
    """Return `value` if it obeys RULES[field], else raise WorkloadError.

    `value` is None when the text/JSON value was not an integer at all. `shown` is how
    the original value is quoted in the message, e.g. "'0'" for a CSV cell, "1.5" for
    JSON: "must be a positive integer, got '0'".
    """
    minimum, problem = RULES[field]
    if value is None or (minimum is not None and value < minimum):
        raise WorkloadError(location, field, f"{problem}, got {shown}")
    return value


def make_job(values: dict[str, int], location: str) -> Job:
    """Build a Job from checked values (every field of FIELDS present).

    Checks the rule between the two I/O fields: io_every > 0 needs io_time >= 1 (else
    the error names `io_time`), and io_time > 0 needs io_every > 0 (else the error names
    `io_every`).
    """
    if values["io_every"] > 0 and values["io_time"] < 1:
        raise WorkloadError(
            location,
            "io_time",
            f"must be at least 1 when io_every > 0, got {values['io_time']}",
        )
    if values["io_time"] > 0 and values["io_every"] == 0:
        raise WorkloadError(
            location,
            "io_every",
            f"must be positive when io_time > 0, got {values['io_every']}",
        )
    return Job(**values)


def sorted_unique(entries: list[tuple[Job, str]], empty_location: str) -> list[Job]:
    """The jobs of (job, location) pairs sorted by id.

    Raises WorkloadError at the location of the first job (in input order) whose id was
    already seen (field "id"). No entries at all: WorkloadError at `empty_location`,
    field "", problem "no jobs".
    """
    if not entries:
        raise WorkloadError(empty_location, "", "no jobs")
    seen: set[int] = set()
    for job, location in entries:
        if job.id in seen:
            raise WorkloadError(location, "id", f"duplicate id {job.id}")
        seen.add(job.id)
    return sorted((job for job, _ in entries), key=lambda job: job.id)


def is_skipped(line: str) -> bool:
    """True for a CSV line that is blank or a comment (first non-space character #)."""
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def parse_csv(text: str) -> list[Job]:
    """Parse CSV text into jobs sorted by id.

    - Lines are numbered physically, from 1. Blank lines and lines whose first non-space
      character is `#` are skipped (see `is_skipped`), but still counted.
    - The header is the first line that is not skipped: `id,arrival,burst` plus any of
      `priority,io_every,io_time`, in any order, spaces around names ignored. An unknown
      or duplicated column, or a missing required one, is a WorkloadError at the
      header's line whose field is that column's name.
    - A row with the wrong number of cells: error at its line, field "", the problem
      says how many cells were expected and how many were found.
    - Cells are base-10 integers, spaces around them ignored; an empty cell in an
      optional column means its default. Each value must obey RULES (see `check_value`)
      and the I/O rule (see `make_job`); the first broken rule is reported, fields
      checked in FIELDS order.
    - A duplicate id is an error at the duplicate's line, field "id".
    - Text with no jobs at all (empty, only blank/comment lines, or a header with no
      rows): "line 1", field "", problem "no jobs".
    """
    lines = text.splitlines()
    header = next((i for i, line in enumerate(lines) if not is_skipped(line)), None)
    if header is None:
        raise WorkloadError("line 1", "", "no jobs")
    where = f"line {header + 1}"
    columns = [name.strip() for name in lines[header].split(",")]
    for position, name in enumerate(columns):
        if name not in FIELDS:
            raise WorkloadError(
                where, name, "unknown column" if name else "empty column name"
            )
        if name in columns[:position]:
            raise WorkloadError(where, name, "duplicated column")
    for name in REQUIRED:
        if name not in columns:
            raise WorkloadError(where, name, "missing required column")

    entries: list[tuple[Job, str]] = []
    for number, line in enumerate(lines[header + 1 :], start=header + 2):
        if is_skipped(line):
            continue
        location = f"line {number}"
        cells = [cell.strip() for cell in line.split(",")]
        if len(cells) != len(columns):
            raise WorkloadError(
                location, "", f"expected {len(columns)} cells, found {len(cells)}"
            )
        row = dict(zip(columns, cells, strict=True))
        values = dict(DEFAULTS)
        for field in FIELDS:
            cell = row.get(field, "")
            if cell == "" and field in DEFAULTS:
                continue
            number_or_none = int(cell) if INTEGER.fullmatch(cell) else None
            values[field] = check_value(field, number_or_none, location, repr(cell))
        entries.append((make_job(values, location), location))
    return sorted_unique(entries, "line 1")


def parse_json(text: str) -> list[Job]:
    """Parse JSON text into jobs sorted by id.

    - The document is a list of objects, or an object `{"jobs": [...]}`. Any other shape
      is a WorkloadError at "line 1", field "".
    - Invalid JSON: error at "line N" (the decoder's line number), field "".
    - Entry k (1-based) is reported as "job k". An entry that is not an object has
      field "". An unknown key, or a missing required key: field = that key.
    - Values must be JSON integers: not floats (1.0 too), not booleans, not strings, not
      null. Each value must obey RULES (see `check_value`) and the I/O rule (see
      `make_job`).
    - A duplicate id is an error at the duplicate's entry, field "id".
    - No entries at all: "job 1", field "", problem "no jobs".
    """
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise WorkloadError(
            f"line {err.lineno}", "", f"invalid JSON: {err.msg}"
        ) from None
    if isinstance(document, dict) and set(document) == {"jobs"}:
        document = document["jobs"]
    if not isinstance(document, list):
        raise WorkloadError(
            "line 1", "", 'expected a list of jobs or an object {"jobs": [...]}'
        )

    entries: list[tuple[Job, str]] = []
    for number, entry in enumerate(document, start=1):
        location = f"job {number}"
        if not isinstance(entry, dict):
            raise WorkloadError(
                location, "", f"must be an object, got {json.dumps(entry)}"
            )
        for key in entry:
            if key not in FIELDS:
                raise WorkloadError(location, key, "unknown key")
        values = dict(DEFAULTS)
        for field in FIELDS:
            if field not in entry:
                if field in REQUIRED:
                    raise WorkloadError(location, field, "is required")
                continue
            raw = entry[field]
            number_or_none = raw if type(raw) is int else None
            values[field] = check_value(
                field, number_or_none, location, json.dumps(raw)
            )
        entries.append((make_job(values, location), location))
    return sorted_unique(entries, "job 1")


def load_workload(path: str | os.PathLike) -> list[Job]:
    """Read a workload file (UTF-8) and parse it by suffix: `.csv` or `.json`.

    Every failure is a WorkloadError whose `source` is `str(path)`, so the message
    starts with the path: "w.csv: line 4, field 'burst': ...". Parse errors keep their
    location, field and problem. Another suffix: location "file", field "", a problem
    naming `.csv` and `.json`. A missing file: location "file", field "", problem
    "no such file".
    """
    source = str(path)
    suffix = Path(path).suffix.lower()
    parsers = {".csv": parse_csv, ".json": parse_json}
    if suffix not in parsers:
        raise WorkloadError(
            "file", "", f"unsupported file type {suffix!r}; use .csv or .json", source
        )
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise WorkloadError("file", "", "no such file", source) from None
    except UnicodeDecodeError:
        raise WorkloadError("file", "", "not valid UTF-8 text", source) from None
    except OSError as err:
        raise WorkloadError(
            "file", "", f"cannot read: {err.strerror}", source
        ) from None
    try:
        return parsers[suffix](text)
    except WorkloadError as err:
        raise WorkloadError(err.location, err.field, err.problem, source) from None


def reject_io(jobs: list[Job], policy: str) -> None:
    """Raise ValueError naming `policy` if any job does I/O: only mlfq models I/O."""
    if any(job.io_every > 0 for job in jobs):
        raise ValueError(f"{policy} does not model I/O; only mlfq does")
