"""Stage 4 (parallel): the pipeline on several workers, partitioned by source.

The calling thread parses every line (so dead letters keep their input order) and routes each
record to the worker that owns its source. One owner per source means no two workers ever
touch the same Aggregate, and each source's records stay in the order they arrived. Each
worker's inbox is bounded, so a slow worker slows the router instead of filling memory.
"""

import multiprocessing  # noqa: F401 (used by code you write)
import queue  # noqa: F401 (used by code you write)
import threading  # noqa: F401 (used by code you write)
import zlib  # noqa: F401 (used by code you write)
from collections.abc import Callable, Iterable
from typing import Any

from .pipeline import (  # noqa: F401 (used by code you write)
    Aggregate,
    BadRecord,
    DeadLetter,
    Result,
    parse,
)
from .sensors import Record

MODES = ("threads", "processes")
QUEUE_SIZE = 64
"""How many records may wait in one worker's inbox."""

STOP = None
"""What the router puts into every inbox after the last record."""


def partition(source: str, workers: int) -> int:
    """Which worker handles `source`: zlib.crc32(source.encode()) % workers (stable across
    processes and runs, unlike hash())."""
    raise NotImplementedError(
        "Stage 4 (parallel): zlib.crc32 of the source, modulo workers"
    )


def _work(
    index: int,
    inbox: Any,
    outbox: Any,
    on_record: Callable[[int, Record], None] | None = None,
) -> None:
    """Aggregate the records of `inbox` until STOP, then put (index, aggregates) in `outbox`."""
    raise NotImplementedError(
        "Stage 4 (parallel): aggregate the inbox's records until STOP, then report to outbox"
    )


def run_parallel(
    lines: Iterable[str],
    workers: int,
    mode: str = "threads",
    on_record: Callable[[int, Record], None] | None = None,
) -> Result:
    """Parse in the calling thread, route each record to the worker of its source through a
    bounded queue per worker, aggregate in the workers, merge at the end. mode "threads" or
    "processes" (multiprocessing). Every record is aggregated exactly once, each worker sees a
    source's records in the order they arrived, and the Result equals run_single's for the same
    lines (aggregates equal; dead letters in input order). `on_record(worker index, record)`,
    when given, is called by the worker for each record it takes (mode "threads" only)."""
    raise NotImplementedError(
        "Stage 4 (parallel): parse here, route records by partition to bounded worker queues, merge"
    )
