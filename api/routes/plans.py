"""City plans for the bureau: queue one, follow it, read its workers, download it as a workbook.

The plan's figures (totals, classes, placements, unmet demand, subsidies, targets) come with its status;
the per-worker assignments, which carry priority-group flags, are read page by page (or in the workbook),
and each such read is audited.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select, update

from api.deps import Bureau, IdempotencyKey, ObjectId, PageDep, SessionDep, not_found, paged
from api.idempotency import create_once
from api.plan_jobs import CANCELLED
from api.schemas import PageOf, Sensitive
from matcher.audit import record_reads
from matcher.domain import PlanStatus
from matcher.plan import PlanOptions, write_plan_xlsx
from matcher.plan.pipeline import workers_in_scope
from matcher.principals import Principal
from matcher.privacy import redact
from matcher.store.tables import PlanJobRow

router = APIRouter(prefix="/v1", tags=["plans"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ACTIVE_PLANS = 3  # queued or running jobs of one principal
RETRY_AFTER_SECONDS = 60
ACTIVE = (PlanStatus.queued, PlanStatus.running)


class PlanJob(BaseModel):
    """A plan job: its options and state; once done, the plan's figures without the per-worker list."""

    id: int
    status: PlanStatus
    cancel_requested: bool = Field(
        description="a cancel was asked for; a running plan stops at its next stage"
    )
    options: PlanOptions
    created_at: datetime
    finished_at: datetime | None
    error: str | None = Field(description="why the plan failed, when it did")
    plan: dict[str, Any] | None = Field(
        description="the plan without its workers (read them at /v1/plans/{id}/workers)"
    )
    workers_assigned: int | None


class PlanWorker(BaseModel):
    """One worker's part in a plan: direct, outbound or training, the line, the class and its subsidy."""

    model_config = ConfigDict(populate_by_name=True)
    worker_id: int
    county: dict[str, str]
    groups: Annotated[list[str] | None, Sensitive] = None
    assignment: Literal["direct", "outbound", "training"]
    line: dict[str, Any] | None
    p_retained: float
    reasons: list[dict[str, str]]
    training_class: dict[str, Any] | None = Field(None, alias="class")
    p_complete: float | None = None
    subsidy: dict[str, Any] | None = None


def _job(row: PlanJobRow) -> PlanJob:
    return PlanJob(
        id=row.id,
        status=row.status,  # type: ignore[arg-type]
        cancel_requested=row.cancel_requested,
        options=PlanOptions.model_validate(row.options),
        created_at=row.created_at,
        finished_at=row.finished_at,
        error=row.error,
        plan=row.result,
        workers_assigned=None if row.result is None else row.result["totals"]["assigned"],
    )


def _done_job(session: SessionDep, job_id: int) -> PlanJobRow:
    row = session.get(PlanJobRow, job_id)
    if row is None:
        raise not_found("plan", job_id)
    if row.status != "done":
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"计划 {job_id} 的状态是 {row.status}"
            + (f"：{row.error}" if row.error else "；请等状态变为 done 后再取"),
        )
    return row


def _audit_workers(session: SessionDep, principal: Principal, workers: list[dict[str, Any]]) -> None:
    reads = {w["worker_id"]: redact(PlanWorker.model_validate(w), principal.role)[1] for w in workers}
    record_reads(session, principal, reads, "planning")


@router.post("/plans", response_model=PlanJob, status_code=202)
def create_plan(
    body: PlanOptions, request: Request, session: SessionDep, principal: Bureau, key: IdempotencyKey = None
) -> JSONResponse:
    """Queue a city plan; it runs in the background, one plan at a time. Follow it at `GET /v1/plans/{id}`.

    A plan for more workers than `max_workers`, or than the service's own limit, is refused with 422; a
    principal with 3 plans queued or running gets 429 (with Retry-After) until one ends.
    """
    limit = min(body.max_workers, request.app.state.plan_max_workers)
    held = workers_in_scope(request.app.state.database_url, body.counties)
    if held > limit:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"max_workers：计划范围内有 {held:,} 人，超过上限 {limit:,} 人"
            f"（本服务每个计划最多 {request.app.state.plan_max_workers:,} 人）；请用 counties 缩小范围",
        )
    queued = False

    def create() -> PlanJob:
        active = session.scalar(
            select(func.count())
            .select_from(PlanJobRow)
            .where(PlanJobRow.principal_id == principal.id, PlanJobRow.status.in_(ACTIVE))
        )
        if (active or 0) >= MAX_ACTIVE_PLANS:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                f"您已有 {active} 个排队或运行中的计划，每人最多 {MAX_ACTIVE_PLANS} 个；请等其中一个完成，"
                "或用 DELETE /v1/plans/{id} 取消一个，再提交",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        row = PlanJobRow(principal_id=principal.id, status="queued", options=body.model_dump(mode="json"))
        session.add(row)
        session.flush()
        session.refresh(row)
        nonlocal queued
        queued = True
        return _job(row)

    response = create_once(session, principal, key, body, create, status.HTTP_202_ACCEPTED)
    if queued:  # only a first request queues; a replay answers with the same job
        request.app.state.plan_runner.submit()
    return response


