"""A render with a project's reference solution overlaid: what verification and benchmarks run."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from .layout import KIT_ROOT, KitError, package_name, reference_dir
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


def overlay_first_stages(
    project: str, render_dir: Path, stages: int, kit_root: Path = KIT_ROOT
) -> list[str]:
    """A learner part-way up the ladder: the reference modules of the first `stages` stages.

    A skeleton module belongs to the highest stage its NotImplementedError messages name
    ("Stage 3 (sjf): ..."); it is replaced by the reference's when that stage is within reach.
    Returns the module file names replaced.
    """
    package = package_name(project)
    solution = reference_dir(project, kit_root) / "solution" / "src" / package
    replaced = []
    for skeleton in sorted((render_dir / "src" / package).glob("*.py")):
        named = [
            int(n) for n in re.findall(r"Stage (\d+) \(", skeleton.read_text("utf-8"))
        ]
        if named and max(named) <= stages:
            shutil.copyfile(solution / skeleton.name, skeleton)
            replaced.append(skeleton.name)
    return replaced
