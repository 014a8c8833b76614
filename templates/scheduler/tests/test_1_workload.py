"""Stage 1 (workload): parse and validate CSV and JSON workloads."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.workload import Job, WorkloadError, load_workload, parse_csv, parse_json
from tests.support import make_jobs, show_jobs, workloads
from tests.teaching import raises

pytestmark = pytest.mark.stage("workload")

GOOD_CSV = "id,arrival,burst\n0,0,1\n"


def parsed(fn, text: str) -> list[Job]:
    jobs = fn(text)
    assert isinstance(jobs, list), (
        f"{fn.__name__}({text!r}) returned {jobs!r}; expected a list of Job"
    )
    return jobs


def check_jobs(call: str, got: list[Job], expected: list[Job]) -> None:
    assert got == expected, (
        f"{call}\n  got:      {show_jobs(got)}\n  expected: {show_jobs(expected)}"
    )


def workload_error(fn, text: str, why: str) -> WorkloadError:
    """The error fn(text) raises; first proves fn parses a good workload (so that a
    which rejects everything cannot pass the error tests)."""
    good = GOOD_CSV if fn is parse_csv else '[{"id": 0, "arrival": 0, "burst": 1}]'
    check_jobs(f"{fn.__name__}({good!r})", parsed(fn, good), make_jobs((0, 0, 1)))
    return raises(WorkloadError, f"{fn.__name__}({text!r})", lambda: fn(text), why)


def check_error(
    call: str, err: WorkloadError, location: str, field: str | tuple[str, ...]
) -> None:
    fields = field if isinstance(field, tuple) else (field,)
    got = f"location={err.location!r} field={err.field!r} problem={err.problem!r}"
    expected = f"location={location!r} field={' or '.join(map(repr, fields))}"
    assert err.location == location and err.field in fields, (
        f"{call}\n  got:      {got}\n  expected: {expected}"
    )
    if err.field:
        text = f"{err.location}, field '{err.field}': {err.problem}"
    else:
        text = f"{err.location}: {err.problem}"
    assert str(err) == text, (
        f"{call}\n  str(err) is {str(err)!r}\n  expected:   {text!r}"
    )


# --- CSV: valid -----------------------------------------------------------------------


def test_csv_minimal_columns_give_default_priority_and_io():
    text = "id,arrival,burst\n1,4,2\n0,0,5\n"
    check_jobs(
        f"parse_csv({text!r}) (jobs come back sorted by id)",
        parsed(parse_csv, text),
        make_jobs((0, 0, 5), (1, 4, 2)),
    )


def test_csv_all_columns_in_any_order_with_spaces_in_header():
    text = " io_time, burst ,id,priority ,arrival,io_every\n3,4,7,-2,1,2\n0,1,2,5,0,0\n"
    check_jobs(
        f"parse_csv({text!r})",
        parsed(parse_csv, text),
        make_jobs((2, 0, 1, 5, 0, 0), (7, 1, 4, -2, 2, 3)),
    )


def test_csv_empty_optional_cell_means_its_default():
    text = "id,arrival,burst,priority,io_every,io_time\n0,0,5,,,\n1,2,3,4,,\n"
    check_jobs(
        f"parse_csv({text!r})",
        parsed(parse_csv, text),
        make_jobs((0, 0, 5), (1, 2, 3, 4)),
    )


def test_csv_blank_and_comment_lines_are_skipped():
    text = "id,arrival,burst\n# first job\n\n0,0,5\n   # indented comment\n1,3,2\n\n"
    check_jobs(
        f"parse_csv({text!r})", parsed(parse_csv, text), make_jobs((0, 0, 5), (1, 3, 2))
    )


# --- CSV: invalid ---------------------------------------------------------------------

CSV_ERRORS = [
    # (text, location, field, the rule)
    ("id,arrival,burst\n0,0,0\n", "line 2", "burst", "burst must be >= 1"),
    ("id,arrival,burst\n0,0,-3\n", "line 2", "burst", "burst must be >= 1"),
    ("id,arrival,burst\n0,0,4\n1,-1,2\n", "line 3", "arrival", "arrival must be >= 0"),
    ("id,arrival,burst\n-1,0,2\n", "line 2", "id", "id must be >= 0"),
    ("id,arrival,burst\n0,0,2.5\n", "line 2", "burst", "values are base-10 integers"),
    (
        "id,arrival,burst\n0,zero,2\n",
        "line 2",
        "arrival",
        "values are base-10 integers",
    ),
    ("id,arrival,burst\n0,0,1e3\n", "line 2", "burst", "values are base-10 integers"),
    (
        "id,arrival,burst\n0,,2\n",
        "line 2",
        "arrival",
        "only an optional cell may be empty",
    ),
    (
        "id,arrival,burst,priority\n0,0,2,high\n",
        "line 2",
        "priority",
        "priority is an integer",
    ),
    (
        "id,arrival,burst,io_every,io_time\n0,0,2,-1,0\n",
        "line 2",
        "io_every",
        "io_every >= 0",
    ),
    (
        "id,arrival,burst,io_every,io_time\n0,0,2,1,-1\n",
        "line 2",
        ("io_time",),
        "io_time >= 0",
    ),
    (
        "id,arrival,burst,io_every,io_time\n0,0,4,2,0\n",
        "line 2",
        "io_time",
        "io_every > 0 requires io_time >= 1 (the error names io_time)",
    ),
    (
        "id,arrival,burst,io_every,io_time\n0,0,4,0,3\n",
        "line 2",
        "io_every",
        "io_time > 0 requires io_every > 0 (the error names io_every)",
    ),
    (
        "id,arrival,burst\n0,0,1\n1,0,1\n0,2,2\n",
        "line 4",
        "id",
        "ids are unique; the duplicate is the error",
    ),
    (
        "id,arrival,burst\n# comment\n\n0,0,0\n",
        "line 4",
        "burst",
        "blank and comment lines still count for line numbers (the header is line 1)",
    ),
    ("id,arrival,burst\n0,0\n", "line 2", "", "a row needs one cell per column"),
    (
        "id,arrival,burst\n0,0,1\n1,0,1,9\n",
        "line 3",
        "",
        "a row needs one cell per column",
    ),
]


@pytest.mark.parametrize(("text", "location", "field", "rule"), CSV_ERRORS)
def test_csv_invalid_row_names_line_and_field(text, location, field, rule):
    call = f"parse_csv({text!r})"
    err = workload_error(parse_csv, text, rule)
    check_error(f"{call}  [rule: {rule}]", err, location, field)


def test_csv_wrong_cell_count_says_how_many_cells_were_expected_and_found():
    text = "id,arrival,burst,priority\n0,0,1,2\n1,0\n"
    err = workload_error(parse_csv, text, "a row needs one cell per column")
    check_error(f"parse_csv({text!r})", err, "line 3", "")
    assert "4" in err.problem and "2" in err.problem, (
        f"parse_csv({text!r})\n  problem: {err.problem!r}\n  expected it to say 4 "
        "cells expected, 2 found"
    )


@pytest.mark.parametrize(
    ("header", "name", "rule"),
    [
        ("id,arrival,burst,colour", "colour", "an unknown column is an error"),
        ("id,arrival,burst,id", "id", "a duplicated column is an error"),
        ("id,burst", "arrival", "id, arrival and burst are required"),
        ("arrival,burst", "id", "id, arrival and burst are required"),
    ],
)
def test_csv_bad_header_is_an_error_at_line_1_naming_the_column(header, name, rule):
    text = header + "\n" + ",".join("1" for _ in header.split(",")) + "\n"
    err = workload_error(parse_csv, text, rule)
    check_error(f"parse_csv({text!r})  [rule: {rule}]", err, "line 1", name)


def test_csv_header_may_follow_comments_and_its_errors_name_its_own_line():
    text = "# my workload\n\nid,arrival,colour\n0,0,1\n"
    rule = "the header is the first line that is neither blank nor a comment"
    err = workload_error(parse_csv, text, rule)
    check_error(f"parse_csv({text!r})  [rule: {rule}]", err, "line 3", "colour")


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("id,arrival,burst\n", "a header with no rows has no jobs"),
        ("id,arrival,burst\n# nothing yet\n\n", "comment and blank lines are not jobs"),
    ],
)
def test_csv_without_jobs_is_an_error(text, rule):
    err = workload_error(parse_csv, text, rule)
    check_error(f"parse_csv({text!r})", err, "line 1", "")
    assert "no jobs" in err.problem, (
        f"parse_csv({text!r})\n  problem: {err.problem!r}\n  expected: 'no jobs'"
    )


def test_csv_empty_text_is_an_error_at_line_1():
    err = workload_error(parse_csv, "", "a header line is required")
    check_error("parse_csv('')", err, "line 1", "")


def test_parse_errors_have_an_empty_source():
    err = workload_error(parse_csv, "id,arrival,burst\n0,0,0\n", "burst must be >= 1")
    assert err.source == "", (
        f"parse_csv(...) error has source={err.source!r}; expected '' (only "
        "load_workload sets it)"
    )


# --- JSON -----------------------------------------------------------------------------


def test_json_list_of_objects():
    text = json.dumps(
        [
            {"id": 3, "arrival": 2, "burst": 1},
            {
                "id": 0,
                "arrival": 0,
                "burst": 4,
                "priority": -1,
                "io_every": 2,
                "io_time": 5,
            },
        ]
    )
    check_jobs(
        f"parse_json({text!r})",
        parsed(parse_json, text),
        make_jobs((0, 0, 4, -1, 2, 5), (3, 2, 1)),
    )


def test_json_object_with_jobs_key():
    text = json.dumps(
        {
            "jobs": [
                {"id": 1, "arrival": 0, "burst": 2},
                {"id": 0, "arrival": 1, "burst": 3},
            ]
        }
    )
    check_jobs(
        f"parse_json({text!r})",
        parsed(parse_json, text),
        make_jobs((0, 1, 3), (1, 0, 2)),
    )


def _entries(*extra: dict) -> str:
    return json.dumps([{"id": 0, "arrival": 0, "burst": 2}, *extra])


JSON_ERRORS = [
    (
        _entries({"id": 1, "arrival": 0, "burst": 1.5}),
        "job 2",
        "burst",
        "values are JSON integers, not floats",
    ),
    (
        _entries({"id": 1, "arrival": 1.0, "burst": 1}),
        "job 2",
        "arrival",
        "1.0 is a float, not an integer",
    ),
    (
        _entries({"id": 1, "arrival": 0, "burst": "3"}),
        "job 2",
        "burst",
        "values are JSON integers, not strings",
    ),
    (
        _entries({"id": 1, "arrival": 0, "burst": True}),
        "job 2",
        "burst",
        "values are JSON integers, not booleans",
    ),
    (_entries({"id": 1, "arrival": 0}), "job 2", "burst", "burst is required"),
    (
        _entries({"id": 1, "arrival": -2, "burst": 1}),
        "job 2",
        "arrival",
        "arrival must be >= 0",
    ),
    (
        _entries({"id": 1, "arrival": 0, "burst": 0}),
        "job 2",
        "burst",
        "burst must be >= 1",
    ),
    (
        _entries({"id": 1, "arrival": 0, "burst": 1, "priority": "high"}),
        "job 2",
        "priority",
        "priority is a JSON integer",
    ),
    (
        _entries(
            {"id": 1, "arrival": 0, "burst": 1}, {"id": 0, "arrival": 3, "burst": 1}
        ),
        "job 3",
        "id",
        "ids are unique; the duplicate is the error",
    ),
]


@pytest.mark.parametrize(("text", "location", "field", "rule"), JSON_ERRORS)
def test_json_invalid_entry_names_job_and_field(text, location, field, rule):
    err = workload_error(parse_json, text, rule)
    check_error(f"parse_json({text!r})  [rule: {rule}]", err, location, field)


def test_json_unknown_key_is_named():
    text = _entries({"id": 1, "arrival": 0, "burst": 1, "colour": 3})
    err = workload_error(parse_json, text, "an unknown key is an error")
    assert err.location == "job 2" and "colour" in str(err), (
        f"parse_json({text!r})\n  got:      {str(err)!r}\n  expected: an error at "
        "'job 2' naming 'colour'"
    )


def test_json_syntax_error_names_the_decoders_line():
    text = (
        '[\n  {"id": 0, "arrival": 0, "burst": 1},\n'
        '  {"id": 1 "arrival": 0, "burst": 1}\n]'
    )
    err = workload_error(
        parse_json, text, "invalid JSON is reported at the decoder's line"
    )
    check_error(f"parse_json({text!r})", err, "line 3", "")


@pytest.mark.parametrize("text", ["[]", '{"jobs": []}'])
def test_json_without_jobs_is_an_error(text):
    err = workload_error(parse_json, text, "no jobs")
    assert err.field == "" and "no jobs" in err.problem, (
        f"parse_json({text!r})\n  got:      field={err.field!r} "
        f"problem={err.problem!r}\n"
        "  expected: field='' and a problem saying 'no jobs'"
    )


@pytest.mark.parametrize(
    "text", ["42", '"jobs"', '{"tasks": []}', _entries()[:-1] + ", 5]"]
)
def test_json_of_the_wrong_shape_is_an_error(text):
    workload_error(
        parse_json, text, "a workload is a list of objects or {'jobs': [...]}"
    )


# --- load_workload --------------------------------------------------------------------


def test_load_workload_reads_csv_and_json_files(tmp_path):
    csv_path = tmp_path / "w.csv"
    text = "id,arrival,burst\n# café ☕\n1,2,3\n0,0,1\n"
    csv_path.write_text(text, encoding="utf-8")
    check_jobs(
        f"load_workload({str(csv_path)!r})",
        load_workload(csv_path),
        make_jobs((0, 0, 1), (1, 2, 3)),
    )
    json_path = tmp_path / "w.json"
    json_path.write_text(
        '{"jobs": [{"id": 5, "arrival": 1, "burst": 2}]}', encoding="utf-8"
    )
    check_jobs(
        f"load_workload({str(json_path)!r})",
        load_workload(str(json_path)),
        make_jobs((5, 1, 2)),
    )


def test_load_workload_puts_the_path_in_front_of_the_error(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("id,arrival,burst\n0,0,2\n1,4,0\n", encoding="utf-8")
    call = f"load_workload({str(path)!r})"
    err = raises(WorkloadError, call, lambda: load_workload(path), "burst must be >= 1")
    check = (err.location, err.field)
    assert check == ("line 3", "burst"), (
        f"{call}\n  got:      {check}\n  expected: ('line 3', 'burst')"
    )
    expected = f"{path}: line 3, field 'burst': {err.problem}"
    assert str(err) == expected, (
        f"{call}\n  str(err) is {str(err)!r}\n  expected:   {expected!r}"
    )
    assert str(err.source) == str(path), (
        f"{call}\n  err.source is {err.source!r}; expected the path {str(path)!r}"
    )


def test_load_workload_rejects_an_unsupported_suffix(tmp_path):
    path = tmp_path / "w.txt"
    path.write_text(GOOD_CSV, encoding="utf-8")
    good = tmp_path / "w.csv"
    good.write_text(GOOD_CSV, encoding="utf-8")
    check_jobs(
        f"load_workload({str(good)!r})", load_workload(good), make_jobs((0, 0, 1))
    )
    call = f"load_workload({str(path)!r})"
    err = raises(
        WorkloadError,
        call,
        lambda: load_workload(path),
        "only .csv and .json are supported",
    )
    assert (err.location, err.field) == ("file", ""), (
        f"{call}\n  got:      location={err.location!r} field={err.field!r}\n  "
        "expected: location='file' field=''"
    )
    assert ".csv" in str(err) and ".json" in str(err), (
        f"{call}\n  got {str(err)!r}\n  expected it to name .csv and .json"
    )


def test_load_workload_of_a_missing_file(tmp_path):
    path = tmp_path / "missing.csv"
    good = tmp_path / "w.csv"
    good.write_text(GOOD_CSV, encoding="utf-8")
    check_jobs(
        f"load_workload({str(good)!r})", load_workload(good), make_jobs((0, 0, 1))
    )
    call = f"load_workload({str(path)!r})"
    err = raises(
        WorkloadError,
        call,
        lambda: load_workload(path),
        "a missing file is a WorkloadError",
    )
    assert err.location == "file" and "no such file" in err.problem, (
        f"{call}\n  got:      location={err.location!r} problem={err.problem!r}\n"
        "  expected: location='file', problem 'no such file'"
    )
    assert str(path) in str(err), (
        f"{call}\n  got {str(err)!r}\n  expected the path in front"
    )


# --- properties -----------------------------------------------------------------------

COLUMNS = ["id", "arrival", "burst", "priority", "io_every", "io_time"]


def to_csv(
    jobs: list[Job], columns: list[str], junk: list[int]
) -> tuple[str, dict[int, int]]:
    """Write jobs as CSV with the given column order; junk[i] blank/comment lines
    before row i.
    Returns the text and each job's physical line number."""
    lines = [" , ".join(columns)]
    line_of = {}
    for i, job in enumerate(jobs):
        lines += ["# note" if k % 2 else "" for k in range(junk[i % len(junk)])]
        lines.append(",".join(str(getattr(job, c)) for c in columns))
        line_of[job.id] = len(lines)
    return "\n".join(lines) + "\n", line_of


