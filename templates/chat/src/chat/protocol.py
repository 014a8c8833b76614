"""Stage 1: the wire protocol (PROTOCOL.md): reading client frames, writing server events.

Every frame is one JSON object with a "type". `parse_command` turns a client's text frame into a
checked command or raises `ProtocolError` with the error code the client will see; it never
lets a bad frame raise anything else, because one client's garbage must not end its connection
(let alone the server). `encode` writes events compactly; every event for a room is encoded
once and the same text goes to every member.
"""

# Some imports are for the code you write.
# ruff: noqa: F401

import json
import re
from datetime import UTC, datetime
from typing import Any

MAX_FRAME_BYTES = 65536  # larger frames: close 1009 (the WebSocket library does it)
MAX_TEXT_CHARS = 4096
NAME_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,32}")  # rooms and nicknames
HISTORY_ON_JOIN = 50  # messages in "joined" when the client does not resume
HISTORY_MAX = 100  # the largest "limit" a history request may ask for

# Close codes: RFC 6455 ones, and the 4000-4999 range that is ours.
CLOSE_GOING_AWAY = 1001
CLOSE_UNSUPPORTED = 1003  # a binary frame
CLOSE_TOO_SLOW = 4001  # the client did not read fast enough: its queue filled up
CLOSE_IDLE = 4002  # the client sent nothing for the idle timeout


class ProtocolError(Exception):
    """A frame the server refuses; `code` is the error event's code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _name(command: dict, field: str, code: str) -> str:
    """The command's room or nick field, checked (ProtocolError `code` when it is not valid)."""
    raise NotImplementedError(
        "Stage 1 (protocol): _name: the command's room or nick field, checked (ProtocolError `code` when it is not valid)"
    )


def _count(command: dict, field: str, low: int, high: int | None = None) -> int | None:
    """An optional whole number between low and high."""
    raise NotImplementedError(
        "Stage 1 (protocol): _count: an optional whole number between low and high"
    )


def parse_command(text: str) -> dict[str, Any]:
    """A client's text frame as a checked command: {"type": ..., fields ...}."""
    raise NotImplementedError(
        'Stage 1 (protocol): parse_command: a client\'s text frame as a checked command: {"type": ..., fields ...}'
    )


def encode(event: dict[str, Any]) -> str:
    """One event as a compact JSON text frame."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)


def error_event(code: str, message: str) -> dict[str, Any]:
    """{"type": "error", "code": ..., "message": ...}."""
    return {"type": "error", "code": code, "message": message}


def timestamp() -> str:
    """Now, in UTC, as ISO 8601 with milliseconds: 2026-11-22T12:00:00.123Z."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
