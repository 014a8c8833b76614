"""Stage 8 (cli): `python -m portscan`, run for real: output, exit codes and Ctrl-C.

Every test runs the command line as a separate process, the way a shell would (cwd = the
project, PYTHONPATH=src), against listeners on 127.0.0.1 that the test starts.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from portscan.cli import main
from tests.support import Server, serving

pytestmark = pytest.mark.stage("cli")

PROJECT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
LIMIT = 30  # seconds any one run of the command line may take
WAIT = 15  # seconds for the Ctrl-C test's scan to reach identification, then to end
OK_REPLY = b"HTTP/1.1 200 OK\r\nServer: climb-test/1.0\r\nContent-Length: 0\r\n\r\n"
INTERRUPTED = "(interrupted: partial results)"
SYSINFO_KEYS = {
    "hostname",
    "os",
    "kernel",
    "architecture",
    "cpu_model",
    "cpu_count",
    "memory_total",
    "memory_available",
    "uptime_seconds",
    "load",
    "interfaces",
}


# --- listeners -------------------------------------------------------------------------


def http_server(server: Server, conn: socket.socket) -> None:
    """Reads a request, answers `HTTP/1.1 200 OK` with `Server: climb-test/1.0`, hangs up."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return
        data += chunk
    conn.sendall(OK_REPLY)


def silent(server: Server, conn: socket.socket) -> None:
    """Accepts, then never says a word (until the test ends)."""
    server.stop.wait(LIMIT)


@contextmanager
def listening() -> Iterator[int]:
    """An open port: a listening socket (the kernel completes connects to it)."""
    with socket.create_server((HOST, 0)) as sock:
        yield sock.getsockname()[1]


@contextmanager
def closed_port() -> Iterator[int]:
    """A port nothing listens on, so a connect is refused. The socket stays bound (without
    listening) until the test ends, so no other program can start listening there."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        yield sock.getsockname()[1]


# --- running python -m portscan ------------------------------------------------------------


def command(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "portscan", *args]


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": "src"}


def shown(args: list[str]) -> str:
    return "python -m portscan " + " ".join(args)


def run_cli(args: list[str]) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            command(args),
            cwd=PROJECT,
            env=environment(),
            capture_output=True,
            text=True,
            timeout=LIMIT,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{shown(args)}\n  had not finished after {LIMIT} s", pytrace=False)


def outcome(done: subprocess.CompletedProcess) -> str:
    return (
        f"  exit {done.returncode}\n  stdout:\n{done.stdout[-2000:]}\n"
        f"  stderr:\n{done.stderr[-2000:]}"
    )


def run_ok(args: list[str]) -> subprocess.CompletedProcess:
    done = run_cli(args)
    assert done.returncode == 0 and "Traceback" not in done.stderr, (
        f"{shown(args)}\n{outcome(done)}\n  expected: exit 0, whatever the ports' states"
    )
    return done


def run_json(args: list[str]) -> dict:
    done = run_ok(args)
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError as bad:
        pytest.fail(
            f"{shown(args)}\n  printed {done.stdout[:300]!r}\n"
            f"  expected one JSON document ({bad})",
            pytrace=False,
        )


def rows(text: str) -> dict[int, str]:
    """A table's port rows, by port: a number, then a state."""
    found = {}
    for line in text.splitlines():
        words = line.split()
        if (
            len(words) > 1
            and words[0].isdigit()
            and words[1] in ("open", "closed", "filtered")
        ):
            found[int(words[0])] = line
    return found


@contextmanager
def sigint_not_ignored() -> Iterator[None]:
    """Let a child started inside take Ctrl-C. A shell that started the tests in the
    background may have set SIGINT to be ignored, and a child inherits that; a handler,
    by contrast, is reset to the default in the child."""
    ignored = signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    if ignored:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        if ignored:
            signal.signal(signal.SIGINT, signal.SIG_IGN)


# --- scanning ----------------------------------------------------------------------------


def test_scan_prints_a_table_of_open_ports():
    with listening() as open_port, closed_port() as closed:
        args = ["scan", HOST, "-p", f"{open_port},{closed}", "--timeout", "2"]
        done = run_ok(args)
        found = rows(done.stdout)
        assert list(found) == [open_port] and found[open_port].split()[1] == "open", (
            f"{shown(args)}\n{outcome(done)}\n  expected one row, '{open_port} open' "
            f"(closed port {closed} left out)"
        )
        summary = "1 open, 1 closed, 0 filtered (2 scanned)"
        assert summary in done.stdout, (
            f"{shown(args)}\n{outcome(done)}\n  expected the summary line {summary!r}"
        )
        args.append("--show-closed")
        done = run_ok(args)
        found = rows(done.stdout)
        assert sorted(found) == sorted([open_port, closed]), (
            f"{shown(args)}\n{outcome(done)}\n  expected rows for {open_port} (open) "
            f"and {closed} (closed)"
        )


