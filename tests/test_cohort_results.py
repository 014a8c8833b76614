"""At scale: each learner's CI writes climb-result.json; cohort.status --results reads them."""

from __future__ import annotations

import csv
import json
import sys

import pytest

from climb_kit.cohort.create import create_cohort
from climb_kit.cohort.roster import Learner
from climb_kit.cohort.status import statuses_from_results

from .helpers import run_in

pytestmark = pytest.mark.slow


def test_invoke_check_writes_the_result_file_ci_uploads(
    solved_render, copy_project, tmp_path
):
    project = copy_project(solved_render, git_init=True)
    result = tmp_path / "climb-result.json"
    done = run_in(
        project,
        sys.executable,
        "-m",
        "invoke",
        "check",
        env={"CLIMB_RESULT": str(result), "PRE_COMMIT_HOME": str(tmp_path / "pc")},
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    document = json.loads(result.read_text("utf-8"))
    assert document["format_version"] == 1
    assert document["project"] == "scheduler"
    assert document["github_handle"] == "sample-learner"
    assert document["template_version"] == "v1.0.0"
    assert document["stages_passed"] == len(document["stages"]) == 7
    assert document["tests_failed"] == 0 and document["tests_passed"] > 100
    assert document["tampered"] == []
    assert len(document["commit"]) == 40 and document["committed_at"]


def test_status_reads_a_cohort_from_ci_results_without_running_tests(
    kit_source, tmp_path, kit_root
):
    into, results = tmp_path / "cohort", tmp_path / "results"
    names = ["ada", "bob", "carol", "dave"]
    create_cohort(
        [Learner(i, n.title(), n) for i, n in enumerate(names)],
        "scheduler",
        into,
        kit_source,
    )

    def result(handle: str, passed: int, tampered: list[str]) -> str:
        ids = ["workload", "fcfs", "sjf", "rr", "priority", "mlfq", "cli"]
        states = ["passed"] * passed + ["failing"] + ["locked"] * (6 - passed)
        return json.dumps(
            {
                "format_version": 1,
                "project": "scheduler",
                "github_handle": handle,
                "learner_name": handle.title(),
                "template_version": "v1.0.0",
                "commit": "0" * 40,
                "committed_at": "2026-01-05T10:00:00+00:00",
                "checked_at": "2026-01-05T10:05:00+00:00",
                "stages": [
                    {"id": i, "status": s, "passed": 1, "total": 2}
                    for i, s in zip(ids, states, strict=True)
                ],
                "stages_passed": passed,
                "tests_passed": 10 * passed,
                "tests_failed": 5,
                "tampered": tampered,
            }
        )

    results.mkdir()
    (results / "ada.json").write_text(result("ada", 3, []))
    (results / "bob").mkdir()
    (results / "bob" / "climb-result.json").write_text(
        result("bob", 5, ["tests/test_1_workload.py"])
    )
    (results / "dave.json").write_text(result("ada", 6, []))  # someone else's file

    by = {s.handle: s for s in statuses_from_results(into, results)}
    ada = by["ada"]
    assert (ada.stages_passed, ada.current_stage, ada.tests_passed) == (3, "rr", 30)
    assert by["bob"].stages_passed == 5 and by["bob"].tampered == [
        "tests/test_1_workload.py"
    ]
    assert by["carol"].problem == "no CI result found"
    assert (
        "the file is for 'ada'" in by["dave"].problem and by["dave"].stages_passed == 0
    )

    table = tmp_path / "table.csv"
    done = run_in(
        kit_root,
        sys.executable,
        "-m",
        "invoke",
        "cohort.status",
        "--into",
        str(into),
        "--results",
        str(results),
        "--csv",
        str(table),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = list(csv.DictReader(table.open(encoding="utf-8")))
    assert [r["handle"] for r in rows][:2] == ["bob", "ada"]
    assert rows[0]["days_since_commit"] != ""
