"""Who may do what, over every route of the service.

For each route, each subject (no token, the bureau, an enterprise, a counselor) asks once about an object
of its own and once about another tenant's object (or, for lists and creations, within its scope and
outside it). Privilege is checked before existence: another tenant's object answers 404 like a missing one,
a role the route does not admit answers 403, and no valid token answers 401.
"""

from __future__ import annotations

import csv
import io
import itertools
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import fastapi.routing
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from matcher.domain import DemandLine, WorkerProfile
from matcher.ledger import export_ledger
from matcher.principals import create_principal
from matcher.records import save_demand_line, worker_values
from matcher.store import engine, migrate, session_scope
from matcher.store.tables import DemandLineRow, EnterpriseRow, InstitutionRow, PlanJobRow, WorkerRow
from matcher.synth import build_city
from tests.api_helpers import enterprise_body, id_number, line_body, programme_body, token, worker_body
from tests.test_policy import base_case
from web import is_page

SUBJECTS = ("anonymous", "bureau", "enterprise", "counselor")
SIDES = ("own", "foreign")
NOT_ROUTES = frozenset({"HEAD", "OPTIONS"})
TEMPLATES = Path(__file__).resolve().parent.parent / "data" / "templates"
PLAN_WAIT_SECONDS = 120
SHOWN = 300  # characters of a response body shown for a mismatch

Expected = dict[str, tuple[int, int]]