def test_scan_json():
    with listening() as open_port, closed_port() as closed:
        args = ["scan", HOST, "-p", f"{closed},{open_port}", "--timeout", "2", "--json"]
        doc = run_json(args)
        expected = sorted(
            [
                {
                    "port": open_port,
                    "state": "open",
                    "reason": "connected",
                    "service": None,
                },
                {
                    "port": closed,
                    "state": "closed",
                    "reason": "refused",
                    "service": None,
                },
            ],
            key=lambda entry: entry["port"],
        )
        got = doc.get("ports")
        assert got == expected, (
            f"{shown(args)}\n  ports: {got}\n  expected: {expected}\n"
            "  (neither port is among --http-ports, so neither is identified)"
        )
        want = {"scanned": 2, "open": 1, "closed": 1, "filtered": 0}
        top = (
            doc.get("schema"),
            doc.get("host"),
            doc.get("interrupted"),
            doc.get("summary"),
        )
        assert top == ("portscan/1", HOST, False, want), (
            f"{shown(args)}\n  schema, host, interrupted, summary: {top}\n"
            f"  expected: {('portscan/1', HOST, False, want)}"
        )


def test_http_ports_are_identified():
    with serving(http_server) as web:
        base = ["scan", HOST, "-p", str(web.port), "--http-ports", str(web.port)]
        args = [*base, "--timeout", "5", "--json"]
        doc = run_json(args)
        ports = doc.get("ports") or [{}]
        expected = {
            "kind": "http",
            "status_line": "HTTP/1.1 200 OK",
            "server": "climb-test/1.0",
            "banner": "",
        }
        assert ports[0].get("service") == expected, (
            f"{shown(args)}\n  ports: {ports}\n  expected the service {expected}\n"
            "  (an open port among --http-ports is identified after the scan)"
        )
        args = [*base, "--timeout", "5"]
        done = run_ok(args)
        row = rows(done.stdout).get(web.port, "")
        assert "HTTP/1.1 200 OK" in row and "climb-test/1.0" in row, (
            f"{shown(args)}\n{outcome(done)}\n  expected the row for {web.port} to show "
            "'HTTP/1.1 200 OK' and 'climb-test/1.0'"
        )


# --- bad input ---------------------------------------------------------------------------

BAD_INPUT = [
    (["scan", HOST, "-p", "80,abc"], "abc"),
    (["scan", HOST, "-p", "8100-8000"], "8100-8000"),
    (["scan", HOST, "-p", "0"], "0"),
    (["scan", "no-such-host.invalid", "-p", "80"], "no-such-host.invalid"),
    (["scan", HOST, "-p", "80", "--concurrency", "0"], "concurrency"),
    (["scan", HOST, "-p", "80", "--timeout", "0"], "timeout"),
    (["scan", HOST, "-p", "80", "--http-ports", "7x"], "7x"),
    (["scan", HOST, "--no-such-flag"], "--no-such-flag"),
    (["scan"], "host"),
    (["frobnicate"], "frobnicate"),
]


@pytest.mark.parametrize(
    ("args", "needle"),
    BAD_INPUT,
    ids=[
        "bad-spec",
        "reversed-range",
        "port-0",
        "unknown-host",
        "concurrency-0",
        "timeout-0",
        "bad-http-ports",
        "unknown-flag",
        "missing-host",
        "unknown-command",
    ],
)
def test_bad_input_is_one_error_line_and_exit_2(args, needle):
    done = run_cli(args)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and "Traceback" not in done.stderr, (
        f"{shown(args)}\n{outcome(done)}\n  expected: exit 2 (bad input), no traceback"
    )
    assert len(lines) == 1 and lines[0].startswith("error:"), (
        f"{shown(args)}\n  stderr: {done.stderr!r}\n  expected exactly one line 'error: ...'"
    )
    assert needle.lower() in lines[0].lower(), (
        f"{shown(args)}\n  stderr: {done.stderr!r}\n  expected the line to name {needle!r}"
    )


def test_main_returns_the_exit_code(capsys):
    argv = ["scan", HOST, "-p", "8100-8000"]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error:"), (
        f"main({argv!r})\n  returned {code!r}, stderr {err!r}\n"
        "  expected: 2 returned (not sys.exit), one line 'error: ...' on stderr"
    )
    with closed_port() as port:
        argv = ["scan", HOST, "-p", str(port), "--json"]
        code = main(argv)
    out = capsys.readouterr().out
    assert code == 0 and '"closed"' in out, (
        f"main({argv!r})\n  returned {code!r}, printed {out[:300]!r}\n"
        f"  expected: 0, and JSON reporting port {port} closed"
    )


# --- Ctrl-C ------------------------------------------------------------------------------


