"""`invoke update` in a learner's project: template fixes arrive, the learner's work never leaves.

The matrix below starts each scenario from the same kit release (v1.0.0), lets the learner work
and commit, ships a template release (v1.1.0) and runs `invoke update` as a learner would. Every
scenario is then held to the same three promises:
- zero bytes of the learner's own files lost (their code, journal, own files; deletions kept);
- every template-owned file exactly at v1.1.0 (a learner's edit of one kept in a backup);
- every conflict in a shared file listed, with the command to resolve it.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from climb_kit.contributor.checksums import write_checksums
from climb_kit.learner.ownership import SHARED_FILES, is_learner_path
from climb_kit.render import render
from climb_kit.snapshot import git
from tests.helpers import run_in

pytestmark = pytest.mark.slow

PACKAGE = "scheduler"
ANSWERS = ".copier-answers.yml"


def invoke(project: Path, *args: str):
    return run_in(project, sys.executable, "-m", "invoke", *args)


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def append(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as out:
        out.write(text)


def tree(root: Path) -> dict[str, bytes]:
    """Every file git sees in `root` (tracked, or untracked and not ignored)."""
    listing = git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    return {
        p: (root / p).read_bytes()
        for p in sorted(set(listing.split("\0")))
        if p and (root / p).is_file()
    }


def rendered(root: Path) -> dict[str, bytes]:
    """Every file of a fresh render (no git repository there)."""
    return {
        file.relative_to(root).as_posix(): file.read_bytes()
        for file in sorted(root.rglob("*"))
        if file.is_file()
    }


def is_template_owned(path: str, template_files: set[str]) -> bool:
    return (
        path in template_files
        and path != ANSWERS
        and path not in SHARED_FILES
        and not is_learner_path(path, PACKAGE)
    )


# -- the scenarios -----------------------------------------------------------------------------
# Each has the learner's edits (in their project) and the template's (in the kit's templates/
# scheduler folder), what must be listed as a conflict, and what must be backed up.

TEMPLATE = Path("templates") / "scheduler"


def learner_overlaps(p: Path) -> None:
    edit(p / "README.md", "## How to work", "## How to work (my way)")
    append(p / "src/scheduler/fcfs.py", "\n# learner: my FCFS notes\n")
    edit(p / "pyproject.toml", 'version = "0.1.0"', 'version = "0.2.0"')


def template_overlaps(k: Path) -> None:
    edit(
        k / "templates/_common/readme.jinja", "## How to work", "## How to work, daily"
    )
    append(k / TEMPLATE / "src/scheduler/fcfs.py", "\n# template: a skeleton fix\n")
    edit(
        k / TEMPLATE / "pyproject.toml.jinja",
        '"pytest>=8,<10",',
        '"pytest>=8.1,<10",',
    )


def learner_appends(p: Path) -> None:
    append(p / "README.md", "\n## My notes\n\nI run the tests every morning.\n")
    append(p / ".gitignore", "scratch/\n")
    append(
        p / "src/scheduler/workload.py",
        "\n# learner: parsing is harder than it looks\n",
    )
    (p / "tests/test_my_own.py").write_text("def test_mine():\n    assert 1 + 1 == 2\n")


def template_edits_readme_top(k: Path) -> None:
    edit(
        k / TEMPLATE / "README.md.jinja",
        "This copy belongs to",
        "This copy (template v1.1) belongs to",
    )


def learner_deletes_a_test(p: Path) -> None:
    (p / "tests/test_3_sjf.py").unlink()


def template_changes_a_test(k: Path) -> None:
    append(
        k / TEMPLATE / "tests/test_2_fcfs.py",
        "\n\ndef test_added_by_a_template_fix():\n    assert True\n",
    )


def learner_renames_own_file(p: Path) -> None:
    source = p / "src/scheduler/rr.py"
    target = p / "src/scheduler/round_robin.py"
    target.write_text(source.read_text() + "\n# learner: renamed\n")
    source.unlink()


def template_changes_that_file(k: Path) -> None:
    append(k / TEMPLATE / "src/scheduler/rr.py", "\n# template: a clearer docstring\n")


def learner_writes_journal(p: Path) -> None:
    journal = p / "JOURNAL.md"
    edit(
        journal,
        "_Write here._",
        "The convoy effect surprised me. Highlight: é ✓ 李",
    )
    append(journal, "\n## My extra section\n\nMore thoughts.\n")


def template_changes_journal_frame(k: Path) -> None:
    edit(
        k / "templates/_common/JOURNAL.md.jinja",
        "Reflecting is half",
        "Reflecting is most",
    )


def learner_does_nothing(p: Path) -> None:
    append(p / "src/scheduler/metrics.py", "\n# learner: started metrics\n")


def template_adds_and_removes(k: Path) -> None:
    template = k / TEMPLATE
    (template / "workloads/rr.csv").unlink()
    (template / "workloads/burst.csv").write_text("name,arrival,burst\nA,0,5\n")
    (template / "tests/test_2_fcfs_extra.py").write_text(
        '"""More FCFS checks."""\n\nimport pytest\n\n\n@pytest.mark.stage("fcfs")\n'
        "def test_extra():\n    assert True\n"
    )
    edit(
        template / "stages.yml",
        "tests: [tests/test_2_fcfs.py]",
        "tests: [tests/test_2_fcfs.py, tests/test_2_fcfs_extra.py]",
    )
    (template / "src/scheduler/helpers.py").write_text(
        '"""Helpers for later stages."""\n'
    )


def learner_edits_a_test(p: Path) -> None:
    edit(
        p / "tests/test_2_fcfs.py",
        '"""',
        '"""LEARNER: I relaxed this. ',
    )