@settings(max_examples=60)
@given(
    workloads(priorities=True, io=True),
    st.permutations(COLUMNS),
    st.lists(st.integers(0, 2), min_size=1, max_size=4),
)
def test_property_csv_round_trip(jobs, columns, junk):
    text, _ = to_csv(jobs, columns, junk)
    expected = sorted(jobs, key=lambda j: j.id)
    check_jobs(f"parse_csv({text!r})", parsed(parse_csv, text), expected)


@settings(max_examples=60)
@given(workloads(priorities=True, io=True), st.booleans())
def test_property_json_round_trip(jobs, wrapped):
    entries = [{c: getattr(j, c) for c in COLUMNS} for j in jobs]
    text = json.dumps({"jobs": entries} if wrapped else entries)
    check_jobs(
        f"parse_json({text!r})",
        parsed(parse_json, text),
        sorted(jobs, key=lambda j: j.id),
    )


@settings(max_examples=60)
@given(
    workloads(),
    st.permutations(["id", "arrival", "burst"]),
    st.lists(st.integers(0, 2), min_size=1, max_size=4),
    st.data(),
)
def test_property_bad_burst_is_reported_at_its_physical_line(jobs, columns, junk, data):
    bad = data.draw(st.sampled_from(jobs))
    text, line_of = to_csv(jobs, columns, junk)
    lines = text.split("\n")
    row = line_of[bad.id] - 1
    cells = lines[row].split(",")
    cells[columns.index("burst")] = "0"
    lines[row] = ",".join(cells)
    text = "\n".join(lines)
    err = workload_error(parse_csv, text, "burst must be >= 1")
    check_error(f"parse_csv({text!r})", err, f"line {line_of[bad.id]}", "burst")
