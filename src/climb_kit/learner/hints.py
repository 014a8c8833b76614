"""Hints, revealed one level at a time and recorded in `.climb/hints.json`.

The record is part of the learner's repository (commit it): the showcase manifest reports how many
hints each stage needed, and honesty about that is part of the reflection.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .stages import Stage

HINTS_FILE = Path(".climb") / "hints.json"


@dataclass(frozen=True)
class Reveal:
    stage: Stage
    level: (
        int  # how many hints are now shown (1-based); 0 means none were ever revealed
    )
    new: bool  # False when every hint was already revealed

    @property
    def shown(self) -> tuple[str, ...]:
        return self.stage.hints[: self.level]


def revealed(project_root: Path) -> dict[str, list[str]]:
    """Stage id -> the times (UTC, ISO 8601) at which each hint level was revealed."""
    path = project_root / HINTS_FILE
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(
            f"{HINTS_FILE} is not valid JSON ({err}); fix it or restore it with "
            f"`git checkout -- {HINTS_FILE}`"
        ) from None
    return {str(k): list(v) for k, v in data.get("revealed", {}).items()}


def reveal_next(project_root: Path, stage: Stage) -> Reveal:
    """Reveal the next hint level for `stage` and record it."""
    record = revealed(project_root)
    times = record.setdefault(stage.id, [])
    if len(times) >= len(stage.hints):
        return Reveal(stage=stage, level=len(stage.hints), new=False)
    times.append(datetime.now(UTC).replace(microsecond=0).isoformat())
    path = project_root / HINTS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"revealed": record}, indent=2, sort_keys=True) + "\n",
        encoding="utf-8",
    )
    return Reveal(stage=stage, level=len(times), new=True)
