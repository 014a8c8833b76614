"""Stage 6 (report): a table for people, JSON with a documented schema for programs."""

import json
import re
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portscan.probe import CLOSED, FILTERED, OPEN, PortResult
from portscan.report import SCHEMA, ScanReport, format_table, to_json
from portscan.service import Service

pytestmark = pytest.mark.stage("report")

HTTP = Service("http", status_line="HTTP/1.1 200 OK", server="climb-test/1.0")
SSH = Service("banner", banner="SSH-2.0-OpenSSH_9.6")
REASONS = {OPEN: "connected", CLOSED: "refused", FILTERED: "timeout"}
INTERRUPTED = "(interrupted: partial results)"


def result(port: int, state: str) -> PortResult:
    return PortResult(port, state, REASONS[state])


def sample(interrupted: bool = False) -> ScanReport:
    """Out of port order on purpose: 2 open (identified), 2 closed, 1 filtered, 1 open
    that was not identified."""
    return ScanReport(
        host="127.0.0.1",
        results=[
            result(8080, FILTERED),
            result(80, OPEN),
            result(81, CLOSED),
            result(22, OPEN),
            result(9000, OPEN),
            result(23, CLOSED),
        ],
        services={80: HTTP, 22: SSH},
        interrupted=interrupted,
    )


SAMPLE_CALL = (
    "a ScanReport of 22 open (SSH banner), 23 closed, 80 open (HTTP 200, "
    "climb-test/1.0), 81 closed, 8080 filtered, 9000 open (not identified), "
    "given out of order"
)


def table(report: ScanReport, show_closed: bool = False) -> tuple[str, list[str]]:
    text = format_table(report, show_closed=show_closed)
    assert isinstance(text, str), (
        f"format_table(...) returned {type(text).__name__}; expected a str"
    )
    return text, text.splitlines()


def rows(lines: list[str]) -> dict[int, str]:
    """The table's port rows, by port: a number, then a state."""
    found = {}
    for line in lines:
        words = line.split()
        if len(words) > 1 and words[0].isdigit() and words[1] in REASONS:
            found[int(words[0])] = line
    return found


def document(report: ScanReport) -> dict:
    text = to_json(report)
    try:
        return json.loads(text)
    except (TypeError, json.JSONDecodeError) as bad:
        pytest.fail(
            f"to_json(...) returned {text!r:.300}\n  expected one JSON document ({bad})",
            pytrace=False,
        )


# --- the table -------------------------------------------------------------------------


def test_table_has_the_columns_and_open_and_filtered_rows_in_port_order():
    text, lines = table(sample())
    header = next((line for line in lines if "PORT" in line), "")
    assert re.search(r"PORT\s+STATE\s+SERVICE", header), (
        f"format_table({SAMPLE_CALL})\n  printed:\n{text}\n"
        "  expected a header line with the columns PORT, STATE, SERVICE"
    )
    found = rows(lines)
    assert list(found) == [22, 80, 8080, 9000], (
        f"format_table({SAMPLE_CALL})\n  printed:\n{text}\n"
        f"  rows for ports {list(found)}\n  expected rows for [22, 80, 8080, 9000]: "
        "open and filtered ports in ascending order, closed ones left out\n"
        "  (a row is the port number, then its state: open, closed or filtered)"
    )
    for port, state in [(22, OPEN), (80, OPEN), (8080, FILTERED), (9000, OPEN)]:
        assert found[port].split()[1] == state, (
            f"format_table({SAMPLE_CALL})\n  row {found[port]!r}\n"
            f"  expected the state {state!r} in the STATE column"
        )


def test_table_columns_line_up():
    text, lines = table(sample(), show_closed=True)
    header = next((line for line in lines if "PORT" in line), "")
    state_at, service_at = header.find("STATE"), header.find("SERVICE")
    for port, line in rows(lines).items():
        state = line.split()[1]
        assert line.find(state) == state_at, (
            f"format_table({SAMPLE_CALL}, show_closed=True)\n  printed:\n{text}\n"
            f"  the state of port {port} starts at column {line.find(state)}, the STATE "
            f"header at {state_at}\n  expected the columns to line up"
        )
    for port, needle in [(22, "SSH-2.0"), (80, "HTTP/1.1")]:
        line = rows(lines)[port]
        assert service_at >= 0 and line.find(needle) >= service_at, (
            f"format_table({SAMPLE_CALL}, show_closed=True)\n  row {line!r}\n"
            f"  expected {needle!r} in the SERVICE column (from column {service_at})"
        )


