"""The audit trail of reads of workers' personal data by people."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert
from sqlalchemy.orm import Session

from matcher.principals import Principal
from matcher.store.tables import AuditRow


def record_reads(
    db: Session | Connection, principal: Principal, reads: dict[int, list[str]], purpose: str
) -> None:
    """Add one audit row per worker whose personal fields were shown, in the caller's transaction."""
    rows = audit_rows(principal, reads, purpose)
    if rows:
        db.execute(insert(AuditRow), rows)


def audit_rows(principal: Principal, reads: dict[int, list[str]], purpose: str) -> list[dict[str, Any]]:
    """The audit rows of `reads` (worker id: fields shown) by `principal`, as column values."""
    return [
        {
            "principal_id": principal.id,
            "role": principal.role,
            "worker_id": worker_id,
            "fields": sorted(fields),
            "purpose": purpose,
        }
        for worker_id, fields in reads.items()
        if fields
    ]
