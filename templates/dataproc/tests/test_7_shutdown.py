"""Stage 7 (shutdown): `python -m dataproc run CONFIG.toml`, run for real.

Every test writes a config into a temporary folder and runs the command line as a separate
process, the way a shell would (cwd = the project, PYTHONPATH=src). What it prints (windows,
then each sensor's totals, then the summary) is compared with a plain sequential computation of
the same sensors (simulate, parse, WindowedAggregator, one line at a time), for several workers
and both modes. The signal tests send SIGINT (Ctrl-C) or SIGTERM (`kill`) in the middle of a
long run, SIGINT also to every process of the run as a terminal's Ctrl-C does: the run must
still end cleanly, with every produced line accounted for.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

import pytest

from dataproc.pipeline import Aggregate, BadRecord, parse
from dataproc.sensors import SensorSpec, simulate
from dataproc.windows import WindowedAggregator
from tests.service import signal_group, start_process, stop_process

pytestmark = pytest.mark.stage("shutdown")

PROJECT = Path(__file__).resolve().parent.parent
LIMIT = 20  # seconds any one run of the command line may take
WAIT = 10  # seconds to wait for the first window of a long run, then for it to end
COUNTS = ("produced", "processed", "dead", "late")
# The last line: the accounting, and the settings the run used.
SUMMARY = (*COUNTS, "workers", "mode")


# --- configs ---------------------------------------------------------------------------------


def toml_value(value: object) -> str:
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    return repr(value)


def write_config(tmp_path: Path, sensors: list[dict], **tables: dict) -> Path:
    """A config file with one [[sensor]] table per dict, and the other tables given."""
    text = ""
    for sensor in sensors:
        text += "[[sensor]]\n"
        text += "".join(f"{key} = {toml_value(v)}\n" for key, v in sensor.items())
    for name, table in tables.items():
        text += f"[{name}]\n"
        text += "".join(f"{key} = {toml_value(v)}\n" for key, v in table.items())
    path = tmp_path / "run.toml"
    path.write_text(text)
    return path


def spec_of(sensor: dict) -> SensorSpec:
    """The SensorSpec a [[sensor]] table describes (without transport and pace)."""
    return SensorSpec(
        **{k: v for k, v in sensor.items() if k not in ("transport", "pace")}
    )


# --- running python -m dataproc --------------------------------------------------------------


def command(path: Path | str) -> list[str]:
    return [sys.executable, "-m", "dataproc", "run", str(path)]


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": "src"}


def shown(path: Path | str) -> str:
    text = Path(path).read_text() if Path(path).is_file() else "(no such file)\n"
    return f"python -m dataproc run {path}\n  with the config:\n{text}"


def run_dataproc(args: list[str], story: str) -> subprocess.CompletedProcess:
    """`python -m dataproc ARGS` in the project, at most LIMIT seconds."""
    try:
        return subprocess.run(
            [sys.executable, "-m", "dataproc", *args],
            cwd=PROJECT,
            env=environment(),
            capture_output=True,
            text=True,
            timeout=LIMIT,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{story}  had not finished after {LIMIT} s", pytrace=False)


def run_cli(path: Path | str) -> subprocess.CompletedProcess:
    return run_dataproc(["run", str(path)], shown(path))


def outcome(code: int | None, out: str, err: str) -> str:
    return (
        f"  exit {code}\n  stdout (end):\n{out[-1500:]}\n  stderr (end):\n{err[-1500:]}"
    )


def output(story: str, out: str) -> tuple[list[dict], list[dict], dict]:
    """The windows printed, the totals lines after them, and the summary (which must come last)."""
    printed = []
    for line in out.splitlines():
        try:
            printed.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(
                f"{story}\n  printed the line {line[:200]!r}\n  expected: every line on "
                "stdout is one JSON object (a window, a sensor's totals, or the summary at "
                "the end)",
                pytrace=False,
            )
    if not printed or set(printed[-1]) != set(SUMMARY):
        last = printed[-1] if printed else "nothing"
        pytest.fail(
            f"{story}\n  last line: {last}\n  expected: the summary line "
            '{"produced": n, "processed": n, "dead": n, "late": n, "workers": n, '
            '"mode": "..."}, printed last',
            pytrace=False,
        )
    body = printed[:-1]
    # A window has a start; a sensor's totals have none, and come after every window.
    first_totals = next(
        (i for i, line in enumerate(body) if "start" not in line), len(body)
    )
    windows, totals = body[:first_totals], body[first_totals:]
    for line in totals:
        if "start" in line:
            pytest.fail(
                f"{story}\n  printed the window {line} after the totals line "
                f"{totals[0]}\n  expected: every window first (the open ones flushed at "
                "the end), then the totals, one line per sensor, then the summary",
                pytrace=False,
            )
    return windows, totals, printed[-1]


def accounting(summary: dict) -> dict:
    """The four counts of a summary line, without the settings."""
    return {key: summary[key] for key in COUNTS}


def run_ok(path: Path) -> tuple[list[dict], list[dict], dict]:
    done = run_cli(path)
    story = shown(path)
    assert done.returncode == 0 and "Traceback" not in done.stderr, (
        f"{story}{outcome(done.returncode, done.stdout, done.stderr)}\n"
        "  expected: exit 0 and no traceback (malformed lines are dead letters, not errors)"
    )
    return output(story, done.stdout)


# --- the sequential computation --------------------------------------------------------------


def window_json(key: tuple[str, float], aggregate, size: float) -> dict:
    source, start = key
    return {
        "source": source,
        "start": start,
        "end": start + size,
        "count": aggregate.count,
        "total": aggregate.total,
        "min": aggregate.minimum,
        "max": aggregate.maximum,
        "mean": aggregate.mean,
    }


def totals_json(source: str, aggregate) -> dict:
    return {
        "source": source,
        "count": aggregate.count,
        "total": aggregate.total,
        "min": aggregate.minimum,
        "max": aggregate.maximum,
        "mean": aggregate.mean,
    }


def sequential(
    lines: list[str], size: float, lateness: float
) -> tuple[list[dict], list[dict], dict]:
    """What one lane prints for these lines, in this order: windows, each sensor's totals
    (sorted by source), then the accounting."""
    windows = WindowedAggregator(size, lateness)
    printed = []
    sums: dict[str, Aggregate] = {}
    processed = dead = 0
    for line in lines:
        try:
            record = parse(line)
        except BadRecord:
            dead += 1
            continue
        late = windows.late
        closed = windows.add(record)
        if windows.late == late:
            processed += 1
            sums.setdefault(record.source, Aggregate()).add(record.value)
        printed += [window_json(key, agg, size) for key, agg in closed]
    printed += [window_json(key, agg, size) for key, agg in windows.flush()]
    totals = [totals_json(source, sums[source]) for source in sorted(sums)]
    counts = {
        "produced": len(lines),
        "processed": processed,
        "dead": dead,
        "late": windows.late,
    }
    return printed, totals, counts


def compare_windows(story: str, got: list[dict], expected: list[dict]) -> None:
    if got == expected:
        return
    first = next(
        (i for i, (g, e) in enumerate(zip(got, expected, strict=False)) if g != e),
        min(len(got), len(expected)),
    )
    pytest.fail(
        f"{story}  printed {len(got)} windows, expected {len(expected)}; the first "
        f"difference is window #{first}:\n"
        f"  got:      {got[first] if first < len(got) else 'nothing'}\n"
        f"  expected: {expected[first] if first < len(expected) else 'nothing'}\n"
        "  rule: the windows a run prints, in order, are what simulate -> parse -> "
        "WindowedAggregator.add (then flush at the end) gives one line at a time",
        pytrace=False,
    )


def compare_totals(story: str, got: list[dict], expected: list[dict]) -> None:
    if got == expected:
        return
    shown_got = "\n    ".join(map(str, got)) or "nothing"
    shown_expected = "\n    ".join(map(str, expected)) or "nothing"
    pytest.fail(
        f"{story}  printed these totals after the windows:\n    {shown_got}\n"
        f"  expected:\n    {shown_expected}\n"
        "  rule: one line per sensor with a processed record, sorted by source: its count, "
        "total, min, max and mean over the whole run (late records and dead letters not "
        "included), as run_parallel's Result gives them",
        pytrace=False,
    )


# --- finite runs -----------------------------------------------------------------------------


def test_a_finite_run_of_memory_and_tcp_sensors_equals_the_sequential_run(tmp_path):
    sensors = [
        # start and interval are optional keys: the run must use them, not the defaults.
        dict(
            source="s1",
            seed=11,
            count=400,
            start=500.0,
            interval=0.5,
            garbage=0.1,
            disorder=4.0,
        ),
        dict(source="s2", seed=12, count=300, garbage=0.1, disorder=4.0),
    ]
    sensors[0]["transport"] = "memory"
    sensors[1]["transport"] = "tcp"
    size = 10.0
    # Lateness larger than the whole stream: no window closes before the end, so how the two
    # readers interleave does not matter; every window is printed by the final flush.
    path = write_config(
        tmp_path,
        sensors,
        pipeline=dict(workers=2, mode="threads", queue_size=16),
        window=dict(size=size, allowed_lateness=1e6),
    )
    windows, totals, summary = run_ok(path)
    counts = accounting(summary)
    lines = [line for s in sensors for line in simulate(spec_of(s))]
    expected_windows, expected_totals, expected_counts = sequential(lines, size, 1e6)
    story = shown(path)
    assert counts == expected_counts, (
        f"{story}  accounting: {counts}\n  expected:   {expected_counts}\n"
        "  rule: produced = every line the sensors emitted (700); dead = the malformed "
        "ones; processed = the records added to a window; late = the ones too late for "
        "theirs; produced = processed + dead + late"
    )
    compare_windows(
        story,
        windows,
        sorted(expected_windows, key=lambda w: (w["start"], w["source"])),
    )
    compare_totals(story, totals, expected_totals)


@pytest.mark.parametrize("transport", ["memory", "tcp"])
def test_late_records_are_counted_as_late_not_processed(tmp_path, transport):
    sensor = dict(source="s1", seed=5, count=300, disorder=12.0, garbage=0.05)
    sensor["transport"] = transport
    size, lateness = 5, 2.0  # an integer for a float key: TOML writes 5 for 5.0
    path = write_config(
        tmp_path, [sensor], window=dict(size=size, allowed_lateness=lateness)
    )
    windows, totals, summary = run_ok(path)
    counts = accounting(summary)
    expected_windows, expected_totals, expected_counts = sequential(
        list(simulate(spec_of(sensor))), size, lateness
    )
    assert expected_counts["late"] > 0  # the test's own data: some records are late
    story = shown(path)
    assert counts == expected_counts, (
        f"{story}  accounting: {counts}\n  expected:   {expected_counts}\n"
        "  rule: a late record is counted in late only (WindowedAggregator.late went up), "
        "never in processed too; produced = processed + dead + late"
    )
    compare_windows(story, windows, expected_windows)
    compare_totals(story, totals, expected_totals)


def test_malformed_lines_never_stop_the_run(tmp_path):
    sensor = dict(source="bad", seed=3, count=200, garbage=0.5)
    path = write_config(tmp_path, [sensor])
    _, _, summary = run_ok(path)
    counts = accounting(summary)
    lines = list(simulate(spec_of(sensor)))
    _, _, expected = sequential(lines, 10.0, 0.0)
    assert counts == expected and counts["dead"] > 0, (
        f"{shown(path)}  accounting: {counts}\n  expected:   {expected}\n"
        "  rule: about half the lines are malformed; each is a dead letter and the run "
        "goes on to the end ([window] left out: size 10, allowed_lateness 0)"
    )


def test_the_edge_values_of_each_range_are_accepted(tmp_path):
    sensors = [
        dict(source="empty", seed=1, count=0),  # count >= 0: a sensor may emit nothing
        dict(
            source="all-garbage", seed=2, count=20, garbage=1.0, disorder=0.0, pace=0.0
        ),
        dict(source="s3", seed=3, count=30, start=-50.0, interval=0.25, garbage=0.0),
    ]
    path = write_config(
        tmp_path,
        sensors,
        pipeline=dict(workers=1, mode="processes", queue_size=1),
        window=dict(size=1, allowed_lateness=0.0),  # an integer for a float key
    )
    _, _, summary = run_ok(path)
    counts = accounting(summary)
    lines = [line for s in sensors for line in simulate(spec_of(s))]
    _, _, expected = sequential(lines, 1.0, 0.0)
    assert counts["produced"] == 50 and counts["dead"] == expected["dead"], (
        f"{shown(path)}  accounting: {counts}\n  expected: produced 50 and dead "
        f"{expected['dead']} (the 20 garbage lines among them)\n  rule: count = 0, "
        "garbage = 1.0 and 0.0, disorder = 0, pace = 0, a negative start, workers = 1, "
        "queue_size = 1, size = 1 and allowed_lateness = 0 are all inside their ranges"
    )


MANY = [  # five sensors: with 2 or 3 workers, each worker owns some of them
    dict(source=f"m{n}", seed=40 + n, count=150, garbage=0.05, disorder=2.0)
    for n in range(5)
]


@pytest.mark.parametrize(
    "mode, workers", [("threads", 1), ("threads", 3), ("processes", 2)]
)
def test_workers_and_mode_change_nothing_but_the_summary(tmp_path, mode, workers):
    sensors = [dict(sensor) for sensor in MANY]
    sensors[1]["transport"] = "tcp"
    # Lateness larger than the whole stream: how the readers interleave does not matter.
    path = write_config(
        tmp_path,
        sensors,
        pipeline=dict(workers=workers, mode=mode, queue_size=32),
        window=dict(size=20.0, allowed_lateness=1e6),
    )
    windows, totals, summary = run_ok(path)
    lines = [line for s in sensors for line in simulate(spec_of(s))]
    expected_windows, expected_totals, expected_counts = sequential(lines, 20.0, 1e6)
    story = shown(path)
    settings = {"workers": summary["workers"], "mode": summary["mode"]}
    assert settings == {"workers": workers, "mode": mode}, (
        f'{story}  summary: {summary}\n  expected: "workers": {workers}, '
        f'"mode": "{mode}"\n  rule: the summary says which workers and mode the run used: '
        "run_parallel with [pipeline] workers and mode"
    )
    assert accounting(summary) == expected_counts, (
        f"{story}  accounting: {accounting(summary)}\n  expected:   {expected_counts}\n"
        "  rule: the same for any workers and mode; produced = processed + dead + late"
    )
    compare_windows(
        story,
        windows,
        sorted(expected_windows, key=lambda w: (w["start"], w["source"])),
    )
    compare_totals(story, totals, expected_totals)


SAMPLE = PROJECT / "configs" / "sample.toml"


def test_the_sample_config_runs_and_adds_up():
    """The README's first command: how many are late depends on timing, the rest does not."""
    windows, totals, summary = run_ok(SAMPLE)
    counts = accounting(summary)
    with SAMPLE.open("rb") as file:
        sensors = tomllib.load(file)["sensor"]
    lines = [line for s in sensors for line in simulate(spec_of(s))]
    _, _, expected = sequential(lines, 60.0, 1e6)  # nothing late: processed + late
    story = shown(SAMPLE)
    assert (
        counts["produced"] == expected["produced"]
        and counts["dead"] == expected["dead"]
        and counts["processed"] + counts["late"] == expected["processed"]
    ), (
        f"{story}  accounting: {counts}\n  expected: produced {expected['produced']}, "
        f"dead {expected['dead']}, processed + late = {expected['processed']}\n"
        "  rule: every line of every sensor is produced; the malformed ones are dead; "
        "each valid reading is processed or late"
    )
    in_windows = sum(window["count"] for window in windows)
    in_totals = sum(line["count"] for line in totals)
    assert in_windows == in_totals == counts["processed"], (
        f"{story}  the windows hold {in_windows} records, the totals {in_totals}, "
        f"processed = {counts['processed']}\n  expected: all three equal: every processed "
        "record is in one window and in its sensor's totals"
    )


