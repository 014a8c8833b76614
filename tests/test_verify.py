"""The verifier passes a sound template and names every kind of breach it exists to catch."""

from __future__ import annotations

import shutil

import pytest
import yaml

from climb_kit.contributor import consistency
from climb_kit.contributor.verify import Verifier, verify
from climb_kit.layout import KIT_ROOT, finished_projects, reference_dir
from climb_kit.learner.runner import run_pytest
from climb_kit.learner.stages import load_stages

SOLUTION = reference_dir("scheduler") / "solution"


@pytest.fixture
def verifier(tmp_path):
    return Verifier("scheduler", tmp_path / "work", KIT_ROOT)


@pytest.mark.slow
@pytest.mark.parametrize("project", finished_projects())
def test_every_finished_template_is_sound(project):
    checks = verify(project, repeat=2)
    failed = [f"{c.name}: {c.detail}" for c in checks if not c.ok]
    assert failed == []
    assert [c.name for c in checks] == [
        "renders (default and awkward answers)",
        "skeleton passes the project's pre-commit",
        "skeleton fails every stage by assertion",
        "stage ids agree everywhere",
        "reference passes every stage (2x)",
        "reference solution passes the project's pre-commit",
        "every mutant is caught",
        "the ladder climbs one rung at a time",
    ]


def test_a_test_that_passes_on_the_skeleton_is_a_breach(
    skeleton_render, copy_project, verifier
):
    project = copy_project(skeleton_render)
    shutil.copy(
        SOLUTION / "src/scheduler/workload.py", project / "src/scheduler/workload.py"
    )
    verifier.check_skeleton(project)
    check = verifier.checks[-1]
    assert not check.ok
    assert (
        "tests/test_1_workload.py::" in check.detail
        and "passed on the skeleton" in check.detail
    )


def test_a_mutant_no_test_catches_is_a_breach(solved_render, tmp_path):
    kit = tmp_path / "kit"
    mutants = kit / "reference" / "scheduler" / "mutants"
    mutants.mkdir(parents=True)
    first_line = (SOLUTION / "src/scheduler/fcfs.py").read_text().splitlines()[0]
    (mutants / "harmless.yml").write_text(
        yaml.safe_dump(
            {
                "description": "Only reworded a docstring",
                "stage": "fcfs",
                "edits": [
                    {
                        "file": "src/scheduler/fcfs.py",
                        "find": first_line,
                        "replace": first_line + "  # reworded",
                    }
                ],
            }
        )
    )
    (mutants / "stale.yml").write_text(
        yaml.safe_dump(
            {
                "description": "Edits text the reference no longer has",
                "stage": "fcfs",
                "edits": [
                    {
                        "file": "src/scheduler/fcfs.py",
                        "find": "no such text\n",
                        "replace": "x\n",
                    }
                ],
            }
        )
    )
    verifier = Verifier("scheduler", tmp_path / "work", kit)
    (tmp_path / "work").mkdir()
    verifier.check_mutants(solved_render)
    check = verifier.checks[-1]
    assert not check.ok
    assert (
        "harmless (Only reworded a docstring) is NOT caught by stage fcfs"
        in check.detail
    )
    assert "stale: mutant stale: the text to replace occurs 0 times" in check.detail


def test_a_marker_that_disagrees_with_the_stage_file_is_a_breach(
    skeleton_render, copy_project
):
    project = copy_project(skeleton_render)
    rr_tests = project / "tests" / "test_4_rr.py"
    rr_tests.write_text(
        rr_tests.read_text().replace('stage("rr")', 'stage("round-robin")')
    )
    stage_file = load_stages(project)
    tests = run_pytest(project, ["tests/test_4_rr.py"]).tests
    problems = consistency.check_markers(tests, stage_file)
    assert problems and all("marked stage('round-robin')" in p for p in problems)
    assert all("belongs to 'rr'" in p for p in problems)


def test_readme_or_journal_headings_that_drift_are_a_breach(
    skeleton_render, copy_project
):
    project = copy_project(skeleton_render)
    readme = project / "README.md"
    readme.write_text(readme.read_text().replace("(`mlfq`)", "(`feedback`)"))
    problems = consistency.check_headings(
        readme, consistency.README_HEADING, load_stages(project)
    )
    assert (
        problems
        and "README.md: stage headings" in problems[0]
        and "6 feedback" in problems[0]
    )


