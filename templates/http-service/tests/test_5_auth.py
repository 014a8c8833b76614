"""Stage 5 (auth): API keys, and 401 versus 403 done right.

Creating and deleting links needs `Authorization: Bearer <key>`. No key, a key the service
does not know, or another scheme is 401 unauthorized with `WWW-Authenticate: Bearer` ("who are
you?"). A valid key touching a link it did not create is 403 forbidden ("I know you; no").
Reading a link and following it need no key. (Changing a link with PUT comes in stage 7, and
its tests check the same two answers there.)
"""

import pytest

from tests.support import (
    BAD_CREDENTIALS,
    expect_401,
    expect_error,
    expect_status,
    running,
)

pytestmark = pytest.mark.stage("auth")


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    with running(tmp_path_factory.mktemp("auth")) as api:
        yield api


@pytest.fixture(scope="module")
def keys(api):
    return {"ada": api.fixture_key("ada"), "bob": api.fixture_key("bob")}


@pytest.mark.parametrize("case", BAD_CREDENTIALS)
def test_creating_a_link_without_a_valid_key_is_401(api, keys, case):
    reply = api.request(
        "POST",
        "/links",
        {"url": "https://example.com/x", "slug": "no-key-link"},
        headers=BAD_CREDENTIALS[case],
    )
    expect_401(reply, case)
    expect_error(
        api.request("GET", "/links/no-key-link"), 404, f"{case}: nothing was created"
    )


@pytest.mark.parametrize("case", BAD_CREDENTIALS)
def test_deleting_without_a_valid_key_is_401(api, keys, case):
    slug = "guarded-" + case.replace(" ", "-")
    api.new_link(keys["ada"], "https://example.com/guarded", slug)
    expect_401(
        api.request("DELETE", f"/links/{slug}", headers=BAD_CREDENTIALS[case]), case
    )
    shown = api.request("GET", f"/links/{slug}")
    expect_status(shown, 200, f"{case}: the refused DELETE left the link in place")
    assert shown.json().get("url") == "https://example.com/guarded", (
        f"{shown.describe()}\n  expected: the link unchanged"
    )


def test_another_owners_link_is_403_and_unchanged(api, keys):
    api.new_link(keys["ada"], "https://example.com/adas", "adas")
    reply = api.request("DELETE", "/links/adas", key=keys["bob"])
    expect_error(
        reply, 403, "bob's key is valid (so not 401) but the link is ada's: 403"
    )
    shown = api.request("GET", "/links/adas")
    expect_status(shown, 200, "bob's refused DELETE left ada's link in place")
    assert shown.json().get("url") == "https://example.com/adas", (
        f"{shown.describe()}\n  expected: the link unchanged"
    )
    expect_status(
        api.request("DELETE", "/links/adas", key=keys["ada"]),
        204,
        "its owner may delete it",
    )


def test_a_second_key_of_the_same_name_is_a_different_key(api, keys):
    api.new_link(keys["ada"], "https://example.com/first-ada", "first-ada")
    impostor = api.new_key("ada")
    reply = api.request("DELETE", "/links/first-ada", key=impostor)
    expect_error(
        reply,
        403,
        "anyone may create a key called 'ada': a link belongs to the key that "
        "created it, not to a name",
    )


def test_reading_and_following_need_no_key(api, keys):
    api.new_link(keys["bob"], "https://example.com/public", "public")
    expect_status(api.request("GET", "/links/public"), 200, "reading a link is public")
    expect_status(api.request("GET", "/r/public"), 307, "following a link is public")
    expect_status(api.request("GET", "/health"), 200, "health is public")


def test_the_key_scheme_is_case_insensitive(api, keys):
    reply = api.request(
        "POST",
        "/links",
        {"url": "https://example.com/case"},
        headers={"Authorization": f"bearer {keys['ada']}"},
    )
    expect_status(reply, 201, "the auth scheme name is case-insensitive (RFC 9110)")
