"""Stage 1: the wire protocol (PROTOCOL.md): reading client frames, writing server events.

Every frame is one JSON object with a "type". `parse_command` turns a client's text frame into a
checked command or raises `ProtocolError` with the error code the client will see; it never
lets a bad frame raise anything else, because one client's garbage must not end its connection
(let alone the server). `encode` writes events compactly; every event for a room is encoded
once and the same text goes to every member.
"""

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
    value = command.get(field)
    if not isinstance(value, str) or not NAME_PATTERN.fullmatch(value):
        raise ProtocolError(
            code, f'"{field}" must be 1 to 32 letters, digits, "_" or "-"'
        )
    return value


def _count(command: dict, field: str, low: int, high: int | None = None) -> int | None:
    """An optional whole number between low and high."""
    value = command.get(field)
    if value is None:
        return None
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or value < low
        or (high is not None and value > high)
    ):
        limit = f" and at most {high}" if high is not None else ""
        raise ProtocolError(
            "bad_message", f'"{field}" must be a whole number of at least {low}{limit}'
        )
    return value


def parse_command(text: str) -> dict[str, Any]:
    """A client's text frame as a checked command: {"type": ..., fields ...}."""
    try:
        command = json.loads(text)
    except ValueError:
        raise ProtocolError("bad_json", "the frame is not valid JSON") from None
    if not isinstance(command, dict) or not isinstance(command.get("type"), str):
        raise ProtocolError(
            "bad_message", 'a command is a JSON object with a string "type"'
        )
    kind = command["type"]
    if kind == "join":
        return {
            "type": kind,
            "room": _name(command, "room", "bad_room"),
            "nick": _name(command, "nick", "bad_nick"),
            "after": _count(command, "after", 0),
        }
    if kind == "leave":
        return {"type": kind, "room": _name(command, "room", "bad_room")}
    if kind == "say":
        text = command.get("text")
        if not isinstance(text, str) or not 1 <= len(text) <= MAX_TEXT_CHARS:
            raise ProtocolError(
                "bad_message",
                f'"text" must be a string of 1 to {MAX_TEXT_CHARS} characters',
            )
        return {"type": kind, "room": _name(command, "room", "bad_room"), "text": text}
    if kind == "history":
        return {
            "type": kind,
            "room": _name(command, "room", "bad_room"),
            "before": _count(command, "before", 1),
            "limit": _count(command, "limit", 1, HISTORY_MAX) or HISTORY_ON_JOIN,
        }
    if kind == "ping":
        return {"type": kind}
    raise ProtocolError("unknown_type", f"unknown command type {kind!r}")


def encode(event: dict[str, Any]) -> str:
    """One event as a compact JSON text frame."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)


def error_event(code: str, message: str) -> dict[str, Any]:
    """{"type": "error", "code": ..., "message": ...}."""
    return {"type": "error", "code": code, "message": message}


def timestamp() -> str:
    """Now, in UTC, as ISO 8601 with milliseconds: 2026-11-22T12:00:00.123Z."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
