"""Referral letters (推荐介绍信): a counselor sends a worker to an enterprise's line or a school's class, the
letter carries a reference number, and the outcome (hired, not hired, did not go) is recorded later.

A job referral's outcome is also a placement record (`placements`), the history the model and the progress
report (article 二十一) read.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from matcher.principals import Principal
from matcher.store.tables import PlacementRow, ReferralRow, WorkerRow

OUTCOMES = {"hired": "已录用", "not_hired": "未录用", "no_show": "未前往"}


class OutcomeRefused(ValueError):
    """An outcome that cannot be recorded; the message says why."""


def reference_number(referral_id: int, issued_on: date) -> str:
    """The letter's number, e.g. 曲人社荐〔2021〕000123号."""
    return f"曲人社荐〔{issued_on.year}〕{referral_id:06d}号"


def issue_referral(
    session: Session,
    principal: Principal,
    worker: WorkerRow,
    issued_on: date,
    demand_line_id: int | None = None,
    programme_id: int | None = None,
) -> ReferralRow:
    """Record a referral of `worker` to a line, or to a class (and the line it leads to), with its number."""
    if demand_line_id is None and programme_id is None:
        raise ValueError("a referral names a demand line or a class")
    row = ReferralRow(
        reference="",
        worker_id=worker.id,
        county=worker.county,
        principal_id=principal.id,
        demand_line_id=demand_line_id,
        programme_id=programme_id,
        issued_on=issued_on,
    )
    session.add(row)
    session.flush()
    row.reference = reference_number(row.id, issued_on)
    return row


def record_outcome(session: Session, principal: Principal, referral: ReferralRow, outcome: str) -> None:
    """Record what came of a referral, once; a job referral's hire or refusal becomes a placement record."""
    if outcome not in OUTCOMES:
        raise OutcomeRefused(f"outcome：须为以下之一：{'、'.join(OUTCOMES.values())}")
    if referral.outcome is not None:
        raise OutcomeRefused(f"此推荐的结果已登记为“{OUTCOMES[referral.outcome]}”，不能再改")
    referral.outcome = outcome
    referral.outcome_by = principal.id
    referral.outcome_at = datetime.now(UTC)
    if referral.demand_line_id is not None and referral.programme_id is None and outcome != "no_show":
        session.add(
            PlacementRow(
                worker_id=referral.worker_id,
                demand_line_id=referral.demand_line_id,
                referred_on=referral.issued_on,
                hired=outcome == "hired",
            )
        )
