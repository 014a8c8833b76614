"""The kit's own CI verifies every finished template: its matrix must follow templates/."""

from __future__ import annotations

import runpy

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


def test_ci_installs_the_redis_server_the_chat_tests_start():
    """The chat project's Redis stage runs a real redis-server: CI machines must have one."""
    assert "apt-get install" in (KIT_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "redis-server" in (KIT_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    steps = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]["verify"][
        "steps"
    ]
    installs = [
        step
        for step in steps
        if "redis-server" in step.get("run", "") and "chat" in step.get("if", "")
    ]
    assert installs, "the chat verify job must install redis-server before verifying"
