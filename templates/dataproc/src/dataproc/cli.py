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

import json  # noqa: F401 (used by code you write)
import math  # noqa: F401 (used by code you write)
import queue  # noqa: F401 (used by code you write)
import signal  # noqa: F401 (used by code you write)
import sys  # noqa: F401 (used by code you write)
import threading
import tomllib  # noqa: F401 (used by code you write)
from collections.abc import Iterator  # noqa: F401 (used by code you write)
from contextlib import ExitStack, closing  # noqa: F401 (used by code you write)
from dataclasses import dataclass, field
from types import FrameType  # noqa: F401 (used by code you write)
from typing import Any  # noqa: F401 (used by code you write)

from .parallel import run_parallel  # noqa: F401 (used by code you write)
from .pipeline import Aggregate, BadRecord, parse  # noqa: F401 (used by code you write)
from .sensors import (  # noqa: F401 (used by code you write)
    HOST,
    LineServer,
    SensorSpec,
    read_lines,
    simulate,
)
from .windows import WindowedAggregator  # noqa: F401 (used by code you write)

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
    raise NotImplementedError(
        "Stage 7 (shutdown): read the TOML file and check every table and key"
    )


def format_window(key: tuple[str, float], aggregate: Aggregate, size: float) -> str:
    """One closed window as a JSON line: {"source", "start", "end", "count", "total", "min",
    "max", "mean"} (end = start + size)."""
    raise NotImplementedError("Stage 7 (shutdown): one closed window as a JSON line")


def format_totals(source: str, aggregate: Aggregate) -> str:
    """One sensor's totals over the whole run as a JSON line: {"source", "count", "total",
    "min", "max", "mean"}."""
    raise NotImplementedError("Stage 7 (shutdown): one sensor's totals as a JSON line")


def run_pipeline(config: Config) -> dict[str, int]:
    """Read every sensor in its own thread into one queue.Queue(config.queue_size). In the
    calling thread, take each line out and give its record to one WindowedAggregator, printing
    every window that closes (format_window, flushed); pass every line but the late records to
    run_parallel(lines, config.workers, config.mode). Once `config.stop` is set, the readers
    stop taking lines; every line already queued is still processed, then the open windows are
    flushed and printed, then each sensor's totals from run_parallel's Result (format_totals,
    sorted by source). Returns the accounting {"produced", "processed", "dead", "late"};
    produced = processed + dead + late."""
    raise NotImplementedError(
        "Stage 7 (shutdown): readers into a bounded queue; window, run_parallel, drain, flush"
    )


def main(argv: list[str] | None = None) -> int:
    """`run CONFIG.toml` (`argv` without the program name; None means sys.argv[1:]): load the
    config, run the pipeline with SIGINT and SIGTERM setting `config.stop`, print the summary
    (the accounting with "workers" and "mode" added) as the last JSON line and return 0. A
    malformed config prints one line `error: <message>` on stderr, bad arguments the line
    `error: ` + USAGE; both return 2."""
    raise NotImplementedError(
        "Stage 7 (shutdown): load the config, handle SIGINT/SIGTERM, run, print the summary"
    )
