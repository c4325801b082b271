"""Settings read from the environment: the database, the key that hashes ID numbers, the service's limits."""

from __future__ import annotations

import os
import secrets
from datetime import date
from functools import cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_DIR / "var"
DEFAULT_DATABASE_URL = f"sqlite:///{VAR_DIR / 'matcher.db'}"


class Settings(BaseSettings):
    """`DATABASE_URL` picks the store; `MATCHER_PII_KEY` keys the hash of national ID numbers;
    `MATCHER_PLAN_MAX_WORKERS` is the most workers a plan asked of the service may cover; `MATCHER_TODAY` is the
    day the engine advises for (default: the store's own, see `matcher.calendar`)."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    matcher_pii_key: str | None = None
    matcher_env: str = "development"
    matcher_plan_max_workers: int = 250_000
    matcher_today: date | None = None


@cache
def settings() -> Settings:
    return Settings()


@cache
def pii_key() -> bytes:
    """The key for ID-number hashes: `MATCHER_PII_KEY`, or in development a random key kept in var/.

    Outside development a missing key is an error: hashes made with a throw-away key could never be
    matched again.
    """
    s = settings()
    if s.matcher_pii_key:
        return s.matcher_pii_key.encode()
    if s.matcher_env != "development":
        raise RuntimeError("MATCHER_PII_KEY must be set outside development (MATCHER_ENV=development)")
    path = VAR_DIR / "pii.key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip().encode()
