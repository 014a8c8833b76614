"""Stage 2 (pipeline): parse and validate lines, aggregate per source, keep dead letters."""

import math

import pytest
from hypothesis import given, settings

from dataproc.pipeline import Aggregate, BadRecord, DeadLetter, parse, run_single
from dataproc.sensors import Record, SensorSpec, simulate
from tests.support import (
    BROKEN_LINES,
    aggregate_fields,
    expected_aggregates,
    kind_of,
    line_mixes,
    record_of,
    same_aggregate,
    show_lines,
)
from tests.teaching import got_vs_expected, raises

pytestmark = pytest.mark.stage("pipeline")

GOOD = "s1,0,0.0,20.5"


# --- parse ----------------------------------------------------------------------------

VALID = [
    ("s1,0,0.0,20.5", Record("s1", 0, 0.0, 20.5)),
    ("pump-7,12,1700000000.25,-3.125", Record("pump-7", 12, 1700000000.25, -3.125)),
    ("s2,3,5,7", Record("s2", 3, 5.0, 7.0)),
    ("s3,4,-1.5,0.0", Record("s3", 4, -1.5, 0.0)),
    ("s4,99999999999,1e3,2.5e-3", Record("s4", 99999999999, 1000.0, 0.0025)),
]


@pytest.mark.parametrize("line, record", VALID)
def test_parse_accepts_a_valid_line(line, record):
    got = parse(line)
    assert got == record, got_vs_expected(f"parse({line!r})", repr(got), repr(record))
    assert isinstance(got.seq, int) and isinstance(got.value, float), got_vs_expected(
        f"parse({line!r}): types of seq and value",
        f"{type(got.seq).__name__}, {type(got.value).__name__}",
        "int, float",
    )


REJECTED = [
    # (line, what the reason must mention, the rule)
    ("", "4", "an empty line has 1 field, not 4"),
    ("s1,3,10.0", "4", "a missing field: exactly 4 fields"),
    ("s1,3,10.0,20.5,1", "4", "an extra field: exactly 4 fields"),
    (",3,10.0,20.5", "source", "source must not be empty"),
    ("s1,-1,10.0,20.5", "seq", "seq is a non-negative integer"),
    ("s1,x3,10.0,20.5", "seq", "seq is an integer"),
    ("s1,3.5,10.0,20.5", "seq", "seq is an integer, not a float"),
    ("s1,3,later,20.5", "event_time", "event_time is a number"),
    ("s1,3,inf,20.5", "event_time", "event_time is finite"),
    ("s1,3,nan,20.5", "event_time", "event_time is finite (NaN is not)"),
    ("s1,3,10.0,abc", "value", "value is a number"),
    ("s1,3,10.0,", "value", "value is a number (an empty field is not)"),
    (
        "s1,3,10.0,nan",
        "value",
        "value is finite: float('nan') accepts 'nan', parse must not",
    ),
    ("s1,3,10.0,-inf", "value", "value is finite"),
]


@pytest.mark.parametrize("line, mention, rule", REJECTED)
def test_parse_rejects_a_malformed_line_naming_the_problem(line, mention, rule):
    # First a good line, so that a parse which rejects everything cannot pass.
    assert parse(GOOD) == Record("s1", 0, 0.0, 20.5), got_vs_expected(
        f"parse({GOOD!r})", repr(parse(GOOD)), "Record('s1', 0, 0.0, 20.5)"
    )
    err = raises(BadRecord, f"parse({line!r})", lambda: parse(line), rule)
    assert mention in str(err), got_vs_expected(
        f"parse({line!r}) raised BadRecord; its reason",
        repr(str(err)),
        f"a reason that names {mention!r}"
        + (" (the number of fields)" if mention == "4" else " (the field)"),
        "the reason goes into the dead letters: it must tell which field and what is "
        "wrong, e.g. \"field 'value': not a number ('abc')\"",
    )


def test_parse_rejects_every_broken_line_of_the_simulator():
    spec = SensorSpec("s1", seed=8, count=300, garbage=0.3, disorder=2.0)
    for line in simulate(spec):
        if kind_of(line) == "valid":
            got = parse(line)
            assert got == record_of(line), got_vs_expected(
                f"parse({line!r})", repr(got), repr(record_of(line))
            )
        else:
            raises(
                BadRecord,
                f"parse({line!r})",
                lambda line=line: parse(line),
                f"a {kind_of(line)} line from simulate({spec}) is malformed",
            )


# --- Aggregate ------------------------------------------------------------------------


def aggregate_of(values: list[float]) -> Aggregate:
    agg = Aggregate()
    for v in values:
        agg.add(v)
    return agg


def test_an_empty_aggregate_has_a_nan_mean():
    agg = Aggregate()
    got = agg.mean
    assert isinstance(got, float) and math.isnan(got), got_vs_expected(
        "Aggregate().mean", repr(got), "nan", "no values: the mean is undefined, not 0"
    )


