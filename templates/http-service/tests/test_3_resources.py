"""Stage 3 (resources): API keys and links as JSON resources, validated at the door.

POST /keys {"owner"} and POST /links {"url", "slug"?} create resources: 201 Created, the new
resource in the body and its address in `Location` (relative or absolute: resolved against the
request's URL it names the resource). A slug is 3 to 32 of a-z, 0-9 and -, also one the service
picks. A body that is not JSON is 400
malformed_json; JSON of the wrong shape is 422 invalid_body with `fields` naming each bad field.
GET /links/{slug} shows a link, GET /r/{slug} redirects (307) and counts a click, DELETE removes.
Every request here carries a valid key (`Authorization: Bearer <key>`); what happens without
one is stage 5.
"""

import json
import re

import pytest

from tests.support import expect_error, expect_location, expect_status, running

pytestmark = pytest.mark.stage("resources")

SLUG = re.compile(r"[a-z0-9-]{3,32}")


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    with running(tmp_path_factory.mktemp("resources")) as api:
        yield api


@pytest.fixture(scope="module")
def key(api):
    return api.fixture_key("ada")


def test_post_keys_creates_a_key_with_its_location(api):
    reply = api.request("POST", "/keys", {"owner": "grace"})
    expect_status(reply, 201, "POST /keys answers 201 Created")
    body = reply.json()
    assert (
        isinstance(body, dict)
        and body.get("owner") == "grace"
        and isinstance(body.get("id"), str)
        and isinstance(body.get("key"), str)
        and body["key"]
    ), f"{reply.describe()}\n  expected: " + '{"id": ..., "owner": "grace", "key": ...}'
    expect_location(
        api,
        reply,
        "/keys",
        f"/keys/{body['id']}",
        "a 201 says where the new resource lives",
    )


def test_post_links_creates_a_link_and_get_shows_it(api, key):
    reply = api.request(
        "POST", "/links", {"url": "https://example.com/a?b=1", "slug": "ex-1"}, key=key
    )
    expect_status(reply, 201, "POST /links answers 201 Created")
    expected = {
        "slug": "ex-1",
        "url": "https://example.com/a?b=1",
        "owner": "ada",
        "clicks": 0,
    }
    assert reply.json() == expected, f"{reply.describe()}\n  expected: {expected}"
    expect_location(
        api, reply, "/links", "/links/ex-1", "a 201 says where the new resource lives"
    )
    shown = api.request("GET", "/links/ex-1")
    expect_status(shown, 200, "GET on the Location of a new link shows it")
    assert shown.json() == expected, f"{shown.describe()}\n  expected: {expected}"


def test_without_a_slug_the_service_picks_one(api, key):
    picked: list[str] = []
    # Several links: a slug that is only sometimes of the wrong form (a random one with
    # capitals now and then) is caught too.
    for n in range(1, 6):
        reply = api.request("POST", "/links", {"url": "http://example.org/"}, key=key)
        expect_status(
            reply, 201, f"POST /links without a slug picks one (link {n} of 5, one URL)"
        )
        slug = reply.json().get("slug")
        assert isinstance(slug, str) and SLUG.fullmatch(slug), (
            f"{reply.describe()}\n  got the slug: {slug!r}\n  expected: a slug of 3 to 32 "
            "characters, each one of a-z, 0-9 and -\n  rule: a slug the service picks has "
            "the same form as one a client may choose (openapi.yaml, Link.slug): no "
            "capitals, no _"
        )
        assert slug not in picked, (
            f"{reply.describe()}\n  expected: a slug no other link has (picked before: "
            f"{picked})\n  rule: the same URL may be shortened twice, each time anew"
        )
        expect_location(
            api,
            reply,
            "/links",
            f"/links/{slug}",
            "a 201 says where the new resource lives",
        )
        picked.append(slug)


def test_a_taken_slug_is_409_conflict(api, key):
    api.new_link(key, "https://example.com/one", "taken")
    reply = api.request(
        "POST", "/links", {"url": "https://example.com/two", "slug": "taken"}, key=key
    )
    expect_error(reply, 409, "a slug names one link only")
    shown = api.request("GET", "/links/taken").json()
    assert shown.get("url") == "https://example.com/one", (
        f"GET /links/taken after the conflict\n  got: {shown}\n  expected: the first link, "
        "unchanged"
    )


@pytest.mark.parametrize(
    "body",
    [b"{", b"not json", b'{"url": "https://example.com",}', b"", b"\xff\xfe{}"],
    ids=["unclosed", "words", "trailing-comma", "empty", "not-utf8"],
)
def test_a_body_that_is_not_json_is_400(api, key, body):
    for path, key_sent in (("/links", key), ("/keys", None)):
        reply = api.request(
            "POST",
            path,
            body=body,
            headers={"Content-Type": "application/json"},
            key=key_sent,
        )
        expect_error(
            reply, 400, "a body that does not parse as JSON is the client's error"
        )


