"""The FastAPI app every service gets: errors, correlation, health, readiness."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from causeway import errors
from causeway.messaging import context as message_context

if TYPE_CHECKING:
    from causeway.service import Runtime

CORRELATION_HEADER = "X-Correlation-ID"

health = APIRouter(tags=["health"])


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


async def correlation_middleware(request: Request, call_next: Callable[[Request], Awaitable[Response]]):
    """Every request starts (or continues) a correlation that its events carry."""
    correlation_id = request.headers.get(CORRELATION_HEADER) or message_context.new_correlation_id()
    with message_context.bound(message_context.MessageContext(correlation_id=correlation_id)):
        response = await call_next(request)
    response.headers[CORRELATION_HEADER] = correlation_id
    return response


def create_app(*, title: str, description: str, routers: list[APIRouter], lifespan) -> FastAPI:
    app = FastAPI(title=title, description=description, lifespan=lifespan)
    errors.install(app)
    app.middleware("http")(correlation_middleware)
    app.include_router(health)
    for router in routers:
        app.include_router(router)
    return app
