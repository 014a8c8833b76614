"""Copier's closing message and the learner's README give the same setup steps."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from climb_kit.layout import KIT_ROOT
from tests.helpers import run_in

PROJECTS = ["portscan", "scheduler", "dataproc", "http-service", "chat"]


def commands(lines: list[str]) -> list[str]:
    """The commands, without their trailing `# ...` comments."""
    return [re.sub(r"\s+#.*$", "", line).strip() for line in lines if line.strip()]


def readme_setup(readme: str) -> list[str]:
    block = re.search(r"Set up once[^\n]*\n\n```sh\n(.*?)\n```", readme, re.S)
    assert block, "the README has a 'Set up once' block"
    return commands(block.group(1).splitlines())


@pytest.mark.slow
@pytest.mark.parametrize("project", PROJECTS)
def test_the_closing_message_lists_the_readmes_setup_steps(
    kit_source, tmp_path, project
):
    dest = tmp_path / f"my-{project}"
    copier = str(Path(sys.executable).parent / "copier")
    # As a learner types it, without --quiet: the message is what Copier prints last.
    done = run_in(
        tmp_path,
        copier,
        "copy",
        "--defaults",
        "--data",
        f"project={project}",
        str(kit_source),
        str(dest),
    )
    assert done.returncode == 0, done.stderr
    message = done.stdout + done.stderr
    shown = message[message.index(f"Your {project} project is ready") :].splitlines()
    steps = commands([line for line in shown if line.startswith("  ")])
    assert steps[0] == f"cd {dest}"
    assert steps[-1] == "invoke test"
    assert steps[1:-1] == readme_setup((dest / "README.md").read_text())
    assert "pre-commit install" in steps


def test_the_kit_readme_shows_the_same_steps_as_the_closing_message():
    readme = (KIT_ROOT / "README.md").read_text()
    block = re.search(r"tells you what to run next:\n\n```sh\n(.*?)\n```", readme, re.S)
    assert block, "the kit README shows what Copier says after a copy"
    message = re.search(
        r"_message_after_copy: \|\n(.*?)\n\S",
        (KIT_ROOT / "copier.yml").read_text(),
        re.S,
    )
    assert message
    # The scheduler has no bench tool: its steps are the message's plain lines.
    plain = [
        line
        for line in message.group(1).splitlines()
        if line.startswith("    ") and "{{" not in line
    ]
    assert commands(block.group(1).splitlines())[1:] == commands(plain)
