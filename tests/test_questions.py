"""The root copier.yml: defaults render, answers are validated with messages that say what is wrong,
and the kit's own entry points turn bad input into one clean line."""

from __future__ import annotations

import shutil
import sys

import pytest
import yaml

from climb_kit.layout import (
    ALL_PROJECTS,
    KitError,
    copier_available_projects,
    finished_projects,
)
from climb_kit.render import render
from climb_kit.snapshot import git
from tests.helpers import run_in


def test_default_answers_are_recorded_for_update(skeleton_render, kit_source):
    answers = yaml.safe_load((skeleton_render / ".copier-answers.yml").read_text())
    assert answers == {
        "_commit": "v1.0.0",
        "_src_path": str(kit_source),
        "cohort": "",
        "github_handle": "sample-learner",
        "learner_name": "Sample Learner",
        "project": "scheduler",
        "python_version": "3.11",
    }, (
        "the answers file must hold every answer (and no derived value) for `copier update`"
    )


@pytest.mark.parametrize(
    ("handle", "message"),
    [
        ("-leading", "cannot begin or end with a hyphen"),
        ("trailing-", "cannot begin or end with a hyphen"),
        ("two--hyphens", "two hyphens in a row"),
        ("under_score", "only ASCII letters, digits and hyphens"),
        ("ünïcode", "only ASCII letters, digits and hyphens"),
        ("@someone", 'Leave out the "@"'),
        ("a" * 40, "has 40 characters; GitHub usernames have at most 39"),
        ("", "A GitHub username is needed"),
    ],
)
def test_an_invalid_github_handle_is_refused_with_the_reason(
    kit_source, tmp_path, handle, message
):
    with pytest.raises(KitError) as refused:
        render(kit_source, tmp_path / "p", "scheduler", {"github_handle": handle})
    assert message in str(refused.value)
    assert not (tmp_path / "p" / "README.md").exists(), (
        "nothing is rendered for a bad answer"
    )


@pytest.mark.parametrize("handle", ["a", "a" * 39, "Octo-Cat-42", "0x"])
def test_valid_github_handles_render(kit_source, tmp_path, handle):
    project = render(kit_source, tmp_path / "p", "scheduler", {"github_handle": handle})
    assert f"@{handle}" in (project / "JOURNAL.md").read_text()


def test_an_unknown_project_is_refused_naming_the_projects(kit_source, tmp_path):
    with pytest.raises(KitError) as refused:
        render(kit_source, tmp_path / "p", "schedular")
    assert "unknown project 'schedular'" in str(refused.value)
    assert all(name in str(refused.value) for name in ALL_PROJECTS)


UNFINISHED = [p for p in ALL_PROJECTS if p not in finished_projects()]


# Once every project is finished, the last one is held back in a copy of the kit (as it was
# before its release), so the validator's message is still tested.
@pytest.mark.parametrize("project", UNFINISHED or [ALL_PROJECTS[-1]])
def test_an_unfinished_project_says_not_available_yet_through_copier_itself(
    kit_source, tmp_path, project
):
    from copier import run_copy

    source = kit_source
    if project not in UNFINISHED:
        source = tmp_path / "kit"
        shutil.copytree(kit_source, source, symlinks=True)
        config = source / "copier.yml"
        held_back = config.read_text().replace(f', "{project}"]', "]")
        assert held_back != config.read_text()
        config.write_text(held_back)
        git(source, "commit", "-qam", f"Hold back {project}")
        git(source, "tag", "v1.0.1")  # Copier renders the newest release
    with pytest.raises(ValueError) as refused:
        run_copy(
            str(source),
            tmp_path / "p",
            data={"project": project},
            defaults=True,
            quiet=True,
        )
    assert f"The {project} project is not available yet" in str(refused.value)
    assert not (tmp_path / "p" / "README.md").exists(), "no half project is rendered"


def test_copier_yml_lets_through_exactly_the_finished_templates():
    assert copier_available_projects() == finished_projects()