# (method, path as declared) -> subject -> (status for its own object, status for another tenant's).
# Lists and creations: own = within the caller's scope, foreign = outside it; the same value where there
# is no such notion.
MATRIX: dict[tuple[str, str], Expected] = {
    ("GET", "/health"): {
        "anonymous": (200, 200),
        "bureau": (200, 200),
        "enterprise": (200, 200),
        "counselor": (200, 200),
    },
    # uploads: an enterprise sends its own lines, a counselor the workers of their county
    ("POST", "/v1/demand-lines/upload"): {
        "anonymous": (401, 401),
        "bureau": (200, 200),
        "enterprise": (200, 422),
        "counselor": (403, 403),
    },
    ("POST", "/v1/workers/upload"): {
        "anonymous": (401, 401),
        "bureau": (200, 200),
        "enterprise": (403, 403),
        "counselor": (200, 422),
    },
    # the county training catalogue is the bureau's
    ("POST", "/v1/programmes/upload"): {
        "anonymous": (401, 401),
        "bureau": (200, 200),
        "enterprise": (403, 403),
        "counselor": (403, 403),
    },
    # enterprises
    ("POST", "/v1/enterprises"): {
        "anonymous": (401, 401),
        "bureau": (201, 201),
        "enterprise": (403, 403),
        "counselor": (403, 403),
    },
    ("GET", "/v1/enterprises"): {
        "anonymous": (401, 401),
        "bureau": (200, 200),
        "enterprise": (200, 200),
        "counselor": (200, 200),
    },
    ("GET", "/v1/enterprises/{enterprise_id:int}"): {
        "anonymous": (401, 401),
        "bureau": (200, 200),
        "enterprise": (200, 404),
        "counselor": (200, 200),
    },
    ("PATCH", "/v1/enterprises/{enterprise_id:int}"): {
        "anonymous": (401, 401),
        "bureau": (200, 200),
        "enterprise": (200, 404),
        "counselor": (403, 403),
    },
    # demand lines
    ("POST", "/v1/demand-lines"): {
        "anonymous": (401, 401),
        "bureau": (201, 201),
        "enterprise": (201, 404),
        "counselor": (403, 403),
    },
    ("GET", "/v1/demand-lines"): {
        "anonymous": (401, 401),
        "bureau": (200, 200),
        "enterprise": (200, 200),
        "counselor": (200, 200),
    },
    ("GET", "/v1/demand-lines/{line_id:int}"): {
        "anonymous": (401, 401),
        "bureau": (200, 200),
        "enterprise": (200, 404),
        "counselor": (200, 200),
    },
    ("PATCH", "/v1/demand-lines/{line_id:int}"): {
        "anonymous": (401, 401),
        "bureau": (200, 200),
        "enterprise": (200, 404),
        "counselor": (403, 403),
    },
    ("POST", "/v1/demand-lines/{line_id:int}/close"): {
        "anonymous": (401, 401),
        "bureau": (200, 200),
        "enterprise": (200, 404),
        "counselor": (403, 403),
    },
    ("GET", "/v1/demand-lines/{line_id:int}/candidates"): {
        "anonymous": (401, 401),
        "bureau": (200, 200),
        "enterprise": (200, 404),
        "counselor": (403, 403),
    },
    # workers: a counselor registers and sees the workers of their county
    ("POST", "/v1/workers"): {
        "anonymous": (401, 401),
        "bureau": (201, 201),
        "enterprise": (403, 403),
        "counselor": (201, 403),
    },
    ("GET", "/v1/workers"): {
        "anonymous": (401, 401),
        "bureau": (200, 200),
        "enterprise": (403, 403),
        "counselor": (200, 200),
    },
    ("GET", "/v1/workers/{worker_id:int}"): {
        "anonymous": (401, 401),
        "bureau": (200, 200),
        "enterprise": (403, 403),
        "counselor": (200, 404),
    },
    ("PATCH", "/v1/workers/{worker_id:int}"): {
        "anonymous": (401, 401),
        "bureau": (200, 200),
        "enterprise": (403, 403),
        "counselor": (200, 404),
    },
    ("GET", "/v1/workers/{worker_id:int}/recommendations"): {
        "anonymous": (401, 401),
        "bureau": (200, 200),
        "enterprise": (403, 403),
        "counselor": (200, 404),
    },
    # the catalogue and reference data, open to every principal; the catalogue is kept by the bureau
    ("GET", "/v1/regions"): {
        "anonymous": (401, 401),
        "bureau": (200, 200),
        "enterprise": (200, 200),
        "counselor": (200, 200),
    },
    ("GET", "/v1/institutions"): {
        "anonymous": (401, 401),
        "bureau": (200, 200),
        "enterprise": (200, 200),
        "counselor": (200, 200),
    },
    ("POST", "/v1/institutions"): {
        "anonymous": (401, 401),
        "bureau": (201, 201),
        "enterprise": (403, 403),
        "counselor": (403, 403),
    },
    ("GET", "/v1/programmes"): {
        "anonymous": (401, 401),
        "bureau": (200, 200),
        "enterprise": (200, 200),
        "counselor": (200, 200),
    },
    ("POST", "/v1/programmes"): {
        "anonymous": (401, 401),
        "bureau": (201, 201),
        "enterprise": (403, 403),
        "counselor": (403, 403),
    },
    ("GET", "/v1/occupations/search"): {
        "anonymous": (401, 401),
        "bureau": (200, 200),
        "enterprise": (200, 200),
        "counselor": (200, 200),
    },
    ("POST", "/v1/subsidies/decide"): {
        "anonymous": (401, 401),
        "bureau": (200, 200),
        "enterprise": (200, 200),
        "counselor": (200, 200),
    },
    # reports: a counselor gets the figures of their own county only
    ("GET", "/v1/reports/progress"): {
        "anonymous": (401, 401),
        "bureau": (200, 200),
        "enterprise": (403, 403),
        "counselor": (200, 403),
    },
    # plans: the bureau's alone, and every bureau planner sees every plan
    ("POST", "/v1/plans"): {
        "anonymous": (401, 401),
        "bureau": (202, 202),
        "enterprise": (403, 403),
        "counselor": (403, 403),
    },
    ("GET", "/v1/plans"): {
        "anonymous": (401, 401),
        "bureau": (200, 200),
        "enterprise": (403, 403),
        "counselor": (403, 403),
    },
    ("GET", "/v1/plans/{plan_id:int}"): {
        "anonymous": (401, 401),
        "bureau": (200, 200),
        "enterprise": (403, 403),
        "counselor": (403, 403),
    },
    ("GET", "/v1/plans/{plan_id:int}/workers"): {
        "anonymous": (401, 401),
        "bureau": (200, 200),
        "enterprise": (403, 403),
        "counselor": (403, 403),
    },
    ("GET", "/v1/plans/{plan_id:int}/xlsx"): {
        "anonymous": (401, 401),
        "bureau": (200, 200),
        "enterprise": (403, 403),
        "counselor": (403, 403),
    },
    # any bureau planner may cancel any queued plan, as any may read it
    ("DELETE", "/v1/plans/{plan_id:int}"): {
        "anonymous": (401, 401),
        "bureau": (200, 200),
        "enterprise": (403, 403),
        "counselor": (403, 403),
    },
}


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """The (method, declared path) of every operation the app serves, without HEAD, OPTIONS and the docs.

    A route with no methods (a mount, a websocket) is listed under "*", so that it cannot pass unseen.
    """
    docs = {app.openapi_url, app.docs_url, app.swagger_ui_oauth2_redirect_url, app.redoc_url}
    # FastAPI may keep included routers nested; its own OpenAPI generator walks them with this function
    flatten = getattr(fastapi.routing, "iter_route_contexts", None)
    routes: Iterable[Any] = flatten(app.routes) if flatten else app.routes
    found: set[tuple[str, str]] = set()
    for route in routes:
        path = getattr(route, "path", None)
        if path is None or path in docs or is_page(route):  # the pages: tests/test_web_authz.py
            continue
        methods = getattr(route, "methods", None) or {"*"}
        found.update((method, path) for method in methods if method not in NOT_ROUTES)
    return found


