"""Stage 8 (operations): run it like production. Metrics, a graceful shutdown, and the whole
contract checked by generated requests.

GET /metrics speaks the Prometheus text format (read here by Prometheus's own parser):
http_requests_total{method, route, status} counts every finished request and
http_request_duration_seconds{method, route} is a histogram of their durations; `route` is the
route's template ("/links/{slug}"), never the raw path. On SIGTERM the service stops accepting
connections, lets the requests in flight finish, and exits 0. Finally Schemathesis reads
openapi.yaml, generates requests for every operation (valid and invalid), and checks that every
answer is one the contract allows: no 5xx, documented statuses, content types, headers and
bodies.
"""

import signal
import socket
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from prometheus_client.parser import text_string_to_metric_families
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support import (
    PROJECT,
    WAIT,
    Api,
    connect,
    expect_error,
    expect_status,
    read_reply,
    running,
    start,
)

pytestmark = pytest.mark.stage("operations")

GRACE = 10.0  # seconds a stopping service may take
# After SIGTERM the listening socket closes within this many seconds.
LISTENER_CLOSES_WITHIN = 1.0
# Then the client in flight sends the rest of its body this much later: a slow client that a
# graceful shutdown must still wait for. Together they stay under the contract's 2 s stall limit.
REST_OF_BODY_AFTER = 0.5


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    with running(tmp_path_factory.mktemp("operations")) as api:
        yield api


@pytest.fixture(scope="module")
def key(api):
    return api.fixture_key("ada")


# --- /metrics ----------------------------------------------------------------------------------


def scrape(api) -> dict[tuple[str, frozenset], float]:
    """Every sample of GET /metrics, parsed by prometheus_client: {(name, labels): value}."""
    reply = api.request("GET", "/metrics")
    expect_status(reply, 200, "GET /metrics answers 200")
    kind = reply.header("Content-Type") or ""
    assert kind.startswith("text/plain"), (
        f"{reply.describe()}\n  expected: Content-Type: text/plain; version=0.0.4 (the "
        "Prometheus text format)"
    )
    try:
        families = list(text_string_to_metric_families(reply.body.decode("utf-8")))
    except Exception as err:  # the parser's word on what is wrong
        pytest.fail(
            f"{reply.describe()}\n  Prometheus's parser refused it: {err}",
            pytrace=False,
        )
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in families
        for sample in family.samples
    }


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_metrics_count_requests_by_route_and_status(api, key):
    api.new_link(key, "https://example.com/m", "measured")
    before = scrape(api)
    for _ in range(5):
        api.request("GET", "/health")
    for _ in range(3):
        api.request("GET", "/links/missing-one")
    for _ in range(2):
        api.request("GET", "/links/measured")
    for _ in range(2):
        api.request("GET", "/no/such/route")
    after = scrape(api)
    checks = [
        ("GET", "/health", "200", 5),
        ("GET", "/links/{slug}", "404", 3),
        ("GET", "/links/{slug}", "200", 2),
        ("GET", "unmatched", "404", 2),
    ]
    for method, route, status, count in checks:
        labels = {"method": method, "route": route, "status": status}
        got = value(after, "http_requests_total", **labels) - value(
            before, "http_requests_total", **labels
        )
        assert got == count, (
            f"http_requests_total{labels} went up by {got} between two scrapes\n  expected: "
            f"{count} (that many such requests were sent in between)\n  rule: label by the "
            'route\'s template, not the raw path (route="unmatched" for a path no route '
            "matches), and count every finished request, errors included"
        )
    by_path = [key for key in after if ("route", "/links/measured") in key[1]]
    assert not by_path, (
        f"series labelled with a raw path: {by_path[:2]}\n  expected: "
        + 'route="/links/{slug}" '
        "(one series per route, not one per link: a label per slug grows without bound)"
    )


def test_metrics_time_requests_in_a_histogram(api):
    before = scrape(api)
    started = time.perf_counter()
    for _ in range(4):
        api.request("GET", "/ready")
    elapsed = time.perf_counter() - started
    after = scrape(api)
    labels = {"method": "GET", "route": "/ready"}
    count = value(after, "http_request_duration_seconds_count", **labels) - value(
        before, "http_request_duration_seconds_count", **labels
    )
    assert count == 4, (
        f"http_request_duration_seconds_count{labels} went up by {count}\n  expected: 4"
    )
    inf = value(after, "http_request_duration_seconds_bucket", le="+Inf", **labels)
    total = value(after, "http_request_duration_seconds_count", **labels)
    spent = value(after, "http_request_duration_seconds_sum", **labels)
    assert inf == total and spent > 0, (
        f"http_request_duration_seconds{labels}: bucket le=+Inf {inf}, count {total}, sum "
        f"{spent}\n  expected: the +Inf bucket equals the count, and the sum of durations "
        "is above 0"
    )
    spent_here = spent - value(before, "http_request_duration_seconds_sum", **labels)
    assert spent_here <= elapsed, (
        f"http_request_duration_seconds_sum{labels} went up by {spent_here} s for 4 "
        f"requests\n  expected: at most the {elapsed:.6f} s the client spent sending them "
        "one after another and reading the answers\n  rule: a duration is the time from "
        "the request's head arriving to its last byte sent, in seconds"
    )


# --- graceful shutdown ---------------------------------------------------------------------------


