"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from api.deps import field_problems, known_query
from api.limits import BodySizeLimit
from api.plan_jobs import PlanRunner
from api.routes import (
    catalogue,
    enterprises,
    health,
    occupations,
    plans,
    recommendations,
    reports,
    subsidies,
    uploads,
    workers,
)
from api.schemas import Problem
from matcher.config import settings
from matcher.model.live import serve_matching
from matcher.privacy import install_log_scrubber
from web import mount as mount_pages

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
ROUTING = {
    404: "没有这个路径；可用的路径见 /docs",
    405: "此路径不接受 {method} 请求；可用的方法见响应头 Allow",
}
UNPARSED_BODY = "body：请求体无法解析（数字位数过多、不是 JSON，或上传表单的格式不对）；请检查后重新发送"
ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": Problem, "description": "the request names a field that is missing or wrong"},
    "4XX": {
        "model": Problem,
        "description": "refused: not signed in, not allowed, not found, conflict, too large",
    },
}


async def _unprocessable(_request: Request, exc: RequestValidationError) -> JSONResponse:
    return JSONResponse({"detail": field_problems(exc.errors())}, status_code=422)


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    """Errors as JSON; a 405 lists in `Allow` every method the path takes, not only one route's."""
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        allowed = [
            method
            for method in METHODS
            if any(
                r.matches({**request.scope, "method": method})[0] == Match.FULL for r in request.app.routes
            )
        ]
        headers["Allow"] = ", ".join(allowed)
    detail = exc.detail
    if exc.status_code == 400:  # only the framework answers 400: a body it could not read
        return JSONResponse({"detail": UNPARSED_BODY}, status_code=422)
    if exc.status_code in ROUTING and detail == HTTPStatus(exc.status_code).phrase:  # Starlette's own words
        detail = ROUTING[exc.status_code].format(method=request.method)
    return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=headers)


async def _server_error(_request: Request, _exc: Exception) -> JSONResponse:
    """A fault of the service: JSON like every other answer. Uvicorn logs the traceback, with ID numbers masked
    and SQL parameters hidden (`matcher.privacy`, `matcher.store`)."""
    return JSONResponse(
        {"detail": "服务内部出错，请求未完成；请稍后重试，若一再出现请告知管理员（时间和所调用的路径）"},
        status_code=500,
    )


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """At start, fail the plan jobs a stopped process left running, take part in running the store's plan
    queue and keep the matching view current; at stop, claim no more plans."""
    app.state.plan_runner.fail_interrupted(before=app.state.started_at)
    app.state.plan_runner.start()
    matching = serve_matching(app.state.database_url)
    yield
    matching.set()
    app.state.plan_runner.shutdown()


def create_app(database_url: str | None = None) -> FastAPI:
    """The service over the database at `database_url` (default: `DATABASE_URL`)."""
    install_log_scrubber()
    app = FastAPI(
        title="Qujing matching engine",
        version="0.1.0",
        description="Labour demand, worker profiles, training and placement plans under 曲政办发〔2019〕112号. "
        "Every /v1 route takes `Authorization: Bearer TOKEN` (tokens: `matcher users create`).",
        lifespan=lifespan,
    )
    app.state.database_url = database_url
    app.state.plan_max_workers = settings().matcher_plan_max_workers
    app.state.plan_runner = PlanRunner(database_url)
    app.state.started_at = datetime.now(UTC)
    app.add_middleware(BodySizeLimit)
    app.add_exception_handler(RequestValidationError, _unprocessable)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _server_error)
    for module in (
        health,
        uploads,
        enterprises,
        workers,
        recommendations,
        catalogue,
        occupations,
        subsidies,
        reports,
        plans,
    ):
        app.include_router(module.router, responses=ERRORS, dependencies=[Depends(known_query)])
    mount_pages(app)
    return app