@dataclass
class Call:
    method: str
    url: str
    json: Any = None
    files: dict[str, tuple[str, bytes, str]] | None = None


@dataclass
class City:
    """A small city with two enterprises A (own) and B (foreign), two counties X (own) and Y (foreign)."""

    url: str
    client: TestClient
    headers: dict[str, dict[str, str]]
    enterprise: dict[str, int]
    credit_code: dict[str, str]
    enterprise_name: dict[str, str]
    line: dict[str, int]
    county: dict[str, str]
    residence: dict[str, str]
    worker: dict[str, int]
    plan: dict[str, int]
    planner: dict[str, int]
    demand_ledger: dict[str, bytes]
    institution: str
    serials: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def fresh(self) -> int:
        return next(self.serials)

    def fresh_id_number(self) -> str:
        born = date(1975, 1, 1) + timedelta(days=self.fresh())
        return id_number(born=born.strftime("%Y%m%d"), seq=987)

    def fresh_line(self, side: str) -> int:
        """A new open line of the side's enterprise, for a request that changes or closes it."""
        with session_scope(self.url) as s:
            line = DemandLine(**line_body(self.credit_code[side], f"Z{self.fresh():05d}"))
            row, _ = save_demand_line(s, line)
            s.flush()
            return row.id

    def fresh_worker(self, side: str) -> int:
        """A new worker living in the side's county, for a request that changes them."""
        body = worker_body(residence=self.residence[side], id_number=self.fresh_id_number())
        with session_scope(self.url) as s:
            row = WorkerRow(**worker_values(WorkerProfile(**body)))
            s.add(row)
            s.flush()
            return row.id

    def fresh_plan(self, side: str) -> int:
        """A new queued plan job of the side's planner (own: the bureau token's, foreign: another's)."""
        with session_scope(self.url) as s:
            row = PlanJobRow(principal_id=self.planner[side], status="queued", options={})
            s.add(row)
            s.flush()
            return row.id

    def catalogue(self) -> bytes:
        """A catalogue of one new programme (the template's third, which no enterprise orders)."""
        with open(TEMPLATES / "programmes.csv", encoding="utf-8-sig", newline="") as f:
            header, *_, row = csv.reader(f)
        values = dict(zip(header, row, strict=True)) | {"项目编号": f"UP-{self.fresh():06d}"}
        out = io.StringIO()
        csv.writer(out).writerows([header, [values[h] for h in header]])
        return out.getvalue().encode("utf-8-sig")

    def worker_sheet(self, side: str) -> bytes:
        """A survey sheet of one new worker living in the side's county (the template's second worker)."""
        with open(TEMPLATES / "workers.csv", encoding="utf-8-sig", newline="") as f:
            header, _, row, *_ = csv.reader(f)
        values = dict(zip(header, row, strict=True))
        values.update({"身份证号": self.fresh_id_number(), "常住地": self.residence[side]})
        out = io.StringIO()
        csv.writer(out).writerows([header, [values[h] for h in header]])
        return out.getvalue().encode("utf-8-sig")


def _csv(name: str, content: bytes) -> dict[str, tuple[str, bytes, str]]:
    return {"file": (name, content, "text/csv")}