def exit_code_meaning(code: int | None) -> str:
    """What the exit code after SIGTERM says, and where to look when it is not 0."""
    if code is None:
        return (
            f"still running {GRACE:.0f} s after SIGTERM: the shutdown never ends (is the "
            "signal caught and ignored while the server keeps serving, or does something "
            "wait forever?)"
        )
    if code == -signal.SIGTERM:
        return (
            f"{code}, killed by SIGTERM: the signal ended the process, even if the requests "
            "in flight were answered first. With uvicorn that is expected: Server.run() "
            "catches SIGTERM, shuts down gracefully, then puts back the handler it found "
            "and raises SIGTERM again (Server.capture_signals), so that with no handler of "
            "your own the process still dies of the signal. Look at cli.main: make the "
            "process exit 0 once the graceful shutdown is done (`invoke hint` shows how)"
        )
    if code < 0:
        return f"{code}, killed by {signal.Signals(-code).name}"
    return f"{code}, the exit status your process chose (see its output below)"


def test_sigterm_lets_the_request_in_flight_finish_and_exits_0(tmp_path):
    api = Api(start(tmp_path))
    restarted = None
    try:
        key = api.new_key("ada")
        body = b'{"url": "https://example.com/in-flight", "slug": "in-flight"}'
        head = (
            "POST /links HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {key}\r\nContent-Length: {len(body)}\r\n"
            "Expect: 100-continue\r\n\r\n"
        ).encode()
        story = (
            "a client sent the head of POST /links and part of its body; then the service "
            "got SIGTERM; then the client sent the rest"
        )
        with connect(api) as client:
            client.sendall(head)
            client.settimeout(1.0)
            try:
                client.recv(1024)  # 100 Continue: the service is reading the body
            except TimeoutError:
                pass
            client.sendall(body[:10])
            api.service.send_signal(signal.SIGTERM)
            accepting, deadline = True, time.monotonic() + LISTENER_CLOSES_WITHIN
            while accepting and time.monotonic() < deadline:
                try:
                    socket.create_connection(
                        ("127.0.0.1", api.port), timeout=0.5
                    ).close()
                    time.sleep(0.05)
                except OSError:
                    accepting = False
            time.sleep(REST_OF_BODY_AFTER)
            client.settimeout(GRACE)
            client.sendall(body[10:])
            reply = read_reply(client, story)
        expect_status(
            reply, 201, f"{story}: the request in flight still gets its answer"
        )
        assert not accepting, (
            f"{story}\n  {LISTENER_CLOSES_WITHIN} s after SIGTERM new connections were still "
            "accepted\n  "
            "expected: a stopping service closes its listening socket at once"
        )
        code = api.service.wait(GRACE)
        assert code == 0, (
            f"{story}\n  then the service's exit code was {exit_code_meaning(code)}\n  "
            "expected: exit 0 once the request in flight is answered\n"
            f"{api.service.output_tail()}"
        )
        restarted = Api(start(tmp_path, api.service.data_dir))
        expect_status(
            restarted.request("GET", "/links/in-flight"),
            200,
            "the link created during shutdown was stored",
        )
    finally:
        api.service.stop()
        if restarted is not None:
            restarted.service.stop()


def test_sigterm_on_an_idle_service_exits_0(tmp_path):
    api = Api(start(tmp_path))
    try:
        expect_status(api.request("GET", "/health"), 200, "the service is up")
        api.service.send_signal(signal.SIGTERM)
        code = api.service.wait(GRACE)
        assert code == 0, (
            f"SIGTERM to an idle service\n  exit code: {exit_code_meaning(code)}\n  "
            f"expected: 0\n{api.service.output_tail()}"
        )
    finally:
        api.service.stop()


# --- the contract, by generated requests ------------------------------------------------------

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
CONTRACT = schemathesis.openapi.from_path(PROJECT / "openapi.yaml")
OPERATIONS = {
    operation.label: operation
    for operation in (result.ok() for result in CONTRACT.get_all_operations())
}
MODES = {"valid": GenerationMode.POSITIVE, "invalid": GenerationMode.NEGATIVE}
# Valid requests for every operation; invalid ones where there is a body to get wrong.
GENERATED = [(label, "valid") for label in OPERATIONS] + [
    (label, "invalid") for label, operation in OPERATIONS.items() if operation.body
]


@pytest.mark.parametrize(
    "label, mode", GENERATED, ids=[f"{label} {mode}" for label, mode in GENERATED]
)
def test_generated_requests_get_answers_the_contract_allows(api, key, label, mode):
    api.service.require_up()
    tried = []

    @given(case=OPERATIONS[label].as_strategy(MODES[mode]))
    @settings(
        max_examples=12,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        tried.append(case)
        case.call_and_validate(
            base_url=api.service.url,
            headers={"Authorization": f"Bearer {key}"},
            checks=CHECKS,
            timeout=WAIT,
        )

    try:
        check()
        problems = []
    except (Exception, BaseExceptionGroup) as failure:
        problems = list(getattr(failure, "exceptions", [failure]))
    # Failing outside the except block keeps the chained traceback out of the report.
    if problems:
        request = tried[-1].as_curl_command() if tried else "(no request)"
        pytest.fail(
            f"Schemathesis sent {mode} requests for {label} (from openapi.yaml); one got an "
            f"answer the contract does not allow:\n  {request}\n"
            + "\n".join(f"  - {str(problem).strip()}" for problem in problems)
            + f"\n{api.service.output_tail()}",
            pytrace=False,
        )
    expect_status(api.request("GET", "/health"), 200, "the service is still up")


def test_an_error_answer_is_never_a_crash(api):
    expect_error(
        api.request("POST", "/keys", body=b"\x00"), 400, "a NUL byte is not JSON"
    )
