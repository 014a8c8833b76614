"""Merge conflict markers left in a file: `invoke update` and `invoke package` refuse to start
while any are there (git happily commits them)."""

from __future__ import annotations


def conflict_line(data: bytes) -> int | None:
    """The 1-based line of a conflict's opening marker that a closing marker follows, if any."""
    start = None
    for number, line in enumerate(data.splitlines(), start=1):
        if start is None and (line.startswith(b"<<<<<<< ") or line == b"<<<<<<<"):
            start = number
        elif start is not None and (line.startswith(b">>>>>>> ") or line == b">>>>>>>"):
            return start
    return None