@pytest.mark.parametrize(
    "values",
    [[20.5], [3.0, 1.5, 2.25], [-4.0, -1.0, -9.5], [7.0, -2.0, 7.0, 0.0]],
)
def test_add_counts_totals_and_tracks_min_and_max(values):
    agg = aggregate_of(values)
    got = aggregate_fields(agg) | {"mean": agg.mean}
    expected = {
        "count": len(values),
        "total": sum(values),
        "minimum": min(values),
        "maximum": max(values),
        "mean": sum(values) / len(values),
    }
    assert got == expected, got_vs_expected(
        f"Aggregate() then add(v) for v in {values}",
        got,
        expected,
        "an empty Aggregate starts at minimum=inf, maximum=-inf so that any first value "
        "replaces both",
    )


@pytest.mark.parametrize(
    "left, right",
    [([1.0, 5.0], [3.0, -2.0]), ([], [4.0, 6.0]), ([4.0, 6.0], []), ([], [])],
)
def test_merge_is_as_if_every_value_was_added(left, right):
    agg = aggregate_of(left)
    agg.merge(aggregate_of(right))
    got = aggregate_fields(agg)
    expected = aggregate_fields(aggregate_of(left + right))
    if not left + right:
        expected = {"count": 0, "total": 0.0, "minimum": math.inf, "maximum": -math.inf}
    assert got == expected, got_vs_expected(
        f"aggregate of {left} .merge(aggregate of {right})",
        got,
        expected,
        "merging must give what adding all the values to one Aggregate gives",
    )


# --- run_single -----------------------------------------------------------------------


def test_run_single_aggregates_per_source_and_keeps_dead_letters_in_order():
    lines = [
        "s1,0,0.0,10.0",
        "s1,1,1.0,abc",
        "s2,0,0.5,4.0",
        "",
        "s1,2,2.0,30.0",
        "s2,-1,1.5,99.0",
        "s2,1,1.5,-2.0",
    ]
    result = run_single(lines)
    got = {s: aggregate_fields(a) for s, a in result.aggregates.items()}
    expected = {
        "s1": {"count": 2, "total": 40.0, "minimum": 10.0, "maximum": 30.0},
        "s2": {"count": 2, "total": 2.0, "minimum": -2.0, "maximum": 4.0},
    }
    call = f"run_single({lines!r})"
    assert got == expected, got_vs_expected(f"{call}.aggregates", got, expected)
    dead_lines = [d.line for d in result.dead]
    assert dead_lines == ["s1,1,1.0,abc", "", "s2,-1,1.5,99.0"], got_vs_expected(
        f"{call}.dead (their lines)",
        dead_lines,
        ["s1,1,1.0,abc", "", "s2,-1,1.5,99.0"],
        "every bad line becomes a DeadLetter, in input order",
    )
    for dead in result.dead:
        err = raises(
            BadRecord, f"parse({dead.line!r})", lambda d=dead: parse(d.line), ""
        )
        assert dead == DeadLetter(dead.line, str(err)), got_vs_expected(
            f"{call}: the dead letter of {dead.line!r}",
            repr(dead),
            repr(DeadLetter(dead.line, str(err))),
            "the reason is str() of the BadRecord parse raised",
        )
    assert result.processed == 4, got_vs_expected(
        f"{call}.processed", result.processed, 4
    )


@pytest.mark.parametrize(
    "lines",
    [
        ["", "s1,0,0.0,1.0", "s1,1,1.0,2.0"],
        ["s1,0,0.0,1.0", "s1,1,1.0,2.0", "s1,2,2.0,nan"],
        ["s1,0,0.0,1.0", "x", "y,z", "s1,1,1.0,2.0"],
        ["", "", ""],
    ],
)
def test_a_bad_line_never_stops_the_run(lines):
    result = run_single(lines)
    good = [line for line in lines if kind_of(line) == "valid"]
    bad = [line for line in lines if kind_of(line) != "valid"]
    got = (result.processed, [d.line for d in result.dead])
    assert got == (len(good), bad), got_vs_expected(
        f"run_single({lines!r}): (processed, dead lines)",
        got,
        (len(good), bad),
        "a bad line is set aside and the run goes on to the next",
    )


@settings(max_examples=150)
@given(line_mixes())
def test_run_single_equals_a_plain_sequential_computation(mix):
    lines = [line for line, _ in mix]
    records = [record for _, record in mix if record is not None]
    result = run_single(lines)
    call = f"run_single({show_lines(lines)})"
    expected = expected_aggregates(records)
    got = {source: aggregate_fields(agg) for source, agg in result.aggregates.items()}
    assert got.keys() == expected.keys() and all(
        same_aggregate(got[s], expected[s]) for s in expected
    ), got_vs_expected(
        f"{call}.aggregates",
        got,
        expected,
        "per source of the valid lines: count, total, minimum, maximum of the values",
    )
    dead = [d.line for d in result.dead]
    broken = [line for line, record in mix if record is None]
    assert dead == broken, got_vs_expected(f"{call}.dead (their lines)", dead, broken)
    assert all(isinstance(d.reason, str) and d.reason for d in result.dead), (
        got_vs_expected(
            f"{call}.dead",
            result.dead,
            "each with a non-empty reason",
            "the reason says why",
        )
    )
    assert result.processed == len(records), got_vs_expected(
        f"{call}.processed", result.processed, len(records)
    )


def test_broken_lines_used_by_the_property_test_are_all_rejected():
    for line in BROKEN_LINES:
        raises(
            BadRecord, f"parse({line!r})", lambda line=line: parse(line), "malformed"
        )
