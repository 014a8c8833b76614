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
import asyncio
import json
import math
import socket
import sys
from typing import NoReturn

from .probe import OPEN
from .report import ScanReport, format_table, to_json
from .scan import DEFAULT_CONCURRENCY, clamp_concurrency, scan
from .service import HTTP_PORTS, identify
from .spec import parse_ports
from .sysinfo import collect, format_sysinfo

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
    parser = Parser(prog="portscan", description="A mini network scanner.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    scan_cmd = commands.add_parser("scan", help="scan TCP ports of one host")
    scan_cmd.add_argument("host", metavar="HOST", help="a host name or IPv4 address")
    scan_cmd.add_argument(
        "-p", "--ports", default=DEFAULT_PORTS, help="ports, e.g. 22,80,8000-8100"
    )
    scan_cmd.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        help="connections in flight at once",
    )
    scan_cmd.add_argument(
        "--timeout", type=float, default=1.0, help="seconds to wait for each port"
    )
    scan_cmd.add_argument(
        "--http-ports",
        default=",".join(map(str, HTTP_PORTS)),
        help="open ports among these are identified",
    )
    scan_cmd.add_argument("--json", action="store_true", help="print JSON")
    scan_cmd.add_argument(
        "--show-closed", action="store_true", help="list closed ports too"
    )
    info_cmd = commands.add_parser("sysinfo", help="show facts about this machine")
    info_cmd.add_argument("--json", action="store_true", help="print JSON")
    return parser


def resolve(host: str) -> str:
    """The first IPv4 address of `host` (getaddrinfo); UsageError when it does not resolve."""
    try:
        infos = socket.getaddrinfo(host, None, socket.AF_INET, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as err:
        raise UsageError(f"cannot resolve host {host!r}: {err}") from None
    return infos[0][4][0]


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
    report.results = await scan(
        address,
        ports,
        concurrency=concurrency,
        timeout=timeout,
        on_result=report.results.append,
    )
    gate = asyncio.Semaphore(clamp_concurrency(concurrency))

    async def identify_one(port: int) -> None:
        async with gate:
            report.services[port] = await identify(address, port, timeout)

    wanted = [
        r.port for r in report.results if r.state == OPEN and r.port in http_ports
    ]
    await asyncio.gather(*(identify_one(port) for port in wanted))


def command_scan(args: argparse.Namespace) -> int:
    """`scan`: check the options (UsageError, PortSpecError), resolve HOST, run `run_scan`
    and print the report; after Ctrl-C print what finished, marked interrupted, and return
    130."""
    ports = parse_ports(args.ports)
    http_ports = set(parse_ports(args.http_ports))
    if args.concurrency < 1:
        raise UsageError(f"--concurrency must be at least 1, got {args.concurrency}")
    if not (args.timeout > 0 and math.isfinite(args.timeout)):
        raise UsageError(
            f"--timeout must be a positive number of seconds, got {args.timeout}"
        )
    address = resolve(args.host)
    report = ScanReport(args.host, [], {})
    code = EXIT_OK
    try:
        asyncio.run(
            run_scan(report, address, ports, http_ports, args.concurrency, args.timeout)
        )
    except KeyboardInterrupt:
        report.interrupted = True
        code = EXIT_INTERRUPTED
    print(to_json(report) if args.json else format_table(report, args.show_closed))
    return code


def command_sysinfo(args: argparse.Namespace) -> int:
    """`sysinfo`: print `format_sysinfo(collect())`, or with --json the dict as JSON."""
    info = collect()
    print(json.dumps(info, indent=2) if args.json else format_sysinfo(info))
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Run the command line (`argv` without the program name; None means sys.argv[1:]).

    `scan` resolves HOST, scans the ports, identifies the open ones among --http-ports and
    prints `format_table` (or `to_json` with --json). `sysinfo` prints `format_sysinfo` (or
    the `collect()` dict as JSON). Bad input (options, port specs, a host that does not
    resolve, concurrency < 1, timeout <= 0) prints one line `error: <message>` to stderr and
    returns 2. Ctrl-C prints what finished, marked interrupted, and returns 130. Success
    returns 0, whatever the ports' states.
    """
    try:
        args = build_parser().parse_args(argv)
        if args.command == "scan":
            return command_scan(args)
        return command_sysinfo(args)
    except (UsageError, ValueError) as err:  # a PortSpecError is a ValueError too
        print(f"error: {' '.join(str(err).split())}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:  # before the scan started (or while printing)
        return EXIT_INTERRUPTED
