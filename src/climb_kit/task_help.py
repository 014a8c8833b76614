"""`invoke TASK --help` for tasks that take a positional argument.

Invoke reads a `--help` typed after such a task as the value of its first positional argument
and runs the task with it (pyinvoke/invoke#982, open). Each of those tasks calls `help_if_asked`
first, so `invoke verify --help` prints verify's help, exactly as `invoke --help verify` does.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from invoke import Exit

HELP_FLAGS = {"-h", "--help"}


def help_if_asked(task_name: str, value: str, search_root: Path) -> None:
    """If VALUE is a help flag, print TASK_NAME's help (the tasks.py in SEARCH_ROOT) and stop."""
    if value not in HELP_FLAGS:
        return
    shown = subprocess.run(
        [
            sys.executable,
            "-m",
            "invoke",
            "--search-root",
            str(search_root),
            "--help",
            task_name,
        ]
    )
    raise Exit(code=shown.returncode)
