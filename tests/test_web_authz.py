"""Who may open which page, over every page route: signed out, each role on its own objects, and every form
refused without the session's CSRF value. Fails when a page route has no entry."""

from __future__ import annotations

import re
from typing import Any

import fastapi.routing
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from matcher.principals import create_principal
from matcher.referrals import issue_referral
from matcher.store import session_scope
from matcher.store.tables import DemandLineRow, PlanJobRow, WorkerRow
from matcher.synth import build_city
from web import is_page

ROLES = ("bureau", "enterprise", "counselor")
# GET path template -> status for (bureau, enterprise, counselor) on objects of their own
GETS: dict[str, tuple[int, int, int]] = {
    "/": (303, 303, 303),
    "/workers": (200, 403, 200),
    "/workers/new": (200, 403, 200),
    "/workers/{worker_id:int}": (200, 403, 200),
    "/workers/{worker_id:int}/edit": (200, 403, 200),
    "/referrals/{referral_id:int}": (200, 403, 200),
    "/enterprise": (403, 200, 403),
    "/enterprise/classes": (403, 200, 403),
    "/occupations/suggest": (200, 200, 200),
    "/lines/new": (403, 200, 403),
    "/lines/{line_id:int}/edit": (403, 200, 403),
    "/lines/{line_id:int}/candidates": (403, 200, 403),
    "/upload": (403, 200, 200),
    "/dashboard": (200, 403, 403),
    "/plans": (200, 403, 403),
    "/plans/{plan_id:int}": (200, 403, 403),
    "/plans/{plan_id:int}/status": (200, 403, 403),
    "/plans/{plan_id:int}/xlsx": (409, 403, 403),
    "/plans/compare": (409, 403, 403),
    "/reports/21": (200, 403, 403),
    "/reports/21.xlsx": (200, 403, 403),
}
POSTS = {
    "/logout",
    "/workers/new",
    "/workers/{worker_id:int}/edit",
    "/workers/{worker_id:int}/referrals",
    "/referrals/{referral_id:int}/outcome",
    "/lines/new",
    "/lines/{line_id:int}/edit",
    "/lines/{line_id:int}/close",
    "/lines/{line_id:int}/shortlist",
    "/lines/{line_id:int}/request",
    "/upload",
    "/plans",
}
SIGN_IN = {("GET", "/login"), ("POST", "/login")}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from matcher.store import migrate

    url = f"sqlite:///{tmp_path_factory.mktemp('web_authz') / 'city.db'}"
    migrate(url)
    build_city(n_workers=300, seed=2, url=url, progress=False)
    with session_scope(url) as s:
        worker = s.scalars(select(WorkerRow).order_by(WorkerRow.id)).first()
        line = s.scalars(select(DemandLineRow).where(DemandLineRow.status == "open")).first()
        assert worker is not None and line is not None
        counselor, counselor_token = create_principal(s, "counselor", name="c", county=worker.county)
        tokens = {
            "bureau": create_principal(s, "bureau", name="b")[1],
            "enterprise": create_principal(s, "enterprise", name="e", enterprise=str(line.enterprise_id))[1],
            "counselor": counselor_token,
        }
        referral = issue_referral(s, counselor, worker, worker.created_at.date(), demand_line_id=line.id)
        job = PlanJobRow(principal_id=counselor.id, status="failed", options={}, error="x")
        s.add(job)
        s.flush()
        ids = {"worker_id": worker.id, "line_id": line.id, "referral_id": referral.id, "plan_id": job.id}
    return {"url": url, "tokens": tokens, "ids": ids, "county": worker.county}


def page_routes() -> set[tuple[str, str]]:
    app = create_app("sqlite://")
    flatten = getattr(fastapi.routing, "iter_route_contexts", None)
    routes = flatten(app.routes) if flatten else app.routes
    return {
        (m, str(getattr(r, "path", "")))
        for r in routes
        if is_page(r) and getattr(r, "name", None) != "static"
        for m in set(getattr(r, "methods", None) or ()) - {"HEAD"}
    }


def test_every_page_route_has_an_entry() -> None:
    listed = {("GET", p) for p in GETS} | {("POST", p) for p in POSTS} | SIGN_IN
    assert page_routes() == listed


def signed_in(url: str, token: str) -> TestClient:
    client = TestClient(create_app(url), follow_redirects=False)
    form = client.get("/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    assert client.post("/login", data={"token": token, "csrf": csrf}).status_code == 303
    return client


def _url(template: str, ids: dict[str, int]) -> str:
    path = re.sub(r"\{(\w+):int\}", lambda m: str(ids[m.group(1)]), template)
    if template == "/plans/compare":
        path += f"?a={ids['plan_id']}&b={ids['plan_id']}"
    if template == "/reports/21.xlsx":
        path += "?period=year&label=2020"
    return path


def test_each_role_opens_its_own_pages_only(site: dict[str, Any]) -> None:
    anonymous = TestClient(create_app(site["url"]), follow_redirects=False)
    for template in GETS:
        answer = anonymous.get(_url(template, site["ids"]))
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login"), template
    for i, role in enumerate(ROLES):
        client = signed_in(site["url"], site["tokens"][role])
        for template, expected in GETS.items():
            answer = client.get(_url(template, site["ids"]))
            assert answer.status_code == expected[i], (role, template, answer.text[:300])
        for template in POSTS:  # every form needs the session's CSRF value
            answer = client.post(_url(template, site["ids"]), data={"csrf": "forged"})
            assert answer.status_code == 403, (role, template)
            assert "CSRF" in answer.text


def test_another_tenants_object_answers_like_a_missing_one(site: dict[str, Any]) -> None:
    other = "530381" if site["county"] != "530381" else "530302"
    with session_scope(site["url"]) as s:
        foreign_worker = s.scalar(select(WorkerRow.id).where(WorkerRow.county != site["county"]))
        foreign_line = s.scalar(
            select(DemandLineRow.id).where(
                DemandLineRow.enterprise_id
                != select(DemandLineRow.enterprise_id)
                .where(DemandLineRow.id == site["ids"]["line_id"])
                .scalar_subquery()
            )
        )
        _, elsewhere = create_principal(s, "counselor", name="o", county=other)
    counselor = signed_in(site["url"], site["tokens"]["counselor"])
    for path in (f"/workers/{foreign_worker}", f"/workers/{foreign_worker}/edit"):
        assert counselor.get(path).status_code == counselor.get("/workers/99999999").status_code == 404
    stranger = signed_in(site["url"], elsewhere)
    assert stranger.get(f"/referrals/{site['ids']['referral_id']}").status_code == 404
    enterprise = signed_in(site["url"], site["tokens"]["enterprise"])
    for path in (f"/lines/{foreign_line}/edit", f"/lines/{foreign_line}/candidates"):
        assert enterprise.get(path).status_code == 404
