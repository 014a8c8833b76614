"""Helpers shared by the portscan tests.

Every test talks to 127.0.0.1 only, to ports these helpers prepare and clean up:

    with Ports() as ports:
        ports.open_port()          # a listener that accepts: connect() succeeds
        ports.closed_ports(3)      # nothing there: the kernel answers with a reset (RST)
        ports.filtered_ports(2)    # a listener whose queue is full: SYNs are dropped, connect()
                                   # gets no answer at all until it times out

`run(coro, call)` runs async code from a plain test; `count_sockets_in_flight(coro)` runs it
while counting, at every turn of the event loop, the sockets the process holds beyond those
it held before: the connections a scan has in flight.
"""

import asyncio
import os
import selectors
import socket
import stat
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from portscan.probe import PortResult
from tests.teaching import got_vs_expected

HOST = "127.0.0.1"
# How long a connect to 127.0.0.1 may take before a full accept queue is assumed: on loopback
# the handshake takes microseconds, and a dropped SYN is only sent again after a second.
STALL_SECONDS = 0.2
MAX_FILL = 8  # connections per filtered listener at most (Linux needs 1 or 2)


# --- ports in a known state -----------------------------------------------------------


class Ports:
    """Hands out ports in a known state on 127.0.0.1 and closes everything on exit."""

    def __init__(self) -> None:
        self._sockets: list[socket.socket] = []
        self._selector = selectors.DefaultSelector()
        self._stop = threading.Event()
        self._server: threading.Thread | None = None
        self._lock = threading.Lock()
        # (our listener's port, the client's address) of each accepted connection
        self.accepted: list[tuple[int, tuple[str, int]]] = []
        # Closed ports come from here, so that none is handed out twice.
        self._candidates = _candidate_ports()

    def __enter__(self) -> "Ports":
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.join(timeout=5)
        self._selector.close()
        for sock in self._sockets:
            sock.close()

    def _keep(self, sock: socket.socket) -> socket.socket:
        self._sockets.append(sock)
        return sock

    # open: a listener whose connections a background thread accepts (and closes at once)
    def open_port(self, above: int = 0) -> int:
        """A listener that accepts. With `above`: on the first free port above that one (a
        port this process listens on is safe to choose: nobody else can take it)."""
        if not above:
            listener = self._keep(socket.create_server((HOST, 0), backlog=128))
        else:
            for port in range(above + 1, _ephemeral_range()[1] + 1):
                try:
                    listener = self._keep(
                        socket.create_server((HOST, port), backlog=128)
                    )
                    break
                except OSError:
                    continue
            else:
                raise RuntimeError(f"no free port above {above} on {HOST}")
        listener.setblocking(False)
        self._selector.register(listener, selectors.EVENT_READ)
        if self._server is None:
            self._server = threading.Thread(target=self._serve, daemon=True)
            self._server.start()
        return listener.getsockname()[1]

    def open_ports(self, n: int, above: int = 0) -> list[int]:
        return [self.open_port(above) for _ in range(n)]

    def _serve(self) -> None:
        while not self._stop.is_set():
            for key, _ in self._selector.select(timeout=0.05):
                try:
                    conn, client = key.fileobj.accept()
                except OSError:
                    continue
                conn.close()
                with self._lock:
                    self.accepted.append((key.fileobj.getsockname()[1], client))

    def wait_for_accepts(self, n: int, limit: float = 5.0) -> list[tuple[int, tuple]]:
        """Wait until the open listeners have accepted (and closed) n connections in all."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.accepted) >= n:
                    return list(self.accepted)
            time.sleep(0.01)
        with self._lock:
            return list(self.accepted)

    # closed: free ports outside the ephemeral range
    def closed_ports(self, n: int) -> list[int]:
        """n ports that nothing listens on; a connect to them is refused.

        They lie outside the kernel's ephemeral range, so no other program's bind(port 0)
        or connect() can take one while the test runs (and a probe's own source port is
        never one of them, which would make it connect to itself: stage 4). These tests
        never listen there, so a test running in parallel cannot take one either.
        """
        found: list[int] = []
        for port in self._candidates:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                try:
                    sock.bind((HOST, port))
                except OSError:
                    continue  # something uses it: not ours to call closed
            found.append(port)
            if len(found) == n:
                return found
        raise RuntimeError(f"found only {len(found)} free ports on {HOST}, not {n}")

    def closed_port(self) -> int:
        return self.closed_ports(1)[0]

    # filtered: listeners with backlog 0 that never accept, filled until SYNs are dropped
    def filtered_ports(self, n: int) -> list[int]:
        """n ports where a connect gets no answer: Linux drops a SYN to a listener whose
        accept queue is full, so each listener is filled until a connect stalls.
        """
        listeners = []
        for _ in range(n):
            listener = self._keep(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            listener.bind((HOST, 0))
            listener.listen(0)
            listeners.append(listener)
        filling = list(listeners)
        for _ in range(MAX_FILL):
            attempts = {}
            for listener in filling:
                client = self._keep(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
                client.setblocking(False)
                client.connect_ex(listener.getsockname())
                attempts[client] = listener
            done = _connected_within(list(attempts), STALL_SECONDS)
            # A listener whose newest connection stalled is full; the others get another.
            filling = [attempts[client] for client in done]
            if not filling:
                return [listener.getsockname()[1] for listener in listeners]
        raise RuntimeError(
            f"{len(filling)} backlog-0 listeners on {HOST} still accept connections after "
            f"{MAX_FILL} were queued: this system does not drop SYNs to a full accept queue"
        )


def _connected_within(clients: list[socket.socket], seconds: float) -> set:
    """The clients whose non-blocking connect completed within `seconds`."""
    done: set = set()
    deadline = time.monotonic() + seconds
    with selectors.DefaultSelector() as selector:
        for client in clients:
            selector.register(client, selectors.EVENT_WRITE)
        while len(done) < len(clients):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for key, _ in selector.select(timeout=left):
                selector.unregister(key.fileobj)
                done.add(key.fileobj)
    return done


def _ephemeral_range() -> tuple[int, int]:
    """The ports the kernel picks from for bind(port 0) and connect()."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = map(int, f.read().split())
        return low, high
    except (OSError, ValueError):
        return 32768, 65535  # covers Linux's default and the IANA range (macOS)


