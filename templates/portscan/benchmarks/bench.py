"""How fast does your scan go through every port of 127.0.0.1, next to nmap?

    python benchmarks/bench.py [--ports 1-65535] [--concurrency 500] [--timeout 1.0]

It starts a few listeners on 127.0.0.1 (so that some ports are open), scans the ports
with your `portscan.scan.scan` and prints ports per second. When `nmap` is on PATH it
also runs nmap's connect scan over the same ports in the same run,

    nmap -sT -p 1-65535 -n -Pn 127.0.0.1

which, like yours, completes (or fails) one `connect()` per port, and prints your time
divided by nmap's. Within 3x of nmap is the target: nmap is C++ with its own tuned event
loop, yours is Python, so it is the per-probe overhead that counts. Each scan runs
--repeat times; the best time counts (the least disturbed by other programs, as with
`timeit`). Install nmap with your package manager (`apt install nmap`, `brew install
nmap`) to compare.

Where the time goes, if you are slower: `asyncio.wait_for` (a task per probe; prefer
`async with asyncio.timeout(...)`), `asyncio.open_connection` (a transport and streams per
probe), one task per port created up front (a fixed pool of workers is lighter). Even
`loop.sock_connect` costs: it resolves the address on every call and raises an exception
for every closed port. What it does inside is short: `sock.connect_ex(...)` on the
non-blocking socket returns EINPROGRESS; `loop.add_writer(sock, ...)` wakes you when the
handshake has ended (`loop.call_later(timeout, ...)` when time is up); then
`sock.getsockopt(SOL_SOCKET, SO_ERROR)` is 0 (connected) or the errno (ECONNREFUSED ...).
Written that way, a probe costs about a third less. Most of what is left is the wait itself
(two epoll changes, a timer and a future per probe), and on 127.0.0.1 there is nothing to
wait for: the kernel has handled the SYN and its answer before `connect_ex` returns, so
SO_ERROR read straight after EINPROGRESS already says ECONNREFUSED for a closed port (0 means
connected or still connecting: only then wait). Skipping the wait that way, with one
`await asyncio.sleep(0)` instead so that the event loop still gets its turn between probes,
takes off another third or more: what remains is mostly the system calls nmap makes too.

`invoke bench --sizes 1000,65535` scans ports 1..1000, then 1..65535.
"""

import argparse
import asyncio
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from arguments import counts  # benchmarks/arguments.py, shared by every project

HOST = (
    "127.0.0.1"  # never anything else: scanning other machines needs their permission
)
LISTENERS = 3


def parse_spec(spec: str) -> list[int]:
    """'1-1024,8080' -> ports (the benchmark's own parser, so it runs before stage 1 is done)."""
    ports: set[int] = set()
    for part in spec.split(","):
        start, _, end = part.strip().partition("-")
        ports.update(range(int(start), int(end or start) + 1))
    return sorted(p for p in ports if 1 <= p <= 65535)


def as_nmap_spec(ports: list[int]) -> str:
    """Sorted ports as nmap's -p argument: [1, 2, 3, 80] -> '1-3,80'."""
    runs: list[list[int]] = []
    for port in ports:
        if runs and port == runs[-1][1] + 1:
            runs[-1][1] = port
        else:
            runs.append([port, port])
    return ",".join(f"{a}-{b}" if a != b else str(a) for a, b in runs)


def start_listeners(n: int) -> list[socket.socket]:
    """n listening sockets on ephemeral ports. Nothing accepts: the kernel completes each
    handshake by itself, which is all a connect scan looks at."""
    return [socket.create_server((HOST, 0), backlog=128) for _ in range(n)]


def time_our_scan(ports: list[int], concurrency: int, timeout: float):
    from portscan.scan import scan

    start = time.perf_counter()
    results = asyncio.run(scan(HOST, ports, concurrency=concurrency, timeout=timeout))
    return time.perf_counter() - start, results


def time_nmap(nmap: str, ports: list[int]) -> tuple[float, set[int]]:
    command = [nmap, "-sT", "-p", as_nmap_spec(ports), "-n", "-Pn", HOST]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip()}")
    return seconds, {
        int(p) for p in re.findall(r"^(\d+)/tcp\s+open\b", done.stdout, re.M)
    }


