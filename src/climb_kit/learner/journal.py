"""Read and extend JOURNAL.md: a section per stage, each under that stage's prompt.

The frame comes from the template (templates/_common/JOURNAL.md.jinja); after that the file is the
learner's and may be edited freely, so parsing is forgiving: a stage's section is found by the
"(`stage-id`)" at the end of its `## ` heading, and what counts as written is any text that is not
the prompt, the placeholder, a date heading or a comment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

JOURNAL = "JOURNAL.md"
PLACEHOLDER = "_Write here._"
PROJECT_HEADING = "## The project"
STAGE_HEADING = re.compile(r"^## .*\(`([a-z][a-z0-9-]*)`\)\s*$")
DATE_HEADING = re.compile(r"^###\s+\d{4}-\d{2}-\d{2}\s*$")
# A line the learner wants quoted on the showcase: "Highlight: ..." (also as a list item).
HIGHLIGHT = re.compile(r"^\s*(?:[-*+]\s+)?\**Highlight:?\**:?\s*(.+?)\s*$", re.I)
# The one-line description for the showcase, under "The project".
SUMMARY = re.compile(r"^\s*\**Summary:?\**:?\s*(.*?)\s*$", re.I)
COMMENT = re.compile(r"<!--.*?-->", re.S)


@dataclass(frozen=True)
class Section:
    heading: str
    start: int  # index of the heading line
    end: int  # index one past the section's last line
    lines: tuple[str, ...]  # the lines under the heading

    @property
    def written(self) -> bool:
        """True when the section holds the learner's own words, not just the frame."""
        body = COMMENT.sub("", "\n".join(self.lines))
        for line in body.splitlines():
            text = line.strip()
            if (
                not text
                or text.startswith(">")
                or text == PLACEHOLDER
                or DATE_HEADING.match(text)
                or _is_empty_summary(text)
            ):
                continue
            return True
        return False


def _is_empty_summary(text: str) -> bool:
    match = SUMMARY.match(text)
    return bool(match) and _placeholder_text(match.group(1))


def _placeholder_text(text: str) -> bool:
    """Frame text is wrapped in underscores (`_One line ..._`); nothing written counts too."""
    text = text.strip()
    return not text or (text.startswith("_") and text.endswith("_"))


@dataclass(frozen=True)
class Journal:
    lines: tuple[str, ...]
    stages: dict[str, Section]  # by stage id
    project: Section | None

    def is_written(self, stage_id: str) -> bool:
        section = self.stages.get(stage_id)
        return section is not None and section.written

    @property
    def summary(self) -> str:
        """The project's one-line summary, or "" when the learner has not written one."""
        if self.project is None:
            return ""
        for line in self.project.lines:
            match = SUMMARY.match(line)
            if match and not _placeholder_text(match.group(1)):
                return match.group(1).strip()
        return ""

    @property
    def highlights(self) -> list[str]:
        """Every "Highlight: ..." line, in order, outside the template's prompts."""
        found = []
        for line in self.lines:
            if line.lstrip().startswith(">"):
                continue
            match = HIGHLIGHT.match(line)
            if match and not _placeholder_text(match.group(1)):
                found.append(match.group(1).strip())
        return found


def parse_journal(text: str) -> Journal:
    lines = tuple(text.splitlines())
    headings = [i for i, line in enumerate(lines) if line.startswith("## ")]
    stages: dict[str, Section] = {}
    project = None
    for position, start in enumerate(headings):
        end = headings[position + 1] if position + 1 < len(headings) else len(lines)
        section = Section(lines[start], start, end, lines[start + 1 : end])
        if match := STAGE_HEADING.match(lines[start]):
            stages.setdefault(match.group(1), section)
        elif lines[start].strip() == PROJECT_HEADING and project is None:
            project = section
    return Journal(lines=lines, stages=stages, project=project)


def read_journal(project_root: Path) -> Journal:
    """The project's journal; an empty one when the file is missing."""
    try:
        return parse_journal((project_root / JOURNAL).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return parse_journal("")


def add_entry(
    text: str, stage_id: str | None, heading: str, today: date
) -> tuple[str, int]:
    """Add a dated entry to the stage's section (`stage_id` None: the project's, under "## The
    project"); returns the new text and the 1-based line to write on.

    The entry replaces the section's "_Write here._" placeholder when there is one, else it goes
    after the section's last non-blank line. A stage with no section (the learner removed it)
    gets one at the end, headed by `heading`.
    """
    journal = parse_journal(text)
    lines = list(journal.lines)
    # The date heading, a blank line, and the line to write on.
    entry = [f"### {today.isoformat()}", "", ""]
    section = journal.project if stage_id is None else journal.stages.get(stage_id)
    if section is None:
        while lines and not lines[-1].strip():
            lines.pop()
        lines += ["", heading, ""]
        at = len(lines)
        lines[at:at] = entry
    elif f"### {today.isoformat()}" in (line.strip() for line in section.lines):
        # Today's entry exists: go on writing at its end rather than starting another.
        last = max(i for i in range(section.start + 1, section.end) if lines[i].strip())
        if lines[last].startswith("### "):
            return text, last + 3
        lines[last + 1 : last + 1] = ["", ""]
        return "\n".join(lines) + "\n", last + 3
    else:
        body = range(section.start + 1, section.end)
        placeholder = next((i for i in body if lines[i].strip() == PLACEHOLDER), None)
        if placeholder is not None:
            at = placeholder
            lines[at : at + 1] = entry
        else:
            last = max((i for i in body if lines[i].strip()), default=section.start)
            at = last + 2
            lines[last + 1 : last + 1] = ["", *entry]
    return "\n".join(lines) + "\n", at + 3