def template_edits_same_test(k: Path) -> None:
    edit(k / TEMPLATE / "tests/test_2_fcfs.py", '"""', '"""TEMPLATE: fixed. ')


@dataclass
class Scenario:
    name: str
    learner: Callable[[Path], None]
    template: Callable[[Path], None]
    conflicts: list[str] = field(default_factory=list)
    backups: list[str] = field(default_factory=list)
    stages_changed: list[str] = field(default_factory=list)


SCENARIOS = [
    Scenario(
        "learner edits overlap template changes",
        learner_overlaps,
        template_overlaps,
        conflicts=["README.md"],
    ),
    Scenario("learner appends", learner_appends, template_edits_readme_top),
    Scenario(
        "learner deletes a test",
        learner_deletes_a_test,
        template_changes_a_test,
        stages_changed=["Stage 2 (fcfs)"],
    ),
    Scenario(
        "learner renames a file of theirs",
        learner_renames_own_file,
        template_changes_that_file,
    ),
    Scenario("journal edited", learner_writes_journal, template_changes_journal_frame),
    Scenario(
        "template adds and removes files",
        learner_does_nothing,
        template_adds_and_removes,
        stages_changed=["Stage 2 (fcfs)"],
    ),
    Scenario(
        "template changes a test the learner also changed",
        learner_edits_a_test,
        template_edits_same_test,
        backups=["tests/test_2_fcfs.py"],
        stages_changed=["Stage 2 (fcfs)"],
    ),
]


@pytest.fixture
def started(kit_source, tmp_path):
    """A kit clone at v1.0.0 and a learner project rendered from it, committed."""
    kit = tmp_path / "kit"
    subprocess.run(["git", "clone", "-q", str(kit_source), str(kit)], check=True)
    project = render(kit, tmp_path / "learner", "scheduler")
    git(project, "init", "-q")
    commit_all(project, "Start")
    return kit, project


