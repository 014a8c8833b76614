"""Where the kit is and what it holds: its root, its templates, the projects learners can render."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

KIT_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = "templates"
COMMON = "_common"
ALL_PROJECTS = ("portscan", "scheduler", "dataproc", "http-service", "chat")


def template_dir(project: str, kit_root: Path = KIT_ROOT) -> Path:
    return kit_root / TEMPLATES / project


def reference_dir(project: str, kit_root: Path = KIT_ROOT) -> Path:
    return kit_root / "reference" / project


def finished_projects(kit_root: Path = KIT_ROOT) -> list[str]:
    """Projects whose template folder exists, in the curriculum's order."""
    return [p for p in ALL_PROJECTS if template_dir(p, kit_root).is_dir()]


def package_name(project: str) -> str:
    """Template folders are kebab-case, Python packages snake_case."""
    return project.replace("-", "_")


def copier_available_projects(kit_root: Path = KIT_ROOT) -> list[str]:
    """The projects copier.yml's validator lets through (kept in step with finished_projects)."""
    config = yaml.safe_load((kit_root / "copier.yml").read_text(encoding="utf-8"))
    match = re.search(r"project not in \[([^\]]*)\]", config["project"]["validator"])
    if not match:
        raise ValueError(
            "copier.yml: the project validator no longer lists the finished projects"
        )
    return re.findall(r'"([^"]+)"', match.group(1))


class KitError(Exception):
    """A user error in a kit command; the message says what went wrong and what to do."""
