"""The service on a sample city: recommendations, reports, and no ID number ever in a response."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from matcher.privacy import ID_NUMBER
from matcher.store import session_scope
from matcher.store.tables import AuditRow, EnterpriseRow, WorkerRow
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
        f["trainings"] for f in report["figures"]
    )
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


def test_no_response_to_an_enterprise_or_counselor_holds_an_id_number(city):  # type: ignore[no-untyped-def]
    url, wid, county, enterprise = city
    c = client(url)
    counselor = token(url, "counselor", county=county)
    firm = token(url, "enterprise", enterprise=enterprise)
    paths = [
        "/v1/workers?limit=100",
        f"/v1/workers/{wid}",
        f"/v1/workers/{wid}/recommendations",
        "/v1/enterprises",
        "/v1/demand-lines?limit=100",
        "/v1/programmes?limit=100",
        "/v1/reports/progress",
    ]
    for headers in (counselor, firm):
        for path in paths:
            r = c.get(path, headers=headers)
            assert not ID_NUMBER.search(r.text), (path, r.status_code)
