"""An enterprise's pages: its lines, posting and editing one (occupation coder as autocomplete, the posting
check at the field), closing one, masked candidates with reasons, a shortlist and a request to refer, its
order classes, and ledger uploads with each refused row in a table. All through the API's route functions.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy import func, select

from api.deps import Page, SessionDep
from api.routes import enterprises as enterprise_routes
from api.routes import recommendations as rec_routes
from api.routes import uploads as upload_routes
from api.schemas import DemandLineUpdate
from matcher.domain import DemandLine
from matcher.ids import candidate_ref, worker_of_ref
from matcher.occupations import code_occupation
from matcher.store.tables import EnrolmentRow, InstitutionRow, PlacementRow, ProgrammeRow, ShortlistRow
from web import labels
from web.forms import Errors, refusal_errors, validation_errors, values
from web.session import Enterprise, PageRoute, SignedIn, Uploader, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
LINE_FIELDS = [
    "line_ref",
    "title",
    "occupation_code",
    "required_level",
    "headcount",
    "wage_min",
    "wage_max",
    "work_region",
    "start_date",
    "end_date",
    "description",
]
CANDIDATES = 10


@router.get("/enterprise", response_class=HTMLResponse)
def enterprise_home(request: Request, session: SessionDep, principal: Enterprise) -> HTMLResponse:
    """The enterprise's record and its lines, open and closed."""
    assert principal.enterprise_id is not None
    firm = enterprise_routes.get_enterprise(principal.enterprise_id, session, principal)
    lines = enterprise_routes.list_demand_lines(session, principal, Page(0, 100), state=None)
    return render(request, "enterprise/home.html", firm=firm, lines=lines)


@router.get("/occupations/suggest", response_class=HTMLResponse)
def suggest(
    request: Request, _principal: SignedIn, title: Annotated[str, Query(max_length=60)] = ""
) -> HTMLResponse:
    """The occupation coder's best codes for a typed job title, as a list to pick from (htmx)."""
    matches = code_occupation(title, top=6) if title.strip() else []
    return render(request, "enterprise/_suggest.html", matches=matches)


def _form_page(request: Request, form: dict[str, Any], errors: Errors, line_id: int | None) -> HTMLResponse:
    return render(
        request,
        "enterprise/line_form.html",
        422 if errors else 200,
        form=form,
        errors=errors,
        line_id=line_id,
        counties=labels.counties(),
        levels={str(k): v for k, v in labels.LEVELS.items()},
    )


@router.get("/lines/new", response_class=HTMLResponse)
def new_line(request: Request, _principal: Enterprise) -> HTMLResponse:
    return _form_page(request, {}, {}, None)


def _line_body(form: Any) -> dict[str, Any]:
    return values(form, LINE_FIELDS, flags=("accepts_order_training",))


@router.post("/lines/new", response_model=None)
async def create_line(
    request: Request, session: SessionDep, principal: Enterprise
) -> HTMLResponse | RedirectResponse:
    """Post a line: the API's validation, the anti-discrimination posting check included, at each field."""
    body = _line_body(await request.form())
    firm = enterprise_routes.get_enterprise(principal.enterprise_id or 0, session, principal)
    try:
        line = DemandLine.model_validate({**body, "enterprise_code": firm.credit_code})
        response = enterprise_routes.create_demand_line(line, session, principal)
    except ValidationError as err:
        return _form_page(request, body, validation_errors(err, LINE_FIELDS, "description"), None)
    except HTTPException as e:
        return _form_page(request, body, refusal_errors(e, LINE_FIELDS, "line_ref"), None)
    line_id = json.loads(bytes(response.body))["id"]
    return RedirectResponse(f"/enterprise#line-{line_id}", status_code=303)


@router.get("/lines/{line_id:int}/edit", response_class=HTMLResponse)
def edit_line(line_id: int, request: Request, session: SessionDep, principal: Enterprise) -> HTMLResponse:
    line = enterprise_routes.get_demand_line(line_id, session, principal)
    return _form_page(request, line.model_dump(mode="json"), {}, line_id)


@router.post("/lines/{line_id:int}/edit", response_model=None)
async def update_line(
    line_id: int, request: Request, session: SessionDep, principal: Enterprise
) -> HTMLResponse | RedirectResponse:
    body = _line_body(await request.form())
    body.pop("line_ref", None)
    try:
        changes = DemandLineUpdate.model_validate(body)
        enterprise_routes.update_demand_line(line_id, changes, session, principal)
    except ValidationError as err:
        return _form_page(request, body, validation_errors(err, LINE_FIELDS, "description"), line_id)
    except HTTPException as e:
        if e.status_code == 404:
            raise
        return _form_page(request, body, refusal_errors(e, LINE_FIELDS, "description"), line_id)
    return RedirectResponse(f"/enterprise#line-{line_id}", status_code=303)


@router.post("/lines/{line_id:int}/close")
def close_line(line_id: int, session: SessionDep, principal: Enterprise) -> RedirectResponse:
    enterprise_routes.close_demand_line(line_id, session, principal)
    return RedirectResponse(f"/enterprise#line-{line_id}", status_code=303)


def _shortlist(session: SessionDep, line_id: int) -> list[ShortlistRow]:
    return list(
        session.scalars(
            select(ShortlistRow).where(ShortlistRow.demand_line_id == line_id).order_by(ShortlistRow.id)
        )
    )


