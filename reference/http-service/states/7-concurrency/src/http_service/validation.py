"""Stage 3 (resources): reading a JSON body and checking it against the contract.

A body that is not JSON at all (bad syntax, not UTF-8, nested too deeply to parse) is 400
malformed_json. JSON of the wrong shape (not an object, a missing, unknown or invalid field) is
422 invalid_body, with `fields` naming each bad field and what is wrong with it.
Reading is bounded (stage 6): at most MAX_BODY_BYTES, all of it within BODY_SECONDS.
"""

import asyncio  # noqa: F401 (used by code you write)
import json  # noqa: F401 (used by code you write)
import re
from typing import Any
from urllib.parse import urlsplit  # noqa: F401 (used by code you write)

from starlette.requests import Request

from .errors import ApiError

MAX_BODY_BYTES = 65536
BODY_SECONDS = 2.0
MAX_URL_LENGTH = 2048
MAX_OWNER_LENGTH = 64
SLUG = re.compile(r"[a-z0-9-]{3,32}")


async def read_body(request: Request) -> bytes:
    """The whole request body: 413 payload_too_large past MAX_BODY_BYTES (whatever the
    Content-Length said, chunked bodies included), 408 request_timeout when it has not all
    arrived BODY_SECONDS after the handler started reading; both end the connection
    (`Connection: close`)."""
    chunks, size = [], 0
    try:
        async with asyncio.timeout(BODY_SECONDS):
            async for chunk in request.stream():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise ApiError(
                        413,
                        "payload_too_large",
                        f"the body is over {MAX_BODY_BYTES} bytes",
                        headers={"Connection": "close"},
                    )
                chunks.append(chunk)
    except TimeoutError:
        raise ApiError(
            408,
            "request_timeout",
            f"the body did not arrive within {BODY_SECONDS:g} seconds",
            headers={"Connection": "close"},
        ) from None
    return b"".join(chunks)


def parse_json(body: bytes) -> Any:
    """The JSON value in `body`; 400 malformed_json when it is not JSON (a syntax error, bytes
    that are not UTF-8, or nesting too deep for the parser)."""
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise ApiError(
            400, "malformed_json", f"the body is not valid JSON: {type(err).__name__}"
        ) from None


async def read_json(request: Request) -> Any:
    """Read the body (read_body) and parse it (parse_json)."""
    return parse_json(await read_body(request))


def check_fields(
    data: Any, required: set[str], optional: set[str] = frozenset()
) -> dict[str, str]:
    """The problems with the shape of `data`: not an object, a required field missing, an
    unknown field. Empty when the shape is right (the values are checked by the caller)."""
    if not isinstance(data, dict):
        return {"body": "must be a JSON object"}
    problems = {name: "is required" for name in sorted(required - data.keys())}
    problems.update(
        {
            name: "is not a known field"
            for name in sorted(data.keys() - required - optional)
        }
    )
    return problems


def url_problem(url: Any) -> str:
    """What is wrong with `url` as a link target, or "" when it is fine: a string of at most
    MAX_URL_LENGTH characters, http or https, with a host, no spaces or control characters."""
    if not isinstance(url, str):
        return "must be a string"
    if len(url) > MAX_URL_LENGTH:
        return f"must be at most {MAX_URL_LENGTH} characters"
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(url)
    except ValueError:
        return "must be an absolute http or https URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an absolute http or https URL with a host"
    return ""


def invalid(problems: dict[str, str]) -> ApiError:
    """The 422 invalid_body error for these field problems."""
    return ApiError(422, "invalid_body", "some fields are invalid", fields=problems)


def check_new_key(data: Any) -> str:
    """The owner in a POST /keys body ({"owner": 1-64 characters}), or 422."""
    problems = check_fields(data, {"owner"})
    if not problems:
        owner = data["owner"]
        if not isinstance(owner, str) or not 1 <= len(owner) <= MAX_OWNER_LENGTH:
            problems["owner"] = (
                f"must be a string of 1 to {MAX_OWNER_LENGTH} characters"
            )
    if problems:
        raise invalid(problems)
    return data["owner"]


def check_new_link(data: Any) -> tuple[str, str | None]:
    """The url and slug (None when not given) in a POST /links body, or 422."""
    problems = check_fields(data, {"url"}, {"slug"})
    if not problems:
        if problem := url_problem(data["url"]):
            problems["url"] = problem
        slug = data.get("slug")
        if "slug" in data and not (isinstance(slug, str) and SLUG.fullmatch(slug)):
            problems["slug"] = "must be 3 to 32 of a-z, 0-9 and -"
    if problems:
        raise invalid(problems)
    return data["url"], data.get("slug")


def check_link_update(data: Any) -> str:
    """The url in a PUT /links/{slug} body, or 422."""
    problems = check_fields(data, {"url"})
    if not problems and (problem := url_problem(data["url"])):
        problems["url"] = problem
    if problems:
        raise invalid(problems)
    return data["url"]
