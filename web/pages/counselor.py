"""The counselor's pages: find a worker, read their advice, give a referral letter and record its outcome,
register and edit a worker. Each calls the API's own route functions, so scope, masking and audit are theirs.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy import String, cast, func, select

from api.access import worker_scope
from api.deps import SessionDep, not_found
from api.routes import recommendations as rec_routes
from api.routes import workers as worker_routes
from api.schemas import WorkerPublic
from matcher import calendar
from matcher.audit import record_reads
from matcher.domain import WorkerProfile
from matcher.principals import Principal
from matcher.referrals import OUTCOMES, OutcomeRefused, issue_referral, record_outcome
from matcher.store.tables import (
    DemandLineRow,
    EnterpriseRow,
    InstitutionRow,
    ProgrammeRow,
    ReferralRow,
    ShortlistRow,
    WorkerRow,
)
from web import labels
from web.forms import Errors, refusal_errors, text_fields, validation_errors, values
from web.session import Counselor, PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
PAGE = 30
ID_TAIL = re.compile(r"^[0-9Xx]{1,4}$")
SHOWN_FIELDS = ["id_masked", "name"]  # what a referral letter shows of the worker
PROFILE_FIELDS = [
    "name",
    "hukou_region",
    "hukou_type",
    "residence_region",
    "education",
    "employment_status",
    "registered_unemployed_since",
]
NEW_FIELDS = ["id_number", *PROFILE_FIELDS]


def _search_filters(name: str, id_tail: str, status: str, group: str, township: str) -> list[Any]:
    where: list[Any] = []
    if name:
        where.append(WorkerRow.name.contains(name, autoescape=True))
    if id_tail:
        if not ID_TAIL.match(id_tail):
            raise HTTPException(422, "身份证号后几位：填 1 到 4 位数字（末位可为 X）")
        where.append(WorkerRow.id_masked.endswith(id_tail.upper(), autoescape=True))
    if status:
        where.append(WorkerRow.employment_status == status)
    if group:
        where.append(cast(WorkerRow.groups, String).contains(f'"{group}"', autoescape=True))
    if township:
        where.append(WorkerRow.residence_region == township)
    return where


@router.get("/workers", response_class=HTMLResponse)
def search(
    request: Request,
    session: SessionDep,
    principal: Counselor,
    name: Annotated[str, Query(max_length=40)] = "",
    id_tail: Annotated[str, Query(max_length=4)] = "",
    status: Annotated[str, Query(max_length=24)] = "",
    group: Annotated[str, Query(max_length=40)] = "",
    township: Annotated[str, Query(max_length=16)] = "",
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> HTMLResponse:
    """Workers in the counselor's county by name, last digits of the ID number, status, group or township."""
    where = worker_scope(principal) + _search_filters(
        name.strip(), id_tail.strip(), status, group, township
    )
    total = session.scalar(select(func.count()).select_from(WorkerRow).where(*where)) or 0
    rows = list(
        session.scalars(select(WorkerRow).where(*where).order_by(WorkerRow.id).offset(offset).limit(PAGE))
    )
    items = worker_routes.shown(session, principal, rows, worker_routes.Purpose.counselling)
    session.commit()
    requests = _open_requests(session, principal)
    return render(
        request,
        "counselor/search.html",
        items=items,
        total=total,
        offset=offset,
        page=PAGE,
        query={"name": name, "id_tail": id_tail, "status": status, "group": group, "township": township},
        townships=labels.townships(principal.county),
        statuses=labels.STATUS,
        groups=labels.GROUPS,
        requests=requests,
    )


def _open_requests(session: SessionDep, principal: Principal) -> list[dict[str, Any]]:
    """Enterprises' requests to refer a worker of the counselor's reach, not yet answered with a letter."""
    rows = session.execute(
        select(ShortlistRow, DemandLineRow.title, EnterpriseRow.name)
        .join(WorkerRow, WorkerRow.id == ShortlistRow.worker_id)
        .join(DemandLineRow, DemandLineRow.id == ShortlistRow.demand_line_id)
        .join(EnterpriseRow, EnterpriseRow.id == DemandLineRow.enterprise_id)
        .where(ShortlistRow.requested_at.is_not(None), ShortlistRow.referral_id.is_(None))
        .where(*worker_scope(principal))
        .order_by(ShortlistRow.requested_at)
    ).all()
    return [
        {"worker_id": s.worker_id, "line_id": s.demand_line_id, "title": title, "enterprise": enterprise}
        for s, title, enterprise in rows
    ]


def _lines(session: SessionDep, ids: set[int]) -> dict[int, dict[str, Any]]:
    """Each line's enterprise: name and where it is."""
    rows = session.execute(
        select(DemandLineRow.id, EnterpriseRow.name, EnterpriseRow.region)
        .join(EnterpriseRow, EnterpriseRow.id == DemandLineRow.enterprise_id)
        .where(DemandLineRow.id.in_(ids))
    ).all()
    return {i: {"name": n, "place": labels.place(r)} for i, n, r in rows}


