"""cohort.create: one repository per learner, byte-identical to `copier copy`, resumable, pushed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from climb_kit.cohort.create import create_cohort
from climb_kit.cohort.roster import Learner, parse_roster
from climb_kit.layout import KitError

from .helpers import copier_cli_copy, run_in, tree_snapshot

pytestmark = pytest.mark.slow

ROSTER = (
    "name,github_handle,cohort\n"
    "Ada Lovelace,ada,spring-26\n"
    'Zoë "Z" Ñúñez,zoe-n,\n'
    "Grace Hopper,Grace,\n"
)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


def test_each_repository_is_what_copier_copy_gives_that_learner(kit_source, tmp_path):
    learners = parse_roster(ROSTER)
    made = create_cohort(learners, "scheduler", tmp_path / "cohort", kit_source, jobs=2)
    assert [(m.handle, m.state) for m in made] == [
        ("ada", "created"),
        ("Grace", "created"),
        ("zoe-n", "created"),
    ]
    for learner in learners:
        repo = tmp_path / "cohort" / learner.handle
        by_cli = tmp_path / "cli" / learner.handle
        copier_cli_copy(kit_source, by_cli, "scheduler", learner.answers())
        ours, theirs = tree_snapshot(repo), tree_snapshot(by_cli)
        assert sorted(ours) == sorted(theirs)
        differing = [path for path in ours if ours[path] != theirs[path]]
        assert differing == [], (
            f"{learner.handle}: differs from copier copy in {differing}"
        )
        # The first commit holds exactly the render, recorded against the clean tagged kit.
        assert git(repo, "status", "--porcelain") == ""
        assert len(git(repo, "log", "--format=%H").split()) == 1
        assert sorted(git(repo, "ls-files").split()) == sorted(ours)
        answers = yaml.safe_load((repo / ".copier-answers.yml").read_text("utf-8"))
        assert answers["_commit"] == "v1.0.0"
        assert answers["_src_path"] == str(kit_source)
        assert answers["learner_name"] == learner.name
    assert not (tmp_path / "cohort" / ".staging").exists()


def test_repositories_are_pushed_to_their_remotes_and_a_rerun_changes_nothing(
    kit_source, tmp_path
):
    learners = parse_roster(ROSTER)
    remotes = tmp_path / "remotes"
    for learner in learners:
        subprocess.run(
            [
                "git",
                "init",
                "-q",
                "--bare",
                str(remotes / f"scheduler-{learner.handle}.git"),
            ],
            check=True,
        )
    url = str(remotes) + "/{project}-{handle}.git"
    into = tmp_path / "cohort"
    made = create_cohort(learners, "scheduler", into, kit_source, url, jobs=2)
    assert {m.pushed for m in made} == {"pushed"}
    heads = {}
    for learner in learners:
        head = git(into / learner.handle, "rev-parse", "HEAD").strip()
        bare = remotes / f"scheduler-{learner.handle}.git"
        assert git(bare, "rev-parse", "main").strip() == head
        assert git(into / learner.handle, "remote", "get-url", "origin").strip() == str(
            bare
        )
        heads[learner.handle] = head

    again = create_cohort(learners, "scheduler", into, kit_source, url, jobs=2)
    assert {(m.state, m.pushed) for m in again} == {("existed", "pushed")}
    for learner in learners:
        assert (
            git(into / learner.handle, "rev-parse", "HEAD").strip()
            == heads[learner.handle]
        )
        bare = remotes / f"scheduler-{learner.handle}.git"
        assert git(bare, "rev-list", "--count", "main").strip() == "1"


def test_a_rerun_adds_new_learners_and_never_touches_existing_ones(
    kit_source, tmp_path
):
    into = tmp_path / "cohort"
    first = [Learner(2, "Ada", "ada")]
    create_cohort(first, "scheduler", into, kit_source, jobs=1)
    journal = into / "ada" / "JOURNAL.md"
    journal.write_text("Ada's own words\n", encoding="utf-8")
    git(into / "ada", "commit", "-qam", "My journal")
    head = git(into / "ada", "rev-parse", "HEAD").strip()

    made = create_cohort(
        [*first, Learner(3, "Bob", "bob")], "scheduler", into, kit_source, jobs=1
    )
    assert [(m.handle, m.state) for m in made] == [
        ("ada", "existed"),
        ("bob", "created"),
    ]
    assert journal.read_text("utf-8") == "Ada's own words\n"
    assert git(into / "ada", "rev-parse", "HEAD").strip() == head


KILLED_RUN = """
import sys
from pathlib import Path
from climb_kit.cohort.create import create_cohort
from climb_kit.cohort.roster import Learner

