"""Stage 1: `python -m chat --port 8765 --data data`, the server process.

It serves WebSocket clients on ws://HOST:PORT/ws, keeping room history in the --data folder
(created when missing). The tests add the other flags to the command in pyproject.toml: small
heartbeat and idle times (stage 5) and a Redis URL (stage 7). On SIGTERM or SIGINT it closes
every connection with 1001 (going away) and exits 0.
"""

# Some imports are for the code you write.
# ruff: noqa: F401

import argparse
import asyncio
import resource
from pathlib import Path

from .hub import QUEUE_LIMIT
from .server import serve_chat


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The server's options (`python -m chat --help` lists them)."""
    parser = argparse.ArgumentParser(
        prog="python -m chat", description="The real-time chat server."
    )
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    parser.add_argument("--port", type=int, required=True, help="the TCP port")
    parser.add_argument(
        "--data", type=Path, default=Path("data"), help="the folder for room history"
    )
    parser.add_argument(
        "--redis",
        default=None,
        help="a Redis URL (redis://127.0.0.1:6379/0) shared with other chat servers",
    )
    parser.add_argument(
        "--ping-interval",
        type=float,
        default=20.0,
        help="seconds between heartbeat pings to each client",
    )
    parser.add_argument(
        "--ping-timeout",
        type=float,
        default=20.0,
        help="seconds a client has to answer a ping before it is dropped",
    )
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=300.0,
        help="seconds a client may send nothing before it is closed with 4002",
    )
    parser.add_argument(
        "--queue-limit",
        type=int,
        default=QUEUE_LIMIT,
        help="events waiting for one client before it is dropped as too slow (4001)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGTERM or SIGINT, then return 0."""
    options = parse_args(argv)
    options.data.mkdir(parents=True, exist_ok=True)
    asyncio.run(serve_chat(options))
    return 0
