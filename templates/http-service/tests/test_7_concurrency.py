"""Stage 7 (concurrency): many clients at once, and not one update lost.

Real threads, each with its own connection, hit the service at the same time. N clients
following one link M times each must leave exactly N x M clicks. Changing a link is
conditional: GET gives an ETag, PUT must send it back in If-Match (428 without it), and when
several clients PUT with the same ETag at once, exactly one wins (200, a new ETag) and every
other gets 412: none overwrites a change it has not seen. Like DELETE (stage 5), PUT is for the
link's own key only: 401 with `WWW-Authenticate: Bearer` without a valid key, 403 with another.
"""

import http.client
import json
import threading

import pytest

from tests.support import (
    BAD_CREDENTIALS,
    WAIT,
    expect_401,
    expect_error,
    expect_status,
    running,
)

pytestmark = pytest.mark.stage("concurrency")

CLIENTS = 8


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    with running(tmp_path_factory.mktemp("concurrency")) as api:
        yield api


@pytest.fixture(scope="module")
def key(api):
    return api.fixture_key("ada")


@pytest.fixture(scope="module")
def bob(api):
    return api.fixture_key("bob")


def together(api, work, clients: int = CLIENTS) -> list:
    """Run work(conn, index) in `clients` threads, each on its own open connection, released
    at the same moment; the results (or the exceptions) in client order."""
    api.service.require_up()
    results: list = [None] * clients
    conns = [
        http.client.HTTPConnection("127.0.0.1", api.port, timeout=WAIT)
        for _ in range(clients)
    ]
    for conn in conns:
        conn.connect()
    start = threading.Barrier(clients)

    def client(index: int) -> None:
        try:
            start.wait(WAIT)
            results[index] = work(conns[index], index)
        except Exception as err:  # reported by the test, with the others' results
            results[index] = err

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 6)
    for conn in conns:
        conn.close()
    return results


