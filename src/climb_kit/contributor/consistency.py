"""Stage ids must agree everywhere: stage file, test files and markers, README, journal, skeleton
messages and mutants. Each check returns a list of problems (empty means it agrees)."""

from __future__ import annotations

import re
from pathlib import Path

from ..learner.runner import TestRecord
from ..learner.stages import StageFile

README_HEADING = re.compile(r"^### Stage (\d+) · (.+) \(`([a-z0-9-]+)`\)$", re.M)
JOURNAL_HEADING = re.compile(r"^## Stage (\d+) · (.+) \(`([a-z0-9-]+)`\)$", re.M)
SKELETON_MESSAGE = re.compile(
    r"NotImplementedError\(\s*[\"']Stage (\d+) \(([a-z0-9-]+)\)"
)


def _expected(stage_file: StageFile) -> list[tuple[int, str, str]]:
    return [(s.number, s.title, s.id) for s in stage_file.stages]


def check_headings(path: Path, pattern: re.Pattern, stage_file: StageFile) -> list[str]:
    found = [
        (int(n), title, i) for n, title, i in pattern.findall(path.read_text("utf-8"))
    ]
    if found == _expected(stage_file):
        return []
    return [
        f"{path.name}: stage headings {[f'{n} {i}' for n, _, i in found]} do not match "
        f"stages.yml {[f'{n} {i}' for n, _, i in _expected(stage_file)]} (numbers, titles, ids)"
    ]


def check_test_files(project: Path, stage_file: StageFile) -> list[str]:
    problems = []
    listed: dict[str, str] = {}
    for stage in stage_file.stages:
        for path in stage.tests:
            if path in listed:
                problems.append(
                    f"{path} is listed by both {listed[path]} and {stage.id}"
                )
            listed[path] = stage.id
            if not (project / path).is_file():
                problems.append(
                    f"stages.yml: {stage.id} lists {path}, which does not exist"
                )
    for path in sorted(project.glob("tests/**/test_*.py")):
        relative = path.relative_to(project).as_posix()
        if relative not in listed:
            problems.append(f"{relative} belongs to no stage in stages.yml")
    return problems


def check_markers(tests: list[TestRecord], stage_file: StageFile) -> list[str]:
    owner = {path: stage.id for stage in stage_file.stages for path in stage.tests}
    problems = []
    for test in tests:
        expected = owner.get(test.file)
        if test.stage != expected:
            problems.append(
                f"{test.nodeid} is marked stage({test.stage!r}) but its file belongs to "
                f"{expected!r}"
            )
    return problems


def check_skeleton_messages(
    project: Path, package: str, stage_file: StageFile
) -> list[str]:
    numbers = {s.id: s.number for s in stage_file.stages}
    problems = []
    for path in sorted((project / "src" / package).rglob("*.py")):
        for number, stage_id in SKELETON_MESSAGE.findall(path.read_text("utf-8")):
            if numbers.get(stage_id) != int(number):
                problems.append(
                    f"{path.relative_to(project)}: 'Stage {number} ({stage_id})' does not match "
                    f"stages.yml ({stage_id} is "
                    f"{'stage ' + str(numbers[stage_id]) if stage_id in numbers else 'unknown'})"
                )
    return problems


def check_hints(stage_file: StageFile, minimum: int = 2) -> list[str]:
    return [
        f"{s.id} has {len(s.hints)} hint(s); give at least {minimum}, gentle to specific"
        for s in stage_file.stages
        if len(s.hints) < minimum
    ]


def check_project(
    project: Path, package: str, stage_file: StageFile, tests: list[TestRecord]
) -> list[str]:
    """Every stage-id agreement check on a rendered project."""
    return [
        *check_test_files(project, stage_file),
        *check_markers(tests, stage_file),
        *check_headings(project / "README.md", README_HEADING, stage_file),
        *check_headings(project / "JOURNAL.md", JOURNAL_HEADING, stage_file),
        *check_skeleton_messages(project, package, stage_file),
        *check_hints(stage_file),
    ]
