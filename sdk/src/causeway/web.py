"""The FastAPI app every service gets: errors, correlation, health, readiness."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse
from opentelemetry import trace
from prometheus_client import CONTENT_TYPE_LATEST

from causeway import errors, metrics
from causeway.messaging import context as message_context

if TYPE_CHECKING:
    from causeway.service import Runtime

CORRELATION_HEADER = "X-Correlation-ID"
TRACE_HEADER = "X-Trace-Id"
QUIET_PATHS = {"/healthz", "/readyz", "/metrics"}  # probed constantly; not worth a log line

access_log = logging.getLogger("causeway.access")

health = APIRouter(tags=["operations"])


@health.get("/healthz", summary="The process is up")
def healthz(request: Request) -> dict:
    return {"status": "ok", "service": request.app.title}


@health.get("/readyz", summary="Database, AWS and identity are reachable")
async def readyz(request: Request) -> JSONResponse:
    runtime: Runtime = request.app.state.runtime
    checks = await run_in_threadpool(runtime.readiness)
    ready = all(c == "ok" for c in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": checks},
        status_code=200 if ready else 503,
        headers=None if ready else {"Retry-After": "2"},
    )


@health.get("/metrics", summary="Prometheus metrics", response_class=PlainTextResponse)
def prometheus_metrics() -> PlainTextResponse:
    return PlainTextResponse(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


async def correlation_middleware(request: Request, call_next: Callable[[Request], Awaitable[Response]]):
    """Every request starts (or continues) a correlation that its events carry.

    The response names the correlation and the trace, so a caller can find
    the whole flow in Jaeger from one response header.
    """
    correlation_id = request.headers.get(CORRELATION_HEADER) or message_context.new_correlation_id()
    started = time.perf_counter()
    with message_context.bound(message_context.MessageContext(correlation_id=correlation_id)):
        response = await call_next(request)
        if request.url.path not in QUIET_PATHS:
            access_log.info(
                "%s %s %s %.1fms",
                request.method,
                request.url.path,
                response.status_code,
                (time.perf_counter() - started) * 1000,
            )
    response.headers[CORRELATION_HEADER] = correlation_id
    span = trace.get_current_span().get_span_context()
    if span.is_valid:
        response.headers[TRACE_HEADER] = format(span.trace_id, "032x")
    return response


def create_app(*, title: str, description: str, routers: list[APIRouter], lifespan) -> FastAPI:
    app = FastAPI(title=title, description=description, lifespan=lifespan)
    errors.install(app)
    app.middleware("http")(correlation_middleware)
    app.include_router(health)
    for router in routers:
        app.include_router(router)
    return app