def test_table_service_column_says_what_answered():
    text, lines = table(sample())
    found = rows(lines)
    for port, needles in [
        (80, ["http", "HTTP/1.1 200 OK", "climb-test/1.0"]),
        (22, ["SSH-2.0-OpenSSH_9.6"]),
    ]:
        missing = [needle for needle in needles if needle not in found.get(port, "")]
        assert not missing, (
            f"format_table({SAMPLE_CALL})\n  row for {port}: {found.get(port)!r}\n"
            f"  expected it to show {missing}"
        )


def test_table_show_closed_adds_the_closed_rows():
    text, lines = table(sample(), show_closed=True)
    found = rows(lines)
    assert list(found) == [22, 23, 80, 81, 8080, 9000], (
        f"format_table({SAMPLE_CALL}, show_closed=True)\n  printed:\n{text}\n"
        f"  rows for ports {list(found)}\n  expected every port, in ascending order"
    )
    assert found[23].split()[1] == CLOSED and found[81].split()[1] == CLOSED, (
        f"format_table({SAMPLE_CALL}, show_closed=True)\n  rows {found[23]!r}, "
        f"{found[81]!r}\n  expected the state 'closed'"
    )


def test_table_ends_with_the_summary_line():
    expected = "3 open, 2 closed, 1 filtered (6 scanned)"
    for show_closed in (False, True):
        text, lines = table(sample(), show_closed=show_closed)
        assert lines and lines[-1].strip() == expected, (
            f"format_table({SAMPLE_CALL}, show_closed={show_closed})\n  printed:\n{text}\n"
            f"  expected the last line: {expected!r} (counts of every scanned port)"
        )


def test_table_of_nothing_open():
    report = ScanReport("127.0.0.1", [result(1, CLOSED), result(2, CLOSED)], {})
    text, lines = table(report)
    assert (
        not rows(lines)
        and lines[-1].strip() == "0 open, 2 closed, 0 filtered (2 scanned)"
    ), (
        f"format_table(a ScanReport of 1 and 2 closed)\n  printed:\n{text}\n"
        "  expected no port rows, then '0 open, 2 closed, 0 filtered (2 scanned)'"
    )


def test_table_marks_an_interrupted_scan():
    text, lines = table(sample(interrupted=True))
    assert INTERRUPTED in [line.strip() for line in lines], (
        f"format_table({SAMPLE_CALL}, interrupted)\n  printed:\n{text}\n"
        f"  expected a line {INTERRUPTED!r}: partial results must say so"
    )
    text, _ = table(sample(interrupted=False))
    assert "interrupted" not in text, (
        f"format_table({SAMPLE_CALL}, not interrupted)\n  printed:\n{text}\n"
        "  expected no mention of an interruption"
    )


# --- JSON ------------------------------------------------------------------------------


def test_json_keys_in_the_documented_order():
    doc = document(sample())
    assert list(doc) == ["schema", "host", "interrupted", "summary", "ports"], (
        f"to_json({SAMPLE_CALL})\n  top-level keys: {list(doc)}\n"
        "  expected: ['schema', 'host', 'interrupted', 'summary', 'ports']"
    )
    assert (doc["schema"], doc["host"]) == (SCHEMA, "127.0.0.1"), (
        f"to_json({SAMPLE_CALL})\n  schema, host: {doc['schema']!r}, {doc['host']!r}\n"
        "  expected: 'portscan/1', '127.0.0.1'"
    )
    summary_keys = list(doc["summary"])
    assert summary_keys == ["scanned", "open", "closed", "filtered"], (
        f"to_json({SAMPLE_CALL})\n  summary keys: {summary_keys}\n"
        "  expected: ['scanned', 'open', 'closed', 'filtered']"
    )
    for entry in doc["ports"]:
        assert list(entry) == ["port", "state", "reason", "service"], (
            f"to_json({SAMPLE_CALL})\n  a port entry: {entry}\n"
            "  expected the keys ['port', 'state', 'reason', 'service']"
        )


