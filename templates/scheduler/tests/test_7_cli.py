"""Stage 7 (cli): Gantt chart, JSON output, comparison table and the command line."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from scheduler.cli import main
from scheduler.gantt import gantt
from scheduler.rr import round_robin
from tests.support import make_jobs, merge, show, show_jobs, timeline
from tests.teaching import got_vs_expected

pytestmark = pytest.mark.stage("cli")

PROJECT = Path(__file__).resolve().parent.parent
POLICIES = {"fcfs", "sjf", "stcf", "rr", "priority", "mlfq"}
CONVOY = "id,arrival,burst\n0,0,100\n1,0,10\n2,0,10\n"
SMALL = "id,arrival,burst\n0,0,3\n1,1,2\n"
SMALL_GANTT = "  0 |###  |\n  1 | ..##|"
WITH_IO = "id,arrival,burst,io_every,io_time\n0,0,4,2,2\n1,0,4,,\n"
BAD_BURST = "id,arrival,burst\n0,0,3\n1,2,0\n"  # line 3, field burst


def gantt_call(jobs, slices):
    return f"gantt({show_jobs(jobs)}, {show(slices)})"


def check_gantt(jobs, slices, expected):
    got = gantt(jobs, slices)
    assert got == expected, (
        f"{gantt_call(jobs, slices)}\n  got:\n{got}\n  expected:\n{expected}\n"
        "  rule: '#' running, '.' ready, '~' blocked on I/O, ' ' before arrival and "
        "after completion"
    )


# --- gantt ----------------------------------------------------------------------------


def test_gantt_running_ready_and_not_there():
    jobs = make_jobs((0, 0, 3), (1, 1, 2))
    check_gantt(jobs, timeline("0[0,3) 1[3,5)"), SMALL_GANTT)


def test_gantt_shows_io_as_tilde():
    jobs = make_jobs((0, 0, 4, 0, 2, 2), (1, 0, 4))
    check_gantt(
        jobs,
        timeline("0[0,2) 1[2,5) 0[5,6) 1[6,7) 0[7,8)"),
        "  0 |##~~.#.#|\n  1 |..###.# |",
    )


def test_gantt_lines_are_in_id_order_with_right_aligned_ids_and_idle_gaps():
    jobs = make_jobs((12, 3, 1), (0, 0, 1))
    check_gantt(jobs, timeline("12[3,4) 0[0,1)"), "  0 |#   |\n 12 |   #|")


def test_gantt_accepts_split_slices():
    jobs = make_jobs((0, 0, 5), (1, 3, 1))
    check_gantt(
        jobs, timeline("1[4,5) 0[0,2) 0[2,4) 0[5,6)"), "  0 |####.#|\n  1 |   .# |"
    )


def test_gantt_of_a_round_robin_timeline():
    jobs = make_jobs((0, 0, 3), (1, 0, 3))
    check_gantt(jobs, round_robin(jobs, 1), "  0 |#.#.# |\n  1 |.#.#.#|")


# --- the command line -----------------------------------------------------------------


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run_main(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def run_json(argv, capsys):
    call = f"main({argv!r})"
    code, out, err = run_main(argv, capsys)
    assert code == 0, f"{call}\n  returned {code!r}, stderr {err!r}\n  expected: 0"
    try:
        return json.loads(out)
    except json.JSONDecodeError as bad:
        pytest.fail(
            f"{call}\n  printed {out[:300]!r}\n  expected one JSON document ({bad})",
            pytrace=False,
        )


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value):
    return isinstance(value, int | float) and not isinstance(value, bool)


def schema_problems(doc):
    """How a run document differs from the README's JSON schema (empty: it matches)."""
    if not isinstance(doc, dict):
        return [f"a run document is a JSON object, got {type(doc).__name__}"]
    keys = {
        "policy",
        "params",
        "slices",
        "jobs",
        "averages",
        "cpu_utilisation",
        "context_switches",
        "makespan",
    }
    problems = [f"missing key {k!r}" for k in sorted(keys - doc.keys())]
    if problems:
        return problems
    checks = [
        (isinstance(doc["policy"], str), "policy is a string"),
        (isinstance(doc["params"], dict), "params is an object"),
        (isinstance(doc["slices"], list), "slices is a list"),
        (isinstance(doc["jobs"], list), "jobs is a list"),
        (isinstance(doc["averages"], dict), "averages is an object"),
        (is_number(doc["cpu_utilisation"]), "cpu_utilisation is a number"),
        (is_int(doc["context_switches"]), "context_switches is an integer"),
        (is_int(doc["makespan"]), "makespan is an integer"),
    ]
    problems = [rule for ok, rule in checks if not ok]
    if problems:
        return problems
    for s in doc["slices"]:
        if not (
            isinstance(s, dict)
            and s.keys() == {"job", "start", "end"}
            and all(map(is_int, s.values()))
        ):
            problems.append(f"a slice has the integer keys job, start, end; got {s!r}")
    job_keys = {
        "id",
        "arrival",
        "burst",
        "first_run",
        "completion",
        "response",
        "turnaround",
        "wait",
    }
    for j in doc["jobs"]:
        if not (
            isinstance(j, dict)
            and j.keys() == job_keys
            and all(map(is_int, j.values()))
        ):
            problems.append(f"a job has the integer keys {sorted(job_keys)}, got {j!r}")
    averages = doc["averages"]
    if averages.keys() != {"response", "turnaround", "wait"} or not all(
        map(is_number, averages.values())
    ):
        problems.append(
            f"averages has the number keys response, turnaround, wait; got {averages!r}"
        )
    return problems


