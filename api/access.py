"""Who may see which worker and which demand line: each rule once, in its two forms side by side, as
conditions for a query and as a test of a record already read (`tests/test_access.py` checks that they
agree). A counselor sees the workers of their own county; an enterprise sees its own lines; the bureau
sees all."""

from __future__ import annotations

from sqlalchemy import ColumnElement

from matcher.principals import Principal
from matcher.store.tables import DemandLineRow, WorkerRow


def worker_scope(principal: Principal) -> list[ColumnElement[bool]]:
    """The workers `principal` may see, as conditions on `WorkerRow`."""
    return [WorkerRow.county == principal.county] if principal.role == "counselor" else []


def sees_worker(principal: Principal, county: str) -> bool:
    """Whether `principal` may see a worker living in `county` (`worker_scope` for one record)."""
    return principal.role != "counselor" or principal.county == county


def line_scope(principal: Principal) -> list[ColumnElement[bool]]:
    """The demand lines `principal` may see, as conditions on `DemandLineRow`."""
    return [DemandLineRow.enterprise_id == principal.enterprise_id] if principal.role == "enterprise" else []


def sees_line(principal: Principal, enterprise_id: int) -> bool:
    """Whether `principal` may see a line of the enterprise `enterprise_id` (`line_scope` for one record)."""
    return principal.role != "enterprise" or principal.enterprise_id == enterprise_id
