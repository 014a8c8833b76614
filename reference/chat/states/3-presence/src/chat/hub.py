"""Stages 2 to 7: clients, rooms, and getting every message to every member in order.

A `Client` never writes to its socket from the code that decides what to send: events go into
its queue, and one writer task per client (`pump`) sends them. So a client that stops reading
holds up nobody but itself; its queue is bounded (QUEUE_LIMIT events), and a client whose queue
is full is dropped with close code 4001, which keeps the server's memory bounded too.

The `Hub` owns the rooms. Each message gets the room's next id (1, 2, 3 ...) and a timestamp,
is stored (history.py, or the Redis stream in cluster.py) and then goes, as the same encoded
text, into the queue of every member, the sender included: that copy, with its id, is the
sender's acknowledgement.
"""

# Some imports are for the code you write.
# ruff: noqa: F401

import asyncio
import logging
from typing import Any

from redis.exceptions import RedisError
from websockets.asyncio.server import ServerConnection

from .cluster import RedisBus
from .history import LocalHistory
from .protocol import (
    CLOSE_TOO_SLOW,
    HISTORY_ON_JOIN,
    ProtocolError,
    encode,
    error_event,
    timestamp,
)

QUEUE_LIMIT = 256  # events waiting for one client before it counts as too slow
# Each join or leave in a room of N costs N events: above this, rooms announce nobody (with a
# thousand members, a thousand joins would be half a million presence events).
PRESENCE_LIMIT = 100
CLOSE_SECONDS = 10.0  # how long a dropped client gets to take its close frame
log = logging.getLogger("chat")


class Client:
    """One connection: its rooms (room -> nickname) and its bounded outgoing queue."""

    def __init__(self, websocket: ServerConnection, queue_limit: int) -> None:
        self.websocket = websocket
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=queue_limit)
        self.rooms: dict[str, str] = {}
        # Rooms being joined: messages that arrive while their history is read wait here.
        self.joining: dict[str, list[dict[str, Any]]] = {}
        # Room -> the newest message id this client has (its history included): an older one
        # never goes to it again. With Redis, the history read can be ahead of messages still
        # on their way to this server.
        self.newest: dict[str, int] = {}
        self.dropped = False
        self.writer: asyncio.Task | None = None  # the task running `pump`

    def send(self, text: str) -> bool:
        """Queue one encoded event; False when the queue is full (the client is too slow)."""
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            return False
        return True

    async def pump(self) -> None:
        """Send queued events, in order, for as long as the connection lives."""
        while True:
            text = await self.queue.get()
            await self.websocket.send(text)


