"""Stage 2 (probe): one TCP connect, classified as open, closed or filtered."""

import asyncio
import errno
import gc
import socket
import warnings

import pytest

from portscan.probe import CLOSED, FILTERED, OPEN, PortResult, probe
from tests.support import HOST, Ports, check_result, run, show_result, socket_count

pytestmark = pytest.mark.stage("probe")

FILTERED_TIMEOUT = 0.3


def check_probe(
    port: int, timeout: float, expected: PortResult, rule: str, **kw
) -> None:
    call = f"probe({HOST!r}, {port}, {timeout}{''.join(f', {k}={v}' for k, v in kw.items())})"
    check_result(call, run(probe(HOST, port, timeout, **kw), call), expected, rule)


def test_a_listening_port_is_open():
    with Ports() as ports:
        port = ports.open_port()
        check_probe(
            port,
            2.0,
            PortResult(port, OPEN, "connected"),
            "the handshake completed: something listens there",
        )


def test_a_port_nobody_listens_on_is_closed():
    with Ports() as ports:
        port = ports.closed_port()
        check_probe(
            port,
            2.0,
            PortResult(port, CLOSED, "refused"),
            "the host answered the SYN with a reset (RST): Python raises ConnectionRefusedError",
        )


def test_a_port_that_never_answers_is_filtered_after_the_timeout():
    with Ports() as ports:
        [port] = ports.filtered_ports(1)
        check_probe(
            port,
            FILTERED_TIMEOUT,
            PortResult(port, FILTERED, "timeout"),
            "no answer at all within the timeout: filtered, reason 'timeout' (the test's "
            "listener drops every SYN, as a firewall would)",
        )


def test_other_network_errors_are_filtered_with_the_errno_name():
    """A TCP connect to a multicast address fails at once (ENETUNREACH on Linux); the test
    asks the operating system which error it gives, then expects its name as the reason."""
    address = ("224.0.0.1", 80)
    plain = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    plain.settimeout(2.0)
    try:
        plain.connect(address)
        pytest.skip(f"this system connects to {address}; no error to test with")
    except (ConnectionRefusedError, TimeoutError):
        pytest.skip(f"a connect to {address} gives no other error on this system")
    except OSError as err:
        name = errno.errorcode[err.errno]
    finally:
        plain.close()
    call = f"probe({address[0]!r}, {address[1]}, 2.0)"
    check_result(
        call,
        run(probe(*address, 2.0), call),
        PortResult(address[1], FILTERED, name),
        f"a plain connect to {address} raises OSError({name}): any OSError other than "
        "ConnectionRefusedError is filtered, with errno.errorcode[err.errno] as the reason",
    )


def test_source_port_binds_the_local_end():
    with Ports() as ports:
        port = ports.open_port()
        source = ports.closed_port()
        check_probe(
            port,
            2.0,
            PortResult(port, OPEN, "connected"),
            "source_port only changes where the connection comes from",
            source_port=source,
        )
        accepted = ports.wait_for_accepts(1)
        clients = [client for _, client in accepted]
        assert clients and clients[0][1] == source, (
            f"probe({HOST!r}, {port}, 2.0, source_port={source})\n"
            f"  the listener saw connections from: {clients}\n"
            f"  expected: one from port {source} (bind the socket to source_port before "
            "connecting)"
        )


def test_the_socket_is_closed_after_every_probe():
    """Sockets left for the garbage collector to close raise ResourceWarning ("unclosed");
    sockets kept somewhere stay open. Neither may happen, whatever the outcome."""
    with Ports() as ports:
        opened, closed = ports.open_port(), ports.closed_port()
        [filtered] = ports.filtered_ports(1)
        targets = [(opened, 2.0)] * 20 + [(closed, 2.0)] * 20 + [(filtered, 0.2)] * 3

        async def many() -> list[PortResult]:
            return list(
                await asyncio.gather(*(probe(HOST, port, t) for port, t in targets))
            )

        before = socket_count()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            results = run(many(), f"{len(targets)} probes at once")
            gc.collect()
        ports.wait_for_accepts(20)  # the listener closes its side of each connection
        left = socket_count() - before
        unclosed = [str(w.message) for w in caught if w.category is ResourceWarning]
        states = sorted({show_result(r) for r in results})
        assert not unclosed, (
            f"20 probes of an open port, 20 of a closed one, 3 of a filtered one ({states})\n"
            f"  {len(unclosed)} sockets were never closed, e.g. {unclosed[0]}\n"
            "  expected: probe closes its socket on every path (use try/finally)"
        )
        assert left <= 0, (
            f"20 probes of an open port, 20 of a closed one, 3 of a filtered one ({states})\n"
            f"  afterwards this process holds {left} more sockets than before\n"
            "  expected: none; probe closes its socket on every path (use try/finally)"
        )


def test_waiting_for_an_answer_does_not_block_the_event_loop():
    """While one probe waits for its timeout, other code must keep running: that is what
    lets a scan wait for hundreds of ports at once."""
    with Ports() as ports:
        [port] = ports.filtered_ports(1)

        async def probe_and_count_turns() -> tuple[PortResult, int]:
            task = asyncio.ensure_future(probe(HOST, port, FILTERED_TIMEOUT))
            turns = 0
            while not task.done():
                turns += 1
                await asyncio.sleep(0)
            return task.result(), turns

        call = f"probe({HOST!r}, {port}, {FILTERED_TIMEOUT})"
        result, turns = run(probe_and_count_turns(), call)
        assert turns >= 10, (
            f"{call} returned {show_result(result)}; meanwhile another task ran "
            f"{turns} times\n"
            "  expected: the other task runs all the time the probe waits (thousands of "
            "times); a blocking socket (connect() without setblocking(False), or "
            "settimeout()) freezes the whole event loop. Await loop.sock_connect(...) on a "
            "non-blocking socket instead."
        )
