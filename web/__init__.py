"""Pages for counselors, enterprises and planners, in Chinese, served by the API's own app over the same
library calls and the same dependencies (`web.mount`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from web.labels import install
from web.pages import common, counselor, enterprise, planner
from web.session import PageRoute, templates

STATIC = Path(__file__).resolve().parent / "static"
ROUTERS = (common.router, counselor.router, enterprise.router, planner.router)


def mount(app: FastAPI) -> None:
    """Serve the pages and their static files (vendored scripts, styles, the county map) on `app`."""
    install(templates.env)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")


def is_page(route: Any) -> bool:
    """Whether a route of the app is one of the pages or their static files (checked by tests/test_web_authz.py)."""
    route = getattr(route, "original_route", route)  # FastAPI's RouteContext when it walks nested routers
    return isinstance(route, PageRoute) or getattr(route, "name", None) == "static"
