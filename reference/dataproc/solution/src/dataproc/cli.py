"""Stage 7 (shutdown): `python -m dataproc run CONFIG.toml`, a whole run from a config file.

Every sensor of the config is read by its own thread into one bounded queue (`[pipeline]
queue_size`). The main thread takes the lines out in the order they arrive and gives each
record to one WindowedAggregator: its watermark is global, so lateness is decided in one
place. Every window that closes is printed as one JSON line on stdout; a late record stops
there, counted. Every other line, valid or malformed, goes on to `run_parallel` (stage 4) with
the `[pipeline]` workers and mode: its workers keep each sensor's totals over the whole run,
and the malformed lines become its dead letters. At the end the open windows are flushed and
printed, then one line per sensor with a processed record, sorted by source:

    {"source": "s1", "count": n, "total": x, "min": x, "max": x, "mean": x}

and last the summary: the accounting, and the workers and mode the run used:

    {"produced": n, "processed": n, "dead": n, "late": n, "workers": n, "mode": "threads"}

produced = processed + dead + late: every line a sensor produced is accounted for. For lines
arriving in the same order, windows, totals and accounting are the same for any workers and
mode.

SIGINT (Ctrl-C) and SIGTERM (what `kill` and most service managers send) are a normal way to
end a run, not a crash: the readers stop, what is already queued is drained, the open windows
are flushed, the totals and the summary are printed, exit 0. Ctrl-C in a terminal sends
SIGINT to every process of the run, worker processes too: a worker must not die of it (a
process started while SIGINT is ignored ignores it too), the main process alone decides when
to stop. A malformed config or bad arguments print one line `error: ...` on stderr and exit 2.
"""

import json
import math
import queue
import signal
import sys
import threading
import tomllib
from collections.abc import Iterator
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from .parallel import run_parallel
from .pipeline import Aggregate, BadRecord, parse
from .sensors import HOST, LineServer, SensorSpec, read_lines, simulate
from .windows import WindowedAggregator

EXIT_OK = 0
EXIT_USAGE = 2
USAGE = "usage: python -m dataproc run CONFIG.toml"
MODES = ("threads", "processes")
TRANSPORTS = ("memory", "tcp")


class ConfigError(Exception):
    """A config that cannot be run; str(err) says what is wrong and where."""


@dataclass(frozen=True)
class Sensor:
    """One `[[sensor]]` table: what it emits, how it is read, how fast."""

    spec: SensorSpec
    transport: str = "memory"  # "memory" (simulate in the reader) or "tcp" (LineServer)
    pace: float = 0.0  # seconds the reader waits after each line (0: as fast as it can)


@dataclass
class Config:
    """A whole config file, checked."""

    sensors: list[Sensor]
    workers: int = 1
    mode: str = "threads"
    queue_size: int = 1000
    size: float = 10.0  # window size, seconds of event time
    allowed_lateness: float = 0.0
    stop: threading.Event = field(
        default_factory=threading.Event
    )  # set by SIGINT/SIGTERM


