"""The FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI

from api.routes import health, listings


def create_app() -> FastAPI:
    app = FastAPI(
        title="Qujing matching engine",
        version="0.1.0",
        description="Labour demand, worker profiles, training and placement plans under 曲政办发〔2019〕112号.",
    )
    app.include_router(health.router)
    app.include_router(listings.router)
    return app