# (method, path) -> the request for a side; called afresh for every request, so creations never collide.
REQUESTS: dict[tuple[str, str], Callable[[City, str], Call]] = {
    ("GET", "/health"): lambda _c, _side: Call("GET", "/health"),
    ("POST", "/v1/demand-lines/upload"): lambda c, side: Call(
        "POST", "/v1/demand-lines/upload", files=_csv("demand.csv", c.demand_ledger[side])
    ),
    ("POST", "/v1/workers/upload"): lambda c, side: Call(
        "POST", "/v1/workers/upload", files=_csv("workers.csv", c.worker_sheet(side))
    ),
    ("POST", "/v1/programmes/upload"): lambda c, _side: Call(
        "POST", "/v1/programmes/upload", files=_csv("programmes.csv", c.catalogue())
    ),
    ("POST", "/v1/enterprises"): lambda c, _side: Call(
        "POST", "/v1/enterprises", json=enterprise_body(9_000_000 + c.fresh())
    ),
    ("GET", "/v1/enterprises"): lambda _c, _side: Call("GET", "/v1/enterprises"),
    ("GET", "/v1/enterprises/{enterprise_id:int}"): lambda c, side: Call(
        "GET", f"/v1/enterprises/{c.enterprise[side]}"
    ),
    ("PATCH", "/v1/enterprises/{enterprise_id:int}"): lambda c, side: Call(
        "PATCH", f"/v1/enterprises/{c.enterprise[side]}", json={"name": c.enterprise_name[side]}
    ),
    ("POST", "/v1/demand-lines"): lambda c, side: Call(
        "POST", "/v1/demand-lines", json=line_body(c.credit_code[side], f"Z{c.fresh():05d}")
    ),
    ("GET", "/v1/demand-lines"): lambda _c, _side: Call("GET", "/v1/demand-lines"),
    ("GET", "/v1/demand-lines/{line_id:int}"): lambda c, side: Call(
        "GET", f"/v1/demand-lines/{c.line[side]}"
    ),
    ("PATCH", "/v1/demand-lines/{line_id:int}"): lambda c, side: Call(
        "PATCH", f"/v1/demand-lines/{c.fresh_line(side)}", json={"headcount": 4}
    ),
    ("POST", "/v1/demand-lines/{line_id:int}/close"): lambda c, side: Call(
        "POST", f"/v1/demand-lines/{c.fresh_line(side)}/close"
    ),
    ("GET", "/v1/demand-lines/{line_id:int}/candidates"): lambda c, side: Call(
        "GET", f"/v1/demand-lines/{c.line[side]}/candidates?k=3"
    ),
    ("POST", "/v1/workers"): lambda c, side: Call(
        "POST",
        "/v1/workers",
        json=worker_body(residence=c.residence[side], id_number=c.fresh_id_number()),
    ),
    ("GET", "/v1/workers"): lambda _c, _side: Call("GET", "/v1/workers?limit=5"),
    ("GET", "/v1/workers/{worker_id:int}"): lambda c, side: Call("GET", f"/v1/workers/{c.worker[side]}"),
    ("PATCH", "/v1/workers/{worker_id:int}"): lambda c, side: Call(
        "PATCH", f"/v1/workers/{c.fresh_worker(side)}", json={"education": "senior_middle"}
    ),
    ("GET", "/v1/workers/{worker_id:int}/recommendations"): lambda c, side: Call(
        "GET", f"/v1/workers/{c.worker[side]}/recommendations?k=3"
    ),
    ("GET", "/v1/regions"): lambda _c, _side: Call("GET", "/v1/regions"),
    ("GET", "/v1/institutions"): lambda _c, _side: Call("GET", "/v1/institutions"),
    ("POST", "/v1/institutions"): lambda c, _side: Call(
        "POST",
        "/v1/institutions",
        json={
            "code": f"PXZ{c.fresh():05d}",
            "name": "曲靖市测试职业培训学校",
            "kind": "社会培训机构",
            "region": "530302",
            "total_seats": 200,
        },
    ),
    ("GET", "/v1/programmes"): lambda _c, _side: Call("GET", "/v1/programmes"),
    ("POST", "/v1/programmes"): lambda c, _side: Call(
        "POST",
        "/v1/programmes",
        json=programme_body(f"QJZ{c.fresh():05d}", c.institution),
    ),
    ("GET", "/v1/occupations/search"): lambda _c, _side: Call("GET", "/v1/occupations/search?q=电焊工"),
    ("POST", "/v1/subsidies/decide"): lambda _c, _side: Call("POST", "/v1/subsidies/decide", json=base_case()),
    ("GET", "/v1/reports/progress"): lambda c, side: Call(
        "GET", f"/v1/reports/progress?county={c.county[side]}"
    ),
    ("POST", "/v1/plans"): lambda c, side: Call(
        "POST", "/v1/plans", json={"min_class_size": 2, "counties": [c.county[side]]}
    ),
    ("GET", "/v1/plans"): lambda _c, _side: Call("GET", "/v1/plans"),
    ("GET", "/v1/plans/{plan_id:int}"): lambda c, side: Call("GET", f"/v1/plans/{c.plan[side]}"),
    ("GET", "/v1/plans/{plan_id:int}/workers"): lambda c, side: Call(
        "GET", f"/v1/plans/{c.plan[side]}/workers?limit=3"
    ),
    ("GET", "/v1/plans/{plan_id:int}/xlsx"): lambda c, side: Call("GET", f"/v1/plans/{c.plan[side]}/xlsx"),
    ("DELETE", "/v1/plans/{plan_id:int}"): lambda c, side: Call("DELETE", f"/v1/plans/{c.fresh_plan(side)}"),
}


