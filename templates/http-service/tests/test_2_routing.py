"""Stage 2 (routing): every path of the contract exists, and everything else is refused in the
one error format.

A path the service does not have is 404 not_found. A path it has, asked with a method it does
not support, is 405 method_not_allowed with an `Allow` header listing every method that path
does support (HTTP requires it). Both answers are JSON: {"error": {"code", "message"}}.
Paths match exactly: `/health/` is not `/health` but an unknown path, so 404 (never a redirect).
"""

import pytest

from tests.support import allowed, expect_error, running

pytestmark = pytest.mark.stage("routing")

# Each path of openapi.yaml and the methods it supports (HEAD may be allowed too).
PATHS = {
    "/health": {"GET"},
    "/ready": {"GET"},
    "/keys": {"POST"},
    "/links": {"POST"},
    "/links/some-slug": {"GET", "PUT", "DELETE"},
    "/r/some-slug": {"GET"},
    "/metrics": {"GET"},
}
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    with running(tmp_path_factory.mktemp("routing")) as api:
        yield api


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/"),
        ("GET", "/nope"),
        ("POST", "/health/extra"),
        ("GET", "/links/abc/def"),
        ("DELETE", "/r"),
        ("GET", "/KEYS"),
    ],
)
def test_an_unknown_path_is_404_in_the_error_format(api, method, path):
    reply = api.request(method, path)
    expect_error(reply, 404, f"{path} is not a path of the contract (openapi.yaml)")


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/health/"),
        ("GET", "/ready/"),
        ("POST", "/keys/"),
        ("GET", "/links/some-slug/"),
        ("GET", "/r/some-slug/"),
        ("GET", "/metrics/"),
    ],
)
def test_a_trailing_slash_makes_an_unknown_path_404_not_a_redirect(api, method, path):
    reply = api.request(method, path)
    assert not 300 <= reply.status < 400, (
        f"{reply.describe()}\n  expected: 404 not_found, not a redirect\n  rule: paths match "
        f"exactly, so {path} is not {path.rstrip('/')} but a path the contract does not have. "
        "Many frameworks redirect to the path without the slash unless told not to: find "
        "your router's setting for it (`invoke hint` names Starlette's)"
    )
    expect_error(
        reply,
        404,
        f"paths match exactly: {path} is not a path of the contract (openapi.yaml)",
    )


@pytest.mark.parametrize("path", PATHS)
def test_a_method_a_path_does_not_support_is_405_with_allow(api, path):
    for method in METHODS:
        if method in PATHS[path]:
            continue
        reply = api.request(method, path)
        expect_error(
            reply,
            405,
            f"{path} exists, but not for {method}: 405, not 404 (the resource is there)",
        )
        got = allowed(reply)
        assert PATHS[path] <= got and method not in got, (
            f"{reply.describe()}\n  Allow lists: {sorted(got) or 'nothing'}\n  expected: "
            f"Allow: {', '.join(sorted(PATHS[path]))} (HEAD may be there too)\n  rule: a 405 "
            "must carry an Allow header naming every method the path supports (RFC 9110)"
        )
