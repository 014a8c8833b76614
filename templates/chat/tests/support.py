"""Helpers shared by the chat tests: your server as a real process, real WebSocket clients.

- `start(workdir, *flags)` starts your server (the command in pyproject.toml's
  [tool.climb.service], plus `flags`) on a free port of 127.0.0.1; `running(...)` stops it
  after the block (tests/service.py does the work).
- `Peer` is one WebSocket client (the `websockets` library). It remembers what it sent and
  received, so a failure shows the conversation: `expect` waits (with a deadline) for the next
  event of a type, `join`/`say` run one command, `closed` waits for the server to close.
- `play(scenario)` runs an async test body with an overall deadline.
- `RedisServer` is a real `redis-server` on a free port, with persistence off, for stage 7;
  `stop()` ends it, `freeze()` leaves it running but deaf.

Nothing here sleeps to synchronise: every wait is for an event, with a deadline.
"""

import asyncio
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.frames import Opcode
from websockets.protocol import State
from websockets.uri import parse_uri

from tests.service import (
    HOST,
    ServiceConfig,
    ServiceProcess,
    free_port,
    service_config,
    start_process,
    stop_process,
)

PROJECT = Path(__file__).resolve().parent.parent
CONFIG: ServiceConfig = service_config(PROJECT)
WAIT = 10.0  # the longest a test waits for one event
WS_PATH = "/ws"
CLOSE_TOO_SLOW = 4001
CLOSE_IDLE = 4002
MAX_TEXT_CHARS = 4096


class ChatServer(ServiceProcess):
    """Your server, started with the project's command plus the flags a test needs."""

    def __init__(self, *args: Any, flags: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(CONFIG, PROJECT, *args, **kwargs)
        self.flags = list(flags)

    @property
    def argv(self) -> list[str]:
        return super().argv + self.flags

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}{WS_PATH}"


def start(
    workdir: Path,
    *flags: str,
    data_dir: Path | None = None,
    port: int | None = None,
) -> ChatServer:
    """Start the server (never raises: a failed start shows up when a client connects)."""
    return ChatServer(workdir, data_dir=data_dir, port=port, flags=tuple(flags)).start()


@contextmanager
def running(workdir: Path, *flags: str, **kwargs: Any) -> Iterator[ChatServer]:
    """The server, up for the length of the block, then stopped (SIGTERM, then SIGKILL)."""
    server = start(workdir, *flags, **kwargs)
    try:
        yield server
    finally:
        server.stop()


def play(scenario: Coroutine, seconds: float = 60.0) -> Any:
    """Run an async test body; past `seconds` it fails, saying so."""

    async def bounded() -> Any:
        try:
            async with asyncio.timeout(seconds):
                return await scenario
        except TimeoutError:
            pytest.fail(
                f"the test did not finish within {seconds:g} s (something waited forever)",
                pytrace=False,
            )

    return asyncio.run(bounded())


def brief(event: Any, chars: int = 160) -> str:
    text = event if isinstance(event, str) else json.dumps(event)
    return text if len(text) <= chars else text[:chars] + "..."


