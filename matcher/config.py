"""Settings read from the environment: the database, the key that hashes ID numbers, the service's limits."""

from __future__ import annotations

import os
import secrets
import tempfile
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
    day the engine advises for (default: the store's own, see `matcher.calendar`); `MATCHER_MODELS_DIR` is
    where `matcher train` saves the model and everything else loads it (default: the project's models/);
    `MATCHER_REFRESH_SECONDS` is how often a serving process reads the store's changes into its matching view
    (0: only when a request asks); `MATCHER_DASK` is the Dask cluster plans spread their candidates over (a
    scheduler's address, or `local:N`; see `matcher.distributed`)."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    matcher_pii_key: str | None = None
    matcher_env: str = "development"
    matcher_plan_max_workers: int = 250_000
    matcher_today: date | None = None
    matcher_models_dir: Path = PROJECT_DIR / "models"
    matcher_refresh_seconds: float = 0.5
    matcher_dask: str | None = None


@cache
def settings() -> Settings:
    return Settings()


@cache
def pii_key() -> bytes:
    """The key for ID-number hashes: `MATCHER_PII_KEY`, or in development a random key kept in var/pii.key.

    Outside development a missing key is an error: hashes made with a throw-away key could never be
    matched again. The key file is written whole or not at all (a temporary file, fsync, then a link that
    fails if another process made the key first), and an empty or malformed one is refused, never replaced.
    """
    s = settings()
    if s.matcher_pii_key:
        return s.matcher_pii_key.encode()
    if s.matcher_env != "development":
        raise RuntimeError("MATCHER_PII_KEY：开发环境（MATCHER_ENV=development）以外必须设置此密钥")
    path = VAR_DIR / "pii.key"
    if not path.exists():
        _write_key(path)
    return read_key(path)


KEY_HEX_CHARS = 64


def read_key(path: Path) -> bytes:
    """The key held in `path`; RuntimeError when the file is empty or not a key."""
    text = path.read_text(encoding="ascii", errors="replace").strip()
    if len(text) != KEY_HEX_CHARS or any(c not in "0123456789abcdef" for c in text):
        raise RuntimeError(
            f"{path}：身份证号哈希密钥文件为空或已损坏（应为 {KEY_HEX_CHARS} 位十六进制字符）；请从备份恢复该文件，"
            "或设置 MATCHER_PII_KEY 为原密钥。不要删除后重建：已存的身份证号哈希将再也无法匹配"
        )
    return text.encode()


def _write_key(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".pii.key.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(KEY_HEX_CHARS // 2))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)  # atomic, and never replaces a key another process made first
        except FileExistsError:
            return
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    finally:
        os.unlink(tmp)