# --- signals ---------------------------------------------------------------------------------


class Reader(threading.Thread):
    """Reads a pipe line by line in the background (a test must never block on it)."""

    def __init__(self, pipe) -> None:
        super().__init__(daemon=True)
        self.pipe = pipe
        self.lines: list[str] = []
        self.first = threading.Event()

    def run(self) -> None:
        for line in self.pipe:
            self.lines.append(line)
            self.first.set()
        self.first.set()  # the end of the output: nothing more to wait for


# Worker processes of the Ctrl-C run; each is seen in the run's process group.
WORKERS = 3

# How the signal is sent: (signal, to the whole process group?, [pipeline] table).
SENDS = {
    "SIGINT": (signal.SIGINT, False, dict(queue_size=50)),
    "SIGTERM": (signal.SIGTERM, False, dict(queue_size=50)),
    # Ctrl-C in a terminal: SIGINT to every process of the run, worker processes too.
    "Ctrl-C to every process, workers too": (
        signal.SIGINT,
        True,
        dict(queue_size=50, workers=WORKERS, mode="processes"),
    ),
}


def processes_in_group(group: int) -> int:
    """How many live processes (zombies aside) belong to this process group."""
    if not Path("/proc/self/stat").exists():  # macOS and the BSDs: ask ps
        listed = subprocess.run(
            ["ps", "-A", "-o", "pgid=,stat="],
            capture_output=True,
            text=True,
            timeout=WAIT,
        ).stdout.split("\n")
        rows = [line.split() for line in listed if line.strip()]
        return sum(row[0] == str(group) and not row[1].startswith("Z") for row in rows)
    count = 0
    for entry in os.listdir("/proc"):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except (OSError, ValueError):
            continue  # not a process, or it ended meanwhile
        # pid (command) state ppid pgrp ...: the command may hold spaces and parentheses.
        state, _, pgrp = stat.rpartition(")")[2].split()[:3]
        count += pgrp == str(group) and state != "Z"
    return count