def used_concurrency(requested: int) -> str:
    try:
        from portscan.scan import clamp_concurrency

        used = clamp_concurrency(requested)
    except NotImplementedError:
        return f"{requested} (clamp_concurrency not written yet)"
    return str(used) if used == requested else f"{used} (clamped from {requested})"


def summary(results: list) -> str:
    counts: dict[str, int] = {}
    for result in results:
        counts[result.state] = counts.get(result.state, 0) + 1
    text = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
    selfish = sum(result.reason == "self-connect" for result in results)
    if selfish:
        text += (
            f" ({selfish} self-connect{'s' if selfish > 1 else ''} among the closed)"
        )
    return text


def bench(ports: list[int], opts: argparse.Namespace, nmap: str | None) -> int:
    listeners = start_listeners(LISTENERS)
    ours = {s.getsockname()[1] for s in listeners} & set(ports)
    label = f"{len(ports)} ports ({as_nmap_spec(ports)[:40]})"
    try:
        best, results = None, []
        nmap_best, nmap_open = None, set()
        for _ in range(opts.repeat):
            try:
                seconds, results = time_our_scan(ports, opts.concurrency, opts.timeout)
            except NotImplementedError as missing:
                print(f"scan not written yet: {missing}")
                return 0
            best = seconds if best is None else min(best, seconds)
            if nmap:
                seconds, nmap_open = time_nmap(nmap, ports)
                nmap_best = seconds if nmap_best is None else min(nmap_best, seconds)
    finally:
        for listener in listeners:
            listener.close()

    found = {r.port for r in results if r.state == "open"}
    print(f"{label}: {summary(results)}")
    print(f"  your scan: {best:7.2f} s  {len(ports) / best:>9,.0f} ports/s")
    if missed := sorted(ours - found):
        print(f"  wrong: the benchmark's listeners on {missed} were not reported open")
    if nmap_best is not None:
        print(
            f"  nmap -sT:  {nmap_best:7.2f} s  {len(ports) / nmap_best:>9,.0f} ports/s"
        )
        ratio = best / nmap_best
        verdict = "within the 3x target" if ratio <= 3 else "slower than the 3x target"
        print(f"  your time / nmap's time: {ratio:.2f}x ({verdict})")
        if nmap_open != found:
            print(
                f"  open ports differ: only you {sorted(found - nmap_open)}, only nmap "
                f"{sorted(nmap_open - found)} (other programs may have opened or closed "
                "ports between the scans)"
            )
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--ports",
        default="1-65535",
        help="ports to scan, e.g. 1-1024,8080 (default: %(default)s)",
    )
    parser.add_argument(
        "--sizes",
        type=counts,
        help="comma-separated port counts: scan ports 1..N for each N, instead of --ports "
        "(default: none, scan --ports)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=None,
        help="probes at a time (default: your DEFAULT_CONCURRENCY)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=1.0,
        help="seconds per probe (default: %(default)s)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs per scan; the best counts (default: %(default)s)",
    )
    parser.add_argument(
        "--no-nmap",
        action="store_true",
        help="do not run nmap even if it is installed (default: run it when installed)",
    )
    opts = parser.parse_args(argv)
    try:
        if opts.sizes:
            opts.specs = [parse_spec(f"1-{n}") for n in opts.sizes]
        else:
            opts.specs = [parse_spec(opts.ports)]
    except ValueError:
        parser.error("--ports takes ports and ranges like 1-1024,8080; --sizes numbers")
    if not all(opts.specs) or opts.repeat < 1:
        parser.error("nothing to scan: give ports in 1..65535 and --repeat >= 1")
    return opts


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    from portscan.scan import DEFAULT_CONCURRENCY

    if opts.concurrency is None:
        opts.concurrency = DEFAULT_CONCURRENCY
    nmap = None if opts.no_nmap else shutil.which("nmap")
    print(
        f"{HOST}, concurrency {used_concurrency(opts.concurrency)}, timeout "
        f"{opts.timeout} s, {LISTENERS} listeners of the benchmark's own; best of "
        f"{opts.repeat} run{'s' if opts.repeat > 1 else ''}"
        + (
            ""
            if nmap or opts.no_nmap
            else "; nmap is not installed, so no comparison (install it: "
            "`sudo apt-get install nmap` or `brew install nmap`)"
        )
    )
    for ports in opts.specs:
        bench(ports, opts, nmap)
    return 0


if __name__ == "__main__":
    sys.exit(main())