def _demand_ledger(url: str, folder: Path, codes: dict[str, str], refs: dict[str, str]) -> dict[str, bytes]:
    """Per side, the exported demand ledger cut to that side's enterprise and line."""
    path = folder / "demand.csv"
    export_ledger("demand", path, url)
    with open(path, encoding="utf-8-sig", newline="") as f:
        header, *rows = csv.reader(f)
    code, ref = header.index("统一社会信用代码"), header.index("岗位编号")
    out = {}
    for side in SIDES:
        kept = [r for r in rows if r[code] == codes[side] and r[ref] == refs[side]]
        assert len(kept) == 1, (side, codes[side], refs[side])
        text = io.StringIO()
        csv.writer(text).writerows([header, *kept])
        out[side] = text.getvalue().encode("utf-8-sig")
    return out


def _run_plan(client: TestClient, headers: dict[str, str]) -> int:
    posted = client.post("/v1/plans", json={"min_class_size": 2}, headers=headers)
    assert posted.status_code == 202, posted.text
    deadline = time.monotonic() + PLAN_WAIT_SECONDS
    while time.monotonic() < deadline:
        job = client.get(f"/v1/plans/{posted.json()['id']}", headers=headers).json()
        if job["status"] == "done":
            return int(job["id"])
        assert job["status"] != "failed", job["error"]
        time.sleep(0.1)
    raise AssertionError(f"plan {posted.json()['id']} did not finish in {PLAN_WAIT_SECONDS} s")


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[City]:
    folder = tmp_path_factory.mktemp("authz")
    url = f"sqlite:///{folder / 'city.db'}"
    migrate(url)
    build_city(n_workers=300, seed=2, url=url, progress=False)
    with session_scope(url) as s:
        open_lines = s.execute(
            select(DemandLineRow.id, DemandLineRow.line_ref, EnterpriseRow)
            .join(EnterpriseRow)
            .where(DemandLineRow.status == "open", DemandLineRow.work_region.like("53%"))
            .order_by(DemandLineRow.end_date.desc(), DemandLineRow.id)
        ).all()
        own = open_lines[0]
        foreign = next(x for x in open_lines if x[2].id != own[2].id)
        workers = s.scalars(
            select(WorkerRow).where(WorkerRow.county.is_not(None)).order_by(WorkerRow.id)
        ).all()
        mine = workers[0]
        theirs = next(w for w in workers if w.county != mine.county)
        lines = {"own": own, "foreign": foreign}
        people = {"own": mine, "foreign": theirs}
        enterprise = {side: x[2].id for side, x in lines.items()}
        codes = {side: x[2].credit_code for side, x in lines.items()}
        names = {side: x[2].name for side, x in lines.items()}
        refs = {side: x[1] for side, x in lines.items()}
        line = {side: x[0] for side, x in lines.items()}
        county = {side: str(w.county) for side, w in people.items()}
        residence = {side: w.residence_region for side, w in people.items()}
        worker = {side: w.id for side, w in people.items()}
        institution = s.scalar(select(InstitutionRow.code).order_by(InstitutionRow.id))
    assert institution is not None
    headers = {
        "anonymous": {},
        "bureau": token(url, "bureau"),
        "enterprise": token(url, "enterprise", enterprise=codes["own"]),
        "counselor": token(url, "counselor", county=county["own"]),
    }
    ledgers = _demand_ledger(url, folder, codes, refs)
    with TestClient(create_app(url)) as client:
        own_plan = _run_plan(client, headers["bureau"])
        with session_scope(url) as s:  # the same plan, made by another planner
            done = s.get_one(PlanJobRow, own_plan)
            other, _ = create_principal(s, "bureau", name="another planner")
            copy = PlanJobRow(
                principal_id=other.id,
                status="done",
                options=done.options,
                result=done.result,
                workers=done.workers,
                finished_at=done.finished_at,
            )
            s.add(copy)
            s.flush()
            foreign_plan, own_planner, other_planner = copy.id, done.principal_id, other.id
        yield City(
            url=url,
            client=client,
            headers=headers,
            enterprise=enterprise,
            credit_code=codes,
            enterprise_name=names,
            line=line,
            county=county,
            residence=residence,
            worker=worker,
            plan={"own": own_plan, "foreign": foreign_plan},
            planner={"own": own_planner, "foreign": other_planner},
            demand_ledger=ledgers,
            institution=institution,
        )
    engine(url).dispose()


