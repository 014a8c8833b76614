"""Stages 3 and 5: API keys, sent as `Authorization: Bearer <key>`.

401 means "I do not know who you are": no key, a malformed header or a key the service does not
know. It carries `WWW-Authenticate: Bearer` so the client knows how to authenticate. 403 means
"I know who you are, and you may not do this": a valid key touching another owner's link.
Reading links and following them needs no key.
"""

from starlette.requests import Request

from .errors import ApiError  # noqa: F401 (used by code you write)
from .store import Key, Link, Store

CHALLENGE = {"WWW-Authenticate": "Bearer"}


def bearer_secret(request: Request) -> str | None:
    """The key in `Authorization: Bearer <key>`, or None when the header is missing or is not
    a Bearer credential (the scheme is case-insensitive)."""
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return secret.strip()


async def key_of(request: Request, store: Store) -> Key | None:
    """The key this request carries, or None when it carries none the store knows."""
    secret = bearer_secret(request)
    if secret is None:
        return None
    # A read by primary key: fast enough for the event loop (see app.py).
    return store.key_for(secret)


async def require_key(request: Request, store: Store) -> Key:
    """The request's key; 401 unauthorized (with WWW-Authenticate: Bearer) without a known one."""
    raise NotImplementedError(
        "Stage 5 (auth): the request's Key, or ApiError 401 with WWW-Authenticate: Bearer"
    )


def require_owner(link: Link, key: Key) -> None:
    """403 forbidden unless `key` is the key that created the link."""
    raise NotImplementedError(
        "Stage 5 (auth): ApiError 403 unless the key created the link"
    )