def _candidate_ports() -> Iterator[int]:
    """Ports from 10000 up outside the ephemeral range, then lower ones; the ephemeral
    range itself only as a last resort."""
    low, high = _ephemeral_range()
    for ports in (range(10000, 65536), range(1024, 10000)):
        yield from (p for p in ports if not low <= p <= high)
    yield from range(max(low, 1024), high + 1)


# --- running async code -----------------------------------------------------------------


def run(coro: Awaitable[Any], call: str, limit: float = 20.0) -> Any:
    """asyncio.run(coro), failing the test if it takes more than `limit` seconds."""
    expired = False

    async def limited() -> Any:
        nonlocal expired
        cm = asyncio.timeout(limit)
        try:
            async with cm:
                return await coro
        except TimeoutError:
            if not cm.expired():
                raise  # a TimeoutError of the code under test, not ours
            expired = True

    result = asyncio.run(limited())
    if expired:
        pytest.fail(f"{call} did not finish within {limit:g} s", pytrace=False)
    return result


def socket_count() -> int:
    """How many sockets this process holds now (any state: connecting, connected ...)."""
    fd_dir = "/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd"
    count = 0
    for name in os.listdir(fd_dir):
        try:
            if stat.S_ISSOCK(os.fstat(int(name)).st_mode):
                count += 1
        except OSError:
            pass  # the listing's own descriptor, closed by now
    return count


async def count_sockets_in_flight(coro: Awaitable[Any]) -> tuple[Any, int]:
    """Run coro; return its result and the most sockets it held at once.

    The count is taken at every turn of the event loop (sockets held before coro started
    do not count). A connection in flight is a socket: open listeners' accepted
    connections would count too, so use closed and filtered ports here.
    """
    before = socket_count()
    task = asyncio.ensure_future(coro)
    peak = 0
    while not task.done():
        peak = max(peak, socket_count() - before)
        await asyncio.sleep(0)
    return task.result(), peak


# --- messages ---------------------------------------------------------------------------


def show_results(results: Any) -> str:
    """Results compactly: "[80 open (connected), 81 closed (refused)]"."""
    if not isinstance(results, list):
        return repr(results)
    return "[" + ", ".join(show_result(r) for r in results) + "]"


def show_result(result: Any) -> str:
    """A PortResult compactly: "80 open (connected)"; anything else as its repr."""
    if not isinstance(result, PortResult):
        return repr(result)
    return f"{result.port} {result.state} ({result.reason})"


def check_result(call: str, got: Any, expected: Any, rule: str = "") -> None:
    """Fail unless a probe returned exactly `expected` (the message alone, without pytest's
    attribute-by-attribute comparison)."""
    if got != expected:
        pytest.fail(
            got_vs_expected(call, show_result(got), show_result(expected), rule),
            pytrace=False,
        )


def check_results(call: str, got: Any, expected: list, rule: str = "") -> None:
    """Assert that a scan returned exactly `expected`; the message shows the first
    differences, so that it stays short for thousands of ports."""
    if got == expected:
        return
    if not isinstance(got, list) or len(got) <= 12 and len(expected) <= 12:
        pytest.fail(
            got_vs_expected(call, show_results(got), show_results(expected), rule),
            pytrace=False,
        )
    wrong = [
        (i, g, e) for i, (g, e) in enumerate(zip(got, expected, strict=False)) if g != e
    ][:3]
    lines = [f"{call}", f"  got {len(got)} results; expected {len(expected)}"]
    for i, g, e in wrong:
        lines.append(f"  result [{i}] is {show_result(g)}; expected {show_result(e)}")
    if rule:
        lines.append(f"  rule: {rule}")
    pytest.fail("\n".join(lines), pytrace=False)


# --- a threaded TCP server for the service and command-line stages ----------------------


class Server:
    """A TCP server on 127.0.0.1 that runs `handler(server, conn)` in a thread for every
    connection it accepts. `received` collects the requests handlers recorded. A scan's probe is
    the first connection to a port and the identification that follows is the second, so
    `second_accept` is set when identifying has begun."""

    def __init__(self, handler: Callable[["Server", socket.socket], None]) -> None:
        self.handler = handler
        self.stop = threading.Event()
        self.received: list[bytes] = []
        self.accepted = 0
        self.second_accept = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)
        self.port = self.listener.getsockname()[1]
        self.threads: list[threading.Thread] = []
        self.acceptor = threading.Thread(target=self.accept_loop, daemon=True)
        self.acceptor.start()

    def accept_loop(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            if self.accepted >= 2:
                self.second_accept.set()
            thread = threading.Thread(target=self.serve, args=(conn,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5.0)
            try:
                self.handler(self, conn)
            except OSError:
                pass  # the client went away; nothing to judge here

    def close(self) -> None:
        self.stop.set()
        self.acceptor.join(5)
        self.listener.close()
        for thread in self.threads:
            thread.join(5)


@contextmanager
def serving(handler: Callable[[Server, socket.socket], None]) -> Iterator[Server]:
    server = Server(handler)
    try:
        yield server
    finally:
        server.close()