class Peer:
    """One WebSocket client of a running server, with its conversation kept for messages."""

    def __init__(
        self, server: ChatServer, name: str, websocket: ClientConnection
    ) -> None:
        self.server = server
        self.name = name
        self.websocket = websocket
        self.sent: list[str] = []
        self.received: list[Any] = []

    @classmethod
    async def open(
        cls, server: ChatServer, name: str = "client", **options: Any
    ) -> "Peer":
        """Connect to ws://127.0.0.1:PORT/ws (the server must be up)."""
        server.require_up()
        try:
            websocket = await connect(
                server.ws_url, open_timeout=WAIT, close_timeout=2, **options
            )
        except (OSError, TimeoutError, InvalidStatus) as err:
            pytest.fail(
                f"{name}: could not open a WebSocket to {server.ws_url}: "
                f"{type(err).__name__}: {err}\n{server.output_tail()}",
                pytrace=False,
            )
        return cls(server, name, websocket)

    def conversation(self, last: int = 8) -> str:
        """The last frames this client sent and received, for a failure message."""
        sent = (
            "\n".join(f"      {brief(s)}" for s in self.sent[-last:])
            or "      (nothing)"
        )
        got = (
            "\n".join(f"      {brief(r)}" for r in self.received[-last:])
            or "      (nothing)"
        )
        return f"  {self.name} sent (last {last}):\n{sent}\n  {self.name} received (last {last}):\n{got}"

    def fail(self, what: str, rule: str = "") -> None:
        message = f"{self.name}: {what}\n{self.conversation()}"
        if rule:
            message += f"\n  rule: {rule}"
        if not self.server.running:
            message += (
                "\n  the server is no longer running!\n" + self.server.output_tail()
            )
        pytest.fail(message, pytrace=False)

    async def send(self, frame: Any) -> None:
        """Send a command (a dict, as JSON), or exact text or bytes."""
        text = frame if isinstance(frame, str | bytes) else json.dumps(frame)
        self.sent.append(text if isinstance(text, str) else f"<binary {text[:40]!r}>")
        try:
            await self.websocket.send(text)
        except ConnectionClosed as err:
            self.fail(f"could not send, the connection is closed ({close_text(err)})")

    async def next(
        self, seconds: float = WAIT, waiting_for: str = "an event", rule: str = ""
    ) -> Any:
        """The next event from the server (parsed JSON)."""
        try:
            async with asyncio.timeout(seconds):
                frame = await self.websocket.recv()
        except TimeoutError:
            self.fail(f"waited {seconds:g} s for {waiting_for}; nothing came", rule)
        except ConnectionClosed as err:
            self.fail(
                f"waited for {waiting_for}; the server closed the connection "
                f"({close_text(err)})",
                rule,
            )
        try:
            event = json.loads(frame)
        except (TypeError, ValueError):
            self.received.append(frame)
            self.fail(f"received a frame that is not JSON text: {frame!r:.200}")
        self.received.append(event)
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            self.fail(
                f'received {brief(event)}: every event is an object with a "type"'
            )
        said = event.get("message")
        if event["type"] == "error" and not (isinstance(said, str) and said.strip()):
            self.fail(
                f"received {brief(event)}\n  rule: an error event says what went wrong in "
                '"message", a sentence for the person reading it (PROTOCOL.md)'
            )
        return event

    async def expect(
        self,
        kind: str,
        seconds: float = WAIT,
        skip: tuple[str, ...] = ("presence",),
        rule: str = "",
        **fields: Any,
    ) -> dict:
        """The next event, which must be of type `kind` with these fields; other events of
        the types in `skip` may come first and are passed over."""
        wanted = brief({"type": kind, **fields})
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            left = max(0.01, deadline - asyncio.get_running_loop().time())
            event = await self.next(left, waiting_for=wanted, rule=rule)
            if event["type"] == kind and all(
                event.get(k) == v for k, v in fields.items()
            ):
                return event
            if event["type"] in skip:
                continue
            self.fail(f"expected {wanted}\n  got      {brief(event)}", rule)

    async def join(self, room: str, nick: str, **extra: Any) -> dict:
        """Join a room; the "joined" event."""
        await self.send({"type": "join", "room": room, "nick": nick, **extra})
        return await self.expect("joined", room=room)

    async def say(self, room: str, text: str) -> None:
        await self.send({"type": "say", "room": room, "text": text})

    async def messages(self, count: int, seconds: float = WAIT) -> list[dict]:
        """The next `count` message events (presence events in between are passed over)."""
        got = []
        for _ in range(count):
            got.append(await self.expect("message", seconds))
        return got

    async def closed(self, seconds: float = WAIT, waiting_for: str = "") -> int | None:
        """Read (and drop) events until the server closes; the close code it sent."""
        try:
            async with asyncio.timeout(seconds):
                while True:
                    frame = await self.websocket.recv()
                    self.received.append(
                        brief(frame if isinstance(frame, str) else repr(frame))
                    )
        except ConnectionClosed:
            return self.websocket.close_code
        except TimeoutError:
            self.fail(
                f"waited {seconds:g} s for the server to close the connection"
                + (f" ({waiting_for})" if waiting_for else "")
                + "; it stayed open"
            )

    async def close(self) -> None:
        try:
            await self.websocket.close()
        except Exception:  # noqa: BLE001 (a test's clean-up never fails the test)
            pass


