"""Stage 1 (health): the service starts from one command, listens, and says it is alive.

The tests start your service exactly as pyproject.toml's [tool.climb.service] says, on a free
port of 127.0.0.1 with a fresh data folder, wait until GET /ready answers 200, and stop it with
SIGTERM at the end.
"""

import http.client

import pytest

from tests.support import expect_status, running

pytestmark = pytest.mark.stage("health")


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    with running(tmp_path_factory.mktemp("health")) as api:
        yield api


def test_health_answers_200_with_a_json_status(api):
    reply = api.request("GET", "/health")
    expect_status(reply, 200, "GET /health answers 200 while the process runs")
    assert reply.json() == {"status": "ok"}, (
        f"{reply.describe()}\n  expected: the JSON body " + '{"status": "ok"}'
    )


def test_ready_answers_200_once_the_storage_is_open(api):
    reply = api.request("GET", "/ready")
    expect_status(
        reply, 200, "GET /ready answers 200 once the service can take traffic"
    )
    assert reply.json() == {"status": "ready"}, (
        f"{reply.describe()}\n  expected: the JSON body " + '{"status": "ready"}'
    )


def test_the_service_keeps_its_data_in_the_data_folder_it_is_given(api):
    api.request("GET", "/ready")
    folder = api.service.data_dir
    files = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    assert files, (
        f"started as: {api.service.shown_command}\n  the data folder "
        f"{api.service.data_dir} holds: nothing\n  expected: your database file there "
        "(e.g. links.sqlite3): the service keeps its data in the folder --data names, "
        "creating it when it is missing"
    )


def test_a_missing_data_folder_is_created_with_its_parents(tmp_path):
    folder = tmp_path / "not" / "there" / "yet"
    with running(tmp_path / "run", data_dir=folder) as api:
        expect_status(
            api.request("GET", "/ready"),
            200,
            f"started with --data {folder}, a folder whose parents do not exist either",
        )
        assert folder.is_dir() and any(folder.iterdir()), (
            f"started as: {api.service.shown_command}\n  expected: {folder} created, "
            "parents and all, with the database file in it"
        )


def test_health_is_served_many_times_on_one_connection(api):
    api.service.require_up()
    conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=10)
    try:
        for n in range(1, 6):
            conn.request("GET", "/health")
            response = conn.getresponse()
            body = response.read()
            assert response.status == 200, (
                f"GET /health, request {n} on one kept-alive connection\n  got: "
                f"{response.status} {body[:200]!r}\n  expected: 200 every time (HTTP/1.1 "
                "keeps the connection open between requests)"
            )
    finally:
        conn.close()
