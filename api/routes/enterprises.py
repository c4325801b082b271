"""Enterprises and their demand ledgers. An enterprise sees and changes only its own."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from api.access import line_scope
from api.deps import (
    Bureau,
    BureauOrEnterprise,
    CurrentPrincipal,
    IdempotencyKey,
    ObjectId,
    PageDep,
    SessionDep,
    each,
    invalid,
    not_found,
    paged,
)
from api.idempotency import create_once
from api.schemas import DemandLinePublic, DemandLineUpdate, EnterprisePublic, EnterpriseUpdate, PageOf
from matcher.domain import DemandLine, Enterprise, LineStatus
from matcher.principals import Principal
from matcher.records import save_demand_line, save_enterprise
from matcher.store.tables import DemandLineRow, EnterpriseRow

router = APIRouter(prefix="/v1", tags=["enterprises"])


def _own_enterprise(session: Session, principal: Principal, enterprise_id: int) -> EnterpriseRow:
    if principal.role == "enterprise" and principal.enterprise_id != enterprise_id:
        raise not_found("enterprise", enterprise_id)
    row = session.get(EnterpriseRow, enterprise_id)
    if row is None:
        raise not_found("enterprise", enterprise_id)
    return row


def visible_line(session: Session, principal: Principal, line_id: int) -> DemandLineRow:
    """The demand line if this principal may see it, else 404 (the same answer as for a missing line)."""
    row = session.scalar(_visible_line(select(DemandLineRow), principal, line_id))
    if row is None:
        raise not_found("demand line", line_id)
    return row


def visible_line_status(session: Session, principal: Principal, line_id: int) -> str:
    """`visible_line` reading only the line's status, for a route that needs no more of the record."""
    line_status = session.scalar(_visible_line(select(DemandLineRow.status), principal, line_id))
    if line_status is None:
        raise not_found("demand line", line_id)
    return line_status


def _visible_line(query: Select[Any], principal: Principal, line_id: int) -> Select[Any]:
    return query.where(DemandLineRow.id == line_id, *line_scope(principal))


@router.post("/enterprises", response_model=EnterprisePublic, status_code=201)
def create_enterprise(
    body: Enterprise, session: SessionDep, principal: Bureau, key: IdempotencyKey = None
) -> JSONResponse:
    """Register an enterprise (bureau)."""

    def create() -> EnterprisePublic:
        if session.scalar(select(EnterpriseRow.id).where(EnterpriseRow.credit_code == body.credit_code)):
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"credit_code：企业 {body.credit_code} 已登记；请修改已有记录（PATCH）",
            )
        row, _ = save_enterprise(session, body)
        return EnterprisePublic.model_validate(row)

    return create_once(session, principal, key, body, create)


@router.get("/enterprises", response_model=PageOf[EnterprisePublic])
def list_enterprises(
    session: SessionDep, principal: CurrentPrincipal, page: PageDep
) -> PageOf[EnterprisePublic]:
    """Enterprises: all for the bureau and counselors, one's own for an enterprise."""
    where = [EnterpriseRow.id == principal.enterprise_id] if principal.role == "enterprise" else []
    return paged(session, EnterpriseRow, where, [EnterpriseRow.id], page, each(EnterprisePublic))


@router.get("/enterprises/{enterprise_id:int}", response_model=EnterprisePublic)
def get_enterprise(
    enterprise_id: ObjectId, session: SessionDep, principal: CurrentPrincipal
) -> EnterprisePublic:
    return EnterprisePublic.model_validate(_own_enterprise(session, principal, enterprise_id))


@router.patch("/enterprises/{enterprise_id:int}", response_model=EnterprisePublic)
def update_enterprise(
    enterprise_id: ObjectId, body: EnterpriseUpdate, session: SessionDep, principal: BureauOrEnterprise
) -> EnterprisePublic:
    """Change an enterprise's details; the whole record is validated again."""
    row = _own_enterprise(session, principal, enterprise_id)
    current = EnterprisePublic.model_validate(row).model_dump(exclude={"id"})
    try:
        merged = Enterprise(**{**current, **body.model_dump(exclude_unset=True)})
    except ValidationError as err:
        raise invalid(err) from None
    row, _ = save_enterprise(session, merged)
    session.commit()
    return EnterprisePublic.model_validate(row)