@pytest.mark.parametrize("as_json", [False, True], ids=["table", "json"])
def test_ctrl_c_prints_the_partial_report_and_exits_130(as_json):
    with listening() as open_port, closed_port() as closed, serving(silent) as hang:
        args = ["scan", HOST, "-p", f"{open_port},{closed},{hang.port}"]
        args += ["--http-ports", str(hang.port), "--timeout", "60"]
        args += ["--json"] if as_json else []
        story = (
            f"{shown(args)}\n  ({open_port} open, {closed} closed, {hang.port} accepts "
            "and never answers, so identifying it hangs; Ctrl-C once that has begun)"
        )
        with sigint_not_ignored():
            process = subprocess.Popen(
                command(args),
                cwd=PROJECT,
                env=environment(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        try:
            deadline = time.monotonic() + WAIT
            while not hang.second_accept.wait(0.05):
                if process.poll() is not None or time.monotonic() > deadline:
                    break
            if not hang.second_accept.is_set():
                ended = process.poll()
                process.kill()
                out, err = process.communicate(timeout=LIMIT)
                what = (
                    f"it ended (exit {ended}) before it began identifying {hang.port}"
                    if ended is not None
                    else f"after {WAIT} s it had still not connected to {hang.port} a "
                    "second time to identify it (after the scan's probe)"
                )
                pytest.fail(
                    f"{story}\n  {what}\n  stdout:\n{out[-2000:]}\n"
                    f"  stderr:\n{err[-2000:]}",
                    pytrace=False,
                )
            process.send_signal(signal.SIGINT)
            try:
                out, err = process.communicate(timeout=WAIT)
            except subprocess.TimeoutExpired:
                pytest.fail(
                    f"{story}\n  still running {WAIT} s after Ctrl-C", pytrace=False
                )
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    done = subprocess.CompletedProcess(args, process.returncode, out, err)
    # Not "no Traceback at all": when Ctrl-C lands while a connect is completing, Python 3.11's
    # asyncio.run cancels from inside the signal handler and asyncio may then log "Exception in
    # callback ... InvalidStateError" (a CPython race, not the learner's bug). What matters is
    # that the interrupt itself is handled.
    escaped = [sign for sign in ("KeyboardInterrupt", "CancelledError") if sign in err]
    assert done.returncode == 130 and not escaped, (
        f"{story}\n{outcome(done)}\n  expected: exit 130 (128 + SIGINT), and no "
        f"{' or '.join(escaped) or 'KeyboardInterrupt'} traceback: catch the interrupt "
        "around asyncio.run, print what finished, return 130"
    )
    expected = sorted([(open_port, "open"), (closed, "closed"), (hang.port, "open")])
    if as_json:
        try:
            doc = json.loads(out)
        except json.JSONDecodeError as bad:
            pytest.fail(
                f"{story}\n  printed {out[:300]!r}\n  expected one JSON document ({bad})",
                pytrace=False,
            )
        got = [(e.get("port"), e.get("state")) for e in doc.get("ports", [])]
        assert doc.get("interrupted") is True and got == expected, (
            f"{story}\n  interrupted: {doc.get('interrupted')!r}, ports: {got}\n"
            f"  expected: true, {expected} (the scan had finished; identifying had not)"
        )
    else:
        lines = [line.strip() for line in out.splitlines()]
        got = sorted((port, line.split()[1]) for port, line in rows(out).items())
        summary = "2 open, 1 closed, 0 filtered (3 scanned)"
        assert INTERRUPTED in lines and summary in lines, (
            f"{story}\n{outcome(done)}\n  expected the partial report: a line "
            f"{INTERRUPTED!r} and the summary {summary!r}"
        )
        assert got == [pair for pair in expected if pair[1] == "open"], (
            f"{story}\n{outcome(done)}\n  expected rows for the open ports "
            f"{open_port} and {hang.port}"
        )


# --- sysinfo -----------------------------------------------------------------------------


def test_sysinfo_subcommand():
    args = ["sysinfo", "--json"]
    info = run_json(args)
    missing = (
        sorted(SYSINFO_KEYS - set(info)) if isinstance(info, dict) else SYSINFO_KEYS
    )
    assert not missing, (
        f"{shown(args)}\n  printed the keys {sorted(info) if isinstance(info, dict) else info}"
        f"\n  missing {missing}: expected the dict sysinfo.collect() returns"
    )
    assert info["hostname"] == socket.gethostname(), (
        f"{shown(args)}\n  hostname: {info['hostname']!r}\n"
        f"  expected: {socket.gethostname()!r}"
    )
    done = run_ok(["sysinfo"])
    assert socket.gethostname() in done.stdout, (
        f"{shown(['sysinfo'])}\n{outcome(done)}\n  expected format_sysinfo's lines, "
        "with the hostname"
    )
