"""Stages 3, 4 and 7: the links and keys, kept in SQLite (standard library, one file on disk).

The database is `links.sqlite3` inside the data folder given on the command line. Every change
is committed before its answer is sent, so a link that got 201 survives a restart and even a
crash (SIGKILL). The service runs the writing methods in worker threads (a commit waits for the
disk; the event loop must not) and the reads on the event loop, so each thread gets its own
connection, and every read-modify-write is done by SQLite in one statement: two requests at
once must never lose an update.
"""

import hashlib  # noqa: F401 (used by code you write)
import secrets  # noqa: F401 (used by code you write)
import sqlite3
import string
import threading  # noqa: F401 (used by code you write)
from dataclasses import dataclass
from pathlib import Path

DB_NAME = "links.sqlite3"
SLUG_ALPHABET = string.ascii_lowercase + string.digits
SCHEMA = """
CREATE TABLE IF NOT EXISTS keys (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS links (
    slug TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    key_id TEXT NOT NULL REFERENCES keys (id),
    owner TEXT NOT NULL,
    clicks INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 1
);
"""


@dataclass(frozen=True)
class Key:
    """An API key as stored: its id and owner (the secret itself is never stored)."""

    id: str
    owner: str


@dataclass(frozen=True)
class Link:
    """A short link; `version` goes up by one on every change of its URL."""

    slug: str
    url: str
    key_id: str
    owner: str
    clicks: int
    version: int

    def public(self) -> dict:
        """The link as the API shows it: slug, url, owner, clicks."""
        return {
            "slug": self.slug,
            "url": self.url,
            "owner": self.owner,
            "clicks": self.clicks,
        }

    @property
    def etag(self) -> str:
        """A strong entity tag for this version: the version number in double quotes."""
        return f'"{self.version}"'


class SlugTaken(Exception):
    """The slug asked for belongs to another link already."""


def secret_hash(secret: str) -> str:
    """What is stored instead of a key's secret: its SHA-256, in hex."""
    raise NotImplementedError(
        "Stage 3 (resources): the SHA-256 hex digest of the secret"
    )


def _link(row: tuple | None) -> Link | None:
    return Link(*row) if row else None


LINK_COLUMNS = "slug, url, key_id, owner, clicks, version"


class Store:
    """The service's data: keys and links in one SQLite file; safe to use from many threads."""

    def __init__(self, path: Path) -> None:
        """Open (or create) the database at `path` and its tables, keeping any data there."""
        self.path = path
        # One connection for now, shared by every thread (one per thread: stage 4).
        self._conn = sqlite3.connect(path, check_same_thread=False)
        self._db().executescript(SCHEMA)

    def _db(self) -> sqlite3.Connection:
        """This thread's connection (autocommit: each statement is its own transaction)."""
        return self._conn

    def close(self) -> None:
        """Close every connection (at shutdown, once no request is running)."""
        self._conn.close()

    def create_key(self, owner: str) -> tuple[Key, str]:
        """A new key for `owner`: the stored Key and its secret (shown to the client once)."""
        raise NotImplementedError(
            "Stage 3 (resources): insert a key (its secret's hash only)"
        )

    def key_for(self, secret: str) -> Key | None:
        """The key whose secret this is, or None."""
        raise NotImplementedError(
            "Stage 3 (resources): look a key up by its secret's hash"
        )

    def create_link(self, url: str, slug: str | None, key: Key) -> Link:
        """Store a new link owned by `key`; pick a free random slug when `slug` is None (of
        the form a client may choose: 3 to 32 of a-z, 0-9 and -, SLUG_ALPHABET here).
        Raises SlugTaken when the slug asked for is in use."""
        raise NotImplementedError(
            "Stage 3 (resources): insert a link; SlugTaken when the slug is in use"
        )

    def get_link(self, slug: str) -> Link | None:
        """The link with this slug, or None."""
        raise NotImplementedError("Stage 3 (resources): select a link by slug")

    def delete_link(self, slug: str) -> bool:
        """Delete the link; False when there was none."""
        raise NotImplementedError("Stage 3 (resources): delete a link by slug")

    def follow(self, slug: str) -> Link | None:
        """Count one visit of the link and return it (None when there is no such link).
        The count goes up in SQLite in one statement, so concurrent visits never overwrite
        each other's count."""
        raise NotImplementedError(
            "Stage 3 (resources): count one click and return the link (atomically: stage 7)"
        )

    def update_link(self, slug: str, url: str, version: int | None) -> Link | None:
        """Point the link at `url` if it is still at `version` (any version when None), as
        one conditional statement; the updated link, or None when it was changed (or deleted)
        in the meantime."""
        raise NotImplementedError(
            "Stage 7 (concurrency): a conditional UPDATE ... WHERE version = ?"
        )