def _referrals(session: SessionDep, worker_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(ReferralRow, DemandLineRow.title, ProgrammeRow.name)
        .outerjoin(DemandLineRow, DemandLineRow.id == ReferralRow.demand_line_id)
        .outerjoin(ProgrammeRow, ProgrammeRow.id == ReferralRow.programme_id)
        .where(ReferralRow.worker_id == worker_id)
        .order_by(ReferralRow.id.desc())
    ).all()
    return [{"row": r, "title": title, "programme": programme} for r, title, programme in rows]


@router.get("/workers/{worker_id:int}", response_class=HTMLResponse)
def worker_page(worker_id: int, request: Request, session: SessionDep, principal: Counselor) -> HTMLResponse:
    """A worker's profile (masked as the API masks it) and advice: jobs, outbound options, pathways."""
    worker = worker_routes.get_worker(worker_id, session, principal, worker_routes.Purpose.counselling)
    advice, refusal = None, None
    try:
        advice = rec_routes.recommendations(worker_id, request, session, principal, k=5)
    except HTTPException as e:
        if e.status_code not in (409, 503):
            raise
        refusal = str(e.detail)
    enterprises = {}
    if advice is not None:
        lines = {j.line_id for j in advice.jobs + advice.outbound + advice.pathways}
        enterprises = _lines(session, lines)
    return render(
        request,
        "counselor/worker.html",
        worker=worker,
        advice=advice,
        refusal=refusal,
        enterprises=enterprises,
        referrals=_referrals(session, worker_id),
        outcomes=OUTCOMES,
        requested=_requested_lines(session, worker_id),
    )


def _requested_lines(session: SessionDep, worker_id: int) -> dict[int, str]:
    rows = session.execute(
        select(ShortlistRow.demand_line_id, DemandLineRow.title)
        .join(DemandLineRow, DemandLineRow.id == ShortlistRow.demand_line_id)
        .where(ShortlistRow.worker_id == worker_id, ShortlistRow.requested_at.is_not(None))
        .where(ShortlistRow.referral_id.is_(None), DemandLineRow.status == "open")
    ).all()
    return dict(rows)  # type: ignore[arg-type]


@router.post("/workers/{worker_id:int}/referrals")
def refer(
    worker_id: int,
    request: Request,
    session: SessionDep,
    principal: Counselor,
    line_id: Annotated[int, Form(ge=1)],
    programme_id: Annotated[int | None, Form(ge=1)] = None,
) -> RedirectResponse:
    """Give a referral letter for a job or class the engine advises for this worker (or a line whose
    enterprise asked for them), and record it."""
    worker = worker_routes.visible_worker(session, principal, worker_id)
    requested = _requested_lines(session, worker_id)
    advised: set[tuple[int, int | None]] = set()
    if programme_id is not None or line_id not in requested:
        advice = rec_routes.recommendations(worker_id, request, session, principal, k=10)
        advised = {(j.line_id, None) for j in advice.jobs + advice.outbound}
        advised |= {(p.line_id, p.programme.programme_id) for p in advice.pathways}
    if (line_id, programme_id) not in advised and not (programme_id is None and line_id in requested):
        raise HTTPException(
            409, "只能为本页推荐的岗位或培训班（或企业请求推荐的岗位）开具推荐信；请从推荐列表中选择"
        )
    referral = issue_referral(
        session,
        principal,
        worker,
        calendar.today(request.app.state.database_url),
        demand_line_id=line_id,
        programme_id=programme_id,
    )
    if programme_id is None:
        for row in session.scalars(
            select(ShortlistRow).where(
                ShortlistRow.worker_id == worker_id, ShortlistRow.demand_line_id == line_id
            )
        ):
            row.referral_id = referral.id
    record_reads(session, principal, {worker_id: SHOWN_FIELDS}, "referral")
    session.commit()
    return RedirectResponse(f"/referrals/{referral.id}", status_code=303)


def _visible_referral(session: SessionDep, principal: Principal, referral_id: int) -> ReferralRow:
    """The referral if its worker is in this principal's reach, else 404 like a missing one."""
    row = session.get(ReferralRow, referral_id)
    if row is None:
        raise not_found("推荐信", referral_id)
    try:
        worker_routes.visible_worker(session, principal, row.worker_id)
    except HTTPException:
        raise not_found("推荐信", referral_id) from None
    return row


