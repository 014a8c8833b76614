"""Stage 1 (sensors): seeded simulators, and the same lines over TCP on 127.0.0.1."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from dataproc.sensors import LineServer, SensorSpec, read_lines, simulate
from tests.support import (
    GARBAGE_KINDS,
    HOST,
    WAIT,
    PayloadServer,
    SilentServer,
    kind_of,
    receive_all,
    record_of,
    show_lines,
)
from tests.teaching import got_vs_expected, raises

pytestmark = pytest.mark.stage("sensors")


def lines_of(spec: SensorSpec) -> list[str]:
    lines = list(simulate(spec))
    assert all(isinstance(line, str) for line in lines), (
        f"list(simulate({spec})) gave {show_lines(lines)}; expected str lines"
    )
    return lines


# --- simulate -------------------------------------------------------------------------


def test_the_same_spec_gives_the_same_lines():
    spec = SensorSpec("s1", seed=7, count=200, garbage=0.2, disorder=3.0)
    first, second = lines_of(spec), lines_of(spec)
    assert first and first == second, got_vs_expected(
        f"simulate({spec}) twice",
        f"{show_lines(first)} then {show_lines(second)}",
        "the same non-empty lines both times",
        "use one random.Random(spec.seed) per call, never the module-level random "
        "functions (their state is shared and moves on)",
    )


def test_a_different_seed_gives_different_lines():
    a = SensorSpec("s1", seed=1, count=50, garbage=0.1, disorder=2.0)
    b = SensorSpec("s1", seed=2, count=50, garbage=0.1, disorder=2.0)
    assert lines_of(a) != lines_of(b), got_vs_expected(
        f"simulate({a}) and simulate({b})",
        show_lines(lines_of(a)),
        "different lines: the seed decides the readings",
    )


@pytest.mark.parametrize("count", [0, 1, 5, 300])
def test_count_lines_with_seq_in_order_and_nominal_times(count):
    spec = SensorSpec("s2", seed=3, count=count, start=1000.0, interval=0.5)
    lines = lines_of(spec)
    assert len(lines) == count, got_vs_expected(
        f"len(list(simulate({spec})))", len(lines), count
    )
    for seq, line in enumerate(lines):
        call = f"simulate({spec}), line {seq}"
        assert kind_of(line) == "valid", got_vs_expected(
            call,
            repr(line),
            "'source,seq,event_time,value'",
            "garbage=0: no broken lines",
        )
        record = record_of(line)
        nominal = 1000.0 + seq * 0.5
        assert (record.source, record.seq, record.event_time) == ("s2", seq, nominal), (
            got_vs_expected(
                call,
                repr(line),
                f"source 's2', seq {seq}, event_time {nominal!r}",
                "seq counts 0, 1, 2 ...; event_time = start + seq * interval (disorder=0)",
            )
        )
        assert record.value == round(record.value, 3), got_vs_expected(
            call, repr(line), "a value rounded to 3 decimals"
        )


def test_values_are_readings_around_20():
    spec = SensorSpec("s1", seed=11, count=2000)
    values = [record_of(line).value for line in lines_of(spec)]
    mean = sum(values) / len(values)
    spread = (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5
    assert 19 < mean < 21 and 4 < spread < 6, got_vs_expected(
        f"simulate({spec}): the values",
        f"mean {mean:.2f}, standard deviation {spread:.2f}",
        "mean near 20, standard deviation near 5",
        "value = round(rng.gauss(20, 5), 3)",
    )


def test_disorder_moves_event_times_back_by_at_most_disorder():
    spec = SensorSpec("s1", seed=5, count=500, start=100.0, interval=1.0, disorder=4.0)
    moved = 0
    for line in lines_of(spec):
        record = record_of(line)
        nominal = 100.0 + record.seq * 1.0
        assert nominal - 4.0 - 1e-9 <= record.event_time <= nominal + 1e-9, (
            got_vs_expected(
                f"simulate({spec})",
                repr(line),
                f"event_time in [{nominal - 4.0}, {nominal}]",
                "event_time = start + seq * interval - uniform(0, disorder): only ever "
                "earlier than nominal, by at most `disorder`",
            )
        )
        moved += record.event_time < nominal - 1.0
    assert moved > 100, got_vs_expected(
        f"simulate({spec}): lines more than 1 s earlier than nominal",
        moved,
        "most of them (uniform(0, 4) is above 1 three times in four)",
    )


@pytest.mark.parametrize("garbage, low, high", [(0.1, 0.06, 0.14), (0.5, 0.4, 0.6)])
def test_garbage_rate_is_roughly_honoured(garbage, low, high):
    spec = SensorSpec("s1", seed=9, count=3000, garbage=garbage)
    lines = lines_of(spec)
    broken = [line for line in lines if kind_of(line) != "valid"]
    assert len(lines) == 3000 and low * 3000 <= len(broken) <= high * 3000, (
        got_vs_expected(
            f"simulate({spec})",
            f"{len(lines)} lines, {len(broken)} broken",
            f"3000 lines, {int(low * 3000)} to {int(high * 3000)} broken",
            "each line is replaced by a malformed one with probability `garbage`; a "
            "broken line still takes its place in the count",
        )
    )


def test_garbage_one_breaks_every_line_and_zero_none():
    every = SensorSpec("s1", seed=4, count=60, garbage=1.0)
    kinds = [kind_of(line) for line in lines_of(every)]
    assert len(kinds) == 60 and "valid" not in kinds, got_vs_expected(
        f"simulate({every})", kinds[:12], "60 lines, every one malformed"
    )
    none = SensorSpec("s1", seed=4, count=60, garbage=0.0)
    kinds = [kind_of(line) for line in lines_of(none)]
    assert kinds == ["valid"] * 60, got_vs_expected(
        f"simulate({none})", kinds[:12], "60 valid lines"
    )


def test_garbage_kinds_take_turns_in_order():
    spec = SensorSpec("s1", seed=12, count=400, garbage=0.3)
    lines = lines_of(spec)
    kinds = [kind_of(line) for line in lines if kind_of(line) != "valid"]
    expected = [GARBAGE_KINDS[i % len(GARBAGE_KINDS)] for i in range(len(kinds))]
    assert len(kinds) >= 12 and kinds == expected, got_vs_expected(
        f"simulate({spec}): the kinds of the broken lines, in order",
        kinds[:12],
        expected[:12] or list(GARBAGE_KINDS),
        "kinds cycle: missing field, non-numeric value, non-numeric seq, empty line, "
        "extra field, NaN value, then again",
    )


def test_valid_lines_keep_their_seq_around_broken_ones():
    spec = SensorSpec("s1", seed=13, count=300, garbage=0.4)
    lines = lines_of(spec)
    seqs = [record_of(line).seq for line in lines if kind_of(line) == "valid"]
    by_position = [i for i, line in enumerate(lines) if kind_of(line) == "valid"]
    assert seqs == by_position, got_vs_expected(
        f"simulate({spec}): seq of the valid lines",
        seqs[:10],
        by_position[:10],
        "a broken line replaces the line of its seq: the valid line at position i has "
        "seq i",
    )


# --- LineServer -----------------------------------------------------------------------


def test_line_server_sends_every_line_newline_terminated_then_closes():
    lines = ["s1,0,0.0,20.0", "", "températur,1,1.0,19.5", "s1,2,2.0,21.25"]
    with LineServer(lines) as server:
        port = server.port
        assert isinstance(port, int) and port > 0, got_vs_expected(
            "with LineServer(lines) as server: server.port",
            port,
            "the port it listens on",
        )
        got = receive_all(port)
    expected = "".join(line + "\n" for line in lines).encode("utf-8")
    assert got == expected, got_vs_expected(
        f"LineServer({lines!r}), read with a plain socket until it closes",
        got,
        expected,
        "every line, UTF-8, each followed by '\\n', then the server closes",
    )


def test_line_server_gives_every_client_all_lines():
    lines = [f"s1,{i},{float(i)!r},{20 + i / 8!r}" for i in range(300)]
    expected = "".join(line + "\n" for line in lines).encode("utf-8")
    # A generator, like simulate() returns: it can be read only once.
    with LineServer(line for line in lines) as server:
        with ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(receive_all, server.port) for _ in range(4)]
            got = [f.result(timeout=WAIT * 2) for f in futures]
        got.append(receive_all(server.port))  # one more, after the others
    sizes = [len(g) for g in got]
    assert got == [expected] * 5, got_vs_expected(
        "LineServer(a generator of 300 lines): bytes each of 5 clients received",
        sizes,
        [len(expected)] * 5,
        "each client gets every line: keep the lines (e.g. in a list), not the iterator",
    )


# --- read_lines -----------------------------------------------------------------------


def test_read_lines_yields_each_line_without_its_newline():
    lines = [f"s{i % 3},{i},{i * 0.5!r},é{i}" for i in range(20000)] + ["", "last"]
    payload = "".join(line + "\n" for line in lines).encode("utf-8")
    with PayloadServer(payload) as server:
        got = list(read_lines(HOST, server.port, timeout=WAIT))
    assert got == lines, got_vs_expected(
        f"list(read_lines({HOST!r}, port, timeout={WAIT})) from a server sending "
        f"{len(lines)} lines ({len(payload)} bytes)",
        show_lines(got),
        show_lines(lines),
        "recv() returns arbitrary chunks: a line (even a UTF-8 character) may be split "
        "between two; an empty line is a line",
    )


def test_read_lines_times_out_on_a_silent_server():
    with SilentServer() as server:
        call = f"list(read_lines({HOST!r}, port, timeout=0.3)) against a server that never sends"
        raises(
            TimeoutError,
            call,
            lambda: list(read_lines(HOST, server.port, timeout=0.3)),
            "a silence longer than `timeout` must end the read, not hang",
        )


def test_read_lines_gives_the_lines_before_a_silence():
    got: list[str] = []

    def read() -> None:
        for line in read_lines(HOST, server.port, timeout=0.3):
            got.append(line)

    with PayloadServer(b"s1,0,0.0,20.0\ns1,1,1.0,21.0\n", then_silent=True) as server:
        raises(
            TimeoutError,
            "read_lines(...) from a server that sends 2 lines, then nothing",
            read,
            "the silence after the lines must raise TimeoutError",
        )
    assert got == ["s1,0,0.0,20.0", "s1,1,1.0,21.0"], got_vs_expected(
        "read_lines(...): the lines yielded before TimeoutError",
        got,
        ["s1,0,0.0,20.0", "s1,1,1.0,21.0"],
    )


def test_tcp_delivers_exactly_the_simulated_lines_to_each_reader():
    spec = SensorSpec("s3", seed=33, count=2000, garbage=0.2, disorder=2.0)
    expected = list(simulate(spec))
    with LineServer(simulate(spec)) as server:
        with ThreadPoolExecutor(3) as pool:
            futures = [
                pool.submit(lambda: list(read_lines(HOST, server.port, timeout=WAIT)))
                for _ in range(3)
            ]
            got = [f.result(timeout=WAIT * 2) for f in futures]
    for i, lines in enumerate(got):
        assert lines == expected, got_vs_expected(
            f"reader {i}: list(read_lines(...)) from LineServer(simulate({spec}))",
            show_lines(lines),
            show_lines(expected),
            "the lines arrive exactly as simulated, empty lines included",
        )
