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


# The ladder: reference/<project>/states/<n>-<id>/ holds, mirroring rendered paths, the files as
# a learner has them right after finishing stage n, written the way that stage's goal and hints
# lead (only the files stage n changed). State k is the render with states 1..k overlaid in
# order; the last stage's state is solution/ itself. `verify` proves that state k passes
# stages 1..k and fails stage k+1 by assertion: no rung needs a later one.
STATES = "states"


def state_folder(
    project: str, number: int, stage_id: str, kit_root: Path = KIT_ROOT
) -> Path:
    return reference_dir(project, kit_root) / STATES / f"{number}-{stage_id}"


def overlay_state(
    project: str,
    render_dir: Path,
    stage_ids: list[str],
    upto: int,
    kit_root: Path = KIT_ROOT,
) -> Path:
    """Overlay the ladder's states 1..`upto` on a render (`stage_ids` in ladder order).

    For the last stage this is the whole solution. A missing state folder is a KitError.
    """
    if upto >= len(stage_ids):
        return overlay_solution(project, render_dir, kit_root)
    for number, stage_id in enumerate(stage_ids[:upto], start=1):
        folder = state_folder(project, number, stage_id, kit_root)
        if not folder.is_dir():
            raise KitError(
                f"{folder.relative_to(kit_root)} is missing: every stage but the last keeps "
                "the state a learner has after it (CONTRIBUTING.md, The ladder)"
            )
        shutil.copytree(folder, render_dir, dirs_exist_ok=True)
    return render_dir


def unknown_state_folders(
    project: str, stage_ids: list[str], kit_root: Path = KIT_ROOT
) -> list[str]:
    """State folders whose name matches no stage but the last (left behind by a rename)."""
    expected = {f"{n}-{sid}" for n, sid in enumerate(stage_ids[:-1], start=1)}
    folder = reference_dir(project, kit_root) / STATES
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.name not in expected)
