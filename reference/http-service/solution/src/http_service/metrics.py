"""Stage 8 (operations): what the service did, in the Prometheus text format, at GET /metrics.

Two series families, labelled by method and by route template ("/links/{slug}", not each
slug: one series per route, not one per link; requests that match no route are "unmatched"):
- http_requests_total{method, route, status}: a counter of finished requests;
- http_request_duration_seconds{method, route}: a histogram of how long they took.
Every request is counted, /metrics included, errors and refusals included.
"""

import time

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Metrics:
    """The service's own registry (not the process-global one) and its two families."""

    def __init__(self) -> None:
        """Create the registry with http_requests_total and http_request_duration_seconds."""
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total",
            "Finished HTTP requests.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "How long requests took, from the head arriving to the last byte sent.",
            ["method", "route"],
            registry=self.registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one finished request."""
        self.requests.labels(method, route, str(status)).inc()
        self.duration.labels(method, route).observe(seconds)

    def render(self) -> bytes:
        """Every series, in the text exposition format."""
        return generate_latest(self.registry)


def route_of(routes: list[BaseRoute], scope: Scope) -> str:
    """The template of the route this request is for ("/links/{slug}"), or "unmatched"."""
    for route in routes:
        match, _ = route.matches(scope)
        if match is not Match.NONE:
            return getattr(route, "path", "unmatched")
    return "unmatched"


class MetricsMiddleware:
    """Times and counts every HTTP request, whatever answers it."""

    def __init__(self, app: ASGIApp, metrics: Metrics, routes: list[BaseRoute]) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request, noting its status; count it once it is over."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client sees if the app fails before answering

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting_status)
        finally:
            self.metrics.observe(
                scope["method"],
                route_of(self.routes, scope),
                status,
                time.perf_counter() - started,
            )


async def metrics_endpoint(request: Request) -> Response:
    """GET /metrics: the registry in the Prometheus text format."""
    metrics: Metrics = request.app.state.metrics
    return Response(metrics.render(), media_type=CONTENT_TYPE_PLAIN_0_0_4)
