"""The learner runtime's plain functions, tested directly (they are rendered verbatim as climb/)."""

from __future__ import annotations

import json

import pytest

from climb_kit.learner.hints import HINTS_FILE, reveal_next, revealed
from climb_kit.learner.stages import (
    STAGE_HINTS,
    StageFileError,
    decode_hints,
    encode_hints,
    load_stages,
    parse_stages,
)

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
            "journal": "Why one?",
        },
        {
            "id": "two",
            "title": "Second",
            "goal": "Do two.",
            "tests": ["tests/test_2_two.py"],
            "journal": "Why two?",
        },
    ],
}
HINTS = {"one": ["gentle", "specific"], "two": ["nudge", "approach", "exact rule"]}


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


@pytest.mark.parametrize(
    ("hints", "message"),
    [
        ({"one": []}, ".climb-hints (one): hints must be a list of text"),
        ({"one": ["fine", ""]}, ".climb-hints (one): hints must be a list of text"),
        ({"three": ["a", "b"]}, "hints for 'three', which is not a stage"),
        (["gentle"], "expected a mapping of stage id to hints"),
    ],
)
def test_malformed_hints_are_refused_with_where_and_what(hints, message):
    with pytest.raises(StageFileError) as refused:
        parse_stages(VALID, "stages.yml", hints)
    assert message in str(refused.value)


def test_hints_come_from_their_own_file_and_a_stage_file_may_not_carry_them():
    stage_file = parse_stages(VALID, hints=HINTS)
    assert stage_file.get("two").hints == ("nudge", "approach", "exact rule")
    assert parse_stages(VALID).get("one").hints == (), "no hints given, none there"
    # Older stage files had `hints:` inline; reading their ladder still works, ignoring them.
    old = json.loads(json.dumps(VALID))
    old["stages"][0]["hints"] = ["from an old version"]
    assert parse_stages(old).get("one").hints == ()


def test_the_hints_file_round_trips_and_shows_no_hint_text(tmp_path):
    hints = {"one": ["Use `str.split()` — é ✓ 李", "specific"], "two": ["a", "b"]}
    text = encode_hints(hints)
    assert text.startswith("# Hints for `invoke hint`")
    assert "str.split" not in text and "specific" not in text
    assert all(len(line) <= 100 for line in text.splitlines())
    assert decode_hints(text) == hints
    with pytest.raises(ValueError):
        decode_hints("# a header\nnot base64 at all!\n")

    (tmp_path / "stages.yml").write_text(json.dumps(VALID), encoding="utf-8")
    (tmp_path / STAGE_HINTS).write_text(encode_hints(HINTS), encoding="utf-8")
    assert load_stages(tmp_path).get("one").hints == ("gentle", "specific")


@pytest.mark.parametrize("content", [None, "# damaged\nAAAA\n"])
def test_a_missing_or_damaged_hints_file_is_reported_with_the_fix(tmp_path, content):
    (tmp_path / "stages.yml").write_text(json.dumps(VALID), encoding="utf-8")
    if content is not None:
        (tmp_path / STAGE_HINTS).write_text(content, encoding="utf-8")
    with pytest.raises(StageFileError) as refused:
        load_stages(tmp_path)
    assert STAGE_HINTS in str(refused.value)
    assert "git checkout -- .climb-hints" in str(refused.value)


def test_asking_for_an_unknown_stage_lists_the_real_ones():
    with pytest.raises(StageFileError) as refused:
        parse_stages(VALID).get("three")
    assert str(refused.value) == "there is no stage 'three'; the stages are: one, two"


def test_hints_are_revealed_one_level_at_a_time_and_recorded(tmp_path):
    stage = parse_stages(VALID, hints=HINTS).get("one")
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
