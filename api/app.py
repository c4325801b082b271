"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

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
from matcher.config import settings
from matcher.privacy import install_log_scrubber


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """At start, fail the plan jobs an earlier process left unfinished; at stop, drop the queued ones."""
    app.state.plan_runner.fail_interrupted()
    yield
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
    app.add_middleware(BodySizeLimit)
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
        app.include_router(module.router)
    return app