def test_python_version_outside_the_supported_range_is_refused(kit_source, tmp_path):
    with pytest.raises(KitError) as refused:
        render(kit_source, tmp_path / "p", "scheduler", {"python_version": "3.10"})
    assert "3.11" in str(refused.value) and "3.13" in str(refused.value)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--github-handle", "bad--handle"], "cannot contain two hyphens in a row"),
        (["--learner-name", " "], "Please give a name"),
    ],
)
def test_invoke_new_reports_a_bad_answer_in_one_line(
    kit_root, tmp_path, args, expected
):
    done = run_in(
        kit_root,
        sys.executable,
        "-m",
        "invoke",
        "new",
        "scheduler",
        str(tmp_path / "p"),
        "--allow-dirty",
        *args,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stdout + done.stderr
    assert expected in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_invoke_new_reports_an_unknown_project_in_one_line(kit_root, tmp_path):
    done = run_in(
        kit_root, sys.executable, "-m", "invoke", "new", "chatroom", str(tmp_path / "p")
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stderr.strip().splitlines() == [
        "error: unknown project 'chatroom'; the projects are: "
        + ", ".join(ALL_PROJECTS)
    ]


def test_invoke_new_refuses_a_dirty_checkout_and_says_what_it_would_record(
    kit_source, tmp_path
):
    (kit_source / "stray.txt").write_text("uncommitted\n")
    try:
        done = run_in(
            kit_source,
            sys.executable,
            "-m",
            "invoke",
            "new",
            "scheduler",
            str(tmp_path / "p"),
        )
    finally:
        (kit_source / "stray.txt").unlink()
    assert done.returncode == 2
    assert "uncommitted changes" in done.stderr and "stray.txt" in done.stderr
    assert "v1.0.0" in done.stderr, "it names the version the project would record"
    assert not (tmp_path / "p").exists()


def test_invoke_new_renders_from_an_absolute_source(kit_source, tmp_path):
    dest = tmp_path / "learner-repo"
    done = run_in(
        kit_source,
        sys.executable,
        "-m",
        "invoke",
        "new",
        "scheduler",
        str(dest),
        "--learner-name",
        "Ada",
        "--github-handle",
        "ada",
    )
    assert done.returncode == 0, done.stderr
    answers = yaml.safe_load((dest / ".copier-answers.yml").read_text())
    assert answers["_src_path"] == str(kit_source), (
        "a relative source would break updates"
    )
    assert answers["_commit"] == "v1.0.0"
    assert answers["learner_name"] == "Ada"


def test_demo_renders_for_the_sample_learner_and_shows_the_first_failing_stage(
    kit_source, tmp_path
):
    dest = tmp_path / "demo"
    done = run_in(
        kit_source, sys.executable, "-m", "invoke", "demo", "--dest", str(dest)
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "✗ Stage 1 (workload) Read a workload" in done.stdout
    assert "Rerun just this test:" in done.stdout
    assert "starting line" in done.stdout
    answers = yaml.safe_load((dest / ".copier-answers.yml").read_text())
    assert (answers["learner_name"], answers["github_handle"]) == (
        "Sample Learner",
        "sample-learner",
    )


def test_nothing_is_rendered_over_an_existing_folder(kit_source, tmp_path):
    dest = tmp_path / "taken"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine\n")
    done = run_in(
        kit_source, sys.executable, "-m", "invoke", "demo", "--dest", str(dest)
    )
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        == f"error: {dest} already exists and is not empty; choose a new folder"
    )
    assert sorted(p.name for p in dest.iterdir()) == ["notes.txt"]
    assert (dest / "notes.txt").read_text() == "mine\n"


def test_a_broken_stage_file_is_one_clear_error_not_a_traceback(kit_source, tmp_path):
    kit = tmp_path / "kit"
    shutil.copytree(kit_source, kit, symlinks=True)
    stages = kit / "templates" / "scheduler" / "stages.yml"
    stages.write_text(
        stages.read_text().replace("title: Mini OS Scheduler", "title: a: b")
    )
    git(kit, "commit", "-qam", "Break the stage file")
    git(kit, "tag", "v1.0.1")  # Copier renders the newest release
    with pytest.raises(
        KitError, match=r"scheduler template could not be rendered.*stages\.yml"
    ):
        render(kit, tmp_path / "p", "scheduler")
    assert not (tmp_path / "p").exists()
