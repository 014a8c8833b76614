"""`invoke test | progress | hint | check` inside a rendered project, run as a learner runs them."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import sys

import pytest
import yaml

from climb_kit.layout import reference_dir
from tests.helpers import run_in

SOLUTION = reference_dir("scheduler") / "solution" / "src" / "scheduler"


def invoke(project, *args, env=None):
    return run_in(project, sys.executable, "-m", "invoke", *args, env=env)


def solve(project, *modules):
    """Overlay the reference for just these modules, as a learner who finished those stages."""
    for module in modules:
        shutil.copy(SOLUTION / module, project / "src" / "scheduler" / module)


def stage_lines(output):
    return re.findall(r"^([✓✗]) Stage (\d+) \(([a-z-]+)\)", output, re.M)


def hints_of(stage_id):
    """The stage's hints as maintainers write them (the render carries them encoded)."""
    return yaml.safe_load((reference_dir("scheduler") / "hints.yml").read_text())[
        stage_id
    ]


def words(text):
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def test_a_fresh_project_stops_at_stage_one_and_prints_a_rerun_command_that_works(
    skeleton_render, copy_project
):
    project = copy_project(skeleton_render)
    done = invoke(project, "test")
    assert done.returncode == 1
    assert stage_lines(done.stdout) == [("✗", "1", "workload")], done.stdout
    assert "not written yet: Stage 1 (workload)" in done.stdout
    rerun = re.search(r"Rerun just this test:\n\s+(python -m pytest \S+)", done.stdout)
    assert rerun, done.stdout
    assert "invoke test --stage workload" in done.stdout
    again = run_in(
        project, *shlex.split(rerun.group(1).replace("python", sys.executable, 1))
    )
    assert again.returncode == 1
    assert "1 failed" in again.stdout and "not written yet" in again.stdout


def test_passing_stages_advance_and_the_current_stage_runs_first_next_time(
    skeleton_render, copy_project
):
    project = copy_project(skeleton_render)
    solve(project, "workload.py", "metrics.py", "fcfs.py")
    first = invoke(project, "test")
    assert first.returncode == 1
    assert stage_lines(first.stdout) == [
        ("✓", "1", "workload"),
        ("✓", "2", "fcfs"),
        ("✗", "3", "sjf"),
    ], first.stdout
    second = invoke(project, "test")
    assert stage_lines(second.stdout) == [("✗", "3", "sjf")], (
        "the current stage runs first"
    )

    # Stage 3 now passes but stage 1 regressed: current first, then the earlier ones.
    solve(project, "sjf.py")
    (project / "src" / "scheduler" / "workload.py").write_text(
        (skeleton_render / "src" / "scheduler" / "workload.py").read_text()
    )
    third = invoke(project, "test")
    assert third.returncode == 1
    assert stage_lines(third.stdout) == [("✓", "3", "sjf"), ("✗", "1", "workload")]


def test_a_finished_project_passes_every_stage(solved_render, copy_project):
    done = invoke(copy_project(solved_render), "test")
    assert done.returncode == 0, done.stdout + done.stderr
    assert [number for _, number, _ in stage_lines(done.stdout)] == [
        str(n) for n in range(1, 8)
    ]
    assert "Every stage of Mini OS Scheduler passes" in done.stdout


def test_progress_shows_passed_failing_and_locked_and_the_next_step(
    skeleton_render, copy_project
):
    project = copy_project(skeleton_render)
    solve(project, "workload.py", "metrics.py", "fcfs.py")
    done = invoke(project, "progress")
    assert done.returncode == 0
    rows = re.findall(
        r"│\s*(\d)\s*│\s*([a-z-]+)\s*│.*?│\s*(passed|failing|locked)\s*│", done.stdout
    )
    assert [(n, status) for n, _, status in rows] == [
        ("1", "passed"),
        ("2", "passed"),
        ("3", "failing"),
        ("4", "locked"),
        ("5", "locked"),
        ("6", "locked"),
        ("7", "locked"),
    ], done.stdout
    assert "Next: make Stage 3 (sjf)" in done.stdout


