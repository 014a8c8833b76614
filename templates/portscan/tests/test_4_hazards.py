"""Stage 4 (hazards): a socket connected to itself, and the file-descriptor limit."""

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from portscan.probe import CLOSED, OPEN, PortResult, probe
from portscan.scan import FD_RESERVE, clamp_concurrency
from tests.support import HOST, Ports, check_result, check_results, run
from tests.teaching import got_vs_expected

pytestmark = pytest.mark.stage("hazards")

SRC = Path(__file__).resolve().parent.parent / "src"


# --- self-connect -----------------------------------------------------------------------


def test_a_socket_connected_to_itself_is_closed():
    """Nothing listens on port p, yet a socket bound to 127.0.0.1:p that connects to
    127.0.0.1:p succeeds: its SYN arrives at itself (TCP simultaneous open). A scan meets
    this by chance when the kernel picks the target port as the probe's own source port."""
    with Ports() as ports:
        port = ports.closed_port()
        call = f"probe({HOST!r}, {port}, 2.0, source_port={port})"
        check_result(
            call,
            run(probe(HOST, port, 2.0, source_port=port), call),
            PortResult(port, CLOSED, "self-connect"),
            "the connect succeeded, but only to the socket itself "
            "(sock.getsockname() == sock.getpeername()): nothing listens there",
        )


# --- clamp_concurrency ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "limit", "expected"),
    [
        (5000, 128, 128 - FD_RESERVE),
        (50, 128, 50),
        (96, 128, 96),
        (97, 128, 96),
        (500, 1024, 500),
        (2000, 1024, 1024 - FD_RESERVE),
        (100, 20, 1),
        (1, 33, 1),
    ],
)
def test_clamp_concurrency_keeps_a_reserve_below_the_limit(requested, limit, expected):
    call = f"clamp_concurrency({requested}, limit={limit})"
    got = clamp_concurrency(requested, limit=limit)
    assert got == expected, got_vs_expected(
        call,
        got,
        expected,
        f"min(requested, limit - FD_RESERVE), at least 1 (FD_RESERVE is {FD_RESERVE})",
    )


def test_clamp_concurrency_reads_the_soft_limit_by_default():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    for requested in (1, 10**7):
        expected = max(1, min(requested, soft - FD_RESERVE))
        got = clamp_concurrency(requested)
        assert got == expected, got_vs_expected(
            f"clamp_concurrency({requested})",
            got,
            expected,
            f"this process's soft RLIMIT_NOFILE is {soft} (resource.getrlimit): "
            f"min({requested}, {soft} - {FD_RESERVE})",
        )


def test_clamp_concurrency_reads_the_limit_at_each_call():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    lowered = 200
    if not lowered < soft <= hard:
        pytest.skip(f"the soft limit ({soft}) cannot be lowered to {lowered} here")
    clamp_concurrency(10**7)  # an implementation that caches, caches now
    resource.setrlimit(resource.RLIMIT_NOFILE, (lowered, hard))
    try:
        got = clamp_concurrency(10**7)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    expected = lowered - FD_RESERVE
    assert got == expected, got_vs_expected(
        f"clamp_concurrency({10**7}) after lowering the soft limit from {soft} to {lowered}",
        got,
        expected,
        "the limit can change while the program runs: read it at each call",
    )


# --- a scan never runs out of descriptors -----------------------------------------------

CHILD = """
import asyncio, json, resource, sys
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (int(sys.argv[1]), hard))
from portscan.scan import scan
ports = json.loads(sys.argv[2])
results = asyncio.run(scan("127.0.0.1", ports, concurrency=5000, timeout=2.0))
print(json.dumps([[r.port, r.state, r.reason] for r in results]))
"""


def test_a_huge_concurrency_scan_fits_in_a_low_descriptor_limit():
    """A child process lowers its soft RLIMIT_NOFILE to 128 and scans 400 ports with
    concurrency 5000; at most 128 - FD_RESERVE connections may be in flight."""
    limit = 128
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < limit:
        pytest.skip(f"the hard limit here ({hard}) is below {limit}")
    with Ports() as ports:
        opened, closed = ports.open_ports(2), ports.closed_ports(398)
        targets = sorted(opened + closed)
        call = (
            f"scan({HOST!r}, ({len(targets)} ports), concurrency=5000, timeout=2.0) in a "
            f"process whose soft RLIMIT_NOFILE is {limit}"
        )
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
        }
        try:
            done = subprocess.run(
                [sys.executable, "-c", CHILD, str(limit), json.dumps(targets)],
                env=env,
                capture_output=True,
                text=True,
                timeout=25,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"{call} did not finish within 25 s", pytrace=False)
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or [""])[-1]
            if last.startswith("NotImplementedError"):
                raise NotImplementedError(last.partition(": ")[2])
            pytest.fail(
                f"{call}\n  crashed (exit code {done.returncode}):\n{done.stderr[-2000:]}"
                "  expected: clamp_concurrency keeps the scan within the limit, so that no "
                "socket() fails with EMFILE ('Too many open files')",
                pytrace=False,
            )
        got = [PortResult(*row) for row in json.loads(done.stdout)]
        expected = [
            PortResult(p, OPEN, "connected")
            if p in opened
            else PortResult(p, CLOSED, "refused")
            for p in targets
        ]
        check_results(
            call,
            got,
            expected,
            "scan uses clamp_concurrency(concurrency): a probe whose socket() fails with "
            "EMFILE ('Too many open files') learns nothing about its port",
        )
