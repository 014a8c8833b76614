"""Stage 6 (report): one scan, told two ways.

A person wants a short table of what answered and a line of counts. A program wants every
port, in a stable order, under a documented schema it can check (`"schema": "portscan/1"`),
so that a script written today still reads tomorrow's output. Both say when the scan was
interrupted: partial results presented as complete are worse than none.
"""

import json  # noqa: F401 (used by code you write)
from collections import Counter  # noqa: F401 (used by code you write)
from dataclasses import asdict, dataclass  # noqa: F401 (used by code you write)

from .probe import CLOSED, FILTERED, OPEN, PortResult  # noqa: F401 (used by code you write)
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
    raise NotImplementedError("Stage 6 (report): count the results by state")


def describe(service: Service | None) -> str:
    """The SERVICE column: "http HTTP/1.1 200 OK (nginx)", "banner SSH-2.0-...", "unknown"."""
    raise NotImplementedError("Stage 6 (report): describe a service in a few words")


def format_table(report: ScanReport, show_closed: bool = False) -> str:
    """Columns PORT, STATE, SERVICE; open (and filtered) ports only unless show_closed; a final
    line '<n> open, <n> closed, <n> filtered (<n> scanned)'; '(interrupted: partial results)'
    when interrupted."""
    raise NotImplementedError("Stage 6 (report): format the table and the summary line")


def to_json(report: ScanReport) -> str:
    """{"schema": "portscan/1", "host": ..., "interrupted": bool,
        "summary": {"scanned": n, "open": n, "closed": n, "filtered": n},
        "ports": [{"port": int, "state": str, "reason": str,
                   "service": null | {"kind", "status_line", "server", "banner"}}, ...]}
    every scanned port, sorted ascending; indent 2; keys in that order."""
    raise NotImplementedError("Stage 6 (report): build the JSON document")
