"""Helpers for the kit's tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from climb_kit.contributor.reference import overlay_state
from climb_kit.learner.stages import load_stages


def run_in(project: Path, *args: str, env: dict | None = None, timeout: float = 600):
    """Run a command the way a learner would type it in their project (the kit's tools on PATH)."""
    tools = str(Path(sys.executable).parent)
    full_env = {
        **os.environ,
        "PATH": tools + os.pathsep + os.environ["PATH"],
        "COLUMNS": "200",
        "NO_COLOR": "1",
        **(env or {}),
    }
    return subprocess.run(
        list(args),
        cwd=project,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def copier_cli_copy(source: Path, dest: Path, project: str, answers: dict) -> None:
    """What a learner types: `copier copy --data ... SOURCE DEST` (the CLI, a process of its own)."""
    data = [
        arg for key, value in answers.items() for arg in ("--data", f"{key}={value}")
    ]
    subprocess.run(
        [
            str(Path(sys.executable).parent / "copier"),
            "copy",
            "--quiet",
            "--defaults",
            "--data",
            f"project={project}",
            *data,
            str(source),
            str(dest),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )


def tree_snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every file below `root` but .git/: (executable bit, bytes, or the link target for a link)."""
    found = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in files:
            path = Path(folder) / name
            key = path.relative_to(root).as_posix()
            if path.is_symlink():
                found[key] = (-1, os.readlink(path).encode())
            else:
                found[key] = (path.stat().st_mode & 0o111, path.read_bytes())
    return found


def climb(project: str, repo: Path, stages: int) -> None:
    """A learner's render as it is after `stages` stages: the kit's ladder states 1..stages
    overlaid (the whole solution for the last stage; nothing for 0)."""
    overlay_state(
        project, repo, [stage.id for stage in load_stages(repo).stages], stages
    )
