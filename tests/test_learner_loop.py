"""The learner's loop: `invoke test` stops at the first failing test (`--all` shows every one),
`invoke hint` answers from the last run, `invoke progress` shows counts while it runs."""

from __future__ import annotations

import json
import re
import shutil
import sys

from climb_kit.learner.runner import LAST_RUN, run_pytest
from tests.helpers import run_in
from tests.test_learner_tasks import SOLUTION, solve, stage_lines

STOPPED = re.compile(
    r"^✗ Stage 1 \(workload\) Read a workload: 1 failed, 0 passed, (\d+) not run "
    r"\(stopped at the first failure\)$",
    re.M,
)


def invoke(project, *args, env=None):
    return run_in(project, sys.executable, "-m", "invoke", *args, env=env)


def last_run(project):
    return json.loads((project / LAST_RUN).read_text())


def test_test_stops_at_the_first_failing_test_and_all_shows_every_failure(
    skeleton_render, copy_project
):
    project = copy_project(skeleton_render, git_init=True)
    done = invoke(project, "test")
    assert done.returncode == 1
    stopped = STOPPED.search(done.stdout)
    assert stopped and int(stopped.group(1)) > 0, done.stdout
    assert done.stdout.count("Rerun just this test:") == 1, "one failure shown"
    assert (
        "See every failure of this stage, not just the first:\n"
        "  invoke test --stage workload --all" in done.stdout
    )
    # The record `invoke hint` answers from stays out of the learner's commits.
    assert last_run(project)["failing_stage"] == "workload"
    ignored = run_in(project, "git", "check-ignore", "-q", LAST_RUN.as_posix())
    assert ignored.returncode == 0, "git must ignore .climb/cache/"

    one_stage = invoke(project, "test", "--stage", "workload")
    assert STOPPED.search(one_stage.stdout), one_stage.stdout

    every = invoke(project, "test", "--stage", "workload", "--all")
    assert every.returncode == 1
    counts = re.search(
        r"^✗ Stage 1 \(workload\) Read a workload: (\d+) of (\d+) tests failing$",
        every.stdout,
        re.M,
    )
    assert counts and counts.group(1) == counts.group(2), every.stdout
    total = int(counts.group(2))
    assert total == int(stopped.group(1)) + 1
    assert every.stdout.count("Rerun just this test:") == total, "every failure shown"
    assert "not run" not in every.stdout


def test_test_all_runs_every_stage_and_shows_every_failure_of_the_stage_to_work_on(
    skeleton_render, copy_project
):
    project = copy_project(skeleton_render)
    solve(project, "workload.py", "metrics.py", "fcfs.py")
    done = invoke(project, "test", "--all")
    assert done.returncode == 1
    row = re.search(r"│\s*3\s*│\s*sjf\s*│.*?│\s*failing\s*│\s*(\d+)/(\d+)", done.stdout)
    assert row, done.stdout
    failing = re.findall(r"^\s+python -m pytest '?(tests/[^:]+)::", done.stdout, re.M)
    assert set(failing) == {"tests/test_3_sjf.py"}, (
        "the failures shown are the first failing stage's"
    )
    assert len(failing) == int(row.group(2)) - int(row.group(1)), "every one of them"
    assert "Next: make Stage 3 (sjf)" in done.stdout
    assert last_run(project)["failing_stage"] == "sjf"


def test_the_help_says_test_stops_at_the_first_failure_and_what_all_does(
    skeleton_render,
):
    done = invoke(skeleton_render, "test", "--help")
    text = " ".join(done.stdout.split())
    assert "stop at the first failing test" in text
    assert "do not stop at the first failing test" in text
    readme = " ".join((skeleton_render / "README.md").read_text().split())
    assert "| `invoke test --all` | does not stop at the first failure" in readme


