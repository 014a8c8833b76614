"""Stage 7 (shutdown): `python -m dataproc run CONFIG.toml`, a whole run from a config file.

Every sensor of the config is read by its own thread into one bounded queue; the main thread
parses each line, feeds the records to a WindowedAggregator, and prints every window that
closes as one JSON line on stdout. At the end it prints one accounting line:

    {"produced": n, "processed": n, "dead": n, "late": n}

and produced = processed + dead + late: every line a sensor produced is accounted for.

SIGINT (Ctrl-C) and SIGTERM (what `kill` and most service managers send) are a normal way to
end a run, not a crash: the readers stop, what is already queued is drained, the open windows
are flushed, the accounting is printed, exit 0. A malformed config prints one line `error:
...` on stderr and exits 2.

This stage runs one lane (the `[pipeline]` keys `workers` and `mode` are checked but the run
does not use them yet; `queue_size` is the size of the queue).
"""

import json  # noqa: F401 (used by code you write)
import math  # noqa: F401 (used by code you write)
import queue  # noqa: F401 (used by code you write)
import signal  # noqa: F401 (used by code you write)
import sys  # noqa: F401 (used by code you write)
import threading
import tomllib  # noqa: F401 (used by code you write)
from contextlib import ExitStack, closing  # noqa: F401 (used by code you write)
from dataclasses import dataclass, field
from types import FrameType  # noqa: F401 (used by code you write)
from typing import Any  # noqa: F401 (used by code you write)

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
    """Read and check a TOML config: `[[sensor]]` tables (source, seed, count required; start,
    interval, garbage, disorder, transport "memory" | "tcp", pace optional), `[pipeline]`
    (workers >= 1, mode "threads" | "processes", queue_size >= 1) and `[window]` (size > 0,
    allowed_lateness >= 0). A missing file, bad TOML, an unknown table or key, a value of the
    wrong type or out of range, no sensor at all or two with the same source raise
    ConfigError, its message naming what is at fault: the file, the table, the key or the
    repeated source. A float key may be written as an integer (TOML writes 10 for 10.0);
    true and false are not numbers."""
    raise NotImplementedError(
        "Stage 7 (shutdown): read the TOML file and check every table and key"
    )


def format_window(key: tuple[str, float], aggregate: Aggregate, size: float) -> str:
    """One closed window as a JSON line: {"source", "start", "end", "count", "total", "min",
    "max", "mean"} (end = start + size)."""
    raise NotImplementedError("Stage 7 (shutdown): one closed window as a JSON line")


def run_pipeline(config: Config) -> dict[str, int]:
    """Read every sensor in its own thread into one queue.Queue(config.queue_size); parse,
    window and print closed windows (format_window, flushed) in the calling thread. Once
    `config.stop` is set, the readers stop taking lines; every line already queued is still
    processed, then the open windows are flushed and printed. Returns the accounting
    {"produced", "processed", "dead", "late"}; produced = processed + dead + late."""
    raise NotImplementedError(
        "Stage 7 (shutdown): reader threads into a bounded queue; parse, window, drain and flush"
    )


def main(argv: list[str] | None = None) -> int:
    """`run CONFIG.toml` (`argv` without the program name; None means sys.argv[1:]): load the
    config, run the pipeline with SIGINT and SIGTERM setting `config.stop`, print the
    accounting as the last JSON line and return 0. Bad arguments or a malformed config print
    one line `error: <message>` on stderr and return 2."""
    raise NotImplementedError(
        "Stage 7 (shutdown): load the config, handle SIGINT/SIGTERM, run, print the accounting"
    )