def load_config(path: str) -> Config:
    """Read and check a TOML config (README, "The config"). `[[sensor]]` tables: source (a
    non-empty string), seed (any integer) and count (>= 0) required; start (any number),
    interval (> 0), garbage (0 to 1, both included), disorder (>= 0), transport ("memory" or
    "tcp") and pace (>= 0) optional. `[pipeline]`: workers (>= 1), mode ("threads" or
    "processes"), queue_size (>= 1). `[window]`: size (> 0), allowed_lateness (>= 0). Every
    number must be finite (no inf, no nan). A missing file, bad TOML, an unknown table or key, a
    value of the wrong type or out of range, no sensor at all or two with the same source raise
    ConfigError, its message naming what is at fault: the file, the table, the key or the
    repeated source. A float key may be written as an integer (TOML writes 10 for 10.0); true
    and false are not numbers."""

    def pick(
        table: Any, where: str, kinds: dict[str, type], required: set[str]
    ) -> dict:
        """The keys of `table`, each checked against its type; unknown or missing keys fail."""
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: expected a table")
        for key in table:
            if key not in kinds:
                raise ConfigError(
                    f"{where}: unknown key {key!r} (known: {', '.join(kinds)})"
                )
        for key in sorted(required - set(table)):
            raise ConfigError(f"{where}: missing key {key!r}")
        values = {}
        for key, value in table.items():
            kind = kinds[key]
            # bool is a subclass of int in Python, but `count = true` is a mistake.
            ok = isinstance(value, kind) and not isinstance(value, bool)
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                value, ok = float(value), True  # TOML writes 10 for 10.0
            if not ok:
                raise ConfigError(
                    f"{where}: {key!r} must be {kind.__name__}, got {value!r}"
                )
            if kind is float and not math.isfinite(value):
                raise ConfigError(f"{where}: {key!r} must be finite, got {value!r}")
            values[key] = value
        return values

    def check(ok: bool, message: str) -> None:
        if not ok:
            raise ConfigError(message)

    try:
        with open(path, "rb") as file:
            document = tomllib.load(file)
    except OSError as err:
        raise ConfigError(f"cannot read {path}: {err.strerror or err}") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path} is not valid TOML: {err}") from None

    top = pick(
        document, path, {"sensor": list, "pipeline": dict, "window": dict}, set()
    )
    sensors = []
    sensor_kinds = {
        "source": str,
        "seed": int,
        "count": int,
        "start": float,
        "interval": float,
        "garbage": float,
        "disorder": float,
        "transport": str,
        "pace": float,
    }
    for number, table in enumerate(top.get("sensor", []), 1):
        where = f"[[sensor]] #{number}"
        values = pick(table, where, sensor_kinds, {"source", "seed", "count"})
        transport = values.pop("transport", "memory")
        pace = values.pop("pace", 0.0)
        check(values["source"] != "", f"{where}: 'source' must not be empty")
        check(values["count"] >= 0, f"{where}: 'count' must be >= 0")
        check(values.get("interval", 1.0) > 0, f"{where}: 'interval' must be > 0")
        check(
            0 <= values.get("garbage", 0.0) <= 1,
            f"{where}: 'garbage' must be in [0, 1]",
        )
        check(values.get("disorder", 0.0) >= 0, f"{where}: 'disorder' must be >= 0")
        check(
            transport in TRANSPORTS, f"{where}: 'transport' must be one of {TRANSPORTS}"
        )
        check(pace >= 0, f"{where}: 'pace' must be >= 0")
        sensors.append(Sensor(SensorSpec(**values), transport, pace))
    check(bool(sensors), f"{path}: no [[sensor]] table: nothing to read")
    names = [sensor.spec.source for sensor in sensors]
    twice = sorted({name for name in names if names.count(name) > 1})
    check(not twice, f"{path}: two sensors named {twice[0] if twice else ''!r}")

    pipeline = pick(
        top.get("pipeline", {}),
        "[pipeline]",
        {"workers": int, "mode": str, "queue_size": int},
        set(),
    )
    window = pick(
        top.get("window", {}),
        "[window]",
        {"size": float, "allowed_lateness": float},
        set(),
    )
    config = Config(sensors, **pipeline, **window)
    check(
        config.workers >= 1, f"[pipeline]: 'workers' must be >= 1, got {config.workers}"
    )
    check(config.mode in MODES, f"[pipeline]: 'mode' must be one of {MODES}")
    check(config.queue_size >= 1, "[pipeline]: 'queue_size' must be >= 1")
    check(config.size > 0, "[window]: 'size' must be > 0")
    check(config.allowed_lateness >= 0, "[window]: 'allowed_lateness' must be >= 0")
    return config


def format_window(key: tuple[str, float], aggregate: Aggregate, size: float) -> str:
    """One closed window as a JSON line: {"source", "start", "end", "count", "total", "min",
    "max", "mean"} (end = start + size)."""
    source, start = key
    return json.dumps(
        {
            "source": source,
            "start": start,
            "end": start + size,
            "count": aggregate.count,
            "total": aggregate.total,
            "min": aggregate.minimum,
            "max": aggregate.maximum,
            "mean": aggregate.mean,
        }
    )


def format_totals(source: str, aggregate: Aggregate) -> str:
    """One sensor's totals over the whole run as a JSON line: {"source", "count", "total",
    "min", "max", "mean"}."""
    return json.dumps(
        {
            "source": source,
            "count": aggregate.count,
            "total": aggregate.total,
            "min": aggregate.minimum,
            "max": aggregate.maximum,
            "mean": aggregate.mean,
        }
    )