INVALID_LINKS = {
    "no url": ({"slug": "abc"}, "url"),
    "url not a string": ({"url": 42}, "url"),
    "ftp url": ({"url": "ftp://example.com/file"}, "url"),
    "no scheme": ({"url": "example.com/page"}, "url"),
    "no host": ({"url": "https://"}, "url"),
    "space in url": ({"url": "https://exa mple.com"}, "url"),
    "url too long": ({"url": "https://example.com/" + "a" * 2100}, "url"),
    "url one over 2048": ({"url": "https://example.com/" + "a" * (2049 - 20)}, "url"),
    "control character in url": ({"url": "https://example.com/a\x01b"}, "url"),
    "DEL character in url": ({"url": "https://example.com/a\x7fb"}, "url"),
    "slug too short": ({"url": "https://example.com", "slug": "ab"}, "slug"),
    "slug capitals": ({"url": "https://example.com", "slug": "Abc"}, "slug"),
    "slug not a string": ({"url": "https://example.com", "slug": 123}, "slug"),
    "unknown field": ({"url": "https://example.com", "colour": "red"}, "colour"),
}


@pytest.mark.parametrize("case", INVALID_LINKS)
def test_an_invalid_link_is_422_naming_the_field(api, key, case):
    body, field = INVALID_LINKS[case]
    reply = api.request("POST", "/links", body, key=key)
    error = expect_error(
        reply, 422, f"JSON of the wrong shape ({case}) is 422, not 400 or 500"
    )
    fields = error.get("fields")
    assert isinstance(fields, dict) and isinstance(fields.get(field), str), (
        f"{reply.describe()}\n  expected: error.fields to name {field!r} and say what is "
        + "wrong, e.g. "
        + json.dumps({"fields": {field: "..."}})
    )


def test_a_url_of_exactly_2048_characters_is_accepted(api, key):
    url = "https://example.com/" + "a" * (2048 - 20)
    reply = api.request("POST", "/links", {"url": url}, key=key)
    expect_status(
        reply,
        201,
        "a url of exactly 2048 characters is within the limit (at most 2048)",
    )


@pytest.mark.parametrize(
    "body, field",
    [
        ([1, 2], "body"),
        ({}, "owner"),
        ({"owner": ""}, "owner"),
        ({"owner": 7}, "owner"),
        ({"owner": "x" * 65}, "owner"),
        ({"owner": "a", "admin": True}, "admin"),
    ],
    ids=["array", "empty", "empty-owner", "number", "too-long", "unknown-field"],
)
def test_an_invalid_key_request_is_422_naming_the_field(api, body, field):
    reply = api.request("POST", "/keys", body)
    error = expect_error(reply, 422, "JSON of the wrong shape is 422")
    fields = error.get("fields")
    assert isinstance(fields, dict) and isinstance(fields.get(field), str), (
        f"{reply.describe()}\n  expected: error.fields to name {field!r}"
    )


def test_following_a_link_redirects_and_counts_clicks(api, key):
    api.new_link(key, "https://example.com/target", "follow-me")
    for clicks in (1, 2, 3):
        reply = api.request("GET", "/r/follow-me")
        expect_status(
            reply, 307, "GET /r/{slug} redirects (307: each visit asks again)"
        )
        expect_location(
            api,
            reply,
            "/r/follow-me",
            "https://example.com/target",
            "a redirect's Location is the link's URL",
        )
        shown = api.request("GET", "/links/follow-me").json()
        assert shown.get("clicks") == clicks, (
            f"GET /links/follow-me after {clicks} visit(s)\n  got: {shown}\n  expected: "
            f"clicks = {clicks}"
        )


@pytest.mark.parametrize("path", ["/links/missing", "/r/missing"])
def test_an_unknown_slug_is_404(api, path):
    expect_error(api.request("GET", path), 404, "there is no link 'missing'")


def test_delete_removes_a_link(api, key):
    api.new_link(key, "https://example.com/bye", "bye")
    reply = api.request("DELETE", "/links/bye", key=key)
    expect_status(reply, 204, "DELETE answers 204 No Content")
    assert reply.body == b"", f"{reply.describe()}\n  expected: no body with 204"
    expect_error(api.request("GET", "/links/bye"), 404, "a deleted link is gone")
    expect_error(
        api.request("DELETE", "/links/bye", key=key),
        404,
        "deleting it again: nothing there",
    )