@router.get("/plans", response_model=PageOf[PlanJob])
def list_plans(session: SessionDep, _principal: Bureau, page: PageDep) -> PageOf[PlanJob]:
    """Plan jobs, newest first."""
    return paged(session, PlanJobRow, [], [PlanJobRow.id.desc()], page, lambda rows: [_job(r) for r in rows])


@router.get("/plans/{plan_id:int}", response_model=PlanJob)
def get_plan(plan_id: ObjectId, session: SessionDep, _principal: Bureau) -> PlanJob:
    """A plan job's status and, once done, its figures."""
    row = session.get(PlanJobRow, plan_id)
    if row is None:
        raise not_found("plan", plan_id)
    return _job(row)


@router.get("/plans/{plan_id:int}/workers", response_model=PageOf[PlanWorker])
def plan_workers(
    plan_id: ObjectId, session: SessionDep, principal: Bureau, page: PageDep
) -> PageOf[PlanWorker]:
    """The workers a done plan assigns, in the plan's order; the read is audited."""
    workers: list[dict[str, Any]] = _done_job(session, plan_id).workers  # type: ignore[assignment]
    items = workers[page.offset : page.offset + page.limit]
    _audit_workers(session, principal, items)
    session.commit()
    return PageOf(
        total=len(workers),
        offset=page.offset,
        limit=page.limit,
        items=[PlanWorker.model_validate(w) for w in items],
    )


@router.get(
    "/plans/{plan_id:int}/xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}},
)
def plan_workbook(plan_id: ObjectId, session: SessionDep, principal: Bureau) -> Response:
    """A done plan as a workbook (总览, classes, placements, workers, unmet demand); the read is audited."""
    job = _done_job(session, plan_id)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "plan.xlsx"
        write_plan_xlsx({**(job.result or {}), "workers": job.workers}, path)
        content = path.read_bytes()
    _audit_workers(session, principal, job.workers)  # type: ignore[arg-type]
    session.commit()
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="plan-{plan_id}.xlsx"'},
    )


@router.delete(
    "/plans/{plan_id:int}",
    response_model=PlanJob,
    responses={202: {"model": PlanJob, "description": "a running plan asked to stop at its next stage"}},
)
def cancel_plan(plan_id: ObjectId, session: SessionDep, _principal: Bureau, response: Response) -> PlanJob:
    """Cancel a plan job (any bureau planner, like reading it): a queued one at once (200, "cancelled"), a
    running one before its next stage (202, still "running" with `cancel_requested`); an ended one is 409."""
    row = session.get(PlanJobRow, plan_id)
    if row is None:
        raise not_found("plan", plan_id)
    if row.status not in ACTIVE:
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"计划 {plan_id} 已结束（{row.status}），无需取消；要重做请重新提交"
        )
    cancelled = session.execute(
        update(PlanJobRow)
        .where(PlanJobRow.id == plan_id, PlanJobRow.status == "queued")
        .values(status="cancelled", cancel_requested=True, error=CANCELLED, finished_at=datetime.now(UTC))
    )
    if not cancelled.rowcount:  # type: ignore[attr-defined]
        session.execute(update(PlanJobRow).where(PlanJobRow.id == plan_id).values(cancel_requested=True))
        response.status_code = status.HTTP_202_ACCEPTED
    session.commit()
    session.refresh(row)
    return _job(row)
