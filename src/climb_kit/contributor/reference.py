"""A render with a project's reference solution overlaid: what verification and benchmarks run."""

from __future__ import annotations

import shutil
from pathlib import Path

from ..layout import KIT_ROOT, KitError, reference_dir
from ..render import render
from ..snapshot import snapshot


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


# The ladder: reference/<project>/states/<n>-<id>/ holds, mirroring rendered paths, the files as
# a learner has them right after finishing stage n, written the way that stage's goal and hints
# lead (only the files stage n changed). A file that is already final at stage n is not copied:
# its path is listed in the folder's solution-files.txt and taken from solution/, so a fix to the
# solution reaches every state. State k is the render with states 1..k overlaid in order; the
# last stage's state is solution/ itself. `verify` proves that state k passes stages 1..k and
# fails stage k+1 by assertion: no rung needs a later one.
STATES = "states"
FROM_SOLUTION = "solution-files.txt"


def state_folder(
    project: str, number: int, stage_id: str, kit_root: Path = KIT_ROOT
) -> Path:
    return reference_dir(project, kit_root) / STATES / f"{number}-{stage_id}"


def solution_files(folder: Path) -> list[str]:
    """The paths a state takes from solution/ (its solution-files.txt, without comments)."""
    listing = folder / FROM_SOLUTION
    if not listing.exists():
        return []
    lines = (
        line.split("#", 1)[0].strip()
        for line in listing.read_text("utf-8").splitlines()
    )
    return [line for line in lines if line]


def overlay_state(
    project: str,
    render_dir: Path,
    stage_ids: list[str],
    upto: int,
    kit_root: Path = KIT_ROOT,
) -> Path:
    """Overlay the ladder's states 1..`upto` on a render (`stage_ids` in ladder order).

    For the last stage this is the whole solution. A missing state folder, or a listed solution
    file that does not exist, is a KitError.
    """
    if upto >= len(stage_ids):
        return overlay_solution(project, render_dir, kit_root)
    solution = reference_dir(project, kit_root) / "solution"
    for number, stage_id in enumerate(stage_ids[:upto], start=1):
        folder = state_folder(project, number, stage_id, kit_root)
        if not folder.is_dir():
            raise KitError(
                f"{folder.relative_to(kit_root)} is missing: every stage but the last keeps "
                "the state a learner has after it (CONTRIBUTING.md, The ladder)"
            )
        for relative in solution_files(folder):
            if not (solution / relative).is_file():
                raise KitError(
                    f"{(folder / FROM_SOLUTION).relative_to(kit_root)} lists {relative}, "
                    "which solution/ does not have"
                )
            (render_dir / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(solution / relative, render_dir / relative)
        shutil.copytree(
            folder, render_dir, dirs_exist_ok=True, ignore=_skip_listing(folder)
        )
    return render_dir


def _skip_listing(folder: Path):
    """A copytree filter that leaves out the state's own solution-files.txt."""
    return lambda where, names: [FROM_SOLUTION] if Path(where) == folder else []


def copies_of_solution(project: str, kit_root: Path = KIT_ROOT) -> list[str]:
    """State files identical to the solution's: they belong in solution-files.txt instead."""
    reference = reference_dir(project, kit_root)
    found = []
    for path in sorted((reference / STATES).glob("*/**/*")):
        if not path.is_file() or path.name == FROM_SOLUTION:
            continue
        folder = path.relative_to(reference / STATES).parts[0]
        relative = path.relative_to(reference / STATES / folder)
        twin = reference / "solution" / relative
        if twin.is_file() and twin.read_bytes() == path.read_bytes():
            found.append(f"{STATES}/{folder}/{relative.as_posix()}")
    return found


def unknown_state_folders(
    project: str, stage_ids: list[str], kit_root: Path = KIT_ROOT
) -> list[str]:
    """State folders whose name matches no stage but the last (left behind by a rename)."""
    expected = {f"{n}-{sid}" for n, sid in enumerate(stage_ids[:-1], start=1)}
    folder = reference_dir(project, kit_root) / STATES
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.name not in expected)
