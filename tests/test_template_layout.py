"""What every template shares, written once in templates/_common and reaching learners intact."""

from __future__ import annotations

import filecmp
import os
import re
import shutil

import pytest
import yaml

from climb_kit.contributor.checksums import stale_checksums, write_checksums
from climb_kit.layout import (
    COMMON_LINKS,
    KIT_ROOT,
    TEMPLATES,
    KitError,
    finished_projects,
    package_name,
    reference_dir,
)
from climb_kit.learner.integrity import CHECKSUMS, template_drift
from climb_kit.learner.ownership import learner_paths
from climb_kit.learner.stages import load_stages


@pytest.mark.parametrize("project", finished_projects())
def test_template_checksums_are_current_and_a_fresh_render_matches_them(
    project, render_of
):
    assert stale_checksums(project) == ""
    render = render_of(project)
    drift = template_drift(render)
    assert drift.clean and drift.warning() == ""
    assert drift.checked >= 10
    listed = (render / CHECKSUMS).read_text(encoding="utf-8")
    for test_file in (render / "tests").glob("test_*.py"):
        assert f"  tests/{test_file.name}\n" in listed


def _flat(text):
    return " ".join(text.split())


@pytest.mark.parametrize("project", finished_projects())
def test_a_fresh_render_shows_no_hint_in_plain_sight(project, render_of):
    """Hints reach the learner only through `invoke hint`: no rendered file shows their text
    (stages.yml lists the ladder without them), while the encoded file holds every one."""
    hints = yaml.safe_load((reference_dir(project) / "hints.yml").read_text("utf-8"))
    render = render_of(project)
    stage_file = yaml.safe_load((render / "stages.yml").read_text("utf-8"))
    assert [s for s in stage_file["stages"] if "hints" in s] == []
    needles = [
        needle
        for stage_hints in hints.values()
        for hint in stage_hints
        for needle in [_flat(hint), *(ln.strip() for ln in hint.splitlines())]
        if len(needle) >= 30  # a line this long is the hint's own words
    ]
    assert len(needles) > 2 * len(hints)
    for path in sorted(render.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        flat = _flat(text)
        shown = [n for n in needles if n in text or _flat(n) in flat]
        assert shown == [], f"{path.relative_to(render)} shows hint text: {shown[:3]}"
    assert {s.id: list(s.hints) for s in load_stages(render).stages} == {
        stage_id: [hint.strip() for hint in stage_hints]
        for stage_id, stage_hints in hints.items()
    }


def test_stale_or_misplaced_hints_fail_the_check_naming_the_file(tmp_path):
    """`invoke checksums` regenerates the encoded hints from reference/<p>/hints.yml; until it
    runs, the check (a kit test, `invoke verify`) names the stale file, like a stale SHA256SUMS."""
    kit = tmp_path / "kit"
    for folder in ("templates/scheduler", "templates/_common", "src/climb_kit/learner"):
        shutil.copytree(KIT_ROOT / folder, kit / folder, symlinks=True)
    (kit / "reference/scheduler").mkdir(parents=True)
    shutil.copy(KIT_ROOT / "copier.yml", kit / "copier.yml")
    source = kit / "reference/scheduler/hints.yml"
    shutil.copy(reference_dir("scheduler") / "hints.yml", source)
    assert stale_checksums("scheduler", kit) == ""

    hints = yaml.safe_load(source.read_text("utf-8"))
    hints["fcfs"].append("A new, more specific hint.")
    source.write_text(yaml.safe_dump(hints), encoding="utf-8")
    assert stale_checksums("scheduler", kit) == (
        "templates/scheduler/.climb-hints is out of date with reference/scheduler/hints.yml; "
        "run `invoke checksums scheduler` and commit it"
    )
    assert write_checksums("scheduler", kit) == [
        "templates/scheduler/.climb-hints",
        "templates/scheduler/tests/SHA256SUMS",
    ]
    assert stale_checksums("scheduler", kit) == ""
    assert write_checksums("scheduler", kit) == [], "nothing to do the second time"
    template = kit / "templates/scheduler"
    assert load_stages(template).get("fcfs").hints[-1] == "A new, more specific hint."

    # An author used to the old layout writes a hint into stages.yml: refused, with the fix.
    stage_file = template / "stages.yml"
    text = stage_file.read_text("utf-8")
    stage_file.write_text(
        text.replace(
            "  - id: fcfs\n", "  - id: fcfs\n    hints: [Look at arrivals.]\n", 1
        ),
        encoding="utf-8",
    )
    assert "hints:" in stage_file.read_text("utf-8")
    assert stale_checksums("scheduler", kit).startswith(
        "hints for scheduler: templates/scheduler/stages.yml has hints for fcfs: hints live "
        "in reference/scheduler/hints.yml"
    )
    with pytest.raises(KitError, match="move them there"):
        write_checksums("scheduler", kit)

    # A hint for a stage that does not exist is refused too.
    stage_file.write_text(text, encoding="utf-8")
    source.write_text(yaml.safe_dump({**hints, "fsfc": ["a", "b"]}), encoding="utf-8")
    assert "hints for 'fsfc', which is not a stage" in stale_checksums("scheduler", kit)


@pytest.mark.parametrize("project", finished_projects())
def test_every_package_takes_its_main_module_from_one_place(project):
    """`python -m <package>` is the same small wrapper everywhere: one file, linked."""
    package = package_name(project)
    for link in (
        KIT_ROOT / TEMPLATES / project / "src" / package / "__main__.py",
        reference_dir(project) / "solution" / "src" / package / "__main__.py",
    ):
        assert link.is_symlink(), f"{link} should link to templates/_common/package/"
        assert link.resolve() == KIT_ROOT / TEMPLATES / "_common/package/__main__.py"


@pytest.mark.parametrize("project", finished_projects())
def test_every_template_takes_the_common_files_from_one_place(project):
    template = KIT_ROOT / TEMPLATES / project
    for name, target in COMMON_LINKS.items():
        path = template / name
        assert path.is_symlink(), f"{path} should be a symlink to {target}, not a copy"
        assert os.readlink(path) == target
        assert path.exists(), f"{path} points nowhere"


def test_the_rendered_runtime_is_byte_identical_to_the_kit_code(skeleton_render):
    learner = KIT_ROOT / "src" / "climb_kit" / "learner"
    sources = sorted(p.name for p in learner.glob("*.py"))
    rendered = sorted(p.name for p in (skeleton_render / "climb").glob("*.py"))
    assert rendered == sources
    mismatch = filecmp.cmpfiles(
        learner, skeleton_render / "climb", sources, shallow=False
    )[1]
    assert mismatch == [], (
        f"rendered climb/ differs from src/climb_kit/learner: {mismatch}"
    )
    assert not (skeleton_render / "climb").is_symlink(), (
        "learners get real files, not links"
    )


def test_nothing_maintainer_only_or_generated_reaches_the_learner(skeleton_render):
    names = {
        p.relative_to(skeleton_render).as_posix() for p in skeleton_render.rglob("*")
    }
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert not [
        n for n in names if n.startswith(("reference", "templates", "solution"))
    ]
    assert "copier.yml" not in names


def test_ci_workflow_runs_exactly_invoke_check_with_read_only_permissions(
    skeleton_render,
):
    text = (skeleton_render / ".github/workflows/ci.yml").read_text()
    workflow = yaml.safe_load(text)
    assert workflow["permissions"] == {"contents": "read"}
    steps = workflow["jobs"]["check"]["steps"]
    runs = [step["run"] for step in steps if "run" in step]
    assert runs[-1] == "invoke check", (
        "the last step is the one command a learner runs locally"
    )
    assert "{%" not in text and "{{" not in text and "raw" not in text, "no Jinja noise"


def test_pre_commit_hooks_are_all_local(skeleton_render):
    config = yaml.safe_load((skeleton_render / ".pre-commit-config.yaml").read_text())
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    ids = {hook["id"] for hook in config["repos"][0]["hooks"]}
    assert {
        "ruff-check",
        "ruff-format",
        "check-merge-conflict",
        "trailing-whitespace",
        "end-of-file-fixer",
    } <= ids


def test_readme_and_journal_follow_the_stage_file(skeleton_render):
    stages = yaml.safe_load((skeleton_render / "stages.yml").read_text())["stages"]
    readme = (skeleton_render / "README.md").read_text()
    journal = (skeleton_render / "JOURNAL.md").read_text()
    for number, stage in enumerate(stages, start=1):
        heading = f"Stage {number} · {stage['title']} (`{stage['id']}`)"
        assert f"### {heading}" in readme
        assert f"## {heading}" in journal
        first_prompt_line = stage["journal"].strip().splitlines()[0]
        assert f"> {first_prompt_line}" in journal


def test_learner_code_and_journal_are_protected_from_updates():
    config = yaml.safe_load((KIT_ROOT / "copier.yml").read_text())
    assert "JOURNAL.md" in config["_skip_if_exists"]
    assert "src/{{ project | replace('-', '_') }}/" in config["_skip_if_exists"]
    # The learner runtime's ownership rules say the same (plus the hint record, which no
    # template renders).
    skip = [
        rule.replace("{{ project | replace('-', '_') }}", "pkg")
        for rule in config["_skip_if_exists"]
    ]
    assert sorted(skip) == sorted(
        rule for rule in learner_paths("pkg") if rule != ".climb/hints.json"
    )
    assert not {"_tasks", "_migrations", "_jinja_extensions"} & set(config), (
        "no --trust ever"
    )


def test_message_after_copy_names_the_next_command():
    config = yaml.safe_load((KIT_ROOT / "copier.yml").read_text())
    assert re.search(r"invoke test", config["_message_after_copy"])


def _outside_function_bodies(path):
    """The module with every function body reduced to its docstring: what a learner is given."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            doc = ast.get_docstring(node, clean=False)
            node.body = (
                [ast.Expr(ast.Constant(doc))] if doc is not None else [ast.Pass()]
            )
    return ast.dump(tree)


@pytest.mark.parametrize("project", finished_projects())
def test_skeleton_and_reference_differ_only_in_function_bodies(project):
    skeleton = KIT_ROOT / TEMPLATES / project / "src" / package_name(project)
    solution = reference_dir(project) / "solution" / "src" / package_name(project)
    modules = sorted(p.name for p in skeleton.glob("*.py"))
    assert modules == sorted(p.name for p in solution.glob("*.py"))
    differ = [
        name
        for name in modules
        if _outside_function_bodies(skeleton / name)
        != _outside_function_bodies(solution / name)
    ]
    assert differ == [], (
        f"{differ}: signatures, docstrings, data types and imports must match the reference "
        "exactly, so that the diff between them is the learner's work"
    )


@pytest.mark.parametrize("project", finished_projects())
def test_the_service_harness_is_written_once(project):
    """Projects whose tests run a server take tests/service.py from _common, by symlink."""
    harness = KIT_ROOT / TEMPLATES / project / "tests" / "service.py"
    if harness.exists() or harness.is_symlink():
        assert harness.is_symlink() and os.readlink(harness) == (
            "../../_common/tests/service.py"
        )
    uses = any(
        "tests.service" in path.read_text(encoding="utf-8")
        for path in (KIT_ROOT / TEMPLATES / project).rglob("*.py")
        if path.is_file()
    )
    assert uses == harness.exists(), (
        f"{project}: tests/service.py should be linked exactly when the project uses it"
    )
