"""Stages 3 and 6: each room's messages, kept on disk so they outlive the process.

One append-only file per room, `<data>/rooms/<room>.jsonl`, one message event per line. A
message is written (and flushed to the operating system) before anyone sees it, so a message a
client saw acknowledged survives SIGTERM and SIGKILL alike; the file is read back when the room
is first used after a start. A crash can cut the last line short (it has no newline): that
message was never acknowledged, so it is cut off the file when the file is read, and the next
message starts on a line of its own instead of being glued to the torn one (which would lose it
at the next start). The newest KEEP messages of each room stay in memory for history requests
and resumes.
"""

# Some imports are for the code you write.
# ruff: noqa: F401

import json
from collections import deque
from pathlib import Path
from typing import Any, TextIO

KEEP = 1000  # messages per room kept in memory (history and resume reach this far back)


class LocalHistory:
    """Every room's recent messages, in order of their ids, backed by one file per room."""

    def __init__(self, folder: Path, keep: int = KEEP) -> None:
        self.folder = folder / "rooms"
        self.keep = keep
        self._rooms: dict[str, deque[dict[str, Any]]] = {}
        self._last: dict[str, int] = {}
        self._files: dict[str, TextIO] = {}

    def _room(self, room: str) -> deque[dict[str, Any]]:
        """The room's messages, read from its file the first time."""
        raise NotImplementedError(
            "Stage 2 (rooms): LocalHistory._room: the room's messages, read from its file the first time"
        )

    def last_id(self, room: str) -> int:
        """The id of the room's newest message (0 when it has none)."""
        raise NotImplementedError(
            "Stage 2 (rooms): LocalHistory.last_id: the id of the room's newest message (0 when it has none)"
        )

    def append(self, event: dict[str, Any]) -> None:
        """Keep one message event (its id is newer than every kept one): on disk, then here."""
        raise NotImplementedError(
            "Stage 2 (rooms): LocalHistory.append: keep one message event (its id is newer than every kept one): on disk, then here"
        )

    def recent(
        self, room: str, limit: int, before: int | None = None
    ) -> list[dict[str, Any]]:
        """The newest `limit` messages with an id below `before` (all ids when None), oldest first."""
        raise NotImplementedError(
            "Stage 3 (presence): LocalHistory.recent: the newest `limit` messages with an id below `before` (all ids when None), oldest first"
        )

    def after(self, room: str, after_id: int) -> list[dict[str, Any]]:
        """Every kept message with an id above `after_id`, oldest first."""
        raise NotImplementedError(
            "Stage 6 (durability): LocalHistory.after: every kept message with an id above `after_id`, oldest first"
        )

    def close(self) -> None:
        """Close the room files."""
        raise NotImplementedError(
            "Stage 6 (durability): LocalHistory.close: close the room files"
        )
