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
        if room not in self._rooms:
            messages: deque[dict[str, Any]] = deque(maxlen=self.keep)
            last = 0
            path = self.folder / f"{room}.jsonl"
            if path.exists():
                data = path.read_bytes()
                whole = data[: data.rfind(b"\n") + 1]
                if len(whole) < len(data):
                    # A crash cut the last line short. Cut it off, or the next message
                    # would be appended to it and be lost with it at the next start.
                    with open(path, "r+b") as file:
                        file.truncate(len(whole))
                for line in whole.decode("utf-8", errors="replace").splitlines():
                    try:
                        event = json.loads(line)
                    except ValueError:
                        continue  # damaged some other way: lose that line, not the room
                    messages.append(event)
                    last = max(last, event["id"])
            self._rooms[room] = messages
            self._last[room] = last
        return self._rooms[room]

    def last_id(self, room: str) -> int:
        """The id of the room's newest message (0 when it has none)."""
        self._room(room)
        return self._last[room]

    def append(self, event: dict[str, Any]) -> None:
        """Keep one message event (its id is newer than every kept one): on disk, then here."""
        room = event["room"]
        messages = self._room(room)
        if room not in self._files:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._files[room] = open(  # noqa: SIM115 (kept open while the server runs)
                self.folder / f"{room}.jsonl", "a", encoding="utf-8"
            )
        file = self._files[room]
        file.write(json.dumps(event, ensure_ascii=False) + "\n")
        file.flush()
        messages.append(event)
        self._last[room] = max(self._last[room], event["id"])

    def recent(
        self, room: str, limit: int, before: int | None = None
    ) -> list[dict[str, Any]]:
        """The newest `limit` messages with an id below `before` (all ids when None), oldest first."""
        older = [m for m in self._room(room) if before is None or m["id"] < before]
        return older[-limit:]

    def after(self, room: str, after_id: int) -> list[dict[str, Any]]:
        """Every kept message with an id above `after_id`, oldest first."""
        return [m for m in self._room(room) if m["id"] > after_id]

    def close(self) -> None:
        """Close the room files."""
        for file in self._files.values():
            file.close()
        self._files.clear()
