"""`invoke blind`: a blind round's wrong solutions judged by the whole suite, and the verdicts kept."""

from __future__ import annotations

import shutil
import sys
import textwrap
from pathlib import Path

import pytest

from climb_kit.snapshot import snapshot
from tests.helpers import run_in

PROJECT = "word-stats"
CORE = "src/word_stats/core.py"


@pytest.fixture(scope="module")
def kit(tmp_path_factory) -> Path:
    """A kit copy with the scaffold's small project, whose whole suite runs in seconds."""
    kit = snapshot(tmp_path_factory.mktemp("kit") / "kit", tag="v1.0.0")
    made = invoke(kit, "template.new", PROJECT, "--title", "Word Stats")
    assert made.returncode == 0, made.stdout + made.stderr
    return kit


def invoke(kit: Path, *args: str):
    return run_in(kit, sys.executable, "-m", "invoke", *args)


def write_wrong(
    folder: Path, name: str, stage: str, rule: str, find: str, replace: str
):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.yml").write_text(
        f"description: |\n  {name}\nstage: {stage}\nrule: |\n  {rule}\nshown_by: |\n  a demo\n"
        f"edits:\n  - file: {CORE}\n    find: |2\n{textwrap.indent(find, '      ')}"
        f"    replace: |2\n{textwrap.indent(replace, '      ')}",
        encoding="utf-8",
    )


@pytest.mark.slow
def test_a_round_is_judged_and_what_got_through_is_recorded(kit):
    round_1 = kit / "reference" / PROJECT / "blind" / "round-1"
    # A real mistake the tests catch: case is no longer ignored.
    write_wrong(
        round_1,
        "case-kept",
        "words",
        "words are counted ignoring case",
        "    return dict(Counter(word.lower() for word in text.split()))\n",
        "    return dict(Counter(text.split()))\n",
    )
    # The same behaviour written another way: no test can fail, and none must.
    write_wrong(
        round_1,
        "same-by-another-road",
        "top",
        "the n most frequent words",
        "    return ranked[:n]\n",
        "    return ranked[:n] if n else []\n",
    )
    # A patch that no longer applies is reported, not counted.
    write_wrong(round_1, "drifted", "top", "x", "    no such line\n", "    y\n")

    judged = invoke(kit, "blind", PROJECT)
    said = judged.stdout + judged.stderr
    assert judged.returncode == 1, said
    assert "case-kept [words]: caught by tests/test_1_words.py::" in said
    assert "same-by-another-road [top]: NOT CAUGHT" in said
    assert (
        "drifted [top]: not judged: mutant drifted: the text to replace occurs 0 times"
        in said
    )
    assert f"{PROJECT} round-1: 1 of 2 caught (1 could not be judged)" in said

    results = (round_1 / "RESULTS.md").read_text(encoding="utf-8")
    assert results.count("## Kit at ") == 1, results
    assert (
        "| same-by-another-road | top | the n most frequent words | **not caught** |"
        in results
    )
    assert (
        "| case-kept | words | words are counted ignoring case | `tests/test_1_words.py::"
        in results
    )

    # Judging again keeps the first verdicts (the round before strengthening) and adds a section.
    (round_1 / "same-by-another-road.yml").unlink()
    (round_1 / "drifted.yml").unlink()
    again = invoke(kit, "blind", PROJECT, "--round", "1")
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"{PROJECT} round-1: 1 of 1 caught" in again.stdout
    results = (round_1 / "RESULTS.md").read_text(encoding="utf-8")
    assert results.count("## Kit at ") == 2 and "**not caught**" in results, results


def test_a_project_without_rounds_or_a_missing_round_is_refused_with_the_way_on(kit):
    shutil.rmtree(kit / "reference" / PROJECT / "blind", ignore_errors=True)
    none_yet = invoke(kit, "blind", PROJECT)
    assert none_yet.returncode == 2
    assert (
        f"{PROJECT} has no blind rounds yet: write them in reference/{PROJECT}/blind/round-1/"
        in none_yet.stderr
    )
    (kit / "reference" / PROJECT / "blind" / "round-1").mkdir(
        parents=True, exist_ok=True
    )
    missing = invoke(kit, "blind", PROJECT, "--round", "7")
    assert missing.returncode == 2
    assert (
        f"{PROJECT} has no round 7 in reference/{PROJECT}/blind (it has round-1)"
        in missing.stderr
    )
    not_a_number = invoke(kit, "blind", PROJECT, "--round", "last")
    assert not_a_number.returncode == 2
    assert "--round takes a number, not 'last'" in not_a_number.stderr