def test_matrix_covers_every_route() -> None:
    served = app_routes(create_app("sqlite://"))
    missing, extra = sorted(served - MATRIX.keys()), sorted(MATRIX.keys() - served)
    if missing or extra:
        pytest.fail(
            f"routes without an entry in MATRIX: {missing}; entries for routes that do not exist: {extra}"
        )
    if REQUESTS.keys() != MATRIX.keys():
        pytest.fail(
            f"MATRIX entries without a request: {sorted(MATRIX.keys() - REQUESTS.keys())}; "
            f"requests without a MATRIX entry: {sorted(REQUESTS.keys() - MATRIX.keys())}"
        )
    malformed = [
        f"{method} {path}"
        for (method, path), entry in MATRIX.items()
        if set(entry) != set(SUBJECTS)
        or not all(
            isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(s, int) for s in pair)
            for pair in entry.values()
        )
    ]
    if malformed:
        pytest.fail(f"entries without an (own, foreign) status for each of {SUBJECTS}: {malformed}")


def _credentials(city: City, subject: str) -> list[tuple[str, dict[str, str]]]:
    """The headers a subject asks with; one without a token asks with none and with one that is no token."""
    if subject == "anonymous":
        return [("no token", {}), ("invalid token", {"Authorization": "Bearer qjm_not-a-token"})]
    return [(subject, city.headers[subject])]


@pytest.mark.parametrize("route", list(MATRIX), ids=[f"{m} {p}" for m, p in MATRIX])
def test_matrix_holds(city: City, route: tuple[str, str]) -> None:
    mismatches = []
    for subject in SUBJECTS:
        for side, expected in zip(SIDES, MATRIX[route][subject], strict=True):
            for who, headers in _credentials(city, subject):
                call = REQUESTS[route](city, side)
                assert call.method == route[0], (route, call)
                answer = city.client.request(
                    call.method, call.url, json=call.json, files=call.files, headers=headers
                )
                if answer.status_code != expected:
                    text = answer.text if len(answer.text) <= SHOWN else answer.text[:SHOWN] + "…"
                    mismatches.append(
                        f"{who} {side}: expected {expected}, got {answer.status_code} ({call.url}): {text}"
                    )
    if mismatches:
        pytest.fail(f"{route[0]} {route[1]}:\n  " + "\n  ".join(mismatches), pytrace=False)


def test_uploads_outside_the_scope_are_refused_row_by_row(city: City) -> None:
    """The 422 of an upload outside the caller's scope names the rows and the rule they break."""
    lines = city.client.post(
        "/v1/demand-lines/upload",
        files=_csv("demand.csv", city.demand_ledger["foreign"]),
        headers=city.headers["enterprise"],
    )
    assert lines.status_code == 422 and "只能上传本企业" in lines.text, lines.text
    workers = city.client.post(
        "/v1/workers/upload",
        files=_csv("workers.csv", city.worker_sheet("foreign")),
        headers=city.headers["counselor"],
    )
    assert workers.status_code == 422 and "只能上传本县" in workers.text, workers.text
