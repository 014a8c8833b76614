"""A 30-learner cohort from roster to update: create, learners climb, status, a fix, update, status."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from climb_kit.cohort.create import create_cohort
from climb_kit.cohort.roster import parse_roster
from climb_kit.cohort.sandbox import probe
from climb_kit.cohort.status import grade_cohort
from climb_kit.cohort.update import update_cohort
from climb_kit.contributor.checksums import write_checksums
from climb_kit.layout import KitError

from .helpers import climb

pytestmark = pytest.mark.slow

LEARNERS = 30
STAGES = 7  # the scheduler's ladder
CONFLICTED = "learner-05"  # edits the README line the template fix changes too
DIRTY = "learner-06"  # leaves an uncommitted change behind


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


def stages_reached(index: int) -> int:
    return index % (STAGES + 1)


def learner_files(repo: Path) -> dict[str, bytes]:
    owned = [*sorted((repo / "src" / "scheduler").glob("*.py")), repo / "JOURNAL.md"]
    return {str(path.relative_to(repo)): path.read_bytes() for path in owned}


def release_fix(kit: Path) -> None:
    """A template fix, tagged v1.0.1: a test file (template-owned) and the README (shared)."""
    test_file = kit / "templates" / "scheduler" / "tests" / "test_1_workload.py"
    test_file.write_text(
        test_file.read_text("utf-8") + "\n\n# v1.0.1: a clarified comment.\n", "utf-8"
    )
    readme = kit / "templates" / "scheduler" / "README.md.jinja"
    readme.write_text(
        readme.read_text("utf-8").replace(
            "# Mini OS Scheduler\n", "# Mini OS Scheduler (v1.0.1)\n", 1
        ),
        "utf-8",
    )
    write_checksums("scheduler", kit_root=kit)
    git(kit, "commit", "-qam", "Fix: clearer test comment, README title")
    git(kit, "tag", "v1.0.1")


def test_a_thirty_learner_cohort_from_create_to_update(kit_source, tmp_path):
    kit = tmp_path / "kit"
    git(tmp_path, "clone", "-q", str(kit_source), str(kit))
    roster = "name,github_handle\n" + "".join(
        f"Learner {i},learner-{i:02d}\n" for i in range(LEARNERS)
    )
    learners = parse_roster(roster)
    into = tmp_path / "cohort"
    made = create_cohort(learners, "scheduler", into, kit, jobs=2)
    assert [m.state for m in made] == ["created"] * LEARNERS

    # Each learner commits the reference solution of their first k stages.
    expected = {}
    for index, learner in enumerate(learners):
        repo = into / learner.handle
        reached = stages_reached(index)
        if reached:
            climb("scheduler", repo, reached)
            git(repo, "commit", "-qam", f"Stages 1 to {reached}")
        expected[learner.handle] = reached
    readme = into / CONFLICTED / "README.md"
    readme.write_text(
        readme.read_text("utf-8").replace(
            "# Mini OS Scheduler\n", "# My own scheduler\n"
        ),
        "utf-8",
    )
    git(into / CONFLICTED, "commit", "-qam", "My title")

    isolation = probe()
    statuses = grade_cohort(into, isolation, stage_seconds=20, jobs=2)
    assert {s.handle: s.stages_passed for s in statuses} == expected
    assert {s.template_version for s in statuses} == {"v1.0.0"}
    assert [s for s in statuses if s.tampered or s.limit or s.problem] == []
    assert [s.stages_passed for s in statuses] == sorted(
        expected.values(), reverse=True
    )

    release_fix(kit)
    (into / DIRTY / "notes.txt").write_text("not committed yet\n", "utf-8")
    owned_before = {handle: learner_files(into / handle) for handle in expected}

    with pytest.raises(
        KitError, match="has no version 'v9.9.9'; its versions: v1.0.0, v1.0.1"
    ):
        update_cohort(into, "v9.9.9")
    updates = {u.handle: u for u in update_cohort(into, "v1.0.1", jobs=2)}
    assert updates[CONFLICTED].state == "conflicts"
    assert updates[CONFLICTED].files == ["README.md"]
    assert updates[DIRTY].state == "refused"
    assert "uncommitted changes" in updates[DIRTY].reason
    cleanly = {h for h, u in updates.items() if u.state == "updated"}
    assert cleanly == set(expected) - {CONFLICTED, DIRTY}
    for handle in expected:
        repo = into / handle
        assert learner_files(repo) == owned_before[handle], (
            f"{handle}: learner files touched"
        )
        status = git(repo, "status", "--porcelain")
        assert status == ("?? notes.txt\n" if handle == DIRTY else ""), handle
    for handle in cleanly:
        assert "to v1.0.1" in git(into / handle, "log", "-1", "--format=%s")
        assert (
            (into / handle / "README.md")
            .read_text("utf-8")
            .startswith("# Mini OS Scheduler (v1.0.1)\n")
        )
    assert (
        (into / CONFLICTED / "README.md")
        .read_text("utf-8")
        .startswith("# My own scheduler\n")
    )

    again = {
        s.handle: s for s in grade_cohort(into, isolation, stage_seconds=20, jobs=2)
    }
    assert {h: s.stages_passed for h, s in again.items()} == expected
    assert {h for h, s in again.items() if s.template_version == "v1.0.1"} == cleanly
    assert (
        again[CONFLICTED].template_version == again[DIRTY].template_version == "v1.0.0"
    )
    assert [s for s in again.values() if s.tampered or s.limit or s.problem] == []
