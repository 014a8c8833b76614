"""The learner runtime's plain functions, tested directly (they are rendered verbatim as climb/)."""

from __future__ import annotations

import json

import pytest

from climb_kit.learner.hints import HINTS_FILE, reveal_next, revealed
from climb_kit.learner.stages import StageFileError, parse_stages

VALID = {
    "project": "demo",
    "title": "Demo",
    "reflection": "Think.",
    "stages": [
        {
            "id": "one",
            "title": "First",
            "goal": "Do one.",
            "tests": ["tests/test_1_one.py"],
            "hints": ["gentle", "specific"],
            "journal": "Why one?",
        },
        {
            "id": "two",
            "title": "Second",
            "goal": "Do two.",
            "tests": ["tests/test_2_two.py"],
            "hints": ["nudge", "approach", "exact rule"],
            "journal": "Why two?",
        },
    ],
}


def test_a_valid_stage_file_numbers_its_stages_in_order():
    stage_file = parse_stages(VALID)
    assert [(s.number, s.id) for s in stage_file.stages] == [(1, "one"), (2, "two")]
    assert stage_file.get("two").label == "Stage 2 (two)"
    assert stage_file.after(stage_file.get("one")).id == "two"
    assert stage_file.after(stage_file.get("two")) is None
    assert stage_file.before(stage_file.get("two")) == (stage_file.get("one"),)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["stages"][1].update(id="one"), "stage id 'one' is used twice"),
        (lambda d: d["stages"][0].update(id="One Stage"), "'id' must match"),
        (lambda d: d["stages"][0].update(hints=[]), "'hints' must be a list of text"),
        (lambda d: d["stages"][0].pop("journal"), "'journal' must be non-empty text"),
        (lambda d: d.update(stages=[]), "no stages"),
        (lambda d: d.pop("title"), "'title' must be a non-empty string"),
    ],
)
def test_a_malformed_stage_file_is_refused_with_where_and_what(change, message):
    data = json.loads(json.dumps(VALID))
    change(data)
    with pytest.raises(StageFileError) as refused:
        parse_stages(data, "stages.yml")
    assert message in str(refused.value)


def test_asking_for_an_unknown_stage_lists_the_real_ones():
    with pytest.raises(StageFileError) as refused:
        parse_stages(VALID).get("three")
    assert str(refused.value) == "there is no stage 'three'; the stages are: one, two"


def test_hints_are_revealed_one_level_at_a_time_and_recorded(tmp_path):
    stage = parse_stages(VALID).get("one")
    first = reveal_next(tmp_path, stage)
    assert (first.level, first.new, first.shown) == (1, True, ("gentle",))
    second = reveal_next(tmp_path, stage)
    assert (second.level, second.new, second.shown) == (2, True, ("gentle", "specific"))
    third = reveal_next(tmp_path, stage)
    assert (third.level, third.new) == (2, False), "no level beyond the last hint"
    record = revealed(tmp_path)
    assert list(record) == ["one"] and len(record["one"]) == 2
    assert (
        json.loads((tmp_path / HINTS_FILE).read_text())["revealed"]["one"]
        == record["one"]
    )


def test_a_corrupt_hints_file_is_reported_with_the_fix(tmp_path):
    (tmp_path / HINTS_FILE).parent.mkdir()
    (tmp_path / HINTS_FILE).write_text("{not json")
    with pytest.raises(ValueError) as refused:
        revealed(tmp_path)
    assert "git checkout -- .climb/hints.json" in str(refused.value)


def test_failure_text_with_brackets_is_shown_verbatim_not_as_markup():
    from climb_kit.learner import display
    from climb_kit.learner.runner import StageRun, TestRecord

    stage = parse_stages(VALID).get("one")
    failure = "got:      0[0,2) 1[2,4)\nexpected: '[/]' and [bold]x[/bold]  [rule: ties by id]"
    record = TestRecord(
        nodeid="tests/test_1_one.py::test_x[case-1]",
        file="tests/test_1_one.py",
        stage="one",
        outcome="failed",
        failure=failure,
        exception="AssertionError",
        duration=0.0,
    )
    with display.console.capture() as captured:
        display.failure_details(StageRun(stage=stage, tests=[record]))
    shown = captured.get()
    for fragment in (
        "0[0,2) 1[2,4)",
        "'[/]'",
        "[bold]x[/bold]",
        "[rule: ties by id]",
        "test_x[case-1]",
        "python -m pytest 'tests/test_1_one.py::test_x[case-1]'",
    ):
        assert fragment in shown, f"{fragment!r} missing from:\n{shown}"
