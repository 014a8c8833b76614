"""A render with a project's reference solution overlaid: what verification and benchmarks run."""

from __future__ import annotations

import shutil
from pathlib import Path

from .layout import KIT_ROOT, KitError, reference_dir
from .render import render
from .snapshot import snapshot


def overlay_solution(project: str, render_dir: Path, kit_root: Path = KIT_ROOT) -> Path:
    solution = reference_dir(project, kit_root) / "solution"
    if not solution.is_dir():
        raise KitError(
            f"{solution} is missing: the {project} project has no reference yet"
        )
    shutil.copytree(solution, render_dir, dirs_exist_ok=True)
    return render_dir


def solved_render(project: str, workdir: Path, kit_root: Path = KIT_ROOT) -> Path:
    """Snapshot the kit, render `project` from it and overlay the reference solution."""
    source = snapshot(workdir / "kit", kit_root=kit_root)
    return overlay_solution(
        project, render(source, workdir / project, project), kit_root
    )
