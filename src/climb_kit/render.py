"""Render a learner project with Copier, the way a learner's own `copier copy` would."""

from __future__ import annotations

import io
import shutil
import warnings
from contextlib import redirect_stderr
from pathlib import Path

import yaml
from copier import run_copy
from jinja2 import TemplateError

from .layout import ALL_PROJECTS, KIT_ROOT, KitError, finished_projects
from .snapshot import git

SAMPLE_LEARNER = {"learner_name": "Sample Learner", "github_handle": "sample-learner"}


def render(
    src: str | Path,
    dest: Path,
    project: str,
    answers: dict | None = None,
) -> Path:
    """Render `project` from the template at `src` into `dest`; bad answers raise KitError.

    `dest` must be new or empty: nothing already there is ever overwritten.
    """
    check_project(project, Path(src) if Path(src).is_dir() else KIT_ROOT)
    if dest.exists() and any(dest.iterdir()):
        raise KitError(f"{dest} already exists and is not empty; choose a new folder")
    data = {"project": project, **(answers or {})}
    with warnings.catch_warnings(), redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        try:
            run_copy(
                str(src),
                dest,
                data=data,
                defaults=True,
                quiet=True,
                unsafe=False,
            )
        except ValueError as err:  # Copier's validators and choices raise ValueError
            raise KitError(str(err)) from None
        except (TemplateError, yaml.YAMLError) as err:
            # A contributor's broken template (Jinja) or stage file (YAML, read by a template).
            shutil.rmtree(dest, ignore_errors=True)
            raise KitError(
                f"the {project} template could not be rendered "
                f"({type(err).__name__}; check templates/{project}/stages.yml and its .jinja "
                f"files): {err}"
            ) from None
    return dest


def check_project(project: str, kit_root: Path = KIT_ROOT) -> None:
    finished = finished_projects(kit_root)
    known = [*ALL_PROJECTS, *(p for p in finished if p not in ALL_PROJECTS)]
    if project not in known:
        raise KitError(
            f"unknown project {project!r}; the projects are: {', '.join(known)}"
        )
    if project not in finished:
        raise KitError(
            f"the {project} project is not available yet; "
            f"the finished projects are: {', '.join(finished)}"
        )


def checkout_state(kit_root: Path) -> tuple[str, list[str]]:
    """The version Copier will record for a render from this checkout, and any dirty paths."""
    version = git(kit_root, "describe", "--tags", "--always").strip()
    dirty = [line[3:] for line in git(kit_root, "status", "--porcelain").splitlines()]
    return version, dirty


def new_project(
    kit_root: Path, project: str, dest: Path, answers: dict, allow_dirty: bool = False
) -> tuple[Path, str]:
    """Render for a learner from this checkout: absolute source, clean tree (or said plainly)."""
    check_project(project, kit_root)
    version, dirty = checkout_state(kit_root)
    if dirty and not allow_dirty:
        listed = "\n  ".join(dirty[:10]) + ("\n  ..." if len(dirty) > 10 else "")
        raise KitError(
            f"this kit checkout has uncommitted changes:\n  {listed}\n"
            f"The project would record template version {version}, which does not contain "
            "them, so its first `copier update` would treat them as template changes. "
            "Commit (and tag) them first, or pass --allow-dirty to render anyway."
        )
    render(kit_root.resolve(), dest, project, answers)
    note = f"recorded template version {version} from {kit_root.resolve()}"
    if dirty:
        note += (
            f" (uncommitted changes to {len(dirty)} path(s) rendered but not recorded)"
        )
    return dest, note
