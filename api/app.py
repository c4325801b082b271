"""The FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI

from api.limits import BodySizeLimit
from api.routes import (
    catalogue,
    enterprises,
    health,
    occupations,
    recommendations,
    reports,
    subsidies,
    uploads,
    workers,
)
from matcher.privacy import install_log_scrubber


def create_app(database_url: str | None = None) -> FastAPI:
    """The service over the database at `database_url` (default: `DATABASE_URL`)."""
    install_log_scrubber()
    app = FastAPI(
        title="Qujing matching engine",
        version="0.1.0",
        description="Labour demand, worker profiles, training and placement plans under 曲政办发〔2019〕112号. "
        "Every /v1 route takes `Authorization: Bearer TOKEN` (tokens: `matcher users create`).",
    )
    app.state.database_url = database_url
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
    ):
        app.include_router(module.router)
    return app
