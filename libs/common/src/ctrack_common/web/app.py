"""The FastAPI shell every service shares: health, readiness, metrics and error bodies."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.routing import Match

from ctrack_common.logging import get_logger
from ctrack_common.messaging import PublishFailed
from ctrack_common.metrics import HTTP_REQUEST_SECONDS, HTTP_REQUESTS

__all__ = ["ReadinessChecks", "create_service_app", "json_error"]

log = get_logger(__name__)

ReadinessChecks = Callable[[], Mapping[str, bool]]
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def _route_template(request: Request) -> str:
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is Match.FULL:
            return str(getattr(route, "path", request.url.path))
    return "unmatched"


async def _validation_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"field": ".".join(str(p) for p in err["loc"]), "message": err["msg"], "type": err["type"]}
        for err in exc.errors()
    ]
    summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
    return JSONResponse(
        status_code=422, content={"error": f"invalid request: {summary}", "problems": problems}
    )


async def _publish_failed(_: Request, exc: Exception) -> Response:
    log.error("publish_failed", reason=str(exc))
    return JSONResponse(
        status_code=503,
        content={"error": "the change could not be made durable; nothing was recorded, retry later"},
        headers={"Retry-After": "1"},
    )


def create_service_app(
    *, title: str, description: str, readiness: ReadinessChecks, lifespan: Lifespan | None = None
) -> FastAPI:
    """A FastAPI app with /healthz, /readyz, /metrics, request metrics, 422 bodies naming each field,
    and 503 when an event could not be made durable."""
    app = FastAPI(title=title, description=description, version="0.1.0", lifespan=lifespan)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(PublishFailed, _publish_failed)

    @app.middleware("http")
    async def _measure(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = _route_template(request)
        HTTP_REQUEST_SECONDS.labels(route, request.method).observe(time.perf_counter() - started)
        HTTP_REQUESTS.labels(route, request.method, str(response.status_code)).inc()
        return response

    @app.get("/healthz", tags=["operations"], summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], summary="Kafka (and ClickHouse where used) are reachable")
    async def readyz() -> JSONResponse:
        checks = dict(readiness())
        ready = all(checks.values())
        return JSONResponse(status_code=200 if ready else 503, content={"ready": ready, "checks": checks})

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app


def json_error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": message, **extra})
