"""`invoke TASK --help` shows the task's help, also for tasks whose first argument is positional."""

from __future__ import annotations

import sys

import pytest

from .helpers import run_in

POSITIONAL_TASKS = [
    "verify",
    "checksums",
    "mutation",
    "flakes",
    "template.new",
    "showcase.add",
]


@pytest.mark.parametrize("flag", ["--help", "-h"])
@pytest.mark.parametrize("name", POSITIONAL_TASKS)
def test_help_after_a_task_name_prints_that_tasks_help(kit_root, name, flag):
    done = run_in(kit_root, sys.executable, "-m", "invoke", name, flag, timeout=60)
    asked_first = run_in(
        kit_root, sys.executable, "-m", "invoke", "--help", name, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Usage: inv[oke] [--core-opts] {name} " in done.stdout
    assert done.stdout == asked_first.stdout, "the same help as `invoke --help TASK`"
    assert "error" not in done.stderr.lower()
