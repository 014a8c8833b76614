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


def record(name, outcome, property_test=False):
    from climb_kit.learner.runner import TestRecord

    return TestRecord(
        nodeid=f"tests/test_1_one.py::{name}",
        file="tests/test_1_one.py",
        stage="one",
        outcome=outcome,
        failure=f"{name} said why" if outcome == "failed" else "",
        exception="AssertionError" if outcome == "failed" else "",
        duration=0.0,
        property_test=property_test,
    )


def shown(function, *args, **kwargs):
    from climb_kit.learner import display

    with display.console.capture() as captured:
        function(*args, **kwargs)
    return captured.get()


@pytest.mark.parametrize("property_test", [False, True])
def test_the_derandomized_search_note_is_shown_only_under_a_property_test(
    property_test,
):
    from climb_kit.learner import display
    from climb_kit.learner.runner import StageRun

    stage = parse_stages(VALID).get("one")
    run = StageRun(stage=stage, tests=[record("test_x", "failed", property_test)])
    text = " ".join(shown(display.failure_details, run).split())
    assert ("Property tests use a fixed, derandomized search" in text) is property_test


def test_a_run_stopped_at_its_first_failure_says_so_and_how_to_see_every_failure():
    from climb_kit.learner import display
    from climb_kit.learner.runner import StageRun

    stage = parse_stages(VALID).get("one")
    tests = [
        record("test_a", "passed"),
        record("test_b", "failed"),
        record("test_c", "not run"),
        record("test_d", "not run"),
    ]
    run = StageRun(stage=stage, tests=tests)
    line = shown(display.stage_line, run)
    assert " ".join(line.split()) == (
        "✗ Stage 1 (one) First: 1 failed, 1 passed, 2 not run (stopped at the first failure)"
    )
    details = shown(display.failure_details, run)
    assert "test_b said why" in details and "test_c" not in details
    assert "invoke test --stage one --all" in details
    every = StageRun(
        stage=stage, tests=[record("test_a", "failed"), record("test_b", "failed")]
    )
    details = shown(display.failure_details, every, every=True)
    assert details.count("Rerun just this test:") == 2
    assert "test_a said why" in details and "test_b said why" in details


def test_the_live_tally_counts_each_stage_as_its_tests_end():
    from climb_kit.learner import display

    stage_file = parse_stages(VALID)
    tally = display.Tally(stage_file)
    for n in range(2):
        tally(f"tests/test_1_one.py::test_{n}", "collected")
    for n in range(3):
        tally(f"tests/test_2_two.py::test_{n}", "collected")
    for nodeid, outcome in [
        ("tests/test_1_one.py::test_0", "passed"),
        ("tests/test_1_one.py::test_1", "passed"),
        ("tests/test_2_two.py::test_0", "failed"),
    ]:
        tally(nodeid, "running")
        tally(nodeid, outcome)
    tally("tests/test_2_two.py::test_1", "running")
    lines = [line.rstrip() for line in shown(display.console.print, tally).splitlines()]
    assert lines[0].endswith(
        "Running every stage's tests: 3 of 5 done, 2 passed, 1 failing"
    )
    assert lines[1:] == [
        "✓ Stage 1 (one) First: 2 of 2 passed",
        "▸ Stage 2 (two) Second: 0 of 3 passed, 1 failing · test_1",
    ]
    status = tally.stage_status(stage_file.get("two")).plain
    assert status == "Running Stage 2 (two) Second: 0 of 3 passed, 1 failing · test_1"


def test_the_last_run_names_the_stage_that_failed_even_when_it_stopped_early(tmp_path):
    from climb_kit.learner.runner import LAST_RUN, StageRun, last_run, remember_run

    stage_file = parse_stages(VALID)
    one = StageRun(stage=stage_file.get("one"), tests=[record("test_a", "passed")])
    two = StageRun(
        stage=stage_file.get("two"),
        tests=[record("test_b", "failed"), record("test_c", "not run")],
    )
    remember_run(tmp_path, "invoke test", [one, two], two)
    last = last_run(tmp_path, stage_file)
    assert (last.command, last.failing_stage) == ("invoke test", "two")
    assert last.first_failure == "tests/test_1_one.py::test_b"
    assert last.counts == {
        "one": {"passed": 1, "failed": 0, "not_run": 0},
        "two": {"passed": 0, "failed": 1, "not_run": 1},
    }
    assert last.finished_at.tzinfo is not None

    remember_run(tmp_path, "invoke progress", [one], None)
    assert last_run(tmp_path, stage_file).failing_stage is None, "every stage passed"

    remember_run(tmp_path, "invoke test", [two], two)
    renamed = json.loads(json.dumps(VALID))
    renamed["stages"][1]["id"] = "deux"
    assert last_run(tmp_path, parse_stages(renamed)) is None, "a stage that is gone"
    (tmp_path / LAST_RUN).write_text("{half")
    assert last_run(tmp_path, stage_file) is None, "unreadable: as if there were none"


@pytest.mark.parametrize(
    ("written", "says"),
    [
        ((), "Reflection still to write for Stage 1 (one), Stage 2 (two)"),
        (("one", "two"), "the project's own (and its Summary line) is still to write"),
        (
            ("one", "two", "project"),
            "Your journal is written, every stage and the project.",
        ),
    ],
)
def test_every_stage_passed_says_what_the_journal_still_lacks(written, says):
    from climb_kit.learner import display
    from climb_kit.learner.journal import parse_journal

    def section(heading, key):
        body = "Summary: A demo.\n\nMine." if key in written else "_Write here._"
        return f"{heading}\n\n> Prompt\n\n{body}\n"

    text = "\n".join(
        [
            section("## The project", "project"),
            section("## Stage 1 · First (`one`)", "one"),
            section("## Stage 2 · Second (`two`)", "two"),
        ]
    )
    said = " ".join(
        shown(display.all_done, parse_stages(VALID), parse_journal(text)).split()
    )
    assert says in said
    assert "Write up your reflection" not in said
    assert "`invoke check` before you push" in said
