"""Stage 4 (parallel): the pipeline on several workers, partitioned by source.

The calling thread parses every line (so dead letters keep their input order) and routes each
record to the worker that owns its source. One owner per source means no two workers ever
touch the same Aggregate, and each source's records stay in the order they arrived. Each
worker's inbox is bounded, so a slow worker slows the router instead of filling memory.
"""

import multiprocessing
import queue
import threading
import zlib
from collections.abc import Callable, Iterable
from typing import Any

from .pipeline import Aggregate, BadRecord, DeadLetter, Result, parse
from .sensors import Record

MODES = ("threads", "processes")
QUEUE_SIZE = 64
"""How many records may wait in one worker's inbox."""

STOP = None
"""What the router puts into every inbox after the last record."""


def partition(source: str, workers: int) -> int:
    """Which worker handles `source`: zlib.crc32(source.encode()) % workers (stable across
    processes and runs, unlike hash())."""
    # hash() of a str is salted per process (PYTHONHASHSEED): two processes would disagree.
    return zlib.crc32(source.encode()) % workers


def _work(
    index: int,
    inbox: Any,
    outbox: Any,
    on_record: Callable[[int, Record], None] | None = None,
) -> None:
    """Aggregate the records of `inbox` until STOP, then put (index, aggregates) in `outbox`."""
    aggregates: dict[str, Aggregate] = {}
    while (record := inbox.get()) is not STOP:
        if on_record is not None:
            on_record(index, record)
        aggregates.setdefault(record.source, Aggregate()).add(record.value)
    outbox.put((index, aggregates))


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
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if mode == "threads":
        outbox: Any = queue.Queue()
        inboxes: list[Any] = [queue.Queue(QUEUE_SIZE) for _ in range(workers)]
        runners: list[Any] = [
            threading.Thread(
                target=_work, args=(i, inboxes[i], outbox, on_record), daemon=True
            )
            for i in range(workers)
        ]
    else:
        # spawn, not fork: forking a process that runs threads can copy a held lock.
        context = multiprocessing.get_context("spawn")
        outbox = context.Queue()
        inboxes = [context.Queue(QUEUE_SIZE) for _ in range(workers)]
        runners = [
            context.Process(target=_work, args=(i, inboxes[i], outbox), daemon=True)
            for i in range(workers)
        ]
    for runner in runners:
        runner.start()
    dead: list[DeadLetter] = []
    try:
        for line in lines:
            try:
                record = parse(line)
            except BadRecord as err:
                dead.append(DeadLetter(line, str(err)))
                continue
            inboxes[partition(record.source, workers)].put(record)
    finally:
        # Always stop the workers, even when reading the lines failed.
        for inbox in inboxes:
            inbox.put(STOP)
    # Read every partial before joining: a process cannot exit while its queue is unread.
    partials = dict(outbox.get() for _ in runners)
    for runner in runners:
        runner.join()
    result = Result(aggregates={}, dead=dead, processed=0)
    for index in range(workers):
        for source, aggregate in partials[index].items():
            result.aggregates.setdefault(source, Aggregate()).merge(aggregate)
            result.processed += aggregate.count
    return result