class Hub:
    """Rooms and their members on this server, and the way messages reach them."""

    def __init__(
        self,
        history: LocalHistory,
        bus: RedisBus | None = None,
        queue_limit: int = QUEUE_LIMIT,
    ) -> None:
        self.history = history
        self.bus = bus
        self.queue_limit = queue_limit
        self.clients: set[Client] = set()
        self.rooms: dict[str, dict[Client, str]] = {}

    # --- connections --------------------------------------------------------------------

    def connect(self, websocket: ServerConnection) -> Client:
        """A new client, with no rooms yet."""
        client = Client(websocket, self.queue_limit)
        self.clients.add(client)
        return client

    def disconnect(self, client: Client) -> None:
        """The client is gone: it leaves every room (the others see it leave)."""
        self.clients.discard(client)
        for room in list(client.rooms):
            self.leave(client, room)

    def reply(self, client: Client, event: dict[str, Any]) -> None:
        """Send one event to one client (dropping it when its queue is full)."""
        client.send(encode(event))

    def drop(self, client: Client) -> None:
        """A client too slow to keep up: out of every room, then closed with 4001."""
        raise NotImplementedError(
            "Stage 4 (backpressure): Hub.drop: a client too slow to keep up: out of every room, then closed with 4001"
        )

    async def _close_slow(self, client: Client) -> None:
        """Close a dropped client with 4001, aborting the connection if it takes too long."""
        raise NotImplementedError(
            "Stage 4 (backpressure): Hub._close_slow: close a dropped client with 4001, aborting the connection if it takes too long"
        )

    # --- rooms --------------------------------------------------------------------------

    def members(self, room: str) -> list[str]:
        """The nicknames in a room, sorted."""
        return sorted(self.rooms.get(room, {}).values())

    def fan_out(
        self, room: str, event: dict[str, Any], skip: Client | None = None
    ) -> None:
        """Send one event to every member of a room (but `skip`); drop those too slow."""
        text = encode(event)
        for client in list(self.rooms.get(room, {})):
            if client is not skip:
                client.send(text)

    def announce(
        self, room: str, nick: str, action: str, skip: Client | None = None
    ) -> None:
        """Tell a room's members who joined or left, while the room is small enough."""
        count = len(self.rooms.get(room, {}))
        if count <= PRESENCE_LIMIT:
            self.fan_out(
                room,
                {
                    "type": "presence",
                    "room": room,
                    "nick": nick,
                    "action": action,
                    "count": count,
                },
                skip=skip,
            )

    async def join(
        self, client: Client, room: str, nick: str, after: int | None
    ) -> None:
        """Join: the others see the newcomer; the newcomer gets members and history."""
        if room in client.rooms:
            raise ProtocolError("already_joined", f"you are already in {room!r}")
        if nick in self.rooms.get(room, {}).values():
            raise ProtocolError("nick_taken", f"{nick!r} is taken in {room!r}")
        self.rooms.setdefault(room, {})[client] = nick
        client.rooms[room] = nick
        self.announce(room, nick, "join", skip=client)
        history = await self.recent(room, HISTORY_ON_JOIN)
        self.reply(
            client,
            {
                "type": "joined",
                "room": room,
                "nick": nick,
                "members": self.members(room),
                "history": history,
            },
        )

    @staticmethod
    def _is_new(client: Client, event: dict[str, Any]) -> bool:
        """Does this event still go to this client? Not a message it already has; a message
        that does go becomes the newest the client has in its room."""
        raise NotImplementedError(
            "Stage 7 (redis): Hub._is_new: does this event still go to this client? Not a message it already has"
        )

    def leave(self, client: Client, room: str) -> None:
        """Leave a room: the others see it."""
        if room not in client.rooms:
            raise ProtocolError("not_in_room", f"you are not in {room!r}")
        nick = client.rooms.pop(room)
        members = self.rooms[room]
        del members[client]
        if not members:
            del self.rooms[room]
        self.announce(room, nick, "leave")

    # --- messages -----------------------------------------------------------------------

    async def say(self, client: Client, room: str, text: str) -> None:
        """A member's message: id, timestamp, stored, then to every member in order."""
        if room not in client.rooms:
            raise ProtocolError("not_in_room", f"join {room!r} before you say anything")
        event = {
            "type": "message",
            "room": room,
            "id": self.history.last_id(room) + 1,
            "nick": client.rooms[room],
            "text": text,
            "ts": timestamp(),
        }
        self.deliver(event)

    def deliver(self, event: dict[str, Any]) -> None:
        """A message with its id: keep it, then hand it to the room's members here."""
        self.history.append(event)
        self.fan_out(event["room"], event)

    async def recent(
        self, room: str, limit: int, before: int | None = None
    ) -> list[dict[str, Any]]:
        """The room's newest messages, from Redis when there is one."""
        return self.history.recent(room, limit, before)

    async def after(self, room: str, after_id: int) -> list[dict[str, Any]]:
        """The room's messages after an id, from Redis when there is one."""
        raise NotImplementedError(
            "Stage 6 (durability): Hub.after: the room's messages after an id, from Redis when there is one"
        )

    async def history_request(
        self, client: Client, room: str, before: int | None, limit: int
    ) -> None:
        """Answer a history command, for members only."""
        if room not in client.rooms:
            raise ProtocolError("not_in_room", f"join {room!r} to read its history")
        messages = await self.recent(room, limit, before)
        self.reply(client, {"type": "history", "room": room, "messages": messages})

    # --- Redis --------------------------------------------------------------------------

    async def listen(self) -> None:
        """Deliver what other servers publish until Redis fails; then carry on alone."""
        raise NotImplementedError(
            "Stage 7 (redis): Hub.listen: deliver what other servers publish until Redis fails; then carry on alone"
        )

    def degrade(self, err: Exception) -> None:
        """Redis is gone: tell every client, and go on with this server's rooms only."""
        raise NotImplementedError(
            "Stage 7 (redis): Hub.degrade: redis is gone: tell every client, and go on with this server's rooms only"
        )
