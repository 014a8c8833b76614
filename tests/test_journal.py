"""The reflection journal: `invoke journal`, the reflections `invoke progress` asks for, and the
guards that keep conflict markers and edited template files visible."""

from __future__ import annotations

import stat
import sys
from datetime import date

import pytest

from climb_kit.learner.journal import (
    PLACEHOLDER,
    PROJECT_HEADING,
    add_entry,
    parse_journal,
)
from tests.helpers import run_in
from tests.test_learner_tasks import solve

TODAY = date.today().isoformat()


def invoke(project, *args, env=None):
    return run_in(project, sys.executable, "-m", "invoke", *args, env=env)


def test_the_rendered_frame_has_a_section_per_stage_none_written_and_no_summary(
    skeleton_render,
):
    journal = parse_journal((skeleton_render / "JOURNAL.md").read_text())
    assert list(journal.stages) == [
        "workload",
        "fcfs",
        "sjf",
        "rr",
        "priority",
        "mlfq",
        "cli",
    ]
    assert not any(section.written for section in journal.stages.values())
    assert journal.summary == "" and journal.highlights == []


def test_summary_highlights_and_written_sections_are_read_from_the_learners_words():
    text = (
        "## The project\n\n> Why?\n\nSummary: A scheduler that taught me queues.\n\n"
        "## Stage 1 · Read a workload (`workload`)\n\n> What surprised you?\n\n"
        f"{PLACEHOLDER}\n\n"
        "## Stage 2 · FCFS (`fcfs`)\n\n> Prompt\n\n### 2026-01-02\n\n"
        "Short jobs wait behind long ones.\n- Highlight: the convoy effect is real\n"
        "> Highlight: not this one, it is quoted\n"
    )
    journal = parse_journal(text)
    assert journal.summary == "A scheduler that taught me queues."
    assert journal.highlights == ["the convoy effect is real"]
    assert not journal.is_written("workload")
    assert journal.is_written("fcfs")
    assert not journal.is_written("rr")  # no section at all


def test_add_entry_replaces_the_placeholder_and_continues_todays_entry():
    text = (
        "## Stage 1 · Read (`workload`)\n\n> Prompt\n\n"
        f"{PLACEHOLDER}\n\n## Stage 2 · FCFS (`fcfs`)\n\n> P\n"
    )
    day = date(2026, 11, 22)
    first, line = add_entry(text, "workload", "unused", day)
    lines = first.splitlines()
    assert PLACEHOLDER not in first.split("## Stage 2")[0]
    assert lines[line - 3] == "### 2026-11-22" and lines[line - 1] == ""
    lines[line - 1] = "I wrote this."
    written = "\n".join(lines) + "\n"
    again, line2 = add_entry(written, "workload", "unused", day)
    assert again.count("### 2026-11-22") == 1, "one dated entry per day"
    assert again.splitlines()[line2 - 3] == "I wrote this."
    # A stage whose section the learner removed gets one at the end.
    added, line3 = add_entry(text, "rr", "## Stage 4 · RR (`rr`)", day)
    assert parse_journal(added).stages["rr"].start == line3 - 5
    assert "fcfs" in parse_journal(added).stages


def test_invoke_journal_starts_an_entry_under_the_current_stage_and_opens_the_editor(
    skeleton_render, copy_project, tmp_path
):
    project = copy_project(skeleton_render)
    editor = tmp_path / "editor.sh"
    record = tmp_path / "editor-args.txt"
    editor.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {record}\n')
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)

    done = invoke(project, "journal", "--editor", str(editor))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Stage 1 (workload)" in done.stdout and "JOURNAL.md:" in done.stdout
    line = int(done.stdout.split("JOURNAL.md:")[1].split()[0])
    lines = (project / "JOURNAL.md").read_text().splitlines()
    assert lines[line - 3] == f"### {TODAY}"
    assert record.read_text().splitlines() == [f"+{line}", str(project / "JOURNAL.md")]

    other = invoke(project, "journal", "--stage", "mlfq", "--no-edit")
    assert other.returncode == 0, other.stderr
    journal = parse_journal((project / "JOURNAL.md").read_text())
    assert f"### {TODAY}" in journal.stages["mlfq"].lines

    bad = invoke(project, "journal", "--stage", "nope")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "there is no stage 'nope'" in bad.stderr


