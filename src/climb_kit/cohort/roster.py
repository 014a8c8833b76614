"""Read a cohort roster (CSV) and check all of it before anything is created.

Columns, named in a header row: `name`, `github_handle` (or `handle`), and optionally `email` and
`cohort`. Every problem is reported with its line number, so a facilitator fixes the file once.
The handle and name rules are copier.yml's validators (a kit test keeps them in step), so a roster
that passes here renders for every learner.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

REQUIRED = ("name", "github_handle")
OPTIONAL = ("email", "cohort")
ALIASES = {"handle": "github_handle", "github": "github_handle"}
HANDLE = re.compile(r"^[A-Za-z0-9-]+$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
BOM = "\ufeff"
MAX_NAME = 100
MAX_HANDLE = 39
MAX_COHORT = 60


@dataclass(frozen=True)
class Learner:
    line: int
    name: str
    handle: str
    email: str = ""
    cohort: str = ""

    def answers(self) -> dict[str, str]:
        """The Copier answers for this learner (a cohort only when the roster gives one)."""
        answers = {"learner_name": self.name, "github_handle": self.handle}
        if self.cohort:
            answers["cohort"] = self.cohort
        return answers


class RosterError(Exception):
    """The roster has problems; `problems` holds one line per problem, with its line number."""

    def __init__(self, path: Path, problems: list[str]):
        self.problems = problems
        listed = "\n  ".join(problems)
        super().__init__(
            f"{path}: {len(problems)} problem(s), nothing was created:\n  {listed}"
        )


def handle_problem(handle: str) -> str:
    """Why `handle` is not a valid GitHub username ('' when it is): copier.yml's rules."""
    if not handle:
        return "the GitHub handle is empty"
    if len(handle) > MAX_HANDLE:
        return f"GitHub handle {handle!r} has {len(handle)} characters; at most {MAX_HANDLE}"
    if handle.startswith("@"):
        return f"GitHub handle {handle!r}: leave out the '@'"
    if not HANDLE.match(handle):
        return (
            f"GitHub handle {handle!r} may hold only ASCII letters, digits and hyphens"
        )
    if handle.startswith("-") or handle.endswith("-"):
        return f"GitHub handle {handle!r} cannot begin or end with a hyphen"
    if "--" in handle:
        return f"GitHub handle {handle!r} cannot contain two hyphens in a row"
    return ""


def read_roster(path: Path) -> list[Learner]:
    """Every learner in the roster, or RosterError listing every problem in it."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise RosterError(path, [f"cannot read the roster: {err.strerror}"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise RosterError(
            path, [f"not UTF-8 text (byte {err.start}); save it as UTF-8 CSV"]
        ) from None
    return parse_roster(text, path)


def parse_roster(text: str, path: Path = Path("roster.csv")) -> list[Learner]:
    problems: list[str] = []
    if text.startswith(BOM):
        problems.append(
            "line 1: the file starts with a byte-order mark (BOM, as Excel writes it); "
            "save it as plain 'CSV UTF-8' without BOM"
        )
        text = text[1:]
    if not text.strip():
        raise RosterError(
            path, problems + ["the roster is empty; expected a header row"]
        )
    header_line = text.splitlines()[0]
    if "," not in header_line:
        guessed = _guess_delimiter(header_line)
        problems.append(
            "line 1: no commas in the header"
            + (f"; the columns seem separated by {guessed}" if guessed else "")
            + f"; expected comma-separated columns {', '.join(REQUIRED)}[, {', '.join(OPTIONAL)}]"
        )
        raise RosterError(path, problems)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
        columns = _columns(header, problems)
        learners = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue  # blank lines are harmless
            learner = _learner(reader.line_num, row, columns, problems)
            if learner:
                learners.append(learner)
    except csv.Error as err:
        problems.append(f"line {reader.line_num}: not valid CSV ({err})")
        raise RosterError(path, problems) from None
    _check_duplicates(learners, problems)
    if not learners and not problems:
        problems.append("the roster has a header but no learners")
    if problems:
        raise RosterError(path, problems)
    return learners


def _guess_delimiter(line: str) -> str:
    for delimiter, word in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")):
        if delimiter in line:
            return word
    return ""


def _columns(header: list[str], problems: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = ALIASES.get(cell.strip().lower(), cell.strip().lower())
        if cell != cell.strip():
            problems.append(f"line 1: stray whitespace around column name {cell!r}")
        if key not in REQUIRED + OPTIONAL:
            problems.append(
                f"line 1: unknown column {cell.strip()!r}; the columns are "
                f"{', '.join(REQUIRED + OPTIONAL)}"
            )
        elif key in columns:
            problems.append(f"line 1: column {key!r} appears twice")
        else:
            columns[key] = index
    for key in REQUIRED:
        if key not in columns:
            problems.append(f"line 1: the header has no {key!r} column")
    return columns


def _learner(
    line: int, row: list[str], columns: dict[str, int], problems: list[str]
) -> Learner | None:
    if len(row) > len(columns) and columns:
        problems.append(
            f"line {line}: {len(row)} fields but the header has {len(columns)} columns "
            '(a comma inside a name needs quotes: "Lovelace, Ada")'
        )
        return None
    values = {}
    found = len(problems)
    for key, index in columns.items():
        cell = row[index] if index < len(row) else ""
        if cell != cell.strip():
            problems.append(f"line {line}: stray whitespace around {key} {cell!r}")
        values[key] = cell.strip()
    for key in REQUIRED:
        if key in columns and not values.get(key):
            problems.append(f"line {line}: missing {key}")
    if values.get("github_handle") and (why := handle_problem(values["github_handle"])):
        problems.append(f"line {line}: {why}")
    if len(values.get("name", "")) > MAX_NAME:
        problems.append(f"line {line}: the name has more than {MAX_NAME} characters")
    if values.get("email") and not EMAIL.match(values["email"]):
        problems.append(f"line {line}: {values['email']!r} is not an email address")
    if len(values.get("cohort", "")) > MAX_COHORT:
        problems.append(
            f"line {line}: the cohort has more than {MAX_COHORT} characters"
        )
    if len(problems) > found or not all(key in columns for key in REQUIRED):
        return None
    return Learner(
        line=line,
        name=values["name"],
        handle=values["github_handle"],
        email=values.get("email", ""),
        cohort=values.get("cohort", ""),
    )


def _check_duplicates(learners: list[Learner], problems: list[str]) -> None:
    # GitHub handles are case-insensitive: "Ada" and "ada" are one account (and one folder).
    first: dict[str, Learner] = {}
    for learner in learners:
        key = learner.handle.lower()
        if key in first:
            problems.append(
                f"line {learner.line}: duplicate GitHub handle {learner.handle!r} "
                f"(first on line {first[key].line})"
            )
        else:
            first[key] = learner
