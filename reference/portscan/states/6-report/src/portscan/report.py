"""Stage 6 (report): one scan, told two ways.

A person wants a short table of what answered and a line of counts. A program wants every
port, in a stable order, under a documented schema it can check (`"schema": "portscan/1"`),
so that a script written today still reads tomorrow's output. Both say when the scan was
interrupted: partial results presented as complete are worse than none.
"""

import json
from collections import Counter
from dataclasses import asdict, dataclass

from .probe import CLOSED, FILTERED, OPEN, PortResult
from .service import Service

SCHEMA = "portscan/1"
"""The JSON document's schema id; it changes whenever the document's shape does."""


@dataclass
class ScanReport:
    host: str
    results: list[PortResult]
    services: dict[int, Service]  # by port, for open ports that were identified
    interrupted: bool = False


def summary(report: ScanReport) -> dict[str, int]:
    """{"scanned": n, "open": n, "closed": n, "filtered": n} for the report's results."""
    states = Counter(result.state for result in report.results)
    return {
        "scanned": len(report.results),
        "open": states[OPEN],
        "closed": states[CLOSED],
        "filtered": states[FILTERED],
    }


def describe(service: Service | None) -> str:
    """The SERVICE column: "http HTTP/1.1 200 OK (nginx)", "banner SSH-2.0-...", "unknown"."""
    if service is None:
        return ""
    if service.kind == "http":
        text = f"http {service.status_line}"
        return f"{text} ({service.server})" if service.server else text
    if service.kind == "banner":
        return f"banner {service.banner}"
    return service.kind


def format_table(report: ScanReport, show_closed: bool = False) -> str:
    """Columns PORT, STATE, SERVICE; open (and filtered) ports only unless show_closed; a final
    line '<n> open, <n> closed, <n> filtered (<n> scanned)'; '(interrupted: partial results)'
    when interrupted."""
    rows = [("PORT", "STATE", "SERVICE")]
    for result in sorted(report.results, key=lambda r: r.port):
        if result.state == CLOSED and not show_closed:
            continue
        service = describe(report.services.get(result.port))
        rows.append((str(result.port), result.state, service))
    lines = [f"{port:<7}{state:<10}{service}".rstrip() for port, state, service in rows]
    if report.interrupted:
        lines.append("(interrupted: partial results)")
    counts = summary(report)
    lines.append(
        f"{counts['open']} open, {counts['closed']} closed, {counts['filtered']} filtered "
        f"({counts['scanned']} scanned)"
    )
    return "\n".join(lines)


def to_json(report: ScanReport) -> str:
    """{"schema": "portscan/1", "host": ..., "interrupted": bool,
        "summary": {"scanned": n, "open": n, "closed": n, "filtered": n},
        "ports": [{"port": int, "state": str, "reason": str,
                   "service": null | {"kind", "status_line", "server", "banner"}}, ...]}
    every scanned port, sorted ascending; indent 2; keys in that order."""
    ports = []
    for result in sorted(report.results, key=lambda r: r.port):
        service = report.services.get(result.port)
        ports.append(
            {
                "port": result.port,
                "state": result.state,
                "reason": result.reason,
                "service": None if service is None else asdict(service),
            }
        )
    document = {
        "schema": SCHEMA,
        "host": report.host,
        "interrupted": report.interrupted,
        "summary": summary(report),
        "ports": ports,
    }
    return json.dumps(document, indent=2)