def test_progress_names_passed_stages_whose_reflection_is_still_to_write(
    skeleton_render, copy_project
):
    project = copy_project(skeleton_render)
    solve(project, "workload.py")
    done = invoke(project, "progress")
    assert "Reflection still to write for Stage 1 (workload)" in done.stdout
    assert "to write" in done.stdout
    started = invoke(project, "journal", "--no-edit")
    assert started.returncode == 0, started.stderr
    journal = project / "JOURNAL.md"
    journal.write_text(
        journal.read_text().replace(
            f"### {TODAY}\n\n",
            f"### {TODAY}\n\nParsing taught me to distrust input.\n",
            1,
        )
    )
    done = invoke(project, "progress")
    assert "Reflection still to write" not in done.stdout
    assert "written" in done.stdout


@pytest.mark.slow
def test_check_fails_on_committed_conflict_markers_and_warns_about_edited_tests(
    skeleton_render, copy_project, tmp_path
):
    project = copy_project(skeleton_render, git_init=True)
    with open(project / "README.md", "a") as readme:
        readme.write(
            "<<<<<<< before updating\nmine\n=======\ntheirs\n>>>>>>> after updating\n"
        )
    with open(project / "tests" / "test_2_fcfs.py", "a") as test:
        test.write("\n# loosened by hand\n")
    run_in(project, "git", "commit", "-qam", "oops")
    done = invoke(
        project, "check", env={"PRE_COMMIT_HOME": str(tmp_path / "pre-commit")}
    )
    assert done.returncode == 1
    hooks = done.stdout.split("─ tests ─")[0]
    assert "no merge conflict markers" in hooks and "Failed" in hooks
    assert "README.md" in hooks
    warning = next(
        line for line in done.stdout.splitlines() if line.startswith("warning:")
    )
    assert "tests/test_2_fcfs.py" in warning


def test_add_entry_for_the_project_goes_under_the_project_heading():
    text = (
        "## The project\n\n> Why?\n\nSummary: _One line._\n\n"
        f"{PLACEHOLDER}\n\n## Stage 1 · Read (`workload`)\n\n> Prompt\n\n{PLACEHOLDER}\n"
    )
    new, line = add_entry(text, None, PROJECT_HEADING, date(2026, 11, 22))
    journal = parse_journal(new)
    assert journal.project.start < line - 1 < journal.project.end
    assert new.splitlines()[line - 3] == "### 2026-11-22"
    assert PLACEHOLDER in "\n".join(journal.stages["workload"].lines), (
        "stage 1 untouched"
    )


@pytest.mark.slow
def test_with_every_stage_passed_the_journal_turns_to_the_project_and_says_when_it_is_done(
    solved_render, copy_project
):
    project = copy_project(solved_render)
    done = invoke(project, "test")
    assert done.returncode == 0, done.stdout + done.stderr
    said = " ".join(done.stdout.split())
    assert "Reflection still to write for Stage 1 (workload), Stage 2 (fcfs)" in said
    assert "Write up your reflection" not in said

    started = invoke(project, "journal", "--no-edit")
    assert started.returncode == 0, started.stderr
    assert "Started today's entry for the project at JOURNAL.md:" in started.stdout
    line = int(started.stdout.split("JOURNAL.md:")[1].split()[0])
    journal = parse_journal((project / "JOURNAL.md").read_text())
    assert journal.project.start < line - 1 < journal.project.end, (
        "not stage 1's section"
    )

    # The learner writes every reflection and the summary.
    text = (project / "JOURNAL.md").read_text()
    text = text.replace(PLACEHOLDER, "What I learned.").replace(
        "Summary: _One line for the showcase: what you built and what you learned._",
        "Summary: A scheduler that taught me queues.",
    )
    lines = text.splitlines()
    lines[line - 1] = "Looking back on the whole climb."
    (project / "JOURNAL.md").write_text("\n".join(lines) + "\n")
    for command in ("hint", "progress"):
        shown = invoke(project, command)
        assert shown.returncode == 0, shown.stdout + shown.stderr
        said = " ".join(shown.stdout.split())
        assert "Every stage of Mini OS Scheduler passes." in said
        assert "Your journal is written, every stage and the project." in said
        assert "Reflection still to write" not in said
        assert "Write up your reflection" not in said
