"""How fast is your service next to the smallest app on the same server? (wrk, in one run)

    python benchmarks/bench.py [--sizes 16] [--duration 5]

Starts your service (the command in pyproject.toml's [tool.climb.service]) and a hello-world
ASGI app on uvicorn (benchmarks/hello.py) on free ports of 127.0.0.1, creates one link, and
points wrk at your read endpoint (GET /links/{slug}) and at the hello-world, one after the
other, for each number of connections in --sizes. It prints requests/s, p50 and p99 latency and
errors (socket errors and answers that are not 2xx/3xx) for both, and your throughput as a share
of the baseline's, and writes benchmarks/report.json. The reference target: at least 50% of the
baseline's requests/s on the read endpoint, with no errors.

wrk must be installed: `sudo apt-get install wrk` (Debian, Ubuntu), `brew install wrk` (macOS).
Numbers depend on the machine: compare them within one run, never across machines.
"""

import argparse
import http.client
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from arguments import counts  # benchmarks/arguments.py, shared by every project

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
TARGET = 0.5
UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


@dataclass
class Run:
    """One wrk run against one URL."""

    name: str
    connections: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=counts,
        default="16",
        help="comma-separated numbers of concurrent connections (default: %(default)s)",
    )
    parser.add_argument(
        "--duration",
        type=int,
        default=5,
        help="seconds of load per measurement (default: %(default)s)",
    )
    opts = parser.parse_args(argv)
    return opts


def seconds(text: str) -> float:
    """wrk's '1.23ms' as seconds."""
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * UNITS[unit]


def parse_wrk(name: str, connections: int, output: str) -> Run:
    """requests/s, p50, p99 and errors from wrk --latency's report."""
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    total = int(re.search(r"(\d+) requests in", output).group(1))
    p50 = seconds(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))
    p99 = seconds(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))
    errors = 0
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        errors += sum(int(n) for n in match.groups())
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(match.group(1))
    return Run(name, connections, rate, p50 * 1e3, p99 * 1e3, errors, total)


def wrk(url: str, connections: int, duration: int) -> str:
    threads = min(2, connections)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    done = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=duration + 60
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def post(port: int, path: str, body: dict, key: str | None = None) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    try:
        conn.request("POST", path, body=json.dumps(body), headers=headers)
        response = conn.getresponse()
        answer = response.read()
    finally:
        conn.close()
    if response.status != 201:
        raise RuntimeError(f"POST {path} answered {response.status}: {answer[:200]!r}")
    return json.loads(answer)


def show(rows: list[Run]) -> None:
    print(
        f"{'target':<24}{'conns':>6}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'errors':>8}{'requests':>10}"
    )
    for row in rows:
        print(
            f"{row.name:<24}{row.connections:>6}{row.requests_per_second:>10.0f}"
            f"{row.p50_ms:>9.2f}{row.p99_ms:>9.2f}{row.errors:>8}{row.requests:>10}"
        )


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    if shutil.which("wrk") is None:
        print(
            "error: the benchmark needs wrk, an HTTP load generator: install it with "
            "`sudo apt-get install wrk` (Debian, Ubuntu) or `brew install wrk` (macOS)",
            file=sys.stderr,
        )
        return 2
    sys.path.insert(0, str(PROJECT))
    from tests.service import ServiceConfig, ServiceProcess, service_config

    baseline = ServiceConfig(
        command=[
            "python",
            str(HERE / "hello.py"),
            "--host",
            "{host}",
            "--port",
            "{port}",
        ],
        ready="/",
    )
    rows: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        service = ServiceProcess(
            service_config(PROJECT), PROJECT, Path(scratch) / "service"
        )
        hello = ServiceProcess(baseline, PROJECT, Path(scratch) / "hello")
        try:
            for process, what in (
                (service.start(), "your service"),
                (hello.start(), "hello"),
            ):
                if process.problem:
                    print(
                        f"error: {what} did not start: {process.problem}",
                        file=sys.stderr,
                    )
                    print(process.output_tail(), file=sys.stderr)
                    return 1
            key = post(service.port, "/keys", {"owner": "bench"})["key"]
            post(
                service.port,
                "/links",
                {"url": "https://example.com/", "slug": "bench"},
                key,
            )
            targets = [
                ("hello-world baseline", f"{hello.url}/"),
                ("GET /links/{slug}", f"{service.url}/links/bench"),
            ]
            for connections in opts.sizes:
                for name, url in targets:
                    wrk(
                        url, connections, 1
                    )  # warm up: connections, caches, the JIT of nothing
                    rows.append(
                        parse_wrk(
                            name, connections, wrk(url, connections, opts.duration)
                        )
                    )
        finally:
            service.stop()
            hello.stop()
    show(rows)
    print()
    report = {"target_share_of_baseline": TARGET, "runs": [asdict(r) for r in rows]}
    ok = True
    for connections in opts.sizes:
        base, mine = (r for r in rows if r.connections == connections)
        share = mine.requests_per_second / base.requests_per_second
        report[f"share_at_{connections}_connections"] = share
        met = share >= TARGET and mine.errors == 0
        ok = ok and met
        print(
            f"{connections} connections: your read endpoint does {share:.0%} of the "
            f"baseline's requests/s with {mine.errors} errors "
            f"({'meets' if met else 'misses'} the target: >= {TARGET:.0%}, no errors)"
        )
    (HERE / "report.json").write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {(HERE / 'report.json').relative_to(PROJECT)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
