"""Stage 1 (workload): read a workload from CSV or JSON and reject bad input clearly.

A workload is a list of jobs. Every later stage trusts the jobs it gets, so this module
is the one place where malformed input is stopped, with an error that says where and
what is wrong.
"""

import json  # noqa: F401 (used by code you write)
import os
import re
from dataclasses import dataclass
from pathlib import Path  # noqa: F401 (used by code you write)


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
    raise NotImplementedError(
        "Stage 1 (workload): return the value if it obeys RULES[field], else raise"
    )


def make_job(values: dict[str, int], location: str) -> Job:
    """Build a Job from checked values (every field of FIELDS present).

    Checks the rule between the two I/O fields: io_every > 0 needs io_time >= 1 (else
    the error names `io_time`), and io_time > 0 needs io_every > 0 (else the error names
    `io_every`).
    """
    raise NotImplementedError(
        "Stage 1 (workload): check the io_every/io_time rule, then build the Job"
    )


def sorted_unique(entries: list[tuple[Job, str]], empty_location: str) -> list[Job]:
    """The jobs of (job, location) pairs sorted by id.

    Raises WorkloadError at the location of the first job (in input order) whose id was
    already seen (field "id"). No entries at all: WorkloadError at `empty_location`,
    field "", problem "no jobs".
    """
    raise NotImplementedError(
        "Stage 1 (workload): reject duplicate ids and no jobs, then sort by id"
    )


def is_skipped(line: str) -> bool:
    """True for a CSV line that is blank or a comment (first non-space character #)."""
    raise NotImplementedError(
        "Stage 1 (workload): say whether a CSV line is blank or a comment"
    )


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
    raise NotImplementedError(
        "Stage 1 (workload): check the header, then turn each row into a Job"
    )


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
    raise NotImplementedError(
        "Stage 1 (workload): decode the JSON, then turn each entry into a Job"
    )


def load_workload(path: str | os.PathLike) -> list[Job]:
    """Read a workload file (UTF-8) and parse it by suffix: `.csv` or `.json`.

    Every failure is a WorkloadError whose `source` is `str(path)`, so the message
    starts with the path: "w.csv: line 4, field 'burst': ...". Parse errors keep their
    location, field and problem. Another suffix: location "file", field "", a problem
    naming `.csv` and `.json`. A missing file: location "file", field "", problem
    "no such file".
    """
    raise NotImplementedError(
        "Stage 1 (workload): read the file, parse it by suffix, put the path in errors"
    )


def reject_io(jobs: list[Job], policy: str) -> None:
    """Raise ValueError naming `policy` if any job does I/O: only mlfq models I/O."""
    if any(job.io_every > 0 for job in jobs):
        raise ValueError(f"{policy} does not model I/O; only mlfq does")
