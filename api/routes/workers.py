"""Workers' profiles. Counselors see the workers of their county, the bureau all; enterprises none.

Every response that shows a worker's personal fields writes an audit row in the same transaction.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.access import worker_scope
from api.deps import (
    BureauOrCounselor,
    IdempotencyKey,
    ObjectId,
    PageDep,
    SessionDep,
    invalid,
    not_found,
    paged,
)
from api.idempotency import create_once
from api.schemas import PageOf, WorkerPublic
from matcher import reference as ref
from matcher.audit import record_reads
from matcher.domain import (
    Education,
    EmploymentStatus,
    HeldCertificate,
    HukouType,
    Intentions,
    PriorityGroup,
    PriorTraining,
    WorkerProfile,
    WorkSpell,
)
from matcher.principals import Principal
from matcher.privacy import redact
from matcher.records import worker_values
from matcher.store.tables import WorkerRow

router = APIRouter(prefix="/v1", tags=["workers"])


class Purpose(StrEnum):
    """Why a person reads a worker's record; kept in the audit trail."""

    counselling = "counselling"
    registration = "registration"
    planning = "planning"
    verification = "verification"


PurposeQuery = Annotated[Purpose, Query(description="why the record is read (kept in the audit trail)")]


class WorkerUpdate(BaseModel):
    """Fields of a profile that may change; the ID number never does."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    hukou_region: str | None = None
    hukou_type: HukouType | None = None
    residence_region: str | None = None
    education: Education | None = None
    employment_status: EmploymentStatus | None = None
    registered_unemployed_since: date | None = None
    receives_pension: bool | None = None
    certificates: list[HeldCertificate] | None = None
    work_history: list[WorkSpell] | None = None
    intentions: Intentions | None = None
    groups: list[PriorityGroup] | None = None
    subsidised_trainings: list[PriorTraining] | None = None
    consent_to_share: bool | None = None


def visible_worker(session: Session, principal: Principal, worker_id: int) -> WorkerRow:
    """The worker if this principal may see them, else 404 (the same answer as for a missing worker)."""
    row = session.scalar(select(WorkerRow).where(WorkerRow.id == worker_id, *worker_scope(principal)))
    if row is None:
        raise not_found("worker", worker_id)
    return row


def check_visible_worker(session: Session, principal: Principal, worker_id: int) -> None:
    """`visible_worker` reading only the id, for a route that needs no more of the record."""
    if session.scalar(select(WorkerRow.id).where(WorkerRow.id == worker_id, *worker_scope(principal))) is None:
        raise not_found("worker", worker_id)


def shown(session: Session, principal: Principal, rows: list[WorkerRow], purpose: str) -> list[WorkerPublic]:
    """Workers as this principal may see them, with the reads of personal fields audited."""
    out, reads = [], {}
    for row in rows:
        public, kept = redact(WorkerPublic.model_validate(row), principal.role)
        out.append(public)
        reads[row.id] = kept
    record_reads(session, principal, reads, purpose)
    return out  # type: ignore[return-value]


def _check_county(principal: Principal, residence_region: str) -> None:
    if principal.role == "counselor" and ref.county_of(residence_region) != principal.county:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "residence_region：基层就业服务专员只能登记和修改居住在本县（市、区）的人员；请填写本县的居住地",
        )


@router.post("/workers", response_model=WorkerPublic, status_code=201)
def create_worker(
    body: WorkerProfile, session: SessionDep, principal: BureauOrCounselor, key: IdempotencyKey = None
) -> JSONResponse:
    """Register a worker from a survey sheet; the ID number is kept only as a keyed hash and a masked copy."""
    _check_county(principal, body.residence_region)

    def create() -> WorkerPublic:
        values = worker_values(body)
        if session.scalar(select(WorkerRow.id).where(WorkerRow.id_hash == values["id_hash"])):
            raise HTTPException(
                status.HTTP_409_CONFLICT, "id_number：此身份证号的人员已登记；请查询并修改已有记录"
            )
        row = WorkerRow(**values)
        session.add(row)
        session.flush()
        return shown(session, principal, [row], Purpose.registration)[0]

    def replay(worker_id: int) -> WorkerPublic:
        return shown(
            session, principal, [visible_worker(session, principal, worker_id)], Purpose.registration
        )[0]

    return create_once(session, principal, key, body, create, replay=replay)


@router.get("/workers", response_model=PageOf[WorkerPublic])
def list_workers(
    session: SessionDep,
    principal: BureauOrCounselor,
    page: PageDep,
    purpose: PurposeQuery = Purpose.counselling,
) -> PageOf[WorkerPublic]:
    """Workers in the principal's reach, by id."""
    where = worker_scope(principal)
    result = paged(
        session, WorkerRow, where, [WorkerRow.id], page, lambda rows: shown(session, principal, rows, purpose)
    )
    session.commit()
    return result


@router.get("/workers/{worker_id:int}", response_model=WorkerPublic)
def get_worker(
    worker_id: ObjectId,
    session: SessionDep,
    principal: BureauOrCounselor,
    purpose: PurposeQuery = Purpose.counselling,
) -> WorkerPublic:
    item = shown(session, principal, [visible_worker(session, principal, worker_id)], purpose)[0]
    session.commit()
    return item


@router.patch("/workers/{worker_id:int}", response_model=WorkerPublic)
def update_worker(
    worker_id: ObjectId, body: WorkerUpdate, session: SessionDep, principal: BureauOrCounselor
) -> WorkerPublic:
    """Change a profile; the whole profile is validated again."""
    row = visible_worker(session, principal, worker_id)
    changes = body.model_dump(mode="json", exclude_unset=True)
    current = {name: getattr(row, name) for name in WorkerUpdate.model_fields}
    merged = {**current, **changes}
    try:
        # validated with a stand-in ID number: the stored hash and identity stay as they are
        profile = WorkerProfile(**merged, id_number="11010519491231002X")
    except ValidationError as err:
        raise invalid(err) from None
    _check_county(principal, profile.residence_region)
    values = worker_values(profile)
    for name in (*WorkerUpdate.model_fields, "county"):
        setattr(row, name, values[name])
    item = shown(session, principal, [row], Purpose.registration)[0]
    session.commit()
    return item
