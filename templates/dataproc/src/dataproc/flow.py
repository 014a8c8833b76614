"""Stage 3 (backpressure): many producers, one slow consumer, and a queue of bounded size.

An unbounded queue hides a slow sink until memory runs out. A bounded one pushes back: when
it is full, `put` blocks, so the producers wait for the sink instead of piling up lines.
"""

import queue  # noqa: F401 (used by code you write)
import threading  # noqa: F401 (used by code you write)
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
    raise NotImplementedError(
        "Stage 3 (backpressure): one producer thread per source into a queue.Queue(maxsize); call sink in this thread"
    )