def check_schema(call, doc):
    problems = schema_problems(doc)
    assert not problems, (
        f"{call}\n  printed a document that does not match the schema:\n  "
        + "\n  ".join(problems)
    )


def doc_timeline(doc):
    return show(merge((s["job"], s["start"], s["end"]) for s in doc["slices"]))


def test_run_json_document(tmp_path, capsys):
    argv = ["run", write(tmp_path, "convoy.csv", CONVOY), "--policy", "fcfs", "--json"]
    doc = run_json(argv, capsys)
    call = f"main({argv!r})"
    check_schema(call, doc)
    assert doc["policy"] == "fcfs", got_vs_expected(
        call + "['policy']", doc["policy"], "fcfs"
    )
    got = doc_timeline(doc)
    assert got == "0[0,100) 1[100,110) 2[110,120)", got_vs_expected(
        call + " slices", got, "0[0,100) 1[100,110) 2[110,120)"
    )
    expected = {"response": 70, "turnaround": 110, "wait": 70}
    assert doc["averages"] == pytest.approx(expected), got_vs_expected(
        call + "['averages']", doc["averages"], expected
    )
    summary = (doc["cpu_utilisation"], doc["context_switches"], doc["makespan"])
    assert summary == pytest.approx((1.0, 2, 120)), got_vs_expected(
        call + " (cpu_utilisation, context_switches, makespan)", summary, (1.0, 2, 120)
    )
    first = doc["jobs"][0]
    want = {
        "id": 0,
        "arrival": 0,
        "burst": 100,
        "first_run": 0,
        "completion": 100,
        "response": 0,
        "turnaround": 100,
        "wait": 0,
    }
    assert first == want, got_vs_expected(call + "['jobs'][0]", first, want)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ([], "0[0,10) 1[10,15) 0[15,20)"),
        (["--quantum", "3"], "0[0,3) 1[3,6) 0[6,9) 1[9,11) 0[11,20)"),
    ],
)
def test_run_rr_quantum_defaults_to_10(tmp_path, capsys, extra, expected):
    argv = [
        "run",
        write(tmp_path, "w.csv", "id,arrival,burst\n0,0,15\n1,0,5\n"),
        "--policy",
        "rr",
        *extra,
        "--json",
    ]
    got = doc_timeline(run_json(argv, capsys))
    assert got == expected, got_vs_expected(f"main({argv!r}) slices", got, expected)


