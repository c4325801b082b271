"""The planner's pages: progress against the plan's targets with charts and a map of the counties, the
special account by article, plans (options, run, follow, results, compare), the plan workbook and the
report of article 二十一. Figures come from the API's route functions and the library, never recomputed.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter, defaultdict
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from api.deps import Page, SessionDep
from api.routes import plans as plan_routes
from api.routes import reports as report_routes
from matcher import reference as ref
from matcher.claims import special_account
from matcher.domain import PriorityGroup
from matcher.plan import PlanOptions
from matcher.report21 import period_labels, report21, write_report21_xlsx
from web import labels
from web.forms import Errors, validation_errors
from web.session import PageRoute, Planner, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
Period = Literal["month", "quarter", "year"]
PERIODS = {"month": "月", "quarter": "季度", "year": "年"}
XLSX = plan_routes.XLSX
OPTION_FIELDS = ["budget", "min_class_size", "counties", "priority_weights", "stable"]


COUNTY_SHAPES = ref.REFERENCE_DIR / "qujing_counties.geojson"


@cache
def county_shapes() -> dict[str, Any]:
    """The boundaries of Qujing's nine county-level units (provenance in data/README.md)."""
    shapes: dict[str, Any] = json.loads(COUNTY_SHAPES.read_text(encoding="utf-8"))
    return shapes


def county_areas(trainings: dict[str, int]) -> list[dict[str, Any]]:
    """Each county's trainings, for the map's shading."""
    return [{"name": r.name, "value": trainings.get(r.code, 0)} for r in ref.qujing_counties()]


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(
    request: Request, session: SessionDep, principal: Planner, period: Annotated[Period, Query()] = "year"
) -> HTMLResponse:
    """Progress against article 二's targets, by county and by period (article 二十一), and the special account."""
    report = report_routes.progress(request, principal, period=period, county=None)
    by_period: dict[str, Counter[str]] = defaultdict(Counter)
    by_county: dict[str, Counter[str]] = defaultdict(Counter)
    for f in report.figures:
        row = f.model_dump()
        for key in ("trainings", "completed", "certified", "placed", "retained_6m"):
            by_period[f.period][key] += row[key]
            by_county[f.county][key] += row[key]
    account = special_account(session)
    articles: Counter[str] = Counter()
    for a in account:
        articles[a["article"]] += a["amount"]
    names = labels.counties()
    return render(
        request,
        "planner/dashboard.html",
        report=report,
        period=period,
        periods=PERIODS,
        by_period=dict(sorted(by_period.items())),
        by_county={c: by_county[c] for c in names if c in by_county},
        county_names=names,
        map_data=county_areas({c: v["trainings"] for c, v in by_county.items()}),
        county_shapes=county_shapes(),
        account=account,
        articles=dict(sorted(articles.items())),
    )


def _plans_page(
    request: Request,
    session: SessionDep,
    principal: Planner,
    form: dict[str, Any],
    errors: Errors,
    status: int = 200,
) -> HTMLResponse:
    jobs = plan_routes.list_plans(session, principal, Page(0, 30))
    return render(
        request,
        "planner/plans.html",
        status,
        jobs=jobs.items,
        form=form,
        errors=errors,
        counties=labels.counties(),
        groups=labels.GROUPS,
    )


@router.get("/plans", response_class=HTMLResponse)
def plans(request: Request, session: SessionDep, principal: Planner) -> HTMLResponse:
    return _plans_page(request, session, principal, {"min_class_size": 10, "counties": []}, {})


@router.post("/plans", response_model=None)
async def run_plan(
    request: Request, session: SessionDep, principal: Planner
) -> HTMLResponse | RedirectResponse:
    """Queue a plan with the options of the form, through the API's own route (limits and caps included)."""
    form = await request.form()
    shown: dict[str, Any] = {
        "budget": str(form.get("budget") or "").strip(),
        "min_class_size": str(form.get("min_class_size") or "").strip(),
        "counties": [c for c in form.getlist("counties") if isinstance(c, str)],
        "stable": form.get("stable") == "on",
        "weights": {g: str(form.get(f"weight_{g}") or "").strip() for g in PriorityGroup},
    }
    body: dict[str, Any] = {"stable": shown["stable"]}
    if shown["budget"]:
        body["budget"] = shown["budget"]
    if shown["min_class_size"]:
        body["min_class_size"] = shown["min_class_size"]
    if shown["counties"]:
        body["counties"] = shown["counties"]
    weights = {g: w for g, w in shown["weights"].items() if w}
    if weights:
        body["priority_weights"] = weights
    try:
        options = PlanOptions.model_validate(body)
        response = plan_routes.create_plan(options, request, session, principal)
    except ValidationError as err:
        return _plans_page(
            request, session, principal, shown, validation_errors(err, OPTION_FIELDS, "budget"), 422
        )
    except HTTPException as e:
        if e.status_code not in (422, 429):
            raise
        return _plans_page(request, session, principal, shown, {"budget": [str(e.detail)]}, e.status_code)
    job_id = json.loads(bytes(response.body))["id"]
    return RedirectResponse(f"/plans/{job_id}", status_code=303)


