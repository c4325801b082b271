"""Helpers for API tests: an app over a test database, principals with tokens, valid records."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from api.app import create_app
from matcher.ids import id_check_digit, uscc_check_char
from matcher.principals import create_principal
from matcher.store import MIGRATIONS_DIR, engine, session_scope


def credit_code(serial: int, region: str = "530302") -> str:
    body = f"91{region}MA{serial:07d}"
    return body + uscc_check_char(body)


def id_number(region: str = "530302", born: str = "19900101", seq: int = 123) -> str:
    body = f"{region}{born}{seq:03d}"
    return body + id_check_digit(body)


def token(url: str, role: str, **scope: str) -> dict[str, str]:
    with session_scope(url) as s:
        _, tok = create_principal(s, role, name=f"test {role}", **scope)
    return {"Authorization": f"Bearer {tok}"}


def enterprise_body(serial: int = 1, region: str = "530302") -> dict:
    return {
        "credit_code": credit_code(serial, region),
        "name": f"曲靖测试企业{serial}",
        "industry": "C",
        "region": region,
        "size": "small",
    }


def line_body(code: str, ref: str = "L1", **changes) -> dict:
    return {
        "enterprise_code": code,
        "line_ref": ref,
        "occupation_code": "6-18-02-04",
        "title": "电焊工",
        "required_level": None,
        "required_certificates": ["2.1"],
        "headcount": 3,
        "wage_min": 4000,
        "wage_max": 6000,
        "work_region": "530302",
        "start_date": "2022-03-01",
        "end_date": "2022-12-31",
        **changes,
    }


def programme_body(code: str, institution_code: str) -> dict:
    return {
        "code": code,
        "institution_code": institution_code,
        "name": "焊工（中级）",
        "mode": "project_based",
        "occupation_code": "6-18-02-04",
        "target_level": 4,
        "certificate": "skill_level",
        "days": 20,
        "cost_per_person": 1500,
        "catalogue_subsidy": 1500,
        "seats": 30,
        "region": "530302",
        "start_date": "2022-09-01",
        "end_date": "2022-09-30",
    }


def worker_body(seq: int = 123, residence: str = "530302001", **changes) -> dict:
    return {
        "id_number": id_number(seq=seq),
        "name": "王五",
        "hukou_region": "530302",
        "hukou_type": "rural",
        "residence_region": residence,
        "education": "junior_middle",
        "employment_status": "unemployed",
        "groups": ["poverty_registered"],
        "consent_to_share": True,
        **changes,
    }


_APPS: dict[str, list[FastAPI]] = {}
"""The apps `client` made, by store: a client made without `with` never runs its app's shutdown."""


def client(url: str) -> TestClient:
    app = create_app(url)
    _APPS.setdefault(url, []).append(app)
    return TestClient(app)


def stop_plan_queues(url: str) -> None:
    """Stop the plan queues of the apps `client` made for the store at `url`, before the store goes."""
    for app in _APPS.pop(url, []):
        app.state.plan_runner.shutdown(wait=10)


def head_revision() -> str:
    """The newest migration's revision."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return str(ScriptDirectory.from_config(cfg).get_current_head())


def free_port() -> int:
    """A loopback port free at the moment of asking."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(url: str) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port, for tests that need real concurrency."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(url), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def empty_database(folder: Path) -> Iterator[str]:
    """The URL of a database without any table: a new SQLite file in `folder`, or a new schema on the
    PostgreSQL server of TEST_DATABASE_URL (dropped afterwards)."""
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        url = f"sqlite:///{folder / f'empty-{uuid.uuid4().hex[:8]}.db'}"
        try:
            yield url
        finally:
            engine(url).dispose()
        return
    schema = f"e_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{server}{'&' if '?' in server else '?'}options=-csearch_path%3D{schema}"
    try:
        yield url
    finally:
        engine(url).dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