def test_run_passes_mlfq_parameters(tmp_path, capsys):
    path = write(tmp_path, "io.csv", WITH_IO)
    for flags, expected in [
        ([], "0[0,2) 1[2,5) 0[5,6) 1[6,7) 0[7,8)"),
        (["--gaming"], "0[0,2) 1[2,5) 0[5,7) 1[7,8)"),
    ]:
        argv = [
            "run",
            path,
            "--policy",
            "mlfq",
            "--queues",
            "2",
            "--quantum",
            "3",
            "--allotment",
            "1",
            *flags,
            "--json",
        ]
        doc = run_json(argv, capsys)
        check_schema(f"main({argv!r})", doc)
        got = doc_timeline(doc)
        assert got == expected, got_vs_expected(f"main({argv!r}) slices", got, expected)


def test_run_passes_aging_and_boost(tmp_path, capsys):
    path = write(
        tmp_path,
        "p.json",
        json.dumps(
            [
                {"id": 0, "arrival": 0, "burst": 10, "priority": 2},
                {"id": 1, "arrival": 0, "burst": 3},
            ]
        ),
    )
    argv = ["run", path, "--policy", "priority", "--aging", "2", "--json"]
    got = doc_timeline(run_json(argv, capsys))
    assert got == "0[0,6) 1[6,7) 0[7,11) 1[11,13)", got_vs_expected(
        f"main({argv!r}) slices", got, "0[0,6) 1[6,7) 0[7,11) 1[11,13)"
    )
    path = write(tmp_path, "b.csv", "id,arrival,burst\n0,0,5\n1,0,5\n")
    argv = [
        "run",
        path,
        "--policy",
        "mlfq",
        "--queues",
        "2",
        "--quantum",
        "3",
        "--boost",
        "2",
        "--json",
    ]
    got = doc_timeline(run_json(argv, capsys))
    assert got == "0[0,5) 1[5,10)", got_vs_expected(
        f"main({argv!r}) slices", got, "0[0,5) 1[5,10)"
    )


def test_run_prints_the_gantt_chart_and_averages(tmp_path, capsys):
    argv = ["run", write(tmp_path, "small.csv", SMALL), "--policy", "fcfs"]
    code, out, err = run_main(argv, capsys)
    call = f"main({argv!r})"
    assert code == 0, f"{call}\n  returned {code!r}, stderr {err!r}\n  expected: 0"
    assert SMALL_GANTT in out, (
        f"{call}\n  printed:\n{out}\n  expected the chart:\n{SMALL_GANTT}"
    )
    assert "3.5" in out, (
        f"{call}\n  printed:\n{out}\n  expected the average turnaround 3.5 in the table"
    )


def test_compare_runs_every_policy(tmp_path, capsys):
    path = write(tmp_path, "convoy.csv", CONVOY)
    code, out, err = run_main(["compare", path], capsys)
    call = f"main(['compare', {path!r}])"
    assert code == 0, f"{call}\n  returned {code!r}, stderr {err!r}\n  expected: 0"
    missing = sorted(p for p in POLICIES if not re.search(rf"\b{p}\b", out))
    assert not missing, (
        f"{call}\n  printed:\n{out}\n  expected a row for each policy; missing "
        f"{missing}"
    )
    argv = ["compare", path, "--json"]
    docs = run_json(argv, capsys)
    assert isinstance(docs, list), (
        f"main({argv!r})\n  printed {docs!r:.200}\n  expected a JSON list of run "
        "documents"
    )
    for doc in docs:
        check_schema(f"main({argv!r})", doc)
    by_policy = {doc["policy"]: doc for doc in docs}
    assert by_policy.keys() == POLICIES, got_vs_expected(
        f"main({argv!r}) policies", sorted(by_policy), sorted(POLICIES)
    )
    for name, avg in [("fcfs", 110), ("sjf", 50), ("stcf", 50)]:
        got = by_policy[name]["averages"]["turnaround"]
        assert got == pytest.approx(avg), got_vs_expected(
            f"main({argv!r}) {name} average turnaround", got, avg
        )


