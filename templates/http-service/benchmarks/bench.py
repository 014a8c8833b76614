"""How fast is your service next to the smallest app on the same server? (wrk, in rounds)

    python benchmarks/bench.py [--sizes 16] [--rounds 5] [--duration 3]

Starts your service (the command in pyproject.toml's [tool.climb.service]) and a hello-world
ASGI app on uvicorn (benchmarks/hello.py) on free ports of 127.0.0.1, creates one link, and
points wrk at your read endpoint (GET /links/{slug}) and at the hello-world, for each number of
connections in --sizes. It prints requests/s, p50 and p99 latency and errors (socket errors and
answers that are not 2xx/3xx) for every run, and writes benchmarks/report.json.

The target: your read endpoint does at least 50% of the baseline's requests/s, with no errors.
One measurement is noisy (two identical runs can differ by 15 points on a busy machine), so the
two are measured in --rounds rounds, alternating which goes first; each round gives one share
(yours / the baseline's, measured back to back), and the verdict reads all of them:

- meets: the median share is at least 50%, and no run had errors;
- misses: errors in any run, or every round below 50%. If your true share were 50% or more,
  a round would fall below with a chance of at most one half, so all 5 below happens by
  chance at most 1 time in 32 (1 in 2**rounds);
- within the noise: the median is below 50% but some round reached it: not a miss; rerun
  with more --rounds, or on a quieter machine, to tell.

The exit status is 1 for a miss only.

wrk must be installed: `sudo apt-get install wrk` (Debian, Ubuntu), `brew install wrk` (macOS).
Numbers depend on the machine: compare them within one run, never across machines.
"""

import argparse
import http.client
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from arguments import counts  # benchmarks/arguments.py, shared by every project

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
TARGET = 0.5
ROUNDS = 5
BASELINE, READ = "hello-world baseline", "GET /links/{slug}"  # the two targets' names
UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


@dataclass
class Run:
    """One wrk run against one URL."""

    name: str
    connections: int
    round: int
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
        "--rounds",
        type=int,
        default=ROUNDS,
        help="rounds of measurements, baseline and yours in each (default: %(default)s)",
    )
    parser.add_argument(
        "--duration",
        type=int,
        default=3,
        help="seconds of load per measurement (default: %(default)s)",
    )
    opts = parser.parse_args(argv)
    if opts.rounds < 1 or opts.duration < 1:
        parser.error("--rounds and --duration must each be at least 1")
    return opts


def seconds(text: str) -> float:
    """wrk's '1.23ms' as seconds."""
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * UNITS[unit]


def parse_wrk(name: str, connections: int, round_: int, output: str) -> Run:
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
    return Run(name, connections, round_, rate, p50 * 1e3, p99 * 1e3, errors, total)


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


def verdict(shares: list[float], errors: int) -> str:
    """'meets', 'misses' or 'within the noise', from each round's share and the errors.

    A miss is called only when chance cannot explain it: were the true share at the target
    or above, each round would fall below with a chance of at most one half, so all of them
    below has a chance of at most 1 in 2**rounds (the sign test)."""
    if errors:
        return "misses"
    if statistics.median(shares) >= TARGET:
        return "meets"
    if max(shares) < TARGET:
        return "misses"
    return "within the noise"


def why(said: str, shares: list[float], errors: int) -> str:
    """The verdict's reason, as the end of its line."""
    if said == "misses":
        if errors:
            return " (errors are never noise)"
        return (
            f" (all {len(shares)} rounds below it; were your true share at the target, "
            f"chance would do that at most 1 time in {2 ** len(shares)})"
        )
    if said == "within the noise":
        return (
            " (the median is below, but some round reached it: not a miss; rerun with more "
            "--rounds, or on a quieter machine, to tell)"
        )
    return ""


def show(rows: list[Run]) -> None:
    print(
        f"{'target':<24}{'conns':>6}{'round':>6}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'errors':>8}{'requests':>10}"
    )
    for row in rows:
        print(
            f"{row.name:<24}{row.connections:>6}{row.round:>6}"
            f"{row.requests_per_second:>10.0f}"
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
                (BASELINE, f"{hello.url}/"),
                (READ, f"{service.url}/links/bench"),
            ]
            for connections in opts.sizes:
                # Warm up: connections, caches, the JIT of nothing.
                for _, url in targets:
                    wrk(url, connections, 1)
                for round_ in range(1, opts.rounds + 1):
                    # Alternate which goes first, so a machine that slows down (or speeds
                    # up) during the run does not favour one side.
                    for name, url in targets if round_ % 2 else targets[::-1]:
                        output = wrk(url, connections, opts.duration)
                        rows.append(parse_wrk(name, connections, round_, output))
        finally:
            service.stop()
            hello.stop()
    show(rows)
    print()
    report = {
        "target_share_of_baseline": TARGET,
        "rounds": opts.rounds,
        "runs": [asdict(r) for r in rows],
    }
    missed = False
    for connections in opts.sizes:
        shares, errors = [], 0
        for round_ in range(1, opts.rounds + 1):
            runs = {
                r.name: r
                for r in rows
                if r.connections == connections and r.round == round_
            }
            base, mine = runs[BASELINE], runs[READ]
            shares.append(mine.requests_per_second / base.requests_per_second)
            errors += mine.errors
        said = verdict(shares, errors)
        missed = missed or said == "misses"
        middle = statistics.median(shares)
        report[f"share_at_{connections}_connections"] = middle
        report[f"shares_at_{connections}_connections"] = shares
        report[f"verdict_at_{connections}_connections"] = said
        print(
            f"{connections} connections: your read endpoint does {middle:.0%} of the "
            f"baseline's requests/s (median of {len(shares)} rounds; min {min(shares):.0%}, "
            f"max {max(shares):.0%}) with {errors} errors. Target {TARGET:.0%} with no "
            f"errors: {said}{why(said, shares, errors)}"
        )
    (HERE / "report.json").write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {(HERE / 'report.json').relative_to(PROJECT)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