@router.get("/lines/{line_id:int}/candidates", response_class=HTMLResponse)
def candidates(line_id: int, request: Request, session: SessionDep, principal: Enterprise) -> HTMLResponse:
    """The line's candidates as the API gives them to an enterprise (masked, audited), and its shortlist."""
    line = enterprise_routes.get_demand_line(line_id, session, principal)
    result, refusal = None, None
    try:
        result = rec_routes.candidates(line_id, request, session, principal, k=CANDIDATES)
    except HTTPException as e:
        if e.status_code not in (409, 503):
            raise
        refusal = str(e.detail)
    listed = _shortlist(session, line_id)
    return render(
        request,
        "enterprise/candidates.html",
        line=line,
        result=result,
        refusal=refusal,
        shortlist=[(candidate_ref(line_id, s.worker_id), s) for s in listed],
        shortlisted={candidate_ref(line_id, s.worker_id) for s in listed},
    )


@router.post("/lines/{line_id:int}/shortlist")
def shortlist(
    line_id: int,
    request: Request,
    session: SessionDep,
    principal: Enterprise,
    ref: Annotated[str, Form(max_length=16)],
) -> RedirectResponse:
    """Shortlist one of the candidates the engine shows for this line (no other worker can be named)."""
    shown = rec_routes.candidates(line_id, request, session, principal, k=CANDIDATES)
    worker_id = worker_of_ref(line_id, ref)
    if ref not in {c.ref for c in shown.candidates} or worker_id is None:
        raise HTTPException(409, "只能把本岗位的候选人加入备选名单；请从候选人列表中选择")
    if worker_id not in {s.worker_id for s in _shortlist(session, line_id)}:
        session.add(ShortlistRow(demand_line_id=line_id, worker_id=worker_id, principal_id=principal.id))
    session.commit()
    return RedirectResponse(f"/lines/{line_id}/candidates#shortlist", status_code=303)


@router.post("/lines/{line_id:int}/request")
def request_referrals(line_id: int, session: SessionDep, principal: Enterprise) -> RedirectResponse:
    """Ask the bureau to refer the shortlisted candidates: each worker's counselor sees the request."""
    enterprise_routes.get_demand_line(line_id, session, principal)
    now = datetime.now(UTC)
    for row in _shortlist(session, line_id):
        row.requested_at = row.requested_at or now
    session.commit()
    return RedirectResponse(f"/lines/{line_id}/candidates#shortlist", status_code=303)


@router.get("/enterprise/classes", response_class=HTMLResponse)
def classes(request: Request, session: SessionDep, principal: Enterprise) -> HTMLResponse:
    """The classes held for the enterprise's own orders, and their trainees' progress (counts only)."""
    rows = session.execute(
        select(
            ProgrammeRow,
            InstitutionRow.name,
            func.count(EnrolmentRow.id),
            func.count(EnrolmentRow.id).filter(EnrolmentRow.completed.is_(True)),
            func.count(EnrolmentRow.certificate_date),
        )
        .join(InstitutionRow, InstitutionRow.id == ProgrammeRow.institution_id)
        .outerjoin(EnrolmentRow, EnrolmentRow.programme_id == ProgrammeRow.id)
        .where(ProgrammeRow.enterprise_id == principal.enterprise_id)
        .group_by(ProgrammeRow.id, InstitutionRow.name)
        .order_by(ProgrammeRow.start_date.desc())
    ).all()
    hired = dict(
        session.execute(  # type: ignore[arg-type]
            select(EnrolmentRow.programme_id, func.count())
            .join(PlacementRow, PlacementRow.enrolment_id == EnrolmentRow.id)
            .where(PlacementRow.hired.is_(True))
            .group_by(EnrolmentRow.programme_id)
        ).all()
    )
    items = [
        {
            "programme": p,
            "institution": inst,
            "enrolled": n,
            "completed": done,
            "certified": cert,
            "hired": hired.get(p.id, 0),
        }
        for p, inst, n, done, cert in rows
    ]
    return render(request, "enterprise/classes.html", items=items)


@router.get("/upload", response_class=HTMLResponse)
def upload_form(request: Request, _principal: Uploader) -> HTMLResponse:
    return render(request, "enterprise/upload.html", result=None, problems=None, message=None)


@router.post("/upload", response_class=HTMLResponse)
def upload(
    request: Request, session: SessionDep, principal: Uploader, file: Annotated[UploadFile, File()]
) -> HTMLResponse:
    """A demand ledger (enterprise) or survey sheet (counselor), all rows or none; each refused row in a table."""
    try:
        if principal.role == "enterprise":
            result = upload_routes.upload_demand(request, file, session, principal)
        else:
            result = upload_routes.upload_workers(request, file, principal)
    except HTTPException as e:
        if e.status_code != 422:
            raise
        if isinstance(e.detail, list):
            # each problem names its sheet as the importer found it; a CSV has none but its file
            problems = [{**p, "sheet": p.get("sheet") or file.filename or ""} for p in e.detail]
            return render(
                request, "enterprise/upload.html", 422, result=None, problems=problems, message=None
            )
        return render(request, "enterprise/upload.html", 422, result=None, problems=None, message=e.detail)
    return render(request, "enterprise/upload.html", result=result, problems=None, message=None)
