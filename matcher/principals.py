"""API principals: bureau planners, enterprises and counselors, each with a bearer token kept only as a hash."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher import reference as ref
from matcher.store.tables import EnterpriseRow, PrincipalRow

ROLES = ("bureau", "enterprise", "counselor")
CREDIT_CODE_LENGTH = 18


@dataclass(frozen=True)
class Principal:
    id: int
    name: str
    role: str
    enterprise_id: int | None
    county: str | None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_principal(
    session: Session, role: str, *, name: str, enterprise: str | None = None, county: str | None = None
) -> tuple[Principal, str]:
    """Store a principal and return it with its token, which is shown this once and never again.

    An enterprise principal names its enterprise (credit code or id); a counselor names a Qujing county.
    """
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
        name=name, role=role, enterprise_id=enterprise_id, county=county, token_hash=_hash(token), active=True
    )
    session.add(row)
    session.flush()
    return Principal(row.id, name, role, enterprise_id, county), token


def authenticate(session: Session, token: str) -> Principal | None:
    """The active principal holding this token, or None."""
    row = session.scalar(
        select(PrincipalRow).where(PrincipalRow.token_hash == _hash(token), PrincipalRow.active)
    )
    if row is None:
        return None
    return Principal(row.id, row.name, row.role, row.enterprise_id, row.county)
