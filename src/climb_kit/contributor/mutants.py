"""Mutants: plausible learner mistakes that the tests must catch.

Each `reference/<project>/mutants/<id>.yml` holds a one-line description, the stage whose tests
must catch it, and search-and-replace edits applied to the reference solution.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Edit:
    file: str
    find: str
    replace: str


@dataclass(frozen=True)
class Mutant:
    id: str
    description: str
    stage: str
    edits: tuple[Edit, ...]


class MutantError(Exception):
    pass


def load_mutants(reference: Path) -> list[Mutant]:
    return load_mutant_folder(reference / "mutants")


def load_mutant_folder(folder: Path) -> list[Mutant]:
    """Every `<id>.yml` in `folder`: curated mutants, or a blind round's wrong solutions (which
    add fields of their own, such as the rule they break)."""
    mutants = []
    for path in sorted(folder.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        try:
            edits = tuple(
                Edit(e["file"], e["find"], e["replace"]) for e in data["edits"]
            )
            mutants.append(
                Mutant(
                    path.stem, str(data["description"]).strip(), data["stage"], edits
                )
            )
        except (KeyError, TypeError) as err:
            raise MutantError(
                f"{path}: needs description, stage and edits (file, find, replace): {err}"
            ) from None
    return mutants


def apply_mutant(mutant: Mutant, project: Path) -> None:
    """Apply the edits in place; each `find` must occur exactly once, so a drifted mutant fails
    loudly instead of silently testing nothing."""
    for edit in mutant.edits:
        path = project / edit.file
        text = path.read_text(encoding="utf-8")
        count = text.count(edit.find)
        if count != 1:
            raise MutantError(
                f"mutant {mutant.id}: the text to replace occurs {count} times in {edit.file} "
                "(it must occur exactly once; update the mutant to match the reference)"
            )
        path.write_text(text.replace(edit.find, edit.replace), encoding="utf-8")
