"""Stage 7: several servers share their rooms through Redis.

- A message gets its id, lands in the room's stream and is published, in ONE Lua script. Redis
  runs a script alone, so ids, stream order and publish order are the same everywhere: every
  server hands the room's messages to its members in the same order.
- Every server subscribes to one channel and delivers what arrives to its own members, the
  sender's server included (it does not deliver its own messages early: that would break the
  order).
- History and resumes read the room's stream (`XRANGE`): a server started later still has it.

Any Redis error goes up to the caller as `redis.exceptions.RedisError` (ConnectionError,
TimeoutError ...); the hub then carries on without Redis.
"""

# Some imports are for the code you write.
# ruff: noqa: F401

import json
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from .protocol import encode

CHANNEL = "chat:messages"
REDIS_SECONDS = 2.0  # the longest one Redis command may take

# KEYS: the room's id counter, the room's stream; ARGV: the event without its id.
SAY_SCRIPT = """
local id = redis.call('INCR', KEYS[1])
local event = cjson.decode(ARGV[1])
event['id'] = id
local text = cjson.encode(event)
redis.call('XADD', KEYS[2], id .. '-1', 'event', text)
redis.call('PUBLISH', ARGV[2], text)
return id
"""


def _keys(room: str) -> list[str]:
    return [f"chat:room:{room}:id", f"chat:room:{room}:stream"]


class RedisBus:
    """One server's link to the shared Redis: publish messages, read history, listen."""

    def __init__(self, url: str) -> None:
        # No retries: a Redis that is gone should be noticed at once, not in a minute.
        self.redis = aioredis.Redis.from_url(
            url,
            socket_connect_timeout=REDIS_SECONDS,
            socket_timeout=REDIS_SECONDS,
            retry=Retry(NoBackoff(), 0),
        )
        self.say_script = self.redis.register_script(SAY_SCRIPT)
        self.pubsub = self.redis.pubsub()

    async def connect(self) -> None:
        """Check that Redis answers and subscribe, before the server takes clients."""
        raise NotImplementedError(
            "Stage 7 (redis): RedisBus.connect: check that Redis answers and subscribe, before the server takes clients"
        )

    async def publish(self, event: dict[str, Any]) -> int:
        """Give a message event (without "id") the room's next id, store it and publish it."""
        raise NotImplementedError(
            'Stage 7 (redis): RedisBus.publish: give a message event (without "id") the room\'s next id, store it and publish it'
        )

    async def recent(
        self, room: str, limit: int, before: int | None = None
    ) -> list[dict[str, Any]]:
        """The newest `limit` messages with an id below `before`, oldest first."""
        raise NotImplementedError(
            "Stage 7 (redis): RedisBus.recent: the newest `limit` messages with an id below `before`, oldest first"
        )

    async def after(self, room: str, after_id: int) -> list[dict[str, Any]]:
        """Every message with an id above `after_id`, oldest first."""
        raise NotImplementedError(
            "Stage 7 (redis): RedisBus.after: every message with an id above `after_id`, oldest first"
        )

    async def listen(self, deliver: Callable[[dict[str, Any]], None]) -> None:
        """Hand every published message to `deliver`, in order, until Redis fails (raises)."""
        raise NotImplementedError(
            "Stage 7 (redis): RedisBus.listen: hand every published message to `deliver`, in order, until Redis fails (raises)"
        )

    async def close(self) -> None:
        """Let go of both connections (quietly: Redis may already be gone)."""
        for closing in (self.pubsub.aclose, self.redis.aclose):
            try:
                await closing()
            except Exception:  # noqa: BLE001 (closing a dead link is not worth reporting)
                pass
