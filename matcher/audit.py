"""The audit trail of reads of workers' personal data by people."""

from __future__ import annotations

from sqlalchemy.orm import Session

from matcher.principals import Principal
from matcher.store.tables import AuditRow


def record_reads(session: Session, principal: Principal, reads: dict[int, list[str]], purpose: str) -> None:
    """Add one audit row per worker whose personal fields were shown, in the caller's transaction."""
    session.add_all(
        AuditRow(
            principal_id=principal.id,
            role=principal.role,
            worker_id=worker_id,
            fields=sorted(fields),
            purpose=purpose,
        )
        for worker_id, fields in reads.items()
        if fields
    )
