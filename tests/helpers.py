"""Helpers for the kit's tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


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
