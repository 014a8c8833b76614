"""`invoke template.new`: a contributor's new project verifies at once, and bad names are refused."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from climb_kit.snapshot import git, snapshot
from tests.helpers import run_in


@pytest.fixture
def kit_copy(tmp_path) -> Path:
    """A committed copy of the kit that a test may change."""
    return snapshot(tmp_path / "kit", tag="v1.0.0")


@pytest.fixture(scope="module")
def untouched_kit(tmp_path_factory) -> Path:
    """A committed copy of the kit for refusals, which must leave it untouched."""
    return snapshot(tmp_path_factory.mktemp("kit") / "kit", tag="v1.0.0")


def invoke(kit: Path, *args: str):
    return run_in(kit, sys.executable, "-m", "invoke", *args)


@pytest.mark.slow
def test_a_new_template_verifies_at_once_and_learners_can_choose_it(kit_copy):
    made = invoke(kit_copy, "template.new", "url-shortener", "--title", "URL Shortener")
    assert made.returncode == 0, made.stdout + made.stderr
    assert "Created templates/url-shortener/" in made.stdout
    assert "Created reference/url-shortener/" in made.stdout

    verified = invoke(kit_copy, "verify", "url-shortener")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "every mutant is caught" in verified.stdout
    assert "url-shortener: the ladder climbs one rung at a time" in verified.stdout

    # The strength measures work on it too: a mutation score, and repeated runs with no flake.
    measured = invoke(kit_copy, "mutation", "url-shortener")
    assert measured.returncode == 0, measured.stdout + measured.stderr
    score = re.search(
        r"url-shortener: mutation score (\d+\.\d)% \((\d+) of (\d+)", measured.stdout
    )
    assert score, measured.stdout
    assert int(score.group(3)) > 0 and int(score.group(2)) > 0, measured.stdout
    repeated = invoke(kit_copy, "flakes", "url-shortener", "--runs", "2")
    assert repeated.returncode == 0, repeated.stdout + repeated.stderr
    assert "2 runs of" in repeated.stdout and "0 tests ever failed" in repeated.stdout

    # A learner can pick it: the project question offers it and lets it through.
    git(kit_copy, "add", "-A")
    git(kit_copy, "commit", "-q", "-m", "Add url-shortener")
    git(kit_copy, "tag", "v1.1.0")
    rendered = invoke(
        kit_copy, "new", "url-shortener", str(kit_copy.parent / "learner")
    )
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    assert (kit_copy.parent / "learner" / "src" / "url_shortener" / "core.py").is_file()


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("UrlShortener", "kebab-case"),
        ("url_shortener", "kebab-case"),
        ("url--shortener", "kebab-case"),
        ("-url", "kebab-case"),
        ("1st-project", "kebab-case"),
        ("_common", "kebab-case"),
        ("json", "hide Python's own module"),
        ("climb", "reserved"),
        ("scheduler", "templates/scheduler already exists"),
    ],
)
def test_a_bad_or_taken_name_is_refused_with_a_reason_and_nothing_written(
    untouched_kit, name, reason
):
    refused = invoke(untouched_kit, "template.new", name, "--title", "Anything")
    assert refused.returncode == 2
    assert reason in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr
    assert git(untouched_kit, "status", "--porcelain") == ""


def test_a_title_with_braces_is_refused(untouched_kit):
    refused = invoke(untouched_kit, "template.new", "links", "--title", "{{ x }}")
    assert refused.returncode == 2
    assert "without braces" in refused.stderr
    assert git(untouched_kit, "status", "--porcelain") == ""
