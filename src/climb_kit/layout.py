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


# What every template takes from templates/_common/ by symlink (path in the template -> link
# target), so each shared file is written once. `invoke template.new` makes these links.
COMMON_LINKS = {
    "climb": "../../src/climb_kit/learner",
    "tasks.py": "../_common/project/tasks.py",
    ".pre-commit-config.yaml": "../_common/project/.pre-commit-config.yaml",
    ".gitignore.jinja": "../_common/project/gitignore",
    ".python-version.jinja": "../_common/project/.python-version.jinja",
    ".github/workflows/ci.yml": "../../../_common/project/.github/workflows/ci.yml",
    "JOURNAL.md.jinja": "../_common/JOURNAL.md.jinja",
    "tests/conftest.py": "../../_common/tests/conftest.py",
    "tests/__init__.py": "../../_common/tests/__init__.py",
    "tests/teaching.py": "../../_common/tests/teaching.py",
    "benchmarks/arguments.py": "../../_common/benchmarks/arguments.py",
    "{{_copier_conf.answers_file}}.jinja": "../_common/answers-file.jinja",
}
# Every package's `python -m` wrapper, linked from the skeleton and the reference solution.
MAIN_MODULE = "package/__main__.py"


def finished_projects(kit_root: Path = KIT_ROOT) -> list[str]:
    """Projects whose template folder exists: the curriculum's in its order, then new ones by name."""
    folders = {
        p.name
        for p in (kit_root / TEMPLATES).iterdir()
        if p.is_dir() and not p.name.startswith("_")
    }
    known = [p for p in ALL_PROJECTS if p in folders]
    return known + sorted(folders - set(ALL_PROJECTS))


def package_name(project: str) -> str:
    """Template folders are kebab-case, Python packages snake_case."""
    return project.replace("-", "_")


def copier_available_projects(kit_root: Path = KIT_ROOT) -> list[str]:
    """The projects copier.yml's validator lets through (kept in step with finished_projects)."""
    config = yaml.safe_load((kit_root / "copier.yml").read_text(encoding="utf-8"))
    match = re.search(r"finished = \[([^\]]*)\]", config["project"]["validator"])
    if not match:
        raise ValueError(
            "copier.yml: the project validator no longer lists the finished projects"
        )
    return re.findall(r'"([^"]+)"', match.group(1))


class KitError(Exception):
    """A user error in a kit command; the message says what went wrong and what to do."""
