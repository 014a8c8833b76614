"""What git says about the learner's working tree, for the tasks that need a clean one.

`invoke package` (a bundle holds exactly the last commit) and `invoke update` (nothing may be lost)
both refuse to start while something is uncommitted; they ask the same question here.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


def uncommitted_changes(root: Path) -> list[tuple[str, str]]:
    """(status code, path) of every changed, staged or untracked file; `??` marks untracked ones."""
    done = subprocess.run(
        ["git", "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", "."],
        cwd=root,
        capture_output=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.decode(errors="replace").strip())
    entries = [
        entry for entry in done.stdout.decode(errors="replace").split("\0") if entry
    ]
    changes, old_name_next = [], False
    for entry in entries:
        if old_name_next:  # with -z a rename or copy is followed by its old name
            old_name_next = False
            continue
        code, path = entry[:2], entry[3:]
        old_name_next = "R" in code or "C" in code
        changes.append((code, path))
    return changes
