"""Stage 8 (operations): what the service did, in the Prometheus text format, at GET /metrics.

Two series families, labelled by method and by route template ("/links/{slug}", not each
slug: one series per route, not one per link; requests that match no route are "unmatched"):
- http_requests_total{method, route, status}: a counter of finished requests;
- http_request_duration_seconds{method, route}: a histogram of how long they took.
Every request is counted, /metrics included, errors and refusals included.
"""

import time  # noqa: F401 (used by code you write)

from prometheus_client import CollectorRegistry, Counter, Histogram  # noqa: F401 (used by code you write)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest  # noqa: F401 (used by code you write)
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match  # noqa: F401 (used by code you write)
from starlette.types import ASGIApp, Message, Receive, Scope, Send  # noqa: F401 (used by code you write)


class Metrics:
    """The service's own registry (not the process-global one) and its two families."""

    def __init__(self) -> None:
        """Create the registry with http_requests_total and http_request_duration_seconds."""
        raise NotImplementedError(
            "Stage 8 (operations): a CollectorRegistry with the counter and the histogram"
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one finished request."""
        raise NotImplementedError(
            "Stage 8 (operations): count one request and observe its duration"
        )

    def render(self) -> bytes:
        """Every series, in the text exposition format."""
        raise NotImplementedError(
            "Stage 8 (operations): generate_latest(self.registry)"
        )


def route_of(routes: list[BaseRoute], scope: Scope) -> str:
    """The template of the route this request is for ("/links/{slug}"), or "unmatched"."""
    raise NotImplementedError(
        "Stage 8 (operations): the matching route's path template, or 'unmatched'"
    )


class MetricsMiddleware:
    """Times and counts every HTTP request, whatever answers it."""

    def __init__(self, app: ASGIApp, metrics: Metrics, routes: list[BaseRoute]) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request, noting its status; count it once it is over."""
        raise NotImplementedError(
            "Stage 8 (operations): time the request, note its status, observe it"
        )


async def metrics_endpoint(request: Request) -> Response:
    """GET /metrics: the registry in the Prometheus text format."""
    raise NotImplementedError(
        "Stage 8 (operations): GET /metrics in the Prometheus text format"
    )
