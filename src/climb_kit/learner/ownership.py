"""Who owns each file of a project: you (the learner), the template, or both (shared).

These rules decide what `invoke update` does with a file and which files the tamper check looks at:
- yours: your code, your journal, your hint record, and every file the template does not render.
  An update never changes them.
- template: everything else the template renders (tests, stage file, CI, tasks, climb/ ...). An
  update sets them to the template's new version; a local edit is backed up first.
- shared: files both sides edit (README, pyproject, .gitignore). An update merges them 3-way.

Keep LEARNER_PATHS in step with `_skip_if_exists` in the kit's copier.yml (a kit test checks).
"""

from __future__ import annotations

from collections.abc import Iterable

YOURS = "yours"
TEMPLATE = "template"
SHARED = "shared"

SHARED_FILES = ("README.md", "pyproject.toml", ".gitignore")


def learner_paths(package: str) -> tuple[str, ...]:
    """Paths that are always the learner's: a trailing slash means the whole folder."""
    return (f"src/{package}/", "JOURNAL.md", ".climb/hints.json")


def is_learner_path(path: str, package: str) -> bool:
    return any(
        path.startswith(rule) if rule.endswith("/") else path == rule
        for rule in learner_paths(package)
    )


def owner(path: str, package: str, template_files: Iterable[str]) -> str:
    """The owner of `path` (a POSIX path relative to the project root).

    `template_files` are the paths the template renders (at either version being compared); a
    path the template does not render is the learner's own file, wherever it lives.
    """
    if is_learner_path(path, package):
        return YOURS
    if path in SHARED_FILES:
        return SHARED
    return TEMPLATE if path in set(template_files) else YOURS
