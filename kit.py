#!/usr/bin/env python3
"""Run a kit command with everything it needs installed; only Python >= 3.11 and git required.

    python3 kit.py demo      render a project for a sample learner and show its first failing stage
    python3 kit.py test      run the kit's whole test suite
    python3 kit.py verify all   prove every template sound (any `invoke` task works the same way)
    python3 kit.py TASK --help  what TASK does and its options, each with its default

The first run creates .venv/ beside this file and installs the kit into it (from PyPI); later runs
reinstall only when pyproject.toml changes.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".climb-kit-installed"


def main(argv: list[str]) -> int:
    asked_for_help = not argv or argv[0] in ("-h", "--help", "help")
    if asked_for_help:
        print(__doc__.strip() + "\n")
    ensure_environment()
    python = str(BIN / "python")
    # Invoke with one change (src/climb_kit/task_help.py): `TASK --help` works for every task.
    invoke = [python, "-m", "climb_kit.task_help"]
    if asked_for_help:
        return subprocess.call([*invoke, "--list"], cwd=ROOT)
    command, rest = argv[0], argv[1:]
    if command == "test":
        return subprocess.call([python, "-m", "pytest", *rest], cwd=ROOT)
    return subprocess.call([*invoke, command, *rest], cwd=ROOT)


def ensure_environment() -> None:
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    if not (BIN / "python").exists():
        print(f"Creating {VENV.relative_to(ROOT)} ...", flush=True)
        venv.create(VENV, with_pip=True)
    print("Installing the kit and its tools (first run only) ...", flush=True)
    subprocess.check_call(
        [
            str(BIN / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-e",
            f"{ROOT}[dev]",
        ]
    )
    STAMP.write_text(wanted + "\n")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
