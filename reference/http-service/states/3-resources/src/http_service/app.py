"""Stages 1-8: the service's routes, as openapi.yaml describes them.

Handlers are `async`. Writes to the database run in worker threads (`run_in_threadpool`): a
commit waits for the disk, and the event loop must keep serving other clients meanwhile. Reads
by primary key run on the event loop itself: they take microseconds, less than the hop to a
thread and back (measure it: `invoke bench`). Every error answer is raised as an ApiError and
rendered by the handlers in `errors`.
"""

from collections.abc import AsyncIterator  # noqa: F401 (used by code you write)
from contextlib import asynccontextmanager  # noqa: F401 (used by code you write)
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool  # noqa: F401 (used by code you write)
from starlette.exceptions import HTTPException  # noqa: F401 (used by code you write)
from starlette.middleware import Middleware  # noqa: F401 (used by code you write)
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response  # noqa: F401 (used by code you write)
from starlette.routing import Route  # noqa: F401 (used by code you write)

from .auth import key_of, require_key, require_owner  # noqa: F401 (used by code you write)
from .errors import ApiError, api_error_handler, http_error_handler  # noqa: F401 (used by code you write)
from .limits import LimitsMiddleware  # noqa: F401 (used by code you write)
from .metrics import Metrics, MetricsMiddleware, metrics_endpoint  # noqa: F401 (used by code you write)
from .store import DB_NAME, Link, SlugTaken, Store  # noqa: F401 (used by code you write)
from .validation import check_link_update, check_new_key, check_new_link, read_json  # noqa: F401 (used by code you write)


def create_app(data_dir: Path) -> Starlette:
    """The application: its routes, error handlers, middleware (metrics outermost, then limits)
    and a lifespan that opens the Store in `data_dir` at startup and closes it at shutdown."""
    routes = [
        Route("/health", health, methods=["GET"]),
        Route("/ready", ready, methods=["GET"]),
        Route("/keys", create_key, methods=["POST"]),
        Route("/links", create_link, methods=["POST"]),
        # One route per path, listing all its methods: a 405 must name every allowed one.
        Route("/links/{slug}", link_resource, methods=["GET", "PUT", "DELETE"]),
        Route("/r/{slug}", follow, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.store = await run_in_threadpool(Store, data_dir / DB_NAME)
        try:
            yield
        finally:
            app.state.store.close()
            app.state.store = None

    app = Starlette(
        routes=routes,
        exception_handlers={
            ApiError: api_error_handler,
            HTTPException: http_error_handler,
        },
        lifespan=lifespan,
    )
    # Paths match exactly: /health/ is another path, so 404, not Starlette's default 307
    # redirect to /health.
    app.router.redirect_slashes = False
    app.state.store = None
    return app


def store_of(request: Request) -> Store:
    """The open Store; 503 not_ready while there is none (starting up or shutting down)."""
    store = request.app.state.store
    if store is None:
        raise ApiError(503, "not_ready", "the storage is not open")
    return store


async def health(request: Request) -> JSONResponse:
    """GET /health: 200 {"status": "ok"} while the process runs."""
    return JSONResponse({"status": "ok"})


async def ready(request: Request) -> JSONResponse:
    """GET /ready: 200 {"status": "ready"} once the storage is open, 503 not_ready before."""
    store_of(request)
    return JSONResponse({"status": "ready"})


async def create_key(request: Request) -> JSONResponse:
    """POST /keys {"owner"}: 201 {"id", "owner", "key"} with Location: /keys/{id}."""
    owner = check_new_key(await read_json(request))
    key, secret = await run_in_threadpool(store_of(request).create_key, owner)
    return JSONResponse(
        {"id": key.id, "owner": key.owner, "key": secret},
        status_code=201,
        headers={"Location": f"/keys/{key.id}"},
    )


def link_answer(link: Link, status: int = 200, **headers: str) -> JSONResponse:
    """A link as JSON, with its ETag."""
    return JSONResponse(
        link.public(), status_code=status, headers={"ETag": link.etag, **headers}
    )


async def create_link(request: Request) -> JSONResponse:
    """POST /links {"url", "slug"?} with a key: 201 and the link, Location: /links/{slug};
    409 conflict when the slug is taken."""
    store = store_of(request)
    key = await key_of(request, store)
    url, slug = check_new_link(await read_json(request))
    try:
        link = await run_in_threadpool(store.create_link, url, slug, key)
    except SlugTaken:
        raise ApiError(409, "conflict", f"the slug {slug!r} is taken") from None
    return link_answer(link, 201, Location=f"/links/{link.slug}")


async def link_resource(request: Request) -> Response:
    """/links/{slug}: GET, PUT or DELETE by the request's method."""
    handler = {"GET": get_link, "HEAD": get_link, "PUT": update_link}.get(
        request.method, delete_link
    )
    return await handler(request)


async def existing_link(request: Request, store: Store) -> Link:
    """The link named in the path; 404 not_found when there is none."""
    slug = request.path_params["slug"]
    link = store.get_link(slug)  # a read by primary key: no thread needed (see above)
    if link is None:
        raise ApiError(404, "not_found", f"no link {slug!r}")
    return link


async def get_link(request: Request) -> JSONResponse:
    """GET /links/{slug}: 200 and the link with its ETag; 404 when there is none."""
    return link_answer(await existing_link(request, store_of(request)))


async def delete_link(request: Request) -> Response:
    """DELETE /links/{slug} by its owner: 204; 401 without a key, 403 for another key."""
    store = store_of(request)
    link = await existing_link(request, store)
    await run_in_threadpool(store.delete_link, link.slug)
    return Response(status_code=204)


async def follow(request: Request) -> Response:
    """GET /r/{slug}: 307 to the link's URL, counting one click; 404 when there is none."""
    slug = request.path_params["slug"]
    link = await run_in_threadpool(store_of(request).follow, slug)
    if link is None:
        raise ApiError(404, "not_found", f"no link {slug!r}")
    return RedirectResponse(link.url, status_code=307)


def matching_version(if_match: str, link: Link) -> int | None:
    """The version an If-Match header asks to update: None for "*" (any), the link's own
    version when one of the listed entity tags is its current ETag; 412 otherwise."""
    raise NotImplementedError(
        "Stage 7 (concurrency): the version If-Match asks for (None for *), or ApiError 412"
    )


async def update_link(request: Request) -> JSONResponse:
    """PUT /links/{slug} {"url"} by its owner with If-Match: 200 and the new ETag; 428
    without If-Match, 412 when the link changed since (exactly one of many concurrent writers
    with the same ETag wins)."""
    raise NotImplementedError(
        "Stage 7 (concurrency): PUT /links/{slug}: 428 without If-Match, 412 when stale, 200 with the new ETag"
    )
