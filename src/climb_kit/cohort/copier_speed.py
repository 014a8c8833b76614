"""Make Copier cheaper to run hundreds of times in one process, without changing what it writes.

For every file it renders, Copier asks git for `core.fileMode` of the destination (a subprocess)
and does nothing more unless the answer is "false" (COPIER-FACTS.md: 41 of a copy's ~52 git
processes). The answer cannot change while one destination is rendered, so it is asked once per
destination here. Applied only inside the kit's own cohort worker processes; a learner's Copier is
never touched. Should Copier drop or rename the method, nothing is patched and Copier runs as is.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


def ask_git_file_mode_once() -> None:
    try:
        from copier._main import Worker
    except ImportError:
        return
    original = getattr(Worker, "_sync_git_index_executable_bit", None)
    if original is None or getattr(original, "climb_once", False):
        return
    answers: dict[str, str] = {}

    def sync_git_index_executable_bit(self, dst_relpath, src_mode):
        root = Path(self.subproject.local_abspath)
        key = str(root)
        if key not in answers and root.is_dir():
            answers[key] = subprocess.run(
                ["git", "config", "--type=bool", "--get", "core.fileMode"],
                cwd=root,
                capture_output=True,
                text=True,
                stdin=subprocess.DEVNULL,
            ).stdout.strip()
        if answers.get(key, "false") == "false":
            original(self, dst_relpath, src_mode)

    sync_git_index_executable_bit.climb_once = True
    Worker._sync_git_index_executable_bit = sync_git_index_executable_bit
