"""The store: one engine per database URL, sessions, and schema migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from matcher.config import settings

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


@cache
def engine(url: str | None = None) -> Engine:
    """The engine for `url` (default: `DATABASE_URL`); SQLite gets WAL, full sync and foreign keys.

    A statement's parameters (names, ID hashes) never appear in its errors, so never in a log.
    """
    url = url or settings().database_url
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        eng = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True
        )
        event.listen(eng, "connect", _sqlite_pragmas)
        return eng
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


@contextmanager
def autocommit(url: str | None = None) -> Iterator[Connection]:
    """A pooled connection on which each statement is its own transaction: a read costs one round trip and
    holds nothing open."""
    with engine(url).connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        yield conn


@cache
def session_factory(url: str | None = None) -> sessionmaker[Session]:
    """Sessions bound to the engine for `url`."""
    return sessionmaker(engine(url), expire_on_commit=False)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session committed at the end of the block, rolled back whole on any error."""
    session = session_factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def snapshot_scope(url: str | None = None) -> Iterator[Session]:
    """A read-only session in which every query sees one and the same state of the store: a repeatable-read
    transaction on PostgreSQL, an explicit read transaction on SQLite (WAL keeps it apart from writers)."""
    with engine(url).connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        else:
            conn.exec_driver_sql("BEGIN")
        session = Session(bind=conn)
        try:
            yield session
        finally:
            session.close()
            conn.rollback()


def _sqlite_transactional(dbapi_connection: Any, _record: Any) -> None:
    _sqlite_pragmas(dbapi_connection, _record)
    dbapi_connection.isolation_level = None  # the driver leaves BEGIN and COMMIT to SQLAlchemy


def _migration_engine(url: str) -> Engine:
    """An engine whose transactions hold DDL too: the pysqlite driver would run each CREATE and ALTER on
    its own, so on SQLite the transaction is begun explicitly (SQLAlchemy's recipe for transactional DDL),
    with the write lock taken at once."""
    if not url.startswith("sqlite"):
        return engine(url)
    eng = create_engine(
        url,
        poolclass=NullPool,
        connect_args={"check_same_thread": False, "timeout": 30},
        hide_parameters=True,
    )
    event.listen(eng, "connect", _sqlite_transactional)
    event.listen(eng, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
    return eng


MIGRATION_LOCK = 48_151_623  # a PostgreSQL advisory lock: one migration run at a time


def migrate(url: str | None = None) -> None:
    """Bring the schema to the newest migration (a no-op when it is there already).

    The whole run is one transaction, on PostgreSQL and on SQLite alike: a run cut off at any moment (a
    kill, a power cut) leaves the schema as it was, never half-made.
    """
    from alembic import command
    from alembic.config import Config

    url = url or settings().database_url
    engine(url)  # makes the SQLite file's folder
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with _migration_engine(url).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