def release(kit: Path, change: Callable[[Path], None], tag: str = "v1.1.0") -> None:
    change(kit)
    write_checksums("scheduler", kit)
    commit_all(kit, f"Template release {tag}")
    git(kit, "tag", tag)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_update_matrix(scenario: Scenario, started, kit_source, tmp_path):
    kit, project = started
    scenario.learner(project)
    commit_all(project, "My work")
    before = tree(project)
    release(kit, scenario.template)

    # The dry run shows the plan and touches nothing (not even git's index).
    index = (project / ".git" / "index").read_bytes()
    dry = invoke(project, "update", "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "v1.0.0 → v1.1.0" in dry.stdout
    assert "Dry run: nothing was changed" in dry.stdout
    assert (
        tree(project) == before and (project / ".git" / "index").read_bytes() == index
    )
    for label in scenario.stages_changed:
        assert label in dry.stdout, dry.stdout

    done = invoke(project, "update")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Traceback" not in output
    after = tree(project)
    # What the template renders at each version, with the same answers.
    base = rendered(render(kit_source, tmp_path / "base", "scheduler"))  # v1.0.0 only
    fresh = rendered(render(kit, tmp_path / "fresh", "scheduler"))  # v1.1.0, the newest

    # 1. Zero learner-owned bytes lost; their deletions stay deleted.
    for path, data in before.items():
        if is_learner_path(path, PACKAGE) or (path not in base and path not in fresh):
            assert after.get(path) == data, f"{scenario.name}: {path} changed"
    for path in base:
        if is_learner_path(path, PACKAGE) and path not in before:
            assert path not in after, f"{path} came back after the learner removed it"

    # 2. Template-owned files exactly at the new version; the learner's edits backed up.
    for path, data in fresh.items():
        if is_template_owned(path, set(fresh)):
            assert after.get(path) == data, f"{scenario.name}: {path} is not at v1.1.0"
    for path in base:
        if is_template_owned(path, set(base)) and path not in fresh:
            assert path not in after, (
                f"{path} was removed by the template but is still there"
            )
    backed_up = {
        file.relative_to(stamp).as_posix(): file
        for stamp in (project / ".climb" / "backups").glob("*")
        for file in stamp.rglob("*")
        if file.is_file()
    }
    assert sorted(backed_up) == sorted(scenario.backups), output
    for path in scenario.backups:
        assert backed_up[path].read_bytes() == before[path]
        assert path in output

    # 3. Conflicts in shared files listed with the command to resolve them; none otherwise.
    unmerged = set(re.findall(r"\t(.+)$", git(project, "ls-files", "-u"), re.M))
    assert unmerged == set(scenario.conflicts)
    if scenario.conflicts:
        for path in scenario.conflicts:
            assert f"git checkout --theirs {path}" in output
            assert "<<<<<<<" in (project / path).read_text()
    else:
        assert "No conflicts" in output
        for path in SHARED_FILES:
            assert "<<<<<<<" not in (project / path).read_text()

    answers = yaml.safe_load((project / ANSWERS).read_text())
    assert answers["_commit"] == "v1.1.0" and answers["project"] == "scheduler"
    assert "run invoke test" in output


def test_update_of_learner_and_template_sides_keeps_both_in_a_shared_file(started):
    """Non-overlapping edits to pyproject.toml merge cleanly: both sides' lines are there."""
    kit, project = started
    learner_overlaps(project)
    commit_all(project, "My work")
    release(kit, template_overlaps)
    done = invoke(project, "update")
    assert done.returncode == 0, done.stdout + done.stderr
    pyproject = (project / "pyproject.toml").read_text()
    assert 'version = "0.2.0"' in pyproject and '"pytest>=8.1,<10",' in pyproject


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_update_at_the_same_version_restores_edited_template_files(started):
    _, project = started
    append(project / "tests/test_4_rr.py", "\n# I loosened a test\n")
    commit_all(project, "Loosen a test")
    assert "template file(s) differ" in invoke(project, "test").stdout
    done = invoke(project, "update")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Restored 1 template file(s)" in done.stdout
    assert "tests/test_4_rr.py" in done.stdout
    assert "# I loosened a test" not in (project / "tests/test_4_rr.py").read_text()
    assert "template file(s) differ" not in invoke(project, "test").stdout


def words(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def test_a_changed_hint_reaches_the_learner_with_the_update(started):
    """Hints ship encoded in a template-owned file: a hint a maintainer rewrites in the kit's
    reference/<p>/hints.yml arrives with `invoke update`, and `invoke hint` shows the new text."""
    kit, project = started
    source = kit / "reference" / "scheduler" / "hints.yml"
    hints = yaml.safe_load(source.read_text(encoding="utf-8"))
    old_first = hints["workload"][0]
    new_first = (
        "Rewritten for v1.1: list every way a single CSV cell can be wrong first."
    )
    first = invoke(project, "hint")
    assert words(old_first) in words(first.stdout), first.stdout
    commit_all(project, "Took a hint")

    def reword_a_hint(k: Path) -> None:
        hints["workload"][0] = new_first
        source.write_text(yaml.safe_dump(hints, sort_keys=False), encoding="utf-8")

    release(kit, reword_a_hint)
    done = invoke(project, "update")
    assert done.returncode == 0, done.stdout + done.stderr
    assert ".climb-hints" in done.stdout
    again = invoke(project, "hint")
    assert "Stage 1 (workload) — hint 1 of 3" in again.stdout, again.stdout
    assert words(new_first) in words(again.stdout), again.stdout
    assert words(old_first) not in words(again.stdout)
    assert "hint 2 of 3 (new)" in again.stdout, "the record of hints taken is kept"


def refused(project: Path, *args: str) -> str:
    done = invoke(project, "update", *args)
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "Traceback" not in output
    assert output.startswith("error: ") and len(output.strip().splitlines()) == 1, (
        output
    )
    return output


def test_update_refuses_what_could_lose_work_with_the_reason_and_the_fix(started):
    kit, project = started
    release(kit, template_changes_a_test)
    head = git(project, "rev-parse", "HEAD")

    append(project / "src/scheduler/fcfs.py", "# unsaved\n")
    assert "uncommitted changes (src/scheduler/fcfs.py)" in refused(project)
    assert "git stash -u" in refused(project)
    git(project, "checkout", "-q", "--", ".")
    (project / "notes.txt").write_text("untracked\n")
    assert "uncommitted changes (notes.txt)" in refused(project)
    (project / "notes.txt").unlink()

    append(
        project / "README.md",
        "<<<<<<< before updating\nmine\n=======\nyours\n>>>>>>> after\n",
    )
    commit_all(project, "Committed conflict markers by mistake")
    assert "conflict markers" in refused(project) and "README.md" in refused(project)
    git(project, "reset", "-q", "--hard", head.strip())

    assert "no version 'v9.9.9'; its versions: v1.0.0, v1.1.0" in refused(
        project, "--to", "v9.9.9"
    )

    answers = project / ANSWERS
    saved = answers.read_text()
    answers.write_text(saved.replace("project: scheduler", "project: chat"))
    commit_all(project, "Edit the answers by hand")
    assert "turn one project into the other" in refused(project)

    answers.write_text(re.sub(r"_src_path: .*", "_src_path: /nowhere/kit", saved))
    commit_all(project, "Kit moved")
    message = refused(project)
    assert "/nowhere/kit cannot be found" in message and "_src_path" in message

    answers.unlink()
    commit_all(project, "Lost the answers")
    assert ".copier-answers.yml is missing" in refused(project)

    # Nothing above touched the learner's work.
    assert git(project, "status", "--porcelain") == ""
    assert not (project / ".climb" / "backups").exists()


def test_update_outside_a_git_repository_is_refused(skeleton_render, copy_project):
    project = copy_project(skeleton_render)
    assert "not a git repository" in refused(project)