def _by_county(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Classes, trainees, cost and subsidies of a plan by the county the class is held in."""
    rows: dict[str, Counter[str]] = defaultdict(Counter)
    names: dict[str, str] = {}
    for c in plan["classes"]:
        code = c["county"]["code"]
        names[code] = c["county"]["name"]
        rows[code].update(
            {"classes": 1, "trainees": c["size"], "cost": c["cost"], "subsidies": c["subsidies"]}
        )
    return [{"code": k, "name": names[k], **rows[k]} for k in sorted(rows)]


@router.get("/plans/{plan_id:int}", response_class=HTMLResponse)
def plan_page(plan_id: int, request: Request, session: SessionDep, principal: Planner) -> HTMLResponse:
    """A plan: its progress while it runs, then its figures as tables and charts."""
    job = plan_routes.get_plan(plan_id, session, principal)
    plan = job.plan
    return render(
        request,
        "planner/plan.html",
        job=job,
        plan=plan,
        by_county=_by_county(plan) if plan else [],
        county_names=labels.counties(),
    )


@router.get("/plans/{plan_id:int}/status", response_class=HTMLResponse)
def plan_status(plan_id: int, request: Request, session: SessionDep, principal: Planner) -> Response:
    """The plan's state for the running page (htmx polls it); once it has ended the page reloads."""
    job = plan_routes.get_plan(plan_id, session, principal)
    if job.status not in plan_routes.ACTIVE:
        return Response(status_code=200, headers={"HX-Refresh": "true"})
    return render(request, "planner/_status.html", job=job)


@router.get("/plans/{plan_id:int}/xlsx")
def plan_workbook(plan_id: int, session: SessionDep, principal: Planner) -> Response:
    """The plan workbook, as the API serves it (the read of its workers is audited)."""
    return plan_routes.plan_workbook(plan_id, session, principal)


@router.get("/plans/compare", response_class=HTMLResponse)
def compare(
    request: Request,
    session: SessionDep,
    _principal: Planner,
    a: Annotated[int, Query(ge=1)],
    b: Annotated[int, Query(ge=1)],
) -> HTMLResponse:
    """Two done plans side by side: options, totals, classes by county, subsidies by article."""
    jobs = [plan_routes._done_job(session, i) for i in (a, b)]
    plans = [plan_routes._job(j) for j in jobs]
    counties = sorted({c["code"] for p in plans for c in _by_county(p.plan or {"classes": []})})
    by_county = [{c["code"]: c for c in _by_county(p.plan or {"classes": []})} for p in plans]
    return render(
        request,
        "planner/compare.html",
        plans=plans,
        counties=counties,
        by_county=by_county,
        county_names=labels.counties(),
    )


@router.get("/reports/21", response_class=HTMLResponse)
def report_page(
    request: Request,
    _principal: Planner,
    period: Annotated[Period, Query()] = "quarter",
    label: Annotated[str, Query(max_length=10)] = "",
) -> HTMLResponse:
    """The report of article 二十一 for one month, quarter or year, printable."""
    url = request.app.state.database_url
    choices = period_labels(url, period)
    label = label or (choices[-1] if choices else "")
    report = report21(url, period, label) if label else None
    return render(
        request,
        "planner/report21.html",
        report=report,
        period=period,
        periods=PERIODS,
        label=label,
        choices=choices,
    )


@router.get("/reports/21.xlsx")
def report_workbook(
    request: Request,
    _principal: Planner,
    period: Annotated[Period, Query()] = "quarter",
    label: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """The same report as a workbook, ready to print (A4 landscape, header rows repeated)."""
    url = request.app.state.database_url
    if label not in period_labels(url, period):
        raise HTTPException(404, f"没有 {label or '（空）'} 这一报告期的数据；请从报表页面选择")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report21.xlsx"
        write_report21_xlsx(report21(url, period, label), path)
        content = path.read_bytes()
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="report21-{label}.xlsx"'},
    )