def test_a_test_file_outside_every_stage_is_a_breach(skeleton_render, copy_project):
    project = copy_project(skeleton_render)
    (project / "tests" / "test_8_extra.py").write_text(
        "def test_x():\n    assert False\n"
    )
    problems = consistency.check_test_files(project, load_stages(project))
    assert problems == ["tests/test_8_extra.py belongs to no stage in stages.yml"]


def test_leftover_jinja_is_a_breach(skeleton_render, copy_project, verifier):
    project = copy_project(skeleton_render)
    (project / "notes.md").write_text("Hello {{ learner_name }}\n")
    assert verifier.leftover_jinja(project) == ["notes.md:1: '{{' left over"]


def ladder_kit(tmp_path, state_one: dict[str, str]) -> Verifier:
    """A verifier whose kit holds only reference/scheduler/states/1-workload/ with these files
    (file path -> the solution module to copy there, or None for the skeleton's)."""
    kit = tmp_path / "kit"
    state = kit / "reference" / "scheduler" / "states" / "1-workload"
    for relative, module in state_one.items():
        (state / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SOLUTION / module, state / relative)
    (tmp_path / "work").mkdir()
    return Verifier("scheduler", tmp_path / "work", kit)


def test_a_state_that_passes_its_stage_and_fails_the_next_is_a_rung(
    skeleton_render, tmp_path
):
    # workload.py is final after stage 1: the state lists it instead of copying it.
    verifier = ladder_kit(tmp_path, {})
    state = verifier.kit_root / "reference/scheduler/states/1-workload"
    state.mkdir(parents=True)
    (state / "solution-files.txt").write_text("# final\nsrc/scheduler/workload.py\n")
    shutil.copytree(SOLUTION, verifier.kit_root / "reference/scheduler/solution")
    stage_file = load_stages(skeleton_render)
    problems, line = verifier.climb_to(skeleton_render, stage_file, 1)
    assert problems == []
    assert line.startswith("1: ") and " pass, stage 2 " in line


def test_a_state_that_fails_its_own_stage_is_a_breach(skeleton_render, tmp_path):
    # The state after stage 1 left workload.py as the skeleton has it: stage 1 cannot pass.
    verifier = ladder_kit(tmp_path, {"src/scheduler/fcfs.py": "src/scheduler/fcfs.py"})
    problems, _ = verifier.climb_to(skeleton_render, load_stages(skeleton_render), 1)
    assert problems and all(
        p.startswith("state after stage 1 (workload): tests/test_1_workload.py::")
        for p in problems
    )


def test_a_stage_already_passed_by_the_state_before_it_is_a_breach(
    skeleton_render, tmp_path
):
    verifier = ladder_kit(
        tmp_path,
        {
            "src/scheduler/workload.py": "src/scheduler/workload.py",
            "src/scheduler/fcfs.py": "src/scheduler/fcfs.py",
            "src/scheduler/metrics.py": "src/scheduler/metrics.py",
            "src/scheduler/gantt.py": "src/scheduler/gantt.py",
        },
    )
    problems, _ = verifier.climb_to(skeleton_render, load_stages(skeleton_render), 1)
    assert problems == [
        "state after stage 1 (workload): every test of stage 2 (fcfs) already passes"
    ]


def test_a_missing_or_stray_state_folder_is_a_breach(skeleton_render, tmp_path):
    verifier = ladder_kit(
        tmp_path, {"src/scheduler/workload.py": "src/scheduler/workload.py"}
    )
    shutil.copytree(SOLUTION, verifier.kit_root / "reference/scheduler/solution")
    stray = verifier.kit_root / "reference" / "scheduler" / "states" / "2-first-come"
    stray.mkdir()
    verifier.check_ladder(skeleton_render)
    check = verifier.checks[-1]
    assert not check.ok
    assert "reference/scheduler/states/2-first-come matches no stage" in check.detail
    assert "reference/scheduler/states/2-fcfs is missing" in check.detail
    assert (
        "reference/scheduler/states/1-workload/src/scheduler/workload.py is a copy of "
        "the solution's: list it in solution-files.txt" in check.detail
    )