@router.post("/demand-lines", response_model=DemandLinePublic, status_code=201)
def create_demand_line(
    body: DemandLine, session: SessionDep, principal: BureauOrEnterprise, key: IdempotencyKey = None
) -> JSONResponse:
    """Post a demand line; an enterprise posts only for itself."""

    def create() -> DemandLinePublic:
        enterprise_id = session.scalar(
            select(EnterpriseRow.id).where(EnterpriseRow.credit_code == body.enterprise_code)
        )
        if enterprise_id is None or (
            principal.role == "enterprise" and enterprise_id != principal.enterprise_id
        ):
            raise not_found("enterprise", body.enterprise_code)
        exists = session.scalar(
            select(DemandLineRow.id).where(
                DemandLineRow.enterprise_id == enterprise_id, DemandLineRow.line_ref == body.line_ref
            )
        )
        if exists:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"line_ref：岗位 {body.line_ref} 已登记为岗位需求 {exists}；请修改它（PATCH）",
            )
        row, _ = save_demand_line(session, body)
        return DemandLinePublic.model_validate(row)

    return create_once(session, principal, key, body, create)


@router.get("/demand-lines", response_model=PageOf[DemandLinePublic])
def list_demand_lines(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageDep,
    state: Annotated[LineStatus | None, Query(alias="status")] = LineStatus.open,
    occupation: Annotated[
        str | None, Query(max_length=12, description="occupation code or group prefix")
    ] = None,
    region: Annotated[str | None, Query(max_length=16, description="work region code")] = None,
) -> PageOf[DemandLinePublic]:
    """Demand lines, newest first: all for the bureau and counselors, one's own for an enterprise."""
    where = line_scope(principal)
    if state:
        where.append(DemandLineRow.status == state)
    if occupation:
        where.append(DemandLineRow.occupation_code.startswith(occupation, autoescape=True))
    if region:
        where.append(DemandLineRow.work_region == region)
    order = [DemandLineRow.start_date.desc(), DemandLineRow.id]
    return paged(session, DemandLineRow, where, order, page, each(DemandLinePublic))


@router.get("/demand-lines/{line_id:int}", response_model=DemandLinePublic)
def get_demand_line(line_id: ObjectId, session: SessionDep, principal: CurrentPrincipal) -> DemandLinePublic:
    return DemandLinePublic.model_validate(visible_line(session, principal, line_id))


@router.patch("/demand-lines/{line_id:int}", response_model=DemandLinePublic)
def update_demand_line(
    line_id: ObjectId, body: DemandLineUpdate, session: SessionDep, principal: BureauOrEnterprise
) -> DemandLinePublic:
    """Change an open line; the whole line is validated again (including the anti-discrimination check)."""
    row = visible_line(session, principal, line_id)
    if row.status != "open":
        raise HTTPException(status.HTTP_409_CONFLICT, f"岗位需求 {line_id} 已关闭，不能再修改；请新登记一条")
    enterprise = session.get_one(EnterpriseRow, row.enterprise_id)
    current = DemandLinePublic.model_validate(row).model_dump(exclude={"id", "enterprise_id", "status"})
    try:
        merged = DemandLine(
            **{**current, **body.model_dump(exclude_unset=True)}, enterprise_code=enterprise.credit_code
        )
    except ValidationError as err:
        raise invalid(err) from None
    row, _ = save_demand_line(session, merged)
    session.commit()
    return DemandLinePublic.model_validate(row)


@router.post("/demand-lines/{line_id:int}/close", response_model=DemandLinePublic)
def close_demand_line(
    line_id: ObjectId, session: SessionDep, principal: BureauOrEnterprise
) -> DemandLinePublic:
    """Close a line: it leaves matching and planning but stays in the ledger."""
    row = visible_line(session, principal, line_id)
    row.status = "closed"
    session.commit()
    return DemandLinePublic.model_validate(row)
