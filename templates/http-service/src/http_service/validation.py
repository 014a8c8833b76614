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
    raise NotImplementedError(
        "Stage 3 (resources): the whole body (413 past the limit and 408 after 2 s come in stage 6)"
    )


def parse_json(body: bytes) -> Any:
    """The JSON value in `body`; 400 malformed_json when it is not JSON (a syntax error, bytes
    that are not UTF-8, or nesting too deep for the parser)."""
    raise NotImplementedError(
        "Stage 3 (resources): json.loads, or ApiError 400 malformed_json"
    )


async def read_json(request: Request) -> Any:
    """Read the body (read_body) and parse it (parse_json)."""
    raise NotImplementedError("Stage 3 (resources): read_body, then parse_json")


def check_fields(
    data: Any, required: set[str], optional: set[str] = frozenset()
) -> dict[str, str]:
    """The problems with the shape of `data`: not an object, a required field missing, an
    unknown field. Empty when the shape is right (the values are checked by the caller)."""
    raise NotImplementedError(
        "Stage 3 (resources): the shape problems: not an object, missing or unknown fields"
    )


def url_problem(url: Any) -> str:
    """What is wrong with `url` as a link target, or "" when it is fine: a string of at most
    MAX_URL_LENGTH characters, http or https, with a host, no spaces or control characters."""
    raise NotImplementedError(
        "Stage 3 (resources): what is wrong with the url, or an empty string"
    )


def invalid(problems: dict[str, str]) -> ApiError:
    """The 422 invalid_body error for these field problems."""
    raise NotImplementedError(
        "Stage 3 (resources): the 422 invalid_body ApiError with these fields"
    )


def check_new_key(data: Any) -> str:
    """The owner in a POST /keys body ({"owner": 1-64 characters}), or 422."""
    raise NotImplementedError(
        "Stage 3 (resources): the owner of a POST /keys body, or 422"
    )


def check_new_link(data: Any) -> tuple[str, str | None]:
    """The url and slug (None when not given) in a POST /links body, or 422."""
    raise NotImplementedError(
        "Stage 3 (resources): the url and slug of a POST /links body, or 422"
    )


def check_link_update(data: Any) -> str:
    """The url in a PUT /links/{slug} body, or 422."""
    raise NotImplementedError(
        "Stage 7 (concurrency): the url of a PUT /links/{slug} body, or 422"
    )