def test_compare_with_io_runs_only_mlfq(tmp_path, capsys):
    path = write(tmp_path, "io.csv", WITH_IO)
    code, out, err = run_main(["compare", path], capsys)
    call = f"main(['compare', {path!r}])"
    assert code == 0 and "mlfq" in out, (
        f"{call}\n  returned {code!r}, printed:\n{out}{err}\n  expected 0 and an mlfq "
        "row (others skipped with a note)"
    )
    argv = ["compare", path, "--json"]
    docs = run_json(argv, capsys)
    policies = [doc.get("policy") for doc in docs] if isinstance(docs, list) else docs
    assert policies == ["mlfq"], got_vs_expected(
        f"main({argv!r}) policies", policies, ["mlfq"], "only mlfq models I/O"
    )


def check_error_exit(argv, capsys, *needles):
    call = f"main({argv!r})"
    code, _, err = run_main(argv, capsys)
    assert code == 2, f"{call}\n  returned {code!r}\n  expected: 2 (bad input)"
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), (
        f"{call}\n  stderr: {err!r}\n  expected one line 'error: ...'"
    )
    for needle in needles:
        assert needle in lines[0], (
            f"{call}\n  stderr: {err!r}\n  expected it to mention {needle!r}"
        )
    return lines[0]


def test_error_for_a_missing_file(tmp_path, capsys):
    ok = write(tmp_path, "ok.csv", SMALL)
    run_json(["run", ok, "--policy", "fcfs", "--json"], capsys)
    check_error_exit(
        ["run", str(tmp_path / "nope.csv"), "--policy", "fcfs"], capsys, "nope.csv"
    )


def test_error_for_a_malformed_workload(tmp_path, capsys):
    ok = write(tmp_path, "ok.csv", SMALL)
    run_json(["run", ok, "--policy", "fcfs", "--json"], capsys)
    bad = write(tmp_path, "bad.csv", BAD_BURST)
    check_error_exit(["run", bad, "--policy", "fcfs"], capsys, "line 3", "burst")
    check_error_exit(["compare", bad], capsys, "line 3", "burst")


def test_error_for_a_bad_parameter(tmp_path, capsys):
    ok = write(tmp_path, "ok.csv", SMALL)
    run_json(["run", ok, "--policy", "rr", "--quantum", "1", "--json"], capsys)
    check_error_exit(["run", ok, "--policy", "rr", "--quantum", "0"], capsys, "quantum")
    check_error_exit(
        ["run", ok, "--policy", "priority", "--aging", "-1"], capsys, "aging"
    )


def test_error_for_a_policy_that_cannot_do_io(tmp_path, capsys):
    ok = write(tmp_path, "ok.csv", SMALL)
    run_json(["run", ok, "--policy", "fcfs", "--json"], capsys)
    check_error_exit(
        ["run", write(tmp_path, "io.csv", WITH_IO), "--policy", "fcfs"], capsys, "fcfs"
    )


# --- --quantum and --allotment, one value per MLFQ level ------------------------------

TWO_LONG = "id,arrival,burst\n0,0,8\n1,0,8\n"
PER_LEVEL = ["--queues", "3", "--quantum", "1,2,4", "--allotment", "2,1,1"]


