"""The audit trail of reads of workers' personal data by people."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, insert
from sqlalchemy.orm import Session

from matcher.principals import Principal
from matcher.store.tables import AuditRow

_COLUMNS = ("principal_id", "role", "worker_id", "fields", "purpose")


def record_reads(
    db: Session | Connection, principal: Principal, reads: dict[int, list[str]], purpose: str
) -> None:
    """Add one audit row per worker whose personal fields were shown, in the caller's transaction."""
    rows = audit_rows(principal, reads, purpose)
    if not rows:
        return
    if isinstance(db, Session):
        db.flush()  # the rows refer to workers the session may hold unwritten
        db = db.connection()
    write_audit(db, rows)


def write_audit(tx: Connection, rows: list[dict[str, Any]]) -> None:
    """Write audit rows (`audit_rows`) in the transaction of `tx`: by COPY on PostgreSQL, where a batch of
    served answers writes hundreds at once, else by one executemany."""
    if tx.dialect.name != "postgresql":
        tx.execute(insert(AuditRow), rows)
        return
    statement = f"COPY {AuditRow.__tablename__} ({', '.join(_COLUMNS)}) FROM STDIN"
    driver = tx.connection.driver_connection
    assert driver is not None  # a connection in a transaction is checked out
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([json.dumps(row[c]) if c == "fields" else row[c] for c in _COLUMNS])


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
