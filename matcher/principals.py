"""API principals: bureau planners, enterprises and counselors, each with a bearer token kept only as a hash.

A token runs for a number of days (`--days`, default 90) and can be revoked at any time; an expired or
revoked token is refused like an unknown one, with a message saying which.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic_core import PydanticCustomError
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from matcher import reference as ref
from matcher.store.tables import EnterpriseRow, PrincipalRow
from matcher.text import clean_text

ROLES = ("bureau", "enterprise", "counselor")
CREDIT_CODE_LENGTH = 18
DEFAULT_DAYS = 90
MAX_DAYS = 3650


@dataclass(frozen=True)
class Principal:
    id: int
    name: str
    role: str
    enterprise_id: int | None
    county: str | None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenRefused(Exception):
    """A bearer token that is unknown, expired or revoked; the message says which and what to do."""


def create_principal(
    session: Session,
    role: str,
    *,
    name: str,
    enterprise: str | None = None,
    county: str | None = None,
    days: int = DEFAULT_DAYS,
) -> tuple[Principal, str]:
    """Store a principal and return it with its token, which is shown this once and never again.

    An enterprise principal names its enterprise (credit code or id); a counselor names a Qujing county.
    The token expires after `days` days.
    """
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"--days：令牌有效天数须在 1 到 {MAX_DAYS} 之间，收到 {days}")
    try:
        name = clean_text(name).strip()
    except PydanticCustomError as e:
        raise ValueError(f"--name：{e.message()}") from None
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    enterprise_id = None
    if role == "enterprise":
        if not enterprise:
            raise ValueError("an enterprise principal needs --enterprise (credit code or id)")
        by_id = (
            enterprise.isdigit() and len(enterprise) != CREDIT_CODE_LENGTH
        )  # a credit code may be all digits
        column = EnterpriseRow.id if by_id else EnterpriseRow.credit_code
        key: int | str = int(enterprise) if by_id else enterprise.upper()
        enterprise_id = session.scalar(select(EnterpriseRow.id).where(column == key))
        if enterprise_id is None:
            raise ValueError(f"no enterprise {enterprise!r} in the database")
    elif enterprise:
        raise ValueError("--enterprise is only for the enterprise role")
    if role == "counselor":
        valid = {r.code for r in ref.qujing_counties()} | {ref.ETDZ_CODE}
        if county not in valid:
            raise ValueError(f"a counselor needs --county, one of {', '.join(sorted(valid))}; got {county!r}")
    elif county:
        raise ValueError("--county is only for the counselor role")
    token = "qjm_" + secrets.token_urlsafe(32)
    row = PrincipalRow(
        name=name,
        role=role,
        enterprise_id=enterprise_id,
        county=county,
        token_hash=_hash(token),
        active=True,
        expires_at=datetime.now(UTC) + timedelta(days=days),
    )
    session.add(row)
    session.flush()
    return Principal(row.id, name, role, enterprise_id, county), token


_TOKEN_COLUMNS = (
    PrincipalRow.token_hash,
    PrincipalRow.id,
    PrincipalRow.name,
    PrincipalRow.role,
    PrincipalRow.enterprise_id,
    PrincipalRow.county,
    PrincipalRow.active,
    PrincipalRow.revoked_at,
    PrincipalRow.expires_at,
)


def authenticate(db: Session | Connection, token: str) -> Principal:
    """The principal holding this token; TokenRefused when it is unknown, revoked or expired."""
    row = db.execute(select(*_TOKEN_COLUMNS).where(PrincipalRow.token_hash == _hash(token))).first()
    return _valid(row)


def authenticate_many(db: Session | Connection, tokens: Iterable[str]) -> dict[str, Principal]:
    """`authenticate` for several tokens in one read: the principal of each valid token (the others are
    left out)."""
    hashes = {_hash(t): t for t in tokens}
    rows = db.execute(select(*_TOKEN_COLUMNS).where(PrincipalRow.token_hash.in_(hashes)))
    out = {}
    for row in rows:
        with suppress(TokenRefused):
            out[hashes[row.token_hash]] = _valid(row)
    return out


def _valid(row: Any) -> Principal:
    if row is None:
        raise TokenRefused(
            "Authorization：令牌无效；请在请求头中带上 `Authorization: Bearer 令牌`，令牌由管理员用 "
            "`matcher users create` 签发"
        )
    if not row.active or row.revoked_at is not None:
        raise TokenRefused("Authorization：此令牌已被吊销；请向管理员申请新令牌（`matcher users create`）")
    if row.expires_at is None or row.expires_at <= datetime.now(UTC):
        day = "" if row.expires_at is None else f"于 {row.expires_at:%Y-%m-%d} "
        raise TokenRefused(
            f"Authorization：此令牌已{day}过期；请向管理员申请新令牌（`matcher users create`）"
        )
    return Principal(row.id, row.name, row.role, row.enterprise_id, row.county)


def revoke_principal(session: Session, principal_id: int) -> PrincipalRow:
    """Revoke a principal's token at once; ValueError for an unknown id."""
    row = session.get(PrincipalRow, principal_id)
    if row is None:
        raise ValueError(f"ID：没有编号为 {principal_id} 的用户；用 `matcher users list` 查看编号")
    if row.revoked_at is None:
        row.active, row.revoked_at = False, datetime.now(UTC)
    return row


def list_principals(session: Session) -> list[tuple[PrincipalRow, str | None]]:
    """Every principal, by id, with its enterprise's credit code."""
    rows = session.execute(
        select(PrincipalRow, EnterpriseRow.credit_code)
        .outerjoin(EnterpriseRow, EnterpriseRow.id == PrincipalRow.enterprise_id)
        .order_by(PrincipalRow.id)
    )
    return [(p, code) for p, code in rows]
