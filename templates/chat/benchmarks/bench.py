"""How does your server fan out to a thousand clients, next to a minimal one? (one run)

    python benchmarks/bench.py [--sizes 1000,3000] [--messages 20]

Starts your server (the command in pyproject.toml's [tool.climb.service]) and a minimal
broadcast server on the same library (benchmarks/baseline.py) on free ports of 127.0.0.1. For
each number of clients in --sizes it connects that many WebSocket clients (100 at a time) to
one room, then one more client says --messages messages, one after the other: each is sent once
every client has the one before. It reports, for both servers:

- connect: seconds until every client has joined;
- time-to-all p50 / p99: from sending a message until the last client has it;
- deliveries/s: messages delivered to clients per second of broadcasting;
- KiB/conn: the server's resident memory growth while the clients connected, per client;
- delivered: whether every client got every message (a client waits 10 s at most).

and your numbers as ratios of the baseline's, and writes benchmarks/report.json. The reference
target at 1,000 clients: every message delivered, median time-to-all under 1 s, under 64 KiB
per connection. The clients run in this one Python process, so they cost time too: compare
within one run, never across machines.

Like is compared with like: the baseline never compresses, and the bench's clients do not offer
permessage-deflate, so the target rows measure your server with compression off too, whatever
`serve()` is told. One more row, "+deflate", measures your server with clients
that offer it (as browsers do): a server that accepts keeps zlib state for every connection,
and that row shows what it costs. It is reported, not held to the target.
"""

import argparse
import asyncio
import json
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil
from arguments import counts  # benchmarks/arguments.py, shared by every project
from rich.console import Console
from rich.table import Table
from websockets.asyncio.client import connect

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
AT_ONCE = 100
WAIT = 10.0
TARGET_P50 = 1.0
TARGET_KIB = 64.0
DEFLATE_ROW = "+deflate"  # short: the table fits 80 columns


@dataclass
class Run:
    """One server, one number of clients."""

    name: str
    clients: int
    connect_s: float
    p50_ms: float
    p99_ms: float
    deliveries_per_s: float
    kib_per_connection: float
    delivered: bool
    offered_deflate: bool  # did the clients offer permessage-deflate?
    deflate: bool  # did the server accept it?


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=counts,
        default="1000",
        help="comma-separated numbers of clients, up to 3000 (default: %(default)s)",
    )
    parser.add_argument(
        "--messages",
        type=int,
        default=20,
        help="messages broadcast per run (default: %(default)s)",
    )
    opts = parser.parse_args(argv)
    if max(opts.sizes) > 3000:
        parser.error("argument --sizes: at most 3000 clients")
    return opts


def raise_open_files_limit(clients: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < clients + 200:
        sys.exit(
            f"error: {clients} clients need {clients + 200} open files; this machine "
            f"allows {hard} (raise it with `ulimit -Hn`)"
        )


async def measure(
    name: str, url: str, pid: int, clients: int, messages: int, deflate: bool
) -> Run:
    server = psutil.Process(pid)
    # websockets' clients offer permessage-deflate unless told not to.
    compression = "deflate" if deflate else None
    gate = asyncio.Semaphore(AT_ONCE)
    arrivals: list[dict[int, float]] = [{} for _ in range(clients)]
    news = asyncio.Condition()
    sockets = []

    async def join(n: int):
        async with gate:
            websocket = await connect(
                url,
                open_timeout=60,
                ping_interval=None,
                close_timeout=1,
                compression=compression,
            )
            await websocket.send(
                json.dumps({"type": "join", "room": "bench", "nick": f"c{n}"})
            )
            async for frame in websocket:
                if '"joined"' in frame:
                    break
        sockets.append(websocket)
        return websocket

    async def listen(n: int, websocket):
        async for frame in websocket:
            if '"message"' in frame:
                arrivals[n][int(json.loads(frame)["text"])] = time.perf_counter()
                async with news:
                    news.notify_all()

    memory_before = server.memory_info().rss
    started = time.perf_counter()
    websockets = await asyncio.gather(*(join(n) for n in range(clients)))
    connect_s = time.perf_counter() - started
    memory_after = server.memory_info().rss
    listeners = [asyncio.create_task(listen(n, ws)) for n, ws in enumerate(websockets)]
    sender = await connect(
        url, ping_interval=None, close_timeout=1, compression=compression
    )
    accepted = "permessage-deflate" in (
        sender.response.headers.get("Sec-WebSocket-Extensions") or ""
    )
    await sender.send(json.dumps({"type": "join", "room": "bench", "nick": "sender"}))
    latencies = []
    delivered = True
    for k in range(messages):
        sent = time.perf_counter()
        await sender.send(json.dumps({"type": "say", "room": "bench", "text": str(k)}))
        try:
            async with asyncio.timeout(WAIT):
                async with news:
                    await news.wait_for(lambda k=k: all(k in a for a in arrivals))
        except TimeoutError:
            delivered = False
            break
        latencies.append(max(a[k] for a in arrivals) - sent)
    for task in listeners:
        task.cancel()
    await asyncio.gather(
        sender.close(), *(ws.close() for ws in sockets), return_exceptions=True
    )
    broadcasting = sum(latencies) or float("nan")
    ordered = sorted(latencies) or [float("nan")]
    return Run(
        name=name,
        clients=clients,
        connect_s=connect_s,
        p50_ms=statistics.median(ordered) * 1e3,
        p99_ms=ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] * 1e3,
        deliveries_per_s=clients * len(latencies) / broadcasting,
        kib_per_connection=(memory_after - memory_before) / clients / 1024,
        delivered=delivered,
        offered_deflate=deflate,
        deflate=accepted,
    )


