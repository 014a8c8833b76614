"""Shared fixtures: an isolated git identity, a clean tagged snapshot of the kit, renders of it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from climb_kit.layout import KIT_ROOT, reference_dir
from climb_kit.render import render
from climb_kit.snapshot import GIT_ENV, snapshot


@pytest.fixture(scope="session", autouse=True)
def isolated_git():
    """Tests never read the developer's git config and always have a committer identity."""
    saved = dict(os.environ)
    os.environ.update(GIT_ENV)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="session")
def kit_source(tmp_path_factory) -> Path:
    """The kit's working tree, committed and tagged v1.0.0 in a repository of its own."""
    return snapshot(tmp_path_factory.mktemp("kit") / "kit", tag="v1.0.0")


@pytest.fixture(scope="session")
def skeleton_render(kit_source, tmp_path_factory) -> Path:
    """A scheduler project as a learner gets it (do not modify: copy it with `copy_project`)."""
    return render(
        kit_source, tmp_path_factory.mktemp("render") / "skeleton", "scheduler"
    )


@pytest.fixture(scope="session")
def render_of(kit_source, tmp_path_factory):
    """A fresh render of any finished project, made once per session (do not modify)."""
    made: dict[str, Path] = {}

    def of(project: str) -> Path:
        if project not in made:
            folder = tmp_path_factory.mktemp("render") / project
            made[project] = render(kit_source, folder, project)
        return made[project]

    return of


@pytest.fixture(scope="session")
def solved_render(skeleton_render, tmp_path_factory) -> Path:
    """The same project with the reference solution overlaid (do not modify either)."""
    solved = tmp_path_factory.mktemp("render") / "solved"
    shutil.copytree(skeleton_render, solved, symlinks=True)
    shutil.copytree(reference_dir("scheduler") / "solution", solved, dirs_exist_ok=True)
    return solved


@pytest.fixture
def copy_project(tmp_path):
    """Copy a session render into this test's own folder, optionally as a git repository."""

    def copy(source: Path, git_init: bool = False) -> Path:
        target = tmp_path / source.name
        shutil.copytree(source, target, symlinks=True)
        if git_init:
            for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "Start"]):
                subprocess.run(
                    ["git", *args], cwd=target, check=True, capture_output=True
                )
        return target

    return copy


@pytest.fixture
def kit_root() -> Path:
    return KIT_ROOT