def test_run_mlfq_takes_a_quantum_and_an_allotment_per_level(tmp_path, capsys):
    argv = ["run", write(tmp_path, "w.csv", TWO_LONG), "--policy", "mlfq", *PER_LEVEL]
    argv.append("--json")
    call = f"main({argv!r})"
    doc = run_json(argv, capsys)
    check_schema(call, doc)
    expected = "0[0,1) 1[1,2) 0[2,3) 1[3,4) 0[4,6) 1[6,8) 0[8,12) 1[12,16)"
    got = doc_timeline(doc)
    assert got == expected, got_vs_expected(
        call + " slices",
        got,
        expected,
        "a comma list gives one value per level, top first: the top queue has slice 1 "
        "and allotment 2, the middle one slice 2, the bottom one slice 4",
    )
    for name, want in [("quantum", [1, 2, 4]), ("allotment", [2, 1, 1])]:
        got = doc["params"].get(name)
        assert got == want, got_vs_expected(
            f"{call}['params'][{name!r}]",
            got,
            want,
            "a comma list appears in params as a JSON list, top first",
        )


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--quantum", "1,2"),
        ("--quantum", "1,2,4,8"),
        ("--allotment", "2,1"),
        ("--quantum", "0"),
        ("--quantum", "1,0,4"),
        ("--allotment", "2,1,0"),
        ("--quantum", "-3"),
        ("--allotment", "2,-1,1"),
        ("--quantum", "1.5"),
        ("--allotment", "2,x,1"),
        ("--quantum", "1,,4"),
    ],
    ids=[
        "quantum-2-values-for-3-queues",
        "quantum-4-values-for-3-queues",
        "allotment-2-values-for-3-queues",
        "quantum-0",
        "quantum-list-with-0",
        "allotment-list-with-0",
        "quantum-negative",
        "allotment-list-with-negative",
        "quantum-not-an-integer",
        "allotment-list-with-a-word",
        "quantum-list-with-an-empty-value",
    ],
)
def test_error_for_a_bad_per_level_value(tmp_path, capsys, option, value):
    ok = write(tmp_path, "ok.csv", TWO_LONG)
    run_json(["run", ok, "--policy", "mlfq", *PER_LEVEL, "--json"], capsys)
    argv = ["run", ok, "--policy", "mlfq", "--queues", "3", option, value]
    check_error_exit(argv, capsys, option.removeprefix("--"))


def test_error_for_a_quantum_list_where_rr_runs(tmp_path, capsys):
    ok = write(tmp_path, "ok.csv", SMALL)
    run_json(["run", ok, "--policy", "rr", "--quantum", "2", "--json"], capsys)
    run_json(["compare", ok, "--quantum", "2", "--json"], capsys)
    for argv in (
        ["run", ok, "--policy", "rr", "--quantum", "2,4,6"],
        ["compare", ok, "--quantum", "2,4,6"],
    ):
        line = check_error_exit(argv, capsys, "quantum")
        assert re.search(r"\brr\b", line.removeprefix("error: ")), (
            f"main({argv!r})\n  stderr: {line!r}\n  expected it to name rr, the policy "
            "that takes a single quantum"
        )


# --- python -m scheduler, for real ----------------------------------------------------


def run_module(*args):
    env = {**os.environ, "PYTHONPATH": "src"}
    command = [sys.executable, "-m", "scheduler", *args]
    done = subprocess.run(
        command, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=30
    )
    return f"python -m scheduler {' '.join(args)}", done


def test_python_m_scheduler(tmp_path):
    call, done = run_module(
        "run", write(tmp_path, "w.csv", CONVOY), "--policy", "sjf", "--json"
    )
    assert done.returncode == 0, (
        f"{call}\n  exit {done.returncode}, stderr:\n{done.stderr[-2000:]}\n  "
        "expected: exit 0"
    )
    try:
        doc = json.loads(done.stdout)
    except json.JSONDecodeError as bad:
        pytest.fail(
            f"{call}\n  printed {done.stdout[:300]!r}\n  expected one JSON document "
            f"({bad})",
            pytrace=False,
        )
    check_schema(call, doc)
    assert doc_timeline(doc) == "1[0,10) 2[10,20) 0[20,120)", got_vs_expected(
        call + " slices", doc_timeline(doc), "1[0,10) 2[10,20) 0[20,120)"
    )
    call, done = run_module(
        "run", write(tmp_path, "bad.csv", BAD_BURST), "--policy", "fcfs"
    )
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and "Traceback" not in done.stderr, (
        f"{call}\n  exit {done.returncode}, stderr:\n{done.stderr[-2000:]}\n  "
        "expected: exit 2 and no traceback"
    )
    assert (
        len(lines) == 1
        and lines[0].startswith("error: ")
        and "line 3" in lines[0]
        and "burst" in lines[0]
    ), (
        f"{call}\n  stderr: {done.stderr!r}\n  expected one line 'error: ...' naming "
        "line 3 and field burst"
    )
