"""Stage 8 (cli): the command line, `python -m portscan scan|sysinfo ...`.

    scan HOST [-p SPEC] [--concurrency N] [--timeout S] [--http-ports SPEC] [--json]
              [--show-closed]
    sysinfo [--json]

Three readers: a person (a table), a script (`--json`: one JSON document on stdout) and a
shell (exit code 0 on success whatever the ports' states, 2 on bad input with one line
`error: ...` on stderr, 130 after Ctrl-C). Ctrl-C is a normal way to end a long scan, not
a crash: what finished is printed, marked interrupted, and no traceback appears.
"""

import argparse
import asyncio  # noqa: F401 (used by code you write)
import json  # noqa: F401 (used by code you write)
import math  # noqa: F401 (used by code you write)
import socket  # noqa: F401 (used by code you write)
import sys  # noqa: F401 (used by code you write)
from typing import NoReturn

from .probe import OPEN  # noqa: F401 (used by code you write)
from .report import ScanReport, format_table, to_json  # noqa: F401 (used by code you write)
from .scan import DEFAULT_CONCURRENCY, clamp_concurrency, scan  # noqa: F401 (used by code you write)
from .service import HTTP_PORTS, identify  # noqa: F401 (used by code you write)
from .spec import parse_ports  # noqa: F401 (used by code you write)
from .sysinfo import collect, format_sysinfo  # noqa: F401 (used by code you write)

DEFAULT_PORTS = "1-1024"
EXIT_OK = 0
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a process ended by Ctrl-C


class UsageError(Exception):
    """Bad input: an unknown option, a malformed port spec, a host that does not resolve."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises UsageError instead of printing usage and exiting, so
    that `main` reports every kind of bad input the same way: one line, exit 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def build_parser() -> Parser:
    """The parser for the sub-commands `scan` and `sysinfo` (required; in `command`).

    scan: HOST, -p/--ports (default "1-1024"), --concurrency (int, default
    DEFAULT_CONCURRENCY), --timeout (float seconds, default 1.0), --http-ports (a port spec,
    default HTTP_PORTS), --json, --show-closed. sysinfo: --json.
    """
    raise NotImplementedError(
        "Stage 8 (cli): build the parser with `scan` and `sysinfo`"
    )


def resolve(host: str) -> str:
    """The first IPv4 address of `host` (getaddrinfo); UsageError when it does not resolve."""
    raise NotImplementedError("Stage 8 (cli): resolve the host name to an IPv4 address")


async def run_scan(
    report: ScanReport,
    address: str,
    ports: list[int],
    http_ports: set[int],
    concurrency: int,
    timeout: float,
) -> None:
    """Scan, then identify the open ports among `http_ports`, filling `report` as each result
    arrives: when Ctrl-C cancels this coroutine, the report holds what finished."""
    raise NotImplementedError("Stage 8 (cli): scan, then identify, filling the report")


def command_scan(args: argparse.Namespace) -> int:
    """`scan`: check the options (UsageError, PortSpecError), resolve HOST, run `run_scan`
    and print the report; after Ctrl-C print what finished, marked interrupted, and return
    130."""
    raise NotImplementedError("Stage 8 (cli): run the scan command")


def command_sysinfo(args: argparse.Namespace) -> int:
    """`sysinfo`: print `format_sysinfo(collect())`, or with --json the dict as JSON."""
    raise NotImplementedError("Stage 8 (cli): run the sysinfo command")


def main(argv: list[str] | None = None) -> int:
    """Run the command line (`argv` without the program name; None means sys.argv[1:]).

    `scan` resolves HOST, scans the ports, identifies the open ones among --http-ports and
    prints `format_table` (or `to_json` with --json). `sysinfo` prints `format_sysinfo` (or
    the `collect()` dict as JSON). Bad input (options, port specs, a host that does not
    resolve, concurrency < 1, timeout <= 0) prints one line `error: <message>` to stderr and
    returns 2. Ctrl-C prints what finished, marked interrupted, and returns 130. Success
    returns 0, whatever the ports' states.
    """
    raise NotImplementedError(
        "Stage 8 (cli): parse the arguments, run the command, return 0, 2 or 130"
    )