def test_json_is_indented_by_2():
    text = to_json(sample())
    again = json.dumps(json.loads(text), indent=2)
    assert text.strip() == again, (
        f"to_json({SAMPLE_CALL})\n  returned:\n{text[:400]}\n"
        f"  expected json.dumps(..., indent=2) layout:\n{again[:400]}"
    )


def test_json_lists_every_port_sorted_with_state_and_reason():
    doc = document(sample())
    got = [(e["port"], e["state"], e["reason"]) for e in doc["ports"]]
    expected = sorted((r.port, r.state, r.reason) for r in sample().results)
    assert got == expected, (
        f"to_json({SAMPLE_CALL})\n  ports: {got}\n  expected: {expected}\n"
        "  rule: every scanned port (closed too), sorted ascending"
    )


def test_json_summary_counts():
    doc = document(sample())
    expected = {"scanned": 6, "open": 3, "closed": 2, "filtered": 1}
    assert doc["summary"] == expected, (
        f"to_json({SAMPLE_CALL})\n  summary: {doc['summary']}\n  expected: {expected}"
    )


def test_json_service_objects_and_null():
    doc = document(sample())
    services = {e["port"]: e["service"] for e in doc["ports"]}
    expected = {
        22: {
            "kind": "banner",
            "status_line": "",
            "server": "",
            "banner": "SSH-2.0-OpenSSH_9.6",
        },
        23: None,
        80: {
            "kind": "http",
            "status_line": "HTTP/1.1 200 OK",
            "server": "climb-test/1.0",
            "banner": "",
        },
        81: None,
        8080: None,
        9000: None,
    }
    assert services == expected, (
        f"to_json({SAMPLE_CALL})\n  services by port: {services}\n  expected: {expected}\n"
        "  rule: an identified port's service as an object, null for the others"
    )
    keys = list(services[80] or {})
    assert keys == ["kind", "status_line", "server", "banner"], (
        f"to_json({SAMPLE_CALL})\n  service keys: {keys}\n"
        "  expected: ['kind', 'status_line', 'server', 'banner']"
    )


def test_json_interrupted_flag():
    for interrupted in (False, True):
        doc = document(sample(interrupted=interrupted))
        assert doc["interrupted"] is interrupted, (
            f"to_json({SAMPLE_CALL}, interrupted={interrupted})\n"
            f"  interrupted: {doc['interrupted']!r}\n  expected: {json.dumps(interrupted)}"
        )


# --- properties ------------------------------------------------------------------------

port_results = st.lists(
    st.tuples(st.integers(1, 65535), st.sampled_from([OPEN, CLOSED, FILTERED])),
    unique_by=lambda pair: pair[0],
    max_size=40,
).map(lambda pairs: [result(port, state) for port, state in pairs])


@given(results=port_results, interrupted=st.booleans())
def test_json_and_table_count_any_results(results, interrupted):
    report = ScanReport("127.0.0.1", results, {}, interrupted)
    shown = f"ScanReport('127.0.0.1', {results!r}, services={report.services}, {interrupted})"
    call = f"to_json({shown})"
    doc = json.loads(to_json(report))
    counts = Counter(r.state for r in results)
    expected = {
        "scanned": len(results),
        "open": counts[OPEN],
        "closed": counts[CLOSED],
        "filtered": counts[FILTERED],
    }
    assert doc["summary"] == expected, (
        f"{call}\n  summary: {doc['summary']}\n  expected: {expected}"
    )
    ports = [e["port"] for e in doc["ports"]]
    assert ports == sorted(r.port for r in results), (
        f"{call}\n  ports: {ports}\n  expected every port, sorted ascending"
    )
    assert doc["interrupted"] is interrupted, (
        f"{call}\n  interrupted: {doc['interrupted']!r}\n  expected: {interrupted}"
    )
    line = format_table(report).splitlines()[-1].strip()
    wanted = (
        f"{expected['open']} open, {expected['closed']} closed, "
        f"{expected['filtered']} filtered ({expected['scanned']} scanned)"
    )
    assert line == wanted, (
        f"format_table({shown})\n  last line: {line!r}\n  expected: {wanted!r}"
    )
