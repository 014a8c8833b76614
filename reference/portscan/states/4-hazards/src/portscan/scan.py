"""Stage 3 (scan): probe many ports at once, never more than `concurrency` at a time.

Stage 4 (hazards) keeps that number within the process's file-descriptor limit.
"""

import asyncio
import resource
from collections.abc import Callable, Iterable

from .probe import PortResult, probe

DEFAULT_CONCURRENCY = 500
FD_RESERVE = 32  # descriptors kept free for the process itself


def clamp_concurrency(requested: int, limit: int | None = None) -> int:
    """The concurrency actually used: min(requested, limit - FD_RESERVE), at least 1. `limit`
    defaults to the soft RLIMIT_NOFILE (resource.getrlimit), read at each call: every connection
    in flight holds one file descriptor."""
    if limit is None:
        limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return max(1, min(requested, limit - FD_RESERVE))


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
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, not {concurrency}")
    todo = sorted(set(ports))
    pending = iter(todo)
    results: list[PortResult] = []

    # A fixed pool of workers sharing one iterator: at most `workers` probes are ever in flight,
    # and a scan of 65535 ports does not create 65535 tasks.
    async def worker() -> None:
        for port in pending:
            result = await probe(host, port, timeout)
            results.append(result)
            if on_result is not None:
                on_result(result)

    workers = min(clamp_concurrency(concurrency), len(todo))
    await asyncio.gather(*(worker() for _ in range(workers)))
    results.sort(key=lambda result: result.port)
    return results
