"""A new project template, scaffolded so that `invoke verify NAME` passes at once.

The kit's own Copier template in `scaffold/` writes templates/NAME/ and reference/NAME/ with two
example stages (skeleton, tests, hints in reference/NAME/hints.yml, journal prompts, solution, the
state after stage 1, mutants); this module validates the name, renders it without --trust, makes the links every
template takes from templates/_common, lists the project in copier.yml and writes its generated
files (the encoded hints and the checksums).
"""

from __future__ import annotations

import json
import keyword
import os
import re
import sys
from pathlib import Path

from copier import run_copy

from ..layout import (
    COMMON,
    COMMON_LINKS,
    KIT_ROOT,
    MAIN_MODULE,
    TEMPLATES,
    KitError,
    copier_available_projects,
    package_name,
    reference_dir,
    template_dir,
)
from .checksums import write_checksums

SCAFFOLD = "scaffold"
KEBAB_CASE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
# Names a learner project's package may not take: they would shadow the project's own folders
# or Python's.
RESERVED = {"climb", "tests", "benchmarks", "src", "reference", "templates"}


def check_name(name: str, kit_root: Path = KIT_ROOT) -> None:
    """Refuse a name that is malformed, shadows something, or is taken."""
    if not KEBAB_CASE.match(name):
        raise KitError(
            f"{name!r} is not a valid template name: use kebab-case (lowercase letters and "
            "digits in words joined by single hyphens, starting with a letter), e.g. url-shortener"
        )
    package = package_name(name)
    if keyword.iskeyword(package) or package in RESERVED:
        raise KitError(f"{name!r} cannot be used: its package {package!r} is reserved")
    if package in sys.stdlib_module_names:
        raise KitError(
            f"{name!r} cannot be used: its package {package!r} would hide Python's own "
            f"module of that name; pick another (e.g. {name}-lab)"
        )
    for taken in (template_dir(name, kit_root), reference_dir(name, kit_root)):
        if taken.exists() or taken.is_symlink():
            raise KitError(
                f"{taken.relative_to(kit_root)} already exists: pick another name"
            )


def new_template(name: str, title: str, kit_root: Path = KIT_ROOT) -> list[Path]:
    """Scaffold templates/NAME and reference/NAME; return the folders made."""
    check_name(name, kit_root)
    if not title.strip():
        raise KitError("give the project a title, e.g. --title 'URL Shortener'")
    if any(mark in title for mark in ("\n", "{", "}")):
        raise KitError("the title must be one line without braces")
    run_copy(
        str(kit_root / SCAFFOLD),
        kit_root,
        data={"name": name, "title": title},
        defaults=True,
        quiet=True,
        overwrite=False,
    )
    template = template_dir(name, kit_root)
    for relative, target in COMMON_LINKS.items():
        _link(template / relative, target)
    package = package_name(name)
    for package_dir in (
        template / "src" / package,
        reference_dir(name, kit_root) / "solution" / "src" / package,
    ):
        common_main = kit_root / TEMPLATES / COMMON / MAIN_MODULE
        _link(package_dir / "__main__.py", os.path.relpath(common_main, package_dir))
    register_in_copier_yml(name, title, kit_root)
    write_checksums(name, kit_root)
    return [template, reference_dir(name, kit_root)]


def _link(path: Path, target: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)


def register_in_copier_yml(name: str, title: str, kit_root: Path = KIT_ROOT) -> None:
    """Offer NAME in the `project` question and let its validator through."""
    config = kit_root / "copier.yml"
    text = config.read_text(encoding="utf-8")
    finished = copier_available_projects(kit_root)
    listed = ", ".join(f'"{p}"' for p in finished)
    text = text.replace(
        f"finished = [{listed}]",
        "finished = [" + ", ".join(f'"{p}"' for p in [*finished, name]) + "]",
        1,
    )
    # The choices are the indented lines after `choices:` in the project question.
    choices = re.search(
        r"^project:\n(?:  .*\n)*?  choices:\n((?:    .*\n)+)", text, re.M
    )
    if choices is None:
        raise KitError("copier.yml: cannot find the project question's choices")
    end = choices.end(1)
    text = text[:end] + f"    {json.dumps(title)}: {name}\n" + text[end:]
    config.write_text(text, encoding="utf-8")
    if name not in copier_available_projects(kit_root):
        raise KitError("copier.yml: could not add the project to its validator")
