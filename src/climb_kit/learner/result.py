"""`climb-result.json`: what `invoke check` found, for machines.

When the environment names a file in CLIMB_RESULT (the project's CI does), `invoke check` writes
there the stages passed, the test counts, the template version and the template files that differ
from it. CI uploads it as the `climb-result` artifact; a facilitator's `cohort.status --results`
reads a whole cohort's files instead of running every learner's tests.
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from .answers import AnswersError, read_answers
from .integrity import Drift
from .runner import StageRun, stage_status
from .stages import StageFile

RESULT_ENV = "CLIMB_RESULT"
FORMAT_VERSION = 1


def _head(project_root: Path) -> tuple[str, str]:
    """The commit checked and its committer date ('' when there is no git history)."""
    done = subprocess.run(
        ["git", "log", "-1", "--format=%H %cI"],
        cwd=project_root,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    commit, _, date = done.stdout.strip().partition(" ")
    return (os.environ.get("GITHUB_SHA") or commit), date


def result_document(
    project_root: Path, stage_file: StageFile, runs: dict[str, StageRun], drift: Drift
) -> dict:
    try:
        answers = read_answers(project_root)
        learner, version = answers.learner, answers.version
    except AnswersError:
        learner, version = {"name": "", "github_handle": ""}, ""
    commit, committed_at = _head(project_root)
    stages = [
        {
            "id": stage.id,
            "status": status,
            "passed": runs[stage.id].passed if stage.id in runs else 0,
            "total": runs[stage.id].total if stage.id in runs else 0,
        }
        for stage, status in stage_status(stage_file, runs)
    ]
    tests = [test for run in runs.values() for test in run.tests]
    return {
        "format_version": FORMAT_VERSION,
        "project": stage_file.project,
        "github_handle": learner["github_handle"],
        "learner_name": learner["name"],
        "template_version": version,
        "commit": commit,
        "committed_at": committed_at,
        "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "stages": stages,
        "stages_passed": sum(stage["status"] == "passed" for stage in stages),
        "tests_passed": sum(test.outcome == "passed" for test in tests),
        "tests_failed": sum(test.outcome != "passed" for test in tests),
        "tampered": [*drift.changed, *drift.missing],
    }


def write_result(path: Path, document: dict) -> None:
    Path(path).write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
