"""Read a project's stage file (`stages.yml`), the single source of truth for its stages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

STAGE_FILE = "stages.yml"
STAGE_ID = re.compile(r"^[a-z][a-z0-9-]*$")


class StageFileError(Exception):
    """The stage file is missing or malformed; the message says where and how to fix it."""


@dataclass(frozen=True)
class Stage:
    number: int
    id: str
    title: str
    goal: str
    tests: tuple[str, ...]
    hints: tuple[str, ...]
    journal: str

    @property
    def label(self) -> str:
        return f"Stage {self.number} ({self.id})"


@dataclass(frozen=True)
class StageFile:
    project: str
    title: str
    reflection: str
    stages: tuple[Stage, ...]

    def get(self, stage_id: str) -> Stage:
        for stage in self.stages:
            if stage.id == stage_id:
                return stage
        known = ", ".join(s.id for s in self.stages)
        raise StageFileError(f"there is no stage {stage_id!r}; the stages are: {known}")

    def before(self, stage: Stage) -> tuple[Stage, ...]:
        return self.stages[: stage.number - 1]

    def after(self, stage: Stage) -> Stage | None:
        return self.stages[stage.number] if stage.number < len(self.stages) else None


def load_stages(project_root: Path) -> StageFile:
    """Load and check `stages.yml` in a project (or template) folder."""
    path = Path(project_root) / STAGE_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StageFileError(
            f"{path} not found: run this from the root of your project"
        ) from None
    except yaml.YAMLError as err:
        raise StageFileError(f"{path} is not valid YAML: {err}") from None
    return parse_stages(data, str(path))


def parse_stages(data: object, where: str = STAGE_FILE) -> StageFile:
    if not isinstance(data, dict) or not isinstance(data.get("stages"), list):
        raise StageFileError(f"{where}: expected a mapping with a 'stages' list")
    for key in ("project", "title"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise StageFileError(f"{where}: '{key}' must be a non-empty string")
    stages = []
    seen: set[str] = set()
    for number, raw in enumerate(data["stages"], start=1):
        stages.append(_parse_stage(number, raw, f"{where}, stage {number}"))
        if stages[-1].id in seen:
            raise StageFileError(f"{where}: stage id {stages[-1].id!r} is used twice")
        seen.add(stages[-1].id)
    if not stages:
        raise StageFileError(f"{where}: no stages")
    return StageFile(
        project=data["project"],
        title=data["title"],
        reflection=str(data.get("reflection", "")).strip(),
        stages=tuple(stages),
    )


def _parse_stage(number: int, raw: object, where: str) -> Stage:
    if not isinstance(raw, dict):
        raise StageFileError(f"{where}: expected a mapping")
    stage_id = raw.get("id")
    if not isinstance(stage_id, str) or not STAGE_ID.match(stage_id):
        raise StageFileError(f"{where}: 'id' must match {STAGE_ID.pattern}")
    text = {}
    for key in ("title", "goal", "journal"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise StageFileError(
                f"{where} ({stage_id}): '{key}' must be non-empty text"
            )
        text[key] = raw[key].strip()
    lists = {}
    for key in ("tests", "hints"):
        value = raw.get(key)
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(item, str) and item.strip() for item in value)
        ):
            raise StageFileError(
                f"{where} ({stage_id}): '{key}' must be a list of text"
            )
        lists[key] = tuple(item.strip() for item in value)
    return Stage(
        number=number,
        id=stage_id,
        title=text["title"],
        goal=text["goal"],
        tests=lists["tests"],
        hints=lists["hints"],
        journal=text["journal"],
    )