def show(rows: list[Run]) -> None:
    table = Table(
        title="time until every client has a message (p50, p99), deliveries per second",
        caption="baseline: a minimal broadcast server on the same library, same run. "
        "Compression off; +deflate: yours again, its clients offering permessage-deflate",
    )
    # Short headings: the table must fit an 80-column terminal (time-to-all p50 and p99).
    for column in (
        "server",
        "clients",
        "connect s",
        "p50 ms",
        "p99 ms",
        "msgs/s",
        "KiB/conn",
        "all in",
    ):
        table.add_column(column, justify="left" if column == "server" else "right")
    for row in rows:
        table.add_row(
            row.name,
            str(row.clients),
            f"{row.connect_s:.2f}",
            f"{row.p50_ms:.1f}",
            f"{row.p99_ms:.1f}",
            f"{row.deliveries_per_s:,.0f}",
            f"{row.kib_per_connection:.1f}",
            "yes" if row.delivered else "NO",
        )
    Console().print(table)


def deflate_note(off: Run, offered: Run) -> str:
    """One line: what offering permessage-deflate did to your server's memory per connection."""
    said = (
        f"{off.clients} clients offering permessage-deflate: {offered.kib_per_connection:.1f} "
        f"KiB/conn against {off.kib_per_connection:.1f} without"
    )
    if not offered.deflate:
        return (
            f"{said}; your server declined it (compression=None), so both cost the same"
        )
    return (
        f"{said}; your server accepted it, and keeps a zlib compressor and decompressor "
        "for every connection (pass compression=None to serve() to decline it)"
    )


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    raise_open_files_limit(max(opts.sizes))
    sys.path.insert(0, str(PROJECT))
    from tests.service import ServiceConfig, ServiceProcess, service_config

    baseline = ServiceConfig(
        command=[
            "python",
            str(HERE / "baseline.py"),
            "--host",
            "{host}",
            "--port",
            "{port}",
        ],
        ready="/ready",
    )
    rows: list[Run] = []
    yours = service_config(PROJECT)
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        for config, name, deflate in (
            (baseline, "baseline", False),
            (yours, "yours", False),
            (yours, DEFLATE_ROW, True),
        ):
            for clients in opts.sizes:
                # A fresh process per measurement: memory growth is this run's alone.
                server = ServiceProcess(
                    config, PROJECT, Path(scratch) / f"{name}-{clients}"
                )
                try:
                    server.start()
                    if server.problem:
                        print(
                            f"error: {name} did not start: {server.problem}",
                            file=sys.stderr,
                        )
                        print(server.output_tail(), file=sys.stderr)
                        return 1
                    url = f"ws://{server.host}:{server.port}/ws"
                    print(f"{name}: {clients} clients ...", flush=True)
                    rows.append(
                        asyncio.run(
                            measure(
                                name,
                                url,
                                server.process.pid,
                                clients,
                                opts.messages,
                                deflate,
                            )
                        )
                    )
                finally:
                    server.stop()
    show(rows)
    report = {
        "targets": {
            "p50_ms_below": TARGET_P50 * 1e3,
            "kib_per_connection_below": TARGET_KIB,
            "measured": "compression off: the clients do not offer permessage-deflate",
        },
        "runs": [asdict(r) for r in rows],
    }
    ok = True
    for clients in opts.sizes:
        base = next(r for r in rows if r.name == "baseline" and r.clients == clients)
        mine = next(r for r in rows if r.name == "yours" and r.clients == clients)
        ratios = {
            "connect": mine.connect_s / base.connect_s,
            "p50": mine.p50_ms / base.p50_ms,
            "deliveries_per_s": mine.deliveries_per_s / base.deliveries_per_s,
            "memory": mine.kib_per_connection / base.kib_per_connection,
        }
        report[f"ratios_at_{clients}_clients"] = ratios
        met = (
            mine.delivered
            and mine.p50_ms < TARGET_P50 * 1e3
            and mine.kib_per_connection < TARGET_KIB
        )
        ok = ok and met
        print(
            f"{clients} clients, yours / baseline: connect {ratios['connect']:.2f}x, "
            f"time-to-all p50 {ratios['p50']:.2f}x, deliveries/s "
            f"{ratios['deliveries_per_s']:.2f}x, memory per connection "
            f"{ratios['memory']:.2f}x ({'meets' if met else 'misses'} the target: all "
            f"delivered, p50 < {TARGET_P50 * 1e3:.0f} ms, < {TARGET_KIB:.0f} KiB/conn; "
            "compression off on both sides)"
        )
        offered = next(
            r for r in rows if r.name == DEFLATE_ROW and r.clients == clients
        )
        print(deflate_note(mine, offered))
    (HERE / "report.json").write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {(HERE / 'report.json').relative_to(PROJECT)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