class StuckClient:
    """A WebSocket client on a plain socket with a tiny receive buffer, that reads nothing
    until told to: what a phone in a tunnel or a frozen program looks like to a server.
    (websockets' sans-I/O ClientProtocol does the framing; no event loop reads for it.)"""

    def __init__(self, server: ChatServer) -> None:
        server.require_up()
        self.server = server
        self.protocol = ClientProtocol(parse_uri(server.ws_url))
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # Set before connecting, so the kernel never grows the window for it.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(WAIT)
        self.sock.connect((server.host, server.port))
        self.protocol.send_request(self.protocol.connect())
        self._flush()
        while self.protocol.handshake_exc is None and not self._opened():
            self._read_some()
        if self.protocol.handshake_exc is not None:
            pytest.fail(
                f"stuck client: handshake failed: {self.protocol.handshake_exc}"
            )

    def _opened(self) -> bool:
        return self.protocol.state is State.OPEN

    def _flush(self) -> None:
        for data in self.protocol.data_to_send():
            if data:
                self.sock.sendall(data)

    def _read_some(self) -> bool:
        data = self.sock.recv(65536)
        if data:
            self.protocol.receive_data(data)
        else:
            self.protocol.receive_eof()
        self._flush()
        return bool(data)

    def send(self, command: dict) -> None:
        self.protocol.send_text(json.dumps(command).encode())
        self._flush()

    def read_until_closed(self, seconds: float = WAIT) -> tuple[int | None, int]:
        """Read everything the server sent until it closes: (close code, messages read).
        The close code is None when the connection ended without a close frame."""
        deadline = time.monotonic() + seconds
        messages = 0
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                more = self._read_some()
            except TimeoutError:
                break
            except OSError:
                return None, messages  # reset: no close frame
            for event in self.protocol.events_received():
                opcode = getattr(event, "opcode", None)  # the handshake answer has none
                if opcode is Opcode.TEXT:
                    messages += 1
                elif opcode is Opcode.CLOSE:
                    close = self.protocol.close_rcvd
                    return (close.code if close else None), messages
            if not more:
                return None, messages
        pytest.fail(
            f"the stuck client read again for {seconds:g} s ({messages} messages) and the "
            "server never closed the connection",
            pytrace=False,
        )

    def close(self) -> None:
        self.sock.close()


def close_text(err: ConnectionClosed) -> str:
    if err.rcvd is None:
        return "no close frame: the TCP connection ended abruptly (1006)"
    return f"close code {err.rcvd.code}, reason {err.rcvd.reason!r}"


def ids(events: list[dict]) -> list[Any]:
    return [event.get("id") for event in events]


def texts(events: list[dict]) -> list[Any]:
    return [event.get("text") for event in events]


def server_rss(server: ChatServer) -> int:
    """The server process's resident memory, in bytes."""
    return psutil.Process(server.process.pid).memory_info().rss


def raise_open_files_limit() -> int:
    """Let this process (and the servers it starts) open as many files as the system allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# --- Redis -----------------------------------------------------------------------------------

REDIS_MISSING = (
    "redis-server is not installed, and stage 7 runs a real one. Install it:\n"
    "    sudo apt-get install redis-server     (Debian, Ubuntu; then `sudo systemctl "
    "disable --now redis-server` if you do not want it running all the time)\n"
    "    brew install redis                    (macOS)\n"
    "The tests start their own redis-server on a free port of 127.0.0.1 and stop it again."
)


class RedisServer:
    """A real redis-server on 127.0.0.1, no persistence, in a folder of its own."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="redis-", dir=workdir))
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def start(self) -> "RedisServer":
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail(REDIS_MISSING, pytrace=False)
        self.process = start_process(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                HOST,
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
                "--daemonize",
                "no",
            ],
            stdin=subprocess.DEVNULL,
            stdout=open(self.folder / "log", "wb"),  # noqa: SIM115 (the child owns it)
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline and self.process.poll() is None:
            if self.ping():
                return self
            time.sleep(0.02)
        log = (self.folder / "log").read_text(errors="replace")[-1500:]
        self.stop()
        pytest.fail(
            f"redis-server did not start on port {self.port}:\n{log}", pytrace=False
        )

    def ping(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def freeze(self) -> None:
        """Stop the process where it stands (SIGSTOP): connections stay open, nothing answers,
        as when the network to Redis breaks."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGSTOP)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers; a frozen one (see freeze) is woken to take
        them. No redis-server is ever left behind (tests/service.py's stop_process)."""
        if self.process is not None:
            stop_process(self.process, grace=5)


@contextmanager
def redis_running(workdir: Path) -> Iterator[RedisServer]:
    server = RedisServer(workdir).start()
    try:
        yield server
    finally:
        server.stop()