@router.get("/referrals/{referral_id:int}", response_class=HTMLResponse)
def letter(referral_id: int, request: Request, session: SessionDep, principal: Counselor) -> HTMLResponse:
    """The printable referral letter (A4); reading it is audited like reading the worker."""
    referral = _visible_referral(session, principal, referral_id)
    worker = WorkerPublic.model_validate(session.get_one(WorkerRow, referral.worker_id))
    line = session.get(DemandLineRow, referral.demand_line_id) if referral.demand_line_id else None
    enterprise = session.get(EnterpriseRow, line.enterprise_id) if line else None
    programme = session.get(ProgrammeRow, referral.programme_id) if referral.programme_id else None
    institution = session.get(InstitutionRow, programme.institution_id) if programme else None
    record_reads(session, principal, {referral.worker_id: SHOWN_FIELDS}, "referral")
    session.commit()
    return render(
        request,
        "counselor/letter.html",
        referral=referral,
        worker=worker,
        line=line,
        enterprise=enterprise,
        programme=programme,
        institution=institution,
        outcomes=OUTCOMES,
    )


@router.post("/referrals/{referral_id:int}/outcome")
def outcome(
    referral_id: int,
    session: SessionDep,
    principal: Counselor,
    result: Annotated[str, Form(max_length=12)],
) -> RedirectResponse:
    """Record what came of a referral: hired, not hired or did not go."""
    referral = _visible_referral(session, principal, referral_id)
    try:
        record_outcome(session, principal, referral, result)
    except OutcomeRefused as e:
        raise HTTPException(409, str(e)) from None
    record_reads(session, principal, {referral.worker_id: ["referral"]}, "referral")
    session.commit()
    return RedirectResponse(f"/workers/{referral.worker_id}#referrals", status_code=303)


def _form_page(
    request: Request, principal: Principal, form: dict[str, Any], errors: Errors, worker_id: int | None
) -> HTMLResponse:
    return render(
        request,
        "counselor/worker_form.html",
        422 if errors else 200,
        form=form,
        errors=errors,
        worker_id=worker_id,
        townships=labels.townships(principal.county),
        statuses=labels.STATUS,
        educations=labels.EDUCATION,
        hukou_types=labels.HUKOU,
        groups=labels.GROUPS,
    )


@router.get("/workers/new", response_class=HTMLResponse)
def new_worker(request: Request, principal: Counselor) -> HTMLResponse:
    return _form_page(request, principal, {"groups": [], "consent_to_share": False}, {}, None)


def _submitted(form: Any, names: list[str], flags: tuple[str, ...] = ()) -> dict[str, Any]:
    return values(form, names, lists=("groups",), flags=flags)


@router.post("/workers/new", response_model=None)
async def create_worker(
    request: Request, session: SessionDep, principal: Counselor
) -> HTMLResponse | RedirectResponse:
    """Register a worker with the API's validation and messages, shown at each field."""
    body = _submitted(await request.form(), NEW_FIELDS, ("consent_to_share",))
    try:
        profile = WorkerProfile.model_validate(body)
    except ValidationError as err:
        return _form_page(request, principal, body, validation_errors(err, NEW_FIELDS, "name"), None)
    try:
        response = worker_routes.create_worker(profile, session, principal)
    except HTTPException as e:
        field = "residence_region" if e.status_code == 403 else "id_number"
        return _form_page(request, principal, body, refusal_errors(e, NEW_FIELDS, field), None)
    worker_id = json.loads(bytes(response.body))["id"]
    return RedirectResponse(f"/workers/{worker_id}", status_code=303)


@router.get("/workers/{worker_id:int}/edit", response_class=HTMLResponse)
def edit_worker(worker_id: int, request: Request, session: SessionDep, principal: Counselor) -> HTMLResponse:
    worker = worker_routes.get_worker(worker_id, session, principal, worker_routes.Purpose.registration)
    return _form_page(request, principal, worker.model_dump(mode="json"), {}, worker_id)


@router.post("/workers/{worker_id:int}/edit", response_model=None)
async def update_worker(
    worker_id: int, request: Request, session: SessionDep, principal: Counselor
) -> HTMLResponse | RedirectResponse:
    """Change a profile through the API's own update: the whole profile is validated again."""
    form = await request.form()
    body: dict[str, Any] = {**text_fields(form, PROFILE_FIELDS), **_submitted(form, [])}
    body["registered_unemployed_since"] = body["registered_unemployed_since"] or None
    try:
        changes = worker_routes.WorkerUpdate.model_validate(body)
        worker_routes.update_worker(worker_id, changes, session, principal)
    except ValidationError as err:
        return _form_page(request, principal, body, validation_errors(err, PROFILE_FIELDS, "name"), worker_id)
    except HTTPException as e:
        if e.status_code == 404:
            raise
        field = "residence_region" if e.status_code == 403 else "name"
        return _form_page(request, principal, body, refusal_errors(e, PROFILE_FIELDS, field), worker_id)
    return RedirectResponse(f"/workers/{worker_id}", status_code=303)