def test_hint_answers_from_the_last_run_and_says_from_when(
    skeleton_render, copy_project
):
    project = copy_project(skeleton_render)
    solve(project, "workload.py", "metrics.py", "fcfs.py")
    assert stage_lines(invoke(project, "test").stdout)[-1] == ("✗", "3", "sjf")
    # Stage 3 is solved now, but no test has run since: the hint is still stage 3's,
    # which shows it comes from the last run and not from running the tests again.
    solve(project, "sjf.py")
    hint = invoke(project, "hint")
    assert hint.returncode == 0, hint.stdout + hint.stderr
    assert "No earlier test results" not in hint.stdout
    said = " ".join(hint.stdout.split())
    assert re.search(
        r"Stage 3 \(sjf\) is your current stage: it failed when `invoke test` last ran "
        r"the tests \(\d{4}-\d\d-\d\d \d\d:\d\d, \d+ s ago\); its first failing test: "
        r"tests/test_3_sjf\.py::\w+",
        said,
    ), hint.stdout
    assert "Stage 3 (sjf) — hint 1 of" in hint.stdout

    # A climb that starts at stage 3, passes it and stops early in stage 1 (a regression)
    # still records stage 1 as the one that failed.
    shutil.copy(
        skeleton_render / "src" / "scheduler" / "workload.py",
        project / "src" / "scheduler" / "workload.py",
    )
    again = invoke(project, "test")
    assert stage_lines(again.stdout) == [("✓", "3", "sjf"), ("✗", "1", "workload")]
    assert "stopped at the first failure" in again.stdout
    record = last_run(project)
    assert record["failing_stage"] == "workload"
    assert record["counts"]["workload"]["failed"] == 1
    assert record["counts"]["workload"]["not_run"] > 0
    hint = invoke(project, "hint")
    assert "Stage 1 (workload) is your current stage" in hint.stdout
    assert "Stage 1 (workload) — hint 1 of" in hint.stdout


def test_hint_with_no_earlier_result_runs_the_tests_and_says_so(
    skeleton_render, copy_project
):
    project = copy_project(skeleton_render)
    solve(project, "workload.py")
    first = invoke(project, "hint")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "No earlier test results here: running the tests" in first.stdout
    assert stage_lines(first.stdout) == [("✓", "1", "workload"), ("✗", "2", "fcfs")]
    assert "Stage 2 (fcfs) — hint 1 of" in first.stdout
    second = invoke(project, "hint")
    assert "No earlier test results" not in second.stdout
    assert "it failed when `invoke hint` last ran the tests" in " ".join(
        second.stdout.split()
    )
    assert "Stage 2 (fcfs) — hint 2 of" in second.stdout


def test_progress_shows_every_stage_counting_while_it_runs(
    skeleton_render, copy_project
):
    project = copy_project(skeleton_render)
    solve(project, "workload.py")
    # On a terminal (TTY_COMPATIBLE=1 makes rich treat the pipe as one) the live lines are
    # drawn and redrawn; the last drawing has every test counted.
    done = invoke(project, "progress", env={"TTY_COMPATIBLE": "1"})
    assert done.returncode == 0, done.stdout + done.stderr
    frames = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "\n", done.stdout)
    assert "Running every stage's tests:" in frames
    workload = re.findall(
        r"✓ Stage 1 \(workload\) Read a workload: (\d+) of (\d+) passed", frames
    )
    assert workload and workload[-1][0] == workload[-1][1], frames
    assert re.search(r"✗ Stage 2 \(fcfs\) [^:]*: 0 of (\d+) passed, \1 failing", frames)
    assert "Next: make Stage 2 (fcfs)" in done.stdout
    # In a log (no terminal) the live lines leave nothing behind.
    plain = invoke(project, "progress")
    assert "Running every stage's tests" not in plain.stdout


def test_the_runner_tells_of_each_test_as_it_starts_and_ends(
    skeleton_render, copy_project
):
    project = copy_project(skeleton_render)
    shutil.copy(SOLUTION / "workload.py", project / "src" / "scheduler" / "workload.py")
    heard = []
    result = run_pytest(
        project, ["tests/test_1_workload.py"], on_test=lambda *e: heard.append(e)
    )
    nodeids = [t.nodeid for t in result.tests]
    assert [n for n, state in heard if state == "collected"] == nodeids
    ran = [(n, s) for n, s in heard if s != "collected"]
    assert ran == [
        pair
        for test in result.tests
        for pair in ((test.nodeid, "running"), (test.nodeid, test.outcome))
    ]
    assert {t.outcome for t in result.tests} == {"passed"}


def test_the_report_marks_property_tests(skeleton_render, copy_project):
    project = copy_project(skeleton_render)
    result = run_pytest(project, ["tests/test_1_workload.py"])
    source = (project / "tests" / "test_1_workload.py").read_text()
    given = set(re.findall(r"@given\([^@]*?\)\ndef (test_\w+)", source, re.S))
    assert given, "stage 1 has property tests"
    marked = {t.nodeid.split("::")[1] for t in result.tests if t.property_test}
    assert marked == given