def test_hints_come_one_level_at_a_time_for_the_current_stage_and_are_recorded(
    skeleton_render, copy_project
):
    project = copy_project(skeleton_render)
    hints = hints_of("workload")
    one = invoke(project, "hint")
    assert one.returncode == 0
    assert "Stage 1 (workload) — hint 1 of 3 (new)" in one.stdout
    # The whole hint, word for word (the panel wraps lines and renders the Markdown).
    assert words(hints[0]) in words(one.stdout), one.stdout
    assert words(hints[1]) not in words(one.stdout), "one level at a time"
    two = invoke(project, "hint")
    assert "hint 2 of 3 (new)" in two.stdout and "hint 1 of 3" in two.stdout
    assert words(hints[1]) in words(two.stdout), two.stdout
    rr = invoke(project, "hint", "--stage", "rr")
    assert "Stage 4 (rr) — hint 1 of 3 (new)" in rr.stdout
    record = json.loads((project / ".climb" / "hints.json").read_text())["revealed"]
    assert {stage: len(times) for stage, times in record.items()} == {
        "workload": 2,
        "rr": 1,
    }


def test_an_unknown_stage_is_one_clear_error(skeleton_render):
    done = invoke(skeleton_render, "test", "--stage", "nope")
    assert done.returncode == 2
    assert "Traceback" not in done.stdout + done.stderr
    assert (
        "there is no stage 'nope'; the stages are: workload, fcfs, sjf, rr"
        in done.stderr
    )


@pytest.mark.parametrize(
    ("which", "code", "status"),
    [("skeleton", 1, "❌ failing"), ("solved", 0, "✅ passed")],
)
def test_check_runs_the_hooks_and_every_stage_and_writes_the_job_summary(
    skeleton_render, solved_render, copy_project, tmp_path, which, code, status
):
    project = copy_project(
        skeleton_render if which == "skeleton" else solved_render, git_init=True
    )
    summary = tmp_path / "summary.md"
    done = invoke(
        project,
        "check",
        env={
            "GITHUB_STEP_SUMMARY": str(summary),
            "PRE_COMMIT_HOME": str(tmp_path / "pre-commit"),
        },
    )
    assert done.returncode == code, done.stdout[-3000:] + done.stderr
    assert "ruff lint" in done.stdout and "Failed" not in done.stdout.split("tests")[0]
    table = summary.read_text()
    assert "| 1 | `workload` | Read a workload |" in table
    assert status in table.splitlines()[4]


def test_invoke_list_shows_every_learner_command_with_a_description(skeleton_render):
    done = invoke(skeleton_render, "--list")
    for name in ("test", "progress", "hint", "check", "bench"):
        assert re.search(rf"^\s+{name}\s+\S", done.stdout, re.M), done.stdout


def test_test_all_runs_every_stage_without_stopping_and_shows_the_table(
    skeleton_render, copy_project
):
    project = copy_project(skeleton_render)
    # Everything but priority (stage 5): stage 6 (mlfq) is locked, yet its tests run.
    solve(project, "workload.py", "metrics.py", "fcfs.py", "sjf.py", "rr.py", "mlfq.py")
    done = invoke(project, "test", "--all")
    assert done.returncode == 1, "not every stage passes yet"
    rows = re.findall(
        r"│\s*(\d)\s*│\s*([a-z-]+)\s*│.*?│\s*(passed|failing|locked)\s*│\s*(\d+)/(\d+)",
        done.stdout,
    )
    statuses = [(n, status) for n, _, status, _, _ in rows]
    assert statuses == [
        ("1", "passed"),
        ("2", "passed"),
        ("3", "passed"),
        ("4", "passed"),
        ("5", "failing"),
        ("6", "locked"),
        ("7", "locked"),
    ], done.stdout
    mlfq = next(row for row in rows if row[1] == "mlfq")
    assert mlfq[3] == mlfq[4] != "0", (
        "a locked stage's tests still run: counts are real"
    )
