"""Stage 3 (backpressure): many producers, one slow consumer, and a queue of bounded size.

An unbounded queue hides a slow sink until memory runs out. A bounded one pushes back: when
it is full, `put` blocks, so the producers wait for the sink instead of piling up lines.
"""

import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

DONE = object()
"""What a producer puts after its last line: the consumer stops after one per source."""


@dataclass
class FlowStats:
    """What went through a bounded run."""

    produced: int  # lines taken from the sources
    consumed: int  # lines the sink received
    peak_depth: int  # the most items ever waiting in the queue


def run_bounded(
    sources: list[Iterable[str]], sink: Callable[[str], None], maxsize: int
) -> FlowStats:
    """One producer thread per source puts lines into one queue.Queue(maxsize); the calling
    thread takes them out and calls `sink(line)` for each, until every source is exhausted and
    the queue is empty. A slow sink blocks the producers (put blocks when the queue is full), so
    no more than `maxsize` lines ever wait. maxsize < 1 raises ValueError."""
    # queue.Queue(0) would mean "unbounded": exactly what this stage is about avoiding.
    if maxsize < 1:
        raise ValueError(f"maxsize must be at least 1, got {maxsize}")
    lines: queue.Queue = queue.Queue(maxsize)
    lock = threading.Lock()
    stats = FlowStats(produced=0, consumed=0, peak_depth=0)

    def produce(source: Iterable[str]) -> None:
        try:
            for line in source:
                with lock:
                    stats.produced += 1
                lines.put(line)  # blocks while the queue is full: the backpressure
                with lock:
                    stats.peak_depth = max(stats.peak_depth, lines.qsize())
        finally:
            # Even a failing source must say it is done, or the consumer waits forever.
            lines.put(DONE)

    producers = [
        threading.Thread(target=produce, args=(source,), daemon=True)
        for source in sources
    ]
    for producer in producers:
        producer.start()
    finished = 0
    while finished < len(producers):
        line = lines.get()
        if line is DONE:
            finished += 1
            continue
        sink(line)
        stats.consumed += 1
    for producer in producers:
        producer.join()
    return stats