def call(
    conn, method: str, path: str, body=None, headers=None
) -> tuple[int, dict, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    conn.request(method, path, body=data, headers=headers or {})
    response = conn.getresponse()
    return response.status, dict(response.headers), response.read()


def test_concurrent_clicks_are_all_counted(api, key):
    visits = 25
    api.new_link(key, "https://example.com/popular", "popular")

    def follow(conn, index):
        return [call(conn, "GET", "/r/popular")[0] for _ in range(visits)]

    results = together(api, follow)
    statuses = [s for r in results if isinstance(r, list) for s in r]
    problems = [r for r in results if not isinstance(r, list)]
    assert not problems and statuses == [307] * (CLIENTS * visits), (
        f"{CLIENTS} clients x {visits} GET /r/popular at once\n  got statuses "
        f"{sorted(set(statuses))} and errors {problems[:3]}\n  expected: {CLIENTS * visits} "
        f"answers, all 307\n{api.service.output_tail()}"
    )
    shown = api.request("GET", "/links/popular").json()
    assert shown.get("clicks") == CLIENTS * visits, (
        f"{CLIENTS} clients each followed /r/popular {visits} times at once\n  GET "
        f"/links/popular: {shown}\n  expected: clicks = {CLIENTS * visits}\n  rule: reading the "
        "count and writing count + 1 in two steps loses the visits that came in between; "
        "let the database add one in a single statement"
    )


def test_concurrent_creates_all_succeed(api, key):
    per_client = 10

    def create(conn, index):
        auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        return [
            call(
                conn,
                "POST",
                "/links",
                {"url": f"https://example.com/{index}/{n}", "slug": f"c{index}-{n}"},
                auth,
            )[0]
            for n in range(per_client)
        ]

    results = together(api, create)
    statuses = [s for r in results if isinstance(r, list) for s in r]
    assert statuses == [201] * (CLIENTS * per_client), (
        f"{CLIENTS} clients x {per_client} POST /links at once (distinct slugs)\n  got "
        f"statuses {sorted(set(statuses))}, errors "
        f"{[r for r in results if not isinstance(r, list)][:3]}\n  expected: all 201 (a busy "
        f"database waits, it does not fail)\n{api.service.output_tail()}"
    )
    for index in range(CLIENTS):
        shown = api.request("GET", f"/links/c{index}-{per_client - 1}")
        expect_status(shown, 200, "every link created concurrently is there")


def test_put_needs_if_match_and_a_current_etag(api, key):
    api.new_link(key, "https://example.com/v1", "versioned")
    first = api.request("GET", "/links/versioned")
    etag = first.header("ETag")
    assert etag, f"{first.describe()}\n  expected: an ETag header naming this version"
    reply = api.request(
        "PUT", "/links/versioned", {"url": "https://example.com/v2"}, key=key
    )
    expect_error(
        reply, 428, "PUT without If-Match could overwrite a change it never saw: 428"
    )
    reply = api.request(
        "PUT",
        "/links/versioned",
        {"url": "https://example.com/v2"},
        headers={"If-Match": etag},
        key=key,
    )
    expect_status(reply, 200, "PUT with the current ETag in If-Match succeeds")
    new_etag = reply.header("ETag")
    assert (
        new_etag
        and new_etag != etag
        and reply.json().get("url") == "https://example.com/v2"
    ), f"{reply.describe()}\n  expected: the new URL and a new ETag (not {etag})"
    reply = api.request(
        "PUT",
        "/links/versioned",
        {"url": "https://example.com/v3"},
        headers={"If-Match": etag},
        key=key,
    )
    expect_error(reply, 412, f"the ETag {etag} is stale (the link changed since): 412")
    shown = api.request("GET", "/links/versioned")
    assert (
        shown.json().get("url") == "https://example.com/v2"
        and shown.header("ETag") == new_etag
    ), (
        f"{shown.describe()}\n  expected: url https://example.com/v2 with ETag {new_etag}"
    )


@pytest.mark.parametrize("case", BAD_CREDENTIALS)
def test_changing_without_a_valid_key_is_401(api, key, case):
    slug = "guarded-" + case.replace(" ", "-")
    api.new_link(key, "https://example.com/guarded", slug)
    reply = api.request(
        "PUT",
        f"/links/{slug}",
        {"url": "https://evil.example"},
        headers={**BAD_CREDENTIALS[case], "If-Match": "*"},
    )
    expect_401(reply, case)
    shown = api.request("GET", f"/links/{slug}")
    expect_status(shown, 200, f"{case}: the refused PUT left the link in place")
    assert shown.json().get("url") == "https://example.com/guarded", (
        f"{shown.describe()}\n  expected: the link unchanged (url "
        "https://example.com/guarded)"
    )


def test_changing_another_owners_link_is_403_and_unchanged(api, key, bob):
    api.new_link(key, "https://example.com/adas", "adas")
    etag = api.request("GET", "/links/adas").header("ETag")
    reply = api.request(
        "PUT",
        "/links/adas",
        {"url": "https://example.com/bobs"},
        headers={"If-Match": "*"},
        key=bob,
    )
    expect_error(
        reply,
        403,
        "bob's key is valid (so not 401) but the link is ada's: he may not change it",
    )
    shown = api.request("GET", "/links/adas")
    assert (
        shown.json().get("url") == "https://example.com/adas"
        and shown.header("ETag") == etag
    ), (
        f"{shown.describe()}\n  expected: the link unchanged (url "
        f"https://example.com/adas, ETag {etag})"
    )


def test_a_new_link_answers_with_the_etag_get_gives(api, key):
    created = api.request(
        "POST", "/links", {"url": "https://example.com/n", "slug": "fresh"}, key=key
    )
    expect_status(created, 201, "POST /links creates the link")
    shown = api.request("GET", "/links/fresh")
    assert created.header("ETag") and created.header("ETag") == shown.header("ETag"), (
        f"POST /links answered ETag {created.header('ETag')}; GET /links/fresh then "
        f"answered ETag {shown.header('ETag')}\n  expected: the same ETag, naming the "
        "link's first version: a client may PUT with the ETag its POST gave it"
    )


def test_if_match_may_list_several_etags_or_say_any(api, key):
    api.new_link(key, "https://example.com/l1", "listed")
    etag = api.request("GET", "/links/listed").header("ETag")
    listed = f'"not-this-one",{etag}'  # a list, commas and no spaces, as HTTP allows
    reply = api.request(
        "PUT",
        "/links/listed",
        {"url": "https://example.com/l2"},
        headers={"If-Match": listed},
        key=key,
    )
    expect_status(
        reply,
        200,
        f"If-Match: {listed} lists the current ETag among others: the PUT goes ahead",
    )
    reply = api.request(
        "PUT",
        "/links/listed",
        {"url": "https://example.com/l3"},
        headers={"If-Match": "*"},
        key=key,
    )
    expect_status(reply, 200, "If-Match: * means any version: the PUT goes ahead")
    shown = api.request("GET", "/links/listed").json()
    assert shown.get("url") == "https://example.com/l3", (
        f"after PUT with If-Match: *, GET /links/listed shows {shown}\n  expected: url "
        "https://example.com/l3 (If-Match: * updates whatever version is there)"
    )


UPDATES = {
    "no url": {},
    "ftp url": {"url": "ftp://example.com/x"},
    "unknown field": {"url": "https://example.com/", "x": 1},
}


@pytest.mark.parametrize("case", UPDATES)
def test_an_update_is_checked_like_a_new_link(api, key, case):
    body, slug = UPDATES[case], "checked-" + case.replace(" ", "-")
    api.new_link(key, "https://example.com/checked", slug)
    etag = api.request("GET", f"/links/{slug}").header("ETag")
    reply = api.request(
        "PUT", f"/links/{slug}", body, headers={"If-Match": etag}, key=key
    )
    error = expect_error(
        reply,
        422,
        f"PUT /links/{slug} {json.dumps(body)} ({case}): 422, as for a new link",
    )
    fields = error.get("fields")
    assert isinstance(fields, dict) and fields, (
        f"{reply.describe()}\n  expected: error.fields naming what is wrong"
    )


def test_exactly_one_concurrent_writer_wins(api, key):
    api.new_link(key, "https://example.com/start", "contested")
    for round_ in range(1, 6):
        etag = api.request("GET", "/links/contested").header("ETag")

        def write(conn, index, etag=etag):
            return call(
                conn,
                "PUT",
                "/links/contested",
                {"url": f"https://example.com/writer-{index}"},
                {
                    "Authorization": f"Bearer {key}",
                    "Content-Type": "application/json",
                    "If-Match": etag,
                },
            )

        results = together(api, write)
        statuses = [r[0] if isinstance(r, tuple) else repr(r) for r in results]
        winners = [i for i, s in enumerate(statuses) if s == 200]
        story = (
            f"round {round_}: {CLIENTS} clients PUT /links/contested at once, all with "
            f"If-Match: {etag}\n  got statuses {statuses}"
        )
        assert len(winners) == 1 and statuses.count(412) == CLIENTS - 1, (
            f"{story}\n  expected: exactly one 200 and {CLIENTS - 1} x 412\n  rule: checking "
            "the ETag and then writing in a second step lets several writers pass the check; "
            "make the write itself conditional (UPDATE ... WHERE version = ?)"
        )
        codes = {
            json.loads(r[2] or b"{}").get("error", {}).get("code")
            for r in results
            if isinstance(r, tuple) and r[0] == 412
        }
        assert codes == {"precondition_failed"}, (
            f"{story}\n  the 412 answers had the error codes {codes}\n  expected: every "
            'one {"error": {"code": "precondition_failed", ...}}, however the race was lost'
        )
        shown = api.request("GET", "/links/contested").json()
        assert shown.get("url") == f"https://example.com/writer-{winners[0]}", (
            f"{story}\n  GET afterwards: {shown}\n  expected: the winner's URL "
            f"(https://example.com/writer-{winners[0]})"
        )
