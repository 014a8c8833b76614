"""Stage 4 (persistence): what the service said it stored is still there after a restart.

Each test starts the service on a data folder, changes things, stops it (SIGTERM: a clean stop;
SIGKILL: a crash, no chance to clean up) and starts it again on the same folder. A 201 or a
counted click is a promise: it must survive both. A new data folder starts empty.
"""

import signal

import pytest

from tests.support import Api, expect_error, expect_status, start

pytestmark = pytest.mark.stage("persistence")


def restart(api: Api, how: int, workdir) -> Api:
    """Stop the service with `how` and start it again on the same data folder."""
    api.service.stop(how)
    return Api(start(workdir, api.service.data_dir))


@pytest.mark.parametrize(
    "how", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"]
)
def test_links_keys_and_clicks_survive_a_restart(tmp_path, how):
    name = signal.Signals(how).name
    first = Api(start(tmp_path))
    second = None
    try:
        key = first.new_key("ada")
        first.new_link(key, "https://example.com/kept", "kept")
        for _ in range(3):
            expect_status(first.request("GET", "/r/kept"), 307, "GET /r/kept redirects")
        second = restart(first, how, tmp_path)
        story = f"(after {name} and a restart on the same --data folder)"
        shown = second.request("GET", "/links/kept")
        expect_status(
            shown, 200, f"the link created before the restart is still there {story}"
        )
        expected = {
            "slug": "kept",
            "url": "https://example.com/kept",
            "owner": "ada",
            "clicks": 3,
        }
        assert shown.json() == expected, (
            f"{shown.describe()}\n  expected: {expected} {story}"
        )
        reply = second.request(
            "POST", "/links", {"url": "https://example.com/new"}, key=key
        )
        expect_status(
            reply, 201, f"the key created before the restart still works {story}"
        )
        reply = second.request(
            "POST",
            "/links",
            {"url": "https://example.com/again", "slug": "kept"},
            key=key,
        )
        expect_error(reply, 409, f"the old slug is still taken {story}")
    finally:
        first.service.stop()
        if second is not None:
            second.service.stop()


def test_a_deleted_link_stays_deleted_after_a_restart(tmp_path):
    first = Api(start(tmp_path))
    second = None
    try:
        key = first.new_key("ada")
        first.new_link(key, "https://example.com/gone", "gone")
        expect_status(
            first.request("DELETE", "/links/gone", key=key), 204, "DELETE answers 204"
        )
        second = restart(first, signal.SIGKILL, tmp_path)
        expect_error(
            second.request("GET", "/links/gone"),
            404,
            "a delete is kept across a crash too",
        )
    finally:
        first.service.stop()
        if second is not None:
            second.service.stop()


def test_a_new_data_folder_starts_empty(tmp_path):
    first = Api(start(tmp_path / "one"))
    other = None
    try:
        key = first.new_key("ada")
        first.new_link(key, "https://example.com/mine", "mine")
        other = Api(start(tmp_path / "two"))
        expect_error(
            other.request("GET", "/links/mine"),
            404,
            "a service on another --data folder has other data: keep everything in the "
            "folder you are given, not in the working directory or in memory shared by both",
        )
    finally:
        first.service.stop()
        if other is not None:
            other.service.stop()
