"""The service on a sample city: recommendations, reports, and no ID number ever in a response."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from matcher.ids import candidate_ref, worker_of_ref
from matcher.privacy import ID_NUMBER
from matcher.store import session_scope
from matcher.store.tables import AuditRow, DemandLineRow, EnterpriseRow, ProgrammeRow, WorkerRow
from tests.api_helpers import client, token
from tests.test_model_city import small_city


@pytest.fixture(scope="module")
def city(tmp_path_factory):  # type: ignore[no-untyped-def]
    url = small_city(tmp_path_factory)
    with session_scope(url) as s:
        worker_id, county = s.execute(select(WorkerRow.id, WorkerRow.county).order_by(WorkerRow.id)).first()
        enterprise = s.scalar(select(EnterpriseRow.credit_code).order_by(EnterpriseRow.id))
    return url, worker_id, county, enterprise


def test_recommendations_scoped_and_audited(city):  # type: ignore[no-untyped-def]
    url, wid, county, enterprise = city
    c = client(url)
    mine = token(url, "counselor", county=county)
    other_county = "530381" if county != "530381" else "530302"
    with session_scope(url) as s:
        before = s.scalar(select(func.count()).select_from(AuditRow))
    r = c.get(f"/v1/workers/{wid}/recommendations?k=5", headers=mine)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["worker_id"] == wid and len(body["jobs"]) <= 5
    assert all(item["reasons"] for item in body["jobs"] + body["pathways"])
    with session_scope(url) as s:
        assert s.scalar(select(func.count()).select_from(AuditRow)) == before + 1
    assert (
        c.get(
            f"/v1/workers/{wid}/recommendations", headers=token(url, "counselor", county=other_county)
        ).status_code
        == 404
    )
    assert (
        c.get(
            f"/v1/workers/{wid}/recommendations", headers=token(url, "enterprise", enterprise=enterprise)
        ).status_code
        == 403
    )


def test_progress_report(city):  # type: ignore[no-untyped-def]
    url, _, county, enterprise = city
    c = client(url)
    r = c.get("/v1/reports/progress?period=quarter", headers=token(url, "bureau"))
    assert r.status_code == 200
    report = r.json()
    assert report["targets"]["subsidised_trainings_2019_2021"]["target"] == 180_000
    assert report["targets"]["subsidised_trainings_2019_2021"]["achieved"] == sum(
        f["trainings"] for f in report["figures"] if f["period"][:4] in ("2019", "2020", "2021")
    )
    assert all(f["period"] <= report["as_of"][:4] + "-Q4" for f in report["figures"])
    assert all("-Q" in f["period"] for f in report["figures"])
    counselor = token(url, "counselor", county=county)
    mine = c.get("/v1/reports/progress", headers=counselor).json()
    assert {f["county"] for f in mine["figures"]} == {county}
    assert (
        c.get(
            "/v1/reports/progress?county=530381"
            if county != "530381"
            else "/v1/reports/progress?county=530302",
            headers=counselor,
        ).status_code
        == 403
    )
    assert (
        c.get("/v1/reports/progress", headers=token(url, "enterprise", enterprise=enterprise)).status_code
        == 403
    )


def _open_line(url: str) -> tuple[int, str]:
    with session_scope(url) as s:
        line_id, enterprise_id = s.execute(
            select(DemandLineRow.id, DemandLineRow.enterprise_id)
            .where(DemandLineRow.status == "open", DemandLineRow.work_region.like("53%"))
            .order_by(DemandLineRow.end_date.desc(), DemandLineRow.id)
        ).first()
        return line_id, s.get_one(EnterpriseRow, enterprise_id).credit_code


def test_candidates_masked_consenting_and_audited(city):  # type: ignore[no-untyped-def]
    url, _, county, enterprise = city
    c = client(url)
    line_id, owner = _open_line(url)
    mine = token(url, "enterprise", enterprise=owner)
    r = c.get(f"/v1/demand-lines/{line_id}/candidates?k=8", headers=mine)
    assert r.status_code == 200, r.text
    body = r.json()
    shown = body["candidates"]
    assert shown and [x["rank"] for x in shown] == list(range(1, len(shown) + 1))
    assert [x["score"] for x in shown] == sorted((x["score"] for x in shown), reverse=True)
    ids = [worker_of_ref(line_id, x["ref"]) for x in shown]
    for x in shown:
        # what recruiting needs, and nothing that names, sexes, locates or dates the person
        assert x["worker"] is None and x["priority_reasons"] is None
        assert set(x["profile"]) == {
            "county", "education", "certificates", "experience", "wanted_occupations", "min_wage"
        }
        assert all("issued_on" not in cert for cert in x["profile"]["certificates"])
        assert all(reason["code"] != "priority_group" for reason in x["reasons"])
        assert x["flags"]["feasible"] and x["flags"]["subsidy"] is None
    with session_scope(url) as s:
        assert all(s.get_one(WorkerRow, i).consent_to_share for i in ids)
        audit = s.scalars(select(AuditRow).order_by(AuditRow.id.desc()).limit(len(shown))).all()
        assert {a.worker_id for a in audit} == set(ids)
        assert {(a.role, a.purpose) for a in audit} == {("enterprise", "recruitment")}
        # a worker who withdraws consent is not shown again
        s.get_one(WorkerRow, ids[0]).consent_to_share = False
    again = c.get(f"/v1/demand-lines/{line_id}/candidates?k=8", headers=mine).json()["candidates"]
    assert ids[0] not in {worker_of_ref(line_id, x["ref"]) for x in again}
    # the same person has an unrelated reference on another line
    assert candidate_ref(line_id + 1, ids[1]) != shown[1]["ref"]

    bureau = c.get(f"/v1/demand-lines/{line_id}/candidates?k=3", headers=token(url, "bureau")).json()
    assert all(x["worker"]["name"] for x in bureau["candidates"])
    assert all(worker_of_ref(line_id, x["ref"]) == x["worker"]["id"] for x in bureau["candidates"])
    assert (
        c.get(
            f"/v1/demand-lines/{line_id}/candidates", headers=token(url, "counselor", county=county)
        ).status_code
        == 403
    )
    if enterprise != owner:
        other = token(url, "enterprise", enterprise=enterprise)
        assert c.get(f"/v1/demand-lines/{line_id}/candidates", headers=other).status_code == 404
    with session_scope(url) as s:
        s.get_one(DemandLineRow, line_id).status = "closed"
    closed = c.get(f"/v1/demand-lines/{line_id}/candidates", headers=mine)
    with session_scope(url) as s:
        s.get_one(DemandLineRow, line_id).status = "open"
        s.get_one(WorkerRow, ids[0]).consent_to_share = True
    assert closed.status_code == 409 and "closed" in closed.json()["detail"]


def test_no_response_to_an_enterprise_or_counselor_holds_an_id_number(city):  # type: ignore[no-untyped-def]
    url, wid, county, enterprise = city
    c = client(url)
    counselor = token(url, "counselor", county=county)
    firm = token(url, "enterprise", enterprise=enterprise)
    line_id, owner_code = _open_line(url)
    owner = token(url, "enterprise", enterprise=owner_code)
    paths = [
        "/v1/workers?limit=100",
        f"/v1/workers/{wid}",
        f"/v1/workers/{wid}/recommendations",
        "/v1/enterprises",
        "/v1/demand-lines?limit=100",
        "/v1/programmes?limit=100",
        "/v1/reports/progress",
        f"/v1/demand-lines/{line_id}/candidates?k=50",
    ]
    for headers in (counselor, firm, owner):
        for path in paths:
            r = c.get(path, headers=headers)
            assert not ID_NUMBER.search(r.text), (path, r.status_code)


def test_an_enterprise_sees_open_classes_and_its_own_orders_only(city):  # type: ignore[no-untyped-def]
    url = city[0]
    with session_scope(url) as s:
        orders = dict(
            s.execute(
                select(ProgrammeRow.id, EnterpriseRow.credit_code)
                .join(EnterpriseRow, EnterpriseRow.id == ProgrammeRow.enterprise_id)
            ).all()
        )
        total = s.scalar(select(func.count()).select_from(ProgrammeRow))
    assert len(set(orders.values())) >= 2  # two enterprises ordered classes
    c = client(url)
    firm = next(iter(orders.values()))


    def catalogue(headers: dict[str, str]) -> list[int]:
        ids: list[int] = []
        while not ids or len(ids) % 100 == 0:
            page = c.get(f"/v1/programmes?limit=100&offset={len(ids)}", headers=headers).json()["items"]
            if not page:
                break
            ids += [p["id"] for p in page]
        return ids

    seen = set(catalogue(token(url, "enterprise", enterprise=firm)))
    theirs = {pid for pid, code in orders.items() if code != firm}
    assert not seen & theirs
    assert {pid for pid, code in orders.items() if code == firm} <= seen
    assert len(seen) == total - len(theirs)
    assert len(catalogue(token(url, "bureau"))) == total