def run_pipeline(config: Config) -> dict[str, int]:
    """Read every sensor in its own thread into one queue.Queue(config.queue_size). In the
    calling thread, take each line out and give its record to one WindowedAggregator, printing
    every window that closes (format_window, flushed); pass every line but the late records to
    run_parallel(lines, config.workers, config.mode). Once `config.stop` is set, the readers
    stop taking lines; every line already queued is still processed, then the open windows are
    flushed and printed, then each sensor's totals from run_parallel's Result (format_totals,
    sorted by source). Returns the accounting {"produced", "processed", "dead", "late"};
    produced = processed + dead + late."""
    lines: queue.Queue = queue.Queue(maxsize=config.queue_size)
    done = (
        object()
    )  # each reader puts it last: the consumer knows when all have finished
    produced = [0] * len(
        config.sensors
    )  # one counter per reader: no two threads share one
    stop = config.stop

    def read(index: int, sensor: Sensor) -> None:
        try:
            with ExitStack() as stack:
                if sensor.transport == "tcp":
                    server = stack.enter_context(LineServer(simulate(sensor.spec)))
                    # closing(): leaving early must close the connection, not wait for GC.
                    source = stack.enter_context(closing(read_lines(HOST, server.port)))
                else:
                    source = simulate(sensor.spec)
                for line in source:
                    if stop.is_set():
                        break
                    # Blocks while the queue is full (backpressure); the consumer keeps
                    # taking lines even after a signal, so this always returns.
                    lines.put(line)
                    produced[index] += 1
                    if sensor.pace:
                        stop.wait(sensor.pace)  # a signal cuts the pause short
        except OSError as err:
            print(f"warning: sensor {sensor.spec.source}: {err}", file=sys.stderr)
        finally:
            lines.put(done)

    readers = [
        threading.Thread(target=read, args=(index, sensor), daemon=True)
        for index, sensor in enumerate(config.sensors)
    ]
    for reader in readers:
        reader.start()

    # Ctrl-C in a terminal sends SIGINT to the whole process group, worker processes too; one
    # that died of KeyboardInterrupt would never hand back its totals, and the run would wait
    # for them forever. A process started while SIGINT is ignored ignores it too (that survives
    # exec), so SIGINT is ignored while run_parallel starts its workers; it is handled again
    # from the first line run_parallel asks for.
    handler = signal.getsignal(signal.SIGINT)
    shield = (
        config.mode == "processes"
        and handler is not None
        and threading.current_thread() is threading.main_thread()
    )
    if shield:
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    windows = WindowedAggregator(config.size, config.allowed_lateness)

    def on_time() -> Iterator[str]:
        """Every queued line but the late records, in arrival order, until every reader is
        done; the windows that close on the way are printed."""
        if shield:
            signal.signal(signal.SIGINT, handler)
        running = len(readers)
        # Drain until every reader has said it is done: stopping at the signal would lose the
        # lines already queued, which were produced and must be accounted for.
        while running:
            line = lines.get()
            if line is done:
                running -= 1
                continue
            try:
                record = parse(line)
            except BadRecord:
                yield line  # run_parallel makes it a dead letter, with its reason
                continue
            late = windows.late
            closed = windows.add(record)
            if windows.late == late:  # a late record is counted in windows.late only
                yield line
            for key, aggregate in closed:
                print(format_window(key, aggregate, config.size), flush=True)

    result = run_parallel(on_time(), config.workers, config.mode)
    for reader in readers:
        reader.join()
    # End of stream, or shutdown: the open windows hold processed records too.
    for key, aggregate in windows.flush():
        print(format_window(key, aggregate, config.size), flush=True)
    for source in sorted(result.aggregates):
        print(format_totals(source, result.aggregates[source]), flush=True)
    return {
        "produced": sum(produced),
        "processed": result.processed,
        "dead": len(result.dead),
        "late": windows.late,
    }


def main(argv: list[str] | None = None) -> int:
    """`run CONFIG.toml` (`argv` without the program name; None means sys.argv[1:]): load the
    config, run the pipeline with SIGINT and SIGTERM setting `config.stop`, print the summary
    (the accounting with "workers" and "mode" added) as the last JSON line and return 0. A
    malformed config prints one line `error: <message>` on stderr, bad arguments the line
    `error: ` + USAGE; both return 2."""
    args = sys.argv[1:] if argv is None else argv
    try:
        if len(args) != 2 or args[0] != "run":
            raise ConfigError(USAGE)
        config = load_config(args[1])
    except ConfigError as err:
        print(f"error: {' '.join(str(err).split())}", file=sys.stderr)
        return EXIT_USAGE

    def on_signal(signum: int, frame: FrameType | None) -> None:
        # Only set a flag: the main thread drains, flushes and reports in its own time.
        config.stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    counts = run_pipeline(config)
    summary = {**counts, "workers": config.workers, "mode": config.mode}
    print(json.dumps(summary), flush=True)
    return EXIT_OK
