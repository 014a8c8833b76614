"""`TASK --help` shows TASK's help for every kit task (through kit.py) and every learner task.

Invoke alone reads a `--help` after a task that takes positional arguments as one of them
(pyinvoke/invoke#982); kit.py runs invoke's program with that fixed (climb_kit.task_help), and
the kit's tasks.py fixes it for plain `invoke` in the kit's root. The
learner's tasks take no positional arguments, so plain `invoke TASK --help` must work in a render.
Every option's help says its default, or that it is required.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import sys
from types import SimpleNamespace

import pytest
from invoke import Collection

from climb_kit.layout import KIT_ROOT
from climb_kit.learner.tasks import namespace as learner_namespace
from climb_kit.task_help import help_asked_for

from .helpers import run_in


def kit_namespace() -> Collection:
    """The kit's tasks.py (not importable by name: it is not in a package)."""
    spec = importlib.util.spec_from_file_location(
        "kit_tasks_for_help", KIT_ROOT / "tasks.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ns


KIT = kit_namespace()
KIT_TASKS = sorted(KIT.task_names)
LEARNER_TASKS = sorted(learner_namespace.task_names)


def flags_of(collection: Collection, name: str) -> list[str]:
    """The long flags invoke makes from the task's parameters (`dry_run` -> `--dry-run`)."""
    parameters = list(inspect.signature(collection[name].body).parameters)[1:]
    return ["--" + p.strip("_").replace("_", "-") for p in parameters]


def options(help_text: str) -> dict[str, str]:
    """`Options:` of invoke's task help: each entry's long flag -> its help, unwrapped."""
    section = help_text.split("\nOptions:\n", 1)[1]
    entries: dict[str, str] = {}
    flag = None
    for line in section.splitlines():
        if match := re.match(r"  (-\S.*?--(?:\[no-\])?([\w-]+)\S*)(\s+|$)(.*)", line):
            flag = "--" + match.group(2)
            entries[flag] = match.group(4)
        elif flag and line.strip():
            entries[flag] += " " + line.strip()
    return entries


def check_help(done, name: str, flags: list[str]) -> None:
    said = done.stdout + done.stderr
    assert done.returncode == 0, said
    assert re.match(rf"Usage: \S.* \[--core-opts\] {re.escape(name)} ", done.stdout), (
        said
    )
    shown = options(done.stdout)
    assert sorted(shown) == sorted(flags), (
        f"every flag of {name}, and only those:\n{said}"
    )
    for flag, text in shown.items():
        assert "(default: " in text or "(required)" in text, (
            f"{name} {flag}: the help says neither its default nor that it is required: "
            f"{text!r}"
        )


@pytest.mark.parametrize("name", KIT_TASKS)
def test_kit_py_task_help_shows_every_flag_with_its_default(name):
    done = run_in(KIT_ROOT, sys.executable, "kit.py", name, "--help", timeout=120)
    check_help(done, name, flags_of(KIT, name))


@pytest.mark.parametrize("name", [n for n in KIT_TASKS if KIT[n].positional])
def test_plain_invoke_in_the_kit_root_answers_task_help_too(name):
    # A facilitator in the kit's venv types `invoke new --help`, not `python3 kit.py ...`.
    done = run_in(KIT_ROOT, sys.executable, "-m", "invoke", name, "--help", timeout=120)
    check_help(done, name, flags_of(KIT, name))


def test_kit_py_short_help_after_a_task_with_positional_arguments():
    # -h is help unless the task has a flag of that name (cohort.status: --html).
    name = next(
        name
        for name in KIT_TASKS
        if KIT[name].positional
        and not any("h" in arg.names for arg in kit_namespace()[name].get_arguments())
    )
    done = run_in(KIT_ROOT, sys.executable, "kit.py", name, "-h", timeout=120)
    check_help(done, name, flags_of(KIT, name))


def test_kit_py_help_lists_every_task():
    done = run_in(KIT_ROOT, sys.executable, "kit.py", "--help", timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "python3 kit.py TASK --help" in done.stdout
    listed = re.findall(r"^  (\S+)  ", done.stdout, re.M)
    assert sorted(listed) == KIT_TASKS, done.stdout


@pytest.mark.parametrize("name", LEARNER_TASKS)
def test_learner_task_help_in_a_render_shows_every_flag_with_its_default(
    skeleton_render, name
):
    done = run_in(skeleton_render, sys.executable, "-m", "invoke", name, "--help")
    check_help(done, name, flags_of(learner_namespace, name))


def test_help_is_asked_for_the_first_task_unless_h_is_its_own_flag_or_after_dashes():
    tasks = {
        "verify": SimpleNamespace(flags={"--keep", "-k"}),
        "status": SimpleNamespace(flags={"--html", "-h"}),
    }
    assert help_asked_for(["verify", "--help"], tasks) == "verify"
    assert help_asked_for(["verify", "all", "--keep", "x", "-h"], tasks) == "verify"
    assert help_asked_for(["status", "-h", "out.html"], tasks) is None
    assert help_asked_for(["status", "--help"], tasks) == "status"
    assert help_asked_for(["verify", "all", "--", "--help"], tasks) is None
    assert help_asked_for(["nosuch", "--help"], tasks) is None
    assert help_asked_for(["verify", "all"], tasks) is None
    assert help_asked_for([], tasks) is None
