"""What every template shares, written once in templates/_common and reaching learners intact."""

from __future__ import annotations

import filecmp
import os
import re

import pytest
import yaml

from climb_kit.checksums import stale_checksums
from climb_kit.layout import (
    COMMON_LINKS,
    KIT_ROOT,
    TEMPLATES,
    finished_projects,
    package_name,
    reference_dir,
)
from climb_kit.learner.integrity import CHECKSUMS, template_drift
from climb_kit.learner.ownership import learner_paths


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
