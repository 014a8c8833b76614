"""Stage 3 (scan): probe many ports at once, never more than `concurrency` at a time.

Stage 4 (hazards) keeps that number within the process's file-descriptor limit.
"""

import asyncio  # noqa: F401 (used by code you write)
import resource  # noqa: F401 (used by code you write)
from collections.abc import Callable, Iterable

from .probe import PortResult, probe  # noqa: F401 (used by code you write)

DEFAULT_CONCURRENCY = 500
FD_RESERVE = 32  # descriptors kept free for the process itself


def clamp_concurrency(requested: int, limit: int | None = None) -> int:
    """The concurrency actually used: min(requested, limit - FD_RESERVE), at least 1. `limit`
    defaults to the soft RLIMIT_NOFILE (resource.getrlimit), read at each call: every connection
    in flight holds one file descriptor."""
    raise NotImplementedError(
        "Stage 4 (hazards): read the soft RLIMIT_NOFILE and keep FD_RESERVE descriptors free"
    )


async def scan(
    host: str,
    ports: Iterable[int],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    timeout: float = 1.0,
    on_result: Callable[[PortResult], None] | None = None,
) -> list[PortResult]:
    """Probe every port with at most `concurrency` connections in flight at once; return results
    sorted by port (one per distinct port). on_result is called as each probe finishes (progress,
    partial results on Ctrl-C). concurrency < 1 raises ValueError.

    Stage 4: the concurrency used is clamp_concurrency(concurrency)."""
    raise NotImplementedError(
        "Stage 3 (scan): run probes concurrently, at most `concurrency` at once"
    )
