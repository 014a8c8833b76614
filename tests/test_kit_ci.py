"""The kit's own CI verifies every finished template: its matrix must follow templates/."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from climb_kit.layout import KIT_ROOT, finished_projects

WORKFLOW = KIT_ROOT / ".github" / "workflows" / "kit.yml"


def test_the_verify_matrix_lists_every_finished_template():
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    matrix = workflow["jobs"]["verify"]["strategy"]["matrix"]["project"]
    assert sorted(matrix) == sorted(finished_projects()), (
        f"{WORKFLOW.relative_to(KIT_ROOT)}: the verify matrix lists {matrix}; "
        f"templates/ has {finished_projects()}"
    )


def test_the_gathering_job_waits_for_every_other_job_and_always_runs():
    jobs = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]
    assert set(jobs["gather"]["needs"]) == set(jobs) - {"gather"}
    assert jobs["gather"]["if"] == "always()"


def test_nox_sessions_cover_every_finished_template():
    assert runpy.run_path(str(KIT_ROOT / "noxfile.py"))["PROJECTS"] == sorted(
        finished_projects()
    )


@pytest.mark.parametrize("project", finished_projects())
def test_every_ci_installs_the_programs_a_project_s_tests_start(
    project, render_of, tmp_path
):
    """[tool.climb] system-packages (e.g. chat's redis-server) reach the learner's CI and ours."""
    rendered = render_of(project)
    pyproject = tomllib.loads((rendered / "pyproject.toml").read_text(encoding="utf-8"))
    wanted = pyproject["tool"].get("climb", {}).get("system-packages", [])

    # The learner's workflow: run its install step with a `sudo` that writes down its orders.
    workflow = yaml.safe_load(
        (rendered / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    )
    [step] = [
        step
        for step in workflow["jobs"]["check"]["steps"]
        if "system-packages" in step.get("name", "")
    ]
    shims, orders = tmp_path / "bin", tmp_path / "sudo-orders.txt"
    shims.mkdir()
    (shims / "sudo").write_text(f'#!/bin/sh\necho "$@" >> {orders}\n')
    (shims / "sudo").chmod(0o755)
    path = os.pathsep.join(
        [str(shims), str(Path(sys.executable).parent), os.environ["PATH"]]
    )
    done = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=rendered,
        env={**os.environ, "PATH": path},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    asked = orders.read_text().splitlines() if orders.exists() else []
    installs = [line.split() for line in asked if "install" in line.split()]
    if wanted:
        assert installs and installs[-1][-len(wanted) :] == wanted, (
            f"{project}'s CI step asked sudo for {asked}; expected an apt-get install of {wanted}"
        )
    else:
        assert asked == [], (
            f"{project} needs no system package, yet CI ran sudo {asked}"
        )

    # The kit's CI: .ci/run (the kit suite verifies every project) and the verify matrix job.
    ci_run = (KIT_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    steps = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]["verify"][
        "steps"
    ]
    for package in wanted:
        assert package in ci_run, (
            f".ci/run does not install {package} ({project} needs it)"
        )
        assert any(
            package in step.get("run", "") and project in step.get("if", project)
            for step in steps
        ), f"kit.yml's verify job does not install {package} for {project}"
