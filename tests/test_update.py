"""Template fixes reach a learner's project through `copier update` without touching their work."""

from __future__ import annotations

import subprocess

import yaml
from copier import run_update

from climb_kit.render import render
from climb_kit.snapshot import git, snapshot

NEW_TEST = '''

def test_added_in_a_template_fix():
    """A test the template gained after the learner started."""
    assert True
'''


def commit_all(repo, message):
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def test_update_brings_the_new_test_and_leaves_learner_code_and_journal_byte_identical(
    tmp_path,
):
    kit = snapshot(tmp_path / "kit", tag="v1.0.0")
    project = render(kit, tmp_path / "learner", "scheduler")
    git(project, "init", "-q")
    commit_all(project, "Start")

    # The learner works: their code and their journal change.
    code = project / "src" / "scheduler" / "fcfs.py"
    code.write_text(code.read_text() + "\n# my own helper notes: é ✓\n")
    journal = project / "JOURNAL.md"
    journal.write_text(
        journal.read_text().replace("_Write here._", "I learned a lot.", 1)
    )
    commit_all(project, "My work")
    learner_bytes = {path: path.read_bytes() for path in (code, journal)}

    # The kit ships a fix: a test changes, and so do the template's copies of learner-owned files.
    template = kit / "templates" / "scheduler"
    test_file = template / "tests" / "test_2_fcfs.py"
    test_file.write_text(test_file.read_text() + NEW_TEST)
    skeleton = template / "src" / "scheduler" / "fcfs.py"
    skeleton.write_text(skeleton.read_text() + "\n# a template-side edit\n")
    commit_all(kit, "Fix: a new FCFS test")
    git(kit, "tag", "v1.1.0")

    run_update(project, defaults=True, overwrite=True, unsafe=False, quiet=True)

    for path, before in learner_bytes.items():
        assert path.read_bytes() == before, f"{path.name} was changed by the update"
    assert (project / "tests" / "test_2_fcfs.py").read_text() == test_file.read_text()
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "v1.1.0"
    assert answers["project"] == "scheduler"
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=project, capture_output=True, text=True
    ).stdout
    assert "src/scheduler/fcfs.py" not in status and "JOURNAL.md" not in status