learners = [Learner(i + 2, f"Learner {i}", f"learner-{i:02d}") for i in range(int(sys.argv[3]))]
create_cohort(learners, "scheduler", Path(sys.argv[1]), sys.argv[2], jobs=1)
"""


def test_a_create_killed_mid_run_leaves_only_whole_repositories_and_a_rerun_completes(
    kit_source, tmp_path
):
    into, total = tmp_path / "cohort", 12
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_RUN, str(into), str(kit_source), str(total)],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if into.is_dir() and len([p for p in into.glob("learner-*")]) >= 3:
                break
            time.sleep(0.02)
    finally:
        # kill -9 of the command and its worker processes, as a facilitator's Ctrl-\ or OOM would.
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    survivors = sorted(p.name for p in into.glob("learner-*"))
    assert 3 <= len(survivors) < total, f"the run was not stopped midway: {survivors}"
    heads = {}
    for name in survivors:
        repo = into / name
        assert git(repo, "status", "--porcelain") == "", f"{name} is half made"
        assert git(repo, "log", "--format=%s").startswith("Start the scheduler project")
        heads[name] = git(repo, "rev-parse", "HEAD").strip()

    learners = [
        Learner(i + 2, f"Learner {i}", f"learner-{i:02d}") for i in range(total)
    ]
    made = create_cohort(learners, "scheduler", into, kit_source, jobs=2)
    assert sorted(m.handle for m in made if m.state == "existed") == survivors
    assert len([m for m in made if m.state == "created"]) == total - len(survivors)
    assert sorted(
        p.name for p in into.iterdir() if not p.name.startswith(".")
    ) == sorted(["cohort.yml", *(f"learner-{i:02d}" for i in range(total))])
    for name, head in heads.items():
        assert git(into / name, "rev-parse", "HEAD").strip() == head
    assert not (into / ".staging").exists()


def test_a_dirty_or_untagged_template_is_refused_before_anything_is_made(
    kit_source, tmp_path
):
    dirty = tmp_path / "dirty"
    subprocess.run(["git", "clone", "-q", str(kit_source), str(dirty)], check=True)
    (dirty / "copier.yml").write_text("# changed\n", encoding="utf-8")
    with pytest.raises(KitError, match="uncommitted changes"):
        create_cohort([Learner(2, "Ada", "ada")], "scheduler", tmp_path / "c1", dirty)
    assert not (tmp_path / "c1").exists()

    untagged = tmp_path / "untagged"
    subprocess.run(
        ["git", "clone", "-q", "--no-tags", str(kit_source), str(untagged)], check=True
    )
    assert git(untagged, "tag") == ""
    with pytest.raises(KitError, match="no release tag"):
        create_cohort(
            [Learner(2, "Ada", "ada")], "scheduler", tmp_path / "c2", untagged
        )
    assert not (tmp_path / "c2").exists()


def test_the_task_reports_a_bad_roster_in_one_message_and_creates_nothing(
    tmp_path, kit_root
):
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "name,github_handle\nAda,ada\nBob,ada\n,carol\n", encoding="utf-8"
    )
    done = run_in(
        kit_root,
        sys.executable,
        "-m",
        "invoke",
        "cohort.create",
        "--roster",
        str(roster),
        "--project",
        "scheduler",
        "--into",
        str(tmp_path / "cohort"),
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "line 3: duplicate GitHub handle 'ada' (first on line 2)" in done.stderr
    assert "line 4: missing name" in done.stderr
    assert not (tmp_path / "cohort").exists()


def test_a_remote_url_template_without_the_handle_is_refused(kit_source, tmp_path):
    with pytest.raises(KitError, match="has no \\{handle\\}"):
        create_cohort(
            [Learner(2, "Ada", "ada")],
            "scheduler",
            tmp_path / "c",
            kit_source,
            "/r/x.git",
        )
    assert not (tmp_path / "c").exists()
