"""Clean, tagged git copies of the kit, so every render records a real template version.

Copier versions a template by the git repository it lives in (COPIER-FACTS.md): a render from a
dirty checkout records a commit that does not contain what was rendered. The verifier and the tests
therefore render from a snapshot: the working tree as it is now (tracked files and untracked ones
git does not ignore), committed and tagged in a repository of its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from .layout import KIT_ROOT

# Commits made by the kit must not depend on the user's git configuration.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Climb Kit",
    "GIT_AUTHOR_EMAIL": "kit@climb.invalid",
    "GIT_COMMITTER_NAME": "Climb Kit",
    "GIT_COMMITTER_EMAIL": "kit@climb.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"git {' '.join(args)} failed in {cwd}:\n{done.stderr.strip()}"
        )
    return done.stdout


def working_tree_files(kit_root: Path = KIT_ROOT) -> list[str]:
    listing = git(
        kit_root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"
    )
    return sorted(
        {p for p in listing.split("\0") if p and os.path.lexists(kit_root / p)}
    )


def snapshot(dest: Path, tag: str = "v0.0.0", kit_root: Path = KIT_ROOT) -> Path:
    """Copy the kit's working tree into a fresh repository at `dest`, committed and tagged."""
    dest.mkdir(parents=True, exist_ok=True)
    for relative in working_tree_files(kit_root):
        source, target = kit_root / relative, dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, target)
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", f"Kit snapshot {tag}")
    git(dest, "tag", tag)
    return dest
