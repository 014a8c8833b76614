"""Stages 1, 5 and 7: the WebSocket server, one session per connection, and plain HTTP checks.

The server listens on one port: WebSocket clients connect to /ws; GET /health and GET /ready
answer plain HTTP (the tests and any load balancer wait for /ready); anything else is 404.
Each connection runs `session`: it reads frames, answers bad ones with an error event (or a
close code, PROTOCOL.md says which), hands good ones to the hub, and closes a client that sent
nothing for the idle timeout. The WebSocket library sends pings and drops a peer that stops
answering them (heartbeats); its limits reject frames over 64 KiB (1009) and text that is not
UTF-8 (1007).
"""

# Some imports are for the code you write.
# ruff: noqa: F401

import argparse
import asyncio
import json
import logging
import signal
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from .cluster import RedisBus
from .history import LocalHistory
from .hub import Client, Hub
from .protocol import (
    CLOSE_IDLE,
    CLOSE_UNSUPPORTED,
    MAX_FRAME_BYTES,
    ProtocolError,
    error_event,
    parse_command,
)

WS_PATH = "/ws"
CLOSE_TIMEOUT = 2.0  # how long a client gets to answer our close frame
SHUTDOWN_SECONDS = 3.0  # how long connections get to close when the server stops
log = logging.getLogger("chat")


def json_response(status: HTTPStatus, body: dict[str, Any]) -> Response:
    """A plain HTTP answer with a JSON body."""
    data = json.dumps(body).encode()
    headers = Headers(
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return Response(status.value, status.phrase, headers, data)


def http_answer(connection: ServerConnection, request: Request) -> Response | None:
    """/health and /ready over plain HTTP, 404 for unknown paths, None: go on to WebSocket."""
    raise NotImplementedError(
        "Stage 1 (protocol): http_answer: /health and /ready over plain HTTP, 404 for unknown paths, None: go on to WebSocket"
    )


async def dispatch(hub: Hub, client: Client, command: dict[str, Any]) -> None:
    """Carry out one checked command."""
    raise NotImplementedError(
        "Stage 2 (rooms): dispatch: carry out one checked command"
    )


async def session(hub: Hub, websocket: ServerConnection, idle_seconds: float) -> None:
    """One client's connection, from handshake to close."""
    raise NotImplementedError(
        "Stage 1 (protocol): session: one client's connection, from handshake to close"
    )


async def serve_chat(options: argparse.Namespace) -> None:
    """Serve until SIGTERM or SIGINT; then close every connection (1001) and return."""
    raise NotImplementedError(
        "Stage 1 (protocol): serve_chat: serve until SIGTERM or SIGINT; then close every connection (1001) and return"
    )