def group_outlives(group: int, seconds: float) -> bool:
    """Is a process of this group still there after `seconds`? (multiprocessing's helper
    process, if one was started, ends a moment after the run: it is given that moment.)"""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)  # signal 0: only asks whether the group has a process
        except ProcessLookupError:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize("send", SENDS)
def test_a_signal_mid_run_drains_flushes_and_accounts(tmp_path, send):
    signum, to_group, pipeline = SENDS[send]
    name = signal.Signals(signum).name
    if to_group:
        name += " to the whole process group (Ctrl-C)"
    sensors = [
        # Paced: this one alone would last hours, so the run is still going at the signal.
        dict(source="slow", seed=1, count=10_000_000, transport="memory", pace=0.005),
        # As fast as it can: it keeps the small queue full, so lines are waiting in it when
        # the signal comes, and they must still be processed.
        dict(source="fast", seed=2, count=10_000_000, garbage=0.01, transport="memory"),
    ]
    path = write_config(
        tmp_path,
        sensors,
        pipeline=pipeline,
        window=dict(size=10.0, allowed_lateness=0.0),
    )
    story = f"{shown(path)}  ({name} once the first window is printed)"
    # In a process group of its own (tests/service.py), so the test can signal all of it, and
    # whatever happens, nothing of it outlives the test.
    process = start_process(
        command(path),
        cwd=PROJECT,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = Reader(process.stdout), Reader(process.stderr)
    out.start()
    err.start()
    try:
        out.first.wait(WAIT)
        if process.poll() is not None or not out.lines:
            try:
                code = process.wait(LIMIT)
            except subprocess.TimeoutExpired:
                code = None
            out.join(WAIT)
            err.join(WAIT)
            what = (
                f"it ended (exit {code}) before the signal"
                if code is not None
                else f"after {WAIT} s it had printed no window"
            )
            pytest.fail(
                f"{story}\n  {what}\n{outcome(code, ''.join(out.lines), ''.join(err.lines))}",
                pytrace=False,
            )
        if to_group:
            seen = processes_in_group(process.pid)
            assert seen >= 1 + WORKERS, (
                f"{story}\n  while it ran, its process group held {seen} process(es)\n"
                f"  expected: at least {1 + WORKERS}, the command line and its {WORKERS} "
                'workers: with mode = "processes" the run hands the lines to '
                "run_parallel(lines, workers, mode) with the [pipeline] workers and mode"
            )
            signal_group(process, signum)
        else:
            process.send_signal(signum)
        try:
            code = process.wait(WAIT)
        except subprocess.TimeoutExpired:
            pytest.fail(
                f"{story}\n  still running {WAIT} s after {name}"
                + (
                    "\n  (a worker process that died of the SIGINT never hands back its "
                    "totals: run_parallel waits for them forever)"
                    if to_group
                    else ""
                ),
                pytrace=False,
            )
        out.join(WAIT)
        err.join(WAIT)
        left = group_outlives(process.pid, WAIT)
    finally:
        stop_process(process, signal.SIGKILL, WAIT)  # any worker it left behind too
        process.stdout.close()
        process.stderr.close()
    stdout, stderr = "".join(out.lines), "".join(err.lines)
    assert code == 0 and "Traceback" not in stderr, (
        f"{story}\n{outcome(code, stdout, stderr)}\n  expected: exit 0 and no traceback "
        f"({name} is a normal way to end a run: drain, flush, account, exit 0; a negative "
        "exit code means the signal killed the process; with Ctrl-C the worker processes "
        "get SIGINT too and must not die of it: start them with SIGINT ignored)"
    )
    assert not left, (
        f"{story}\n  the command line exited {code}, but {WAIT} s later a process it "
        "started (a worker) was still running\n  expected: every worker ends with the run "
        "(run_parallel stops and joins them)"
    )
    windows, _, summary = output(story, stdout)
    counts = accounting(summary)
    accounted = counts["processed"] + counts["dead"] + counts["late"]
    assert counts["produced"] > 0 and counts["produced"] == accounted, (
        f"{story}\n  accounting: {counts}\n  processed + dead + late = {accounted}\n"
        "  expected: produced = processed + dead + late: after the signal the readers "
        "stop, but every line already in the queue is still taken out and processed"
    )
    in_windows = sum(window["count"] for window in windows)
    assert in_windows == counts["processed"], (
        f"{story}\n  the windows printed hold {in_windows} records; processed = "
        f"{counts['processed']}\n  expected: equal: on shutdown the open windows are "
        "flushed and printed (before the accounting), or their records are lost"
    )


# --- bad configs -----------------------------------------------------------------------------

S1 = '[[sensor]]\nsource = "s1"\nseed = 1\ncount = 10\n'  # a good sensor, to add to

# Each problem: the config, and the word its error line must name (the file, table or key).
BAD_CONFIGS = {
    "missing file": (None, "run.toml"),
    "bad TOML": ("[[sensor]]\nsource = s1\n", "run.toml"),
    "unknown key": (S1 + 'colour = "red"\n', "colour"),
    "unknown table": (S1 + "[extra]\nx = 1\n", "extra"),
    "wrong type": ('[[sensor]]\nsource = "s1"\nseed = 1\ncount = "ten"\n', "count"),
    "true is not a number": (
        '[[sensor]]\nsource = "s1"\nseed = 1\ncount = true\n',
        "count",
    ),
    "missing key": ('[[sensor]]\nsource = "s1"\nseed = 1\n', "count"),
    "negative count": ('[[sensor]]\nsource = "s1"\nseed = 1\ncount = -1\n', "count"),
    "empty source": ('[[sensor]]\nsource = ""\nseed = 1\ncount = 10\n', "source"),
    "interval 0": (S1 + "interval = 0.0\n", "interval"),
    "infinite interval": (S1 + "interval = inf\n", "interval"),
    "garbage above 1": (S1 + "garbage = 1.5\n", "garbage"),
    "negative garbage": (S1 + "garbage = -0.1\n", "garbage"),
    "start not a number": (S1 + "start = nan\n", "start"),
    "infinite pace": (S1 + "pace = inf\n", "pace"),
    "negative disorder": (S1 + "disorder = -1.0\n", "disorder"),
    "negative pace": (S1 + "pace = -0.5\n", "pace"),
    "unknown transport": (S1 + 'transport = "udp"\n', "transport"),
    "a sensor that is not a table": ("sensor = [1, 2]\n", "sensor"),
    "no sensors": ("[window]\nsize = 10.0\n", "sensor"),
    "two sensors named s1": (S1 + S1, "s1"),
    "workers < 1": (S1 + "[pipeline]\nworkers = 0\n", "workers"),
    "unknown mode": (S1 + '[pipeline]\nmode = "fibers"\n', "mode"),
    "queue_size 0": (S1 + "[pipeline]\nqueue_size = 0\n", "queue_size"),
    "a pipeline that is not a table": (S1 + "pipeline = 3\n", "pipeline"),
    "window size 0": (S1 + "[window]\nsize = 0.0\n", "size"),
    "infinite window size": (S1 + "[window]\nsize = inf\n", "size"),
    "negative lateness": (
        S1 + "[window]\nallowed_lateness = -1.0\n",
        "allowed_lateness",
    ),
}


@pytest.mark.parametrize("problem", BAD_CONFIGS)
def test_a_malformed_config_is_one_error_line_and_exit_2(tmp_path, problem):
    text, culprit = BAD_CONFIGS[problem]
    path = tmp_path / "run.toml"
    if text is not None:
        path.write_text(text)
    done = run_cli(path)
    story = f"{shown(path)}  (the problem: {problem})"
    lines = done.stderr.splitlines()
    assert (
        done.returncode == 2
        and len(lines) == 1
        and lines[0].startswith("error:")
        and done.stdout == ""
    ), (
        f"{story}\n{outcome(done.returncode, done.stdout, done.stderr)}\n"
        "  expected: exit 2, nothing on stdout, and exactly one line on stderr starting "
        "'error:' that says what is wrong (no traceback: a bad config is the user's "
        "mistake, not a crash)"
    )
    assert culprit in lines[0], (
        f"{story}\n  stderr: {lines[0]!r}\n  expected: the error line names {culprit!r}, "
        "so the user knows which file, table or key to fix"
    )


@pytest.mark.parametrize(
    "args", [[], ["run"], ["go", "run.toml"], ["run", "a.toml", "b"]]
)
def test_wrong_arguments_are_a_usage_line_and_exit_2(tmp_path, args):
    story = f"python -m dataproc {' '.join(args)}"
    done = run_dataproc(args, story)
    lines = done.stderr.splitlines()
    assert done.returncode == 2 and len(lines) == 1 and "usage" in lines[0], (
        f"{story}\n{outcome(done.returncode, done.stdout, done.stderr)}\n"
        "  expected: exit 2 and one line on stderr: error: usage: python -m dataproc run "
        "CONFIG.toml (the USAGE of cli.py)"
    )
