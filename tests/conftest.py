"""Shared fixtures: a fresh, migrated database per test (SQLite, or PostgreSQL when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from matcher.store import engine, migrate
from tests.api_helpers import stop_plan_queues

# Served apps in tests read the store's changes when a request asks, not in a polling thread of their own.
os.environ.setdefault("MATCHER_REFRESH_SECONDS", "0")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that use a database are marked `db`, so that they can be run again on PostgreSQL."""
    for item in items:
        if "db_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "db: uses a database (runs on SQLite, and on PostgreSQL in CI)")
    config.addinivalue_line("markers", "browser: drives the pages in headless Chromium (tests/test_web.py)")


@pytest.fixture
def db_url(tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The URL of an empty database with the current schema, dropped after the test."""
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        url = f"sqlite:///{tmp_path / 'test.db'}"
        migrate(url)
        yield url
        stop_plan_queues(url)
        engine(url).dispose()
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in server else "?"
    url = f"{server}{sep}options=-csearch_path%3D{schema}"
    try:
        migrate(url)
        yield url
    finally:
        stop_plan_queues(url)
        engine(url).dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
