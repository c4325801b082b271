"""The service's foundations: authentication, tenancy, personal data, audit, idempotency, limits."""

from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from matcher.store import session_scope
from matcher.store.tables import AuditRow, DemandLineRow, EnterpriseRow, WorkerRow
from tests.api_helpers import client, enterprise_body, id_number, line_body, served, token, worker_body


def count(url, table):
    with session_scope(url) as s:
        return s.scalar(select(func.count()).select_from(table))


def test_health_and_authentication(db_url):
    c = client(db_url)
    assert c.get("/health").json()["status"] == "ok"
    assert c.get("/v1/enterprises").status_code == 401
    assert c.get("/v1/enterprises", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_enterprise_sees_only_its_own(db_url):
    c = client(db_url)
    bureau = token(db_url, "bureau")
    mine = c.post("/v1/enterprises", json=enterprise_body(1), headers=bureau).json()
    theirs = c.post("/v1/enterprises", json=enterprise_body(2), headers=bureau).json()
    me = token(db_url, "enterprise", enterprise=mine["credit_code"])
    other = token(db_url, "enterprise", enterprise=theirs["credit_code"])

    line = c.post("/v1/demand-lines", json=line_body(mine["credit_code"]), headers=me)
    assert line.status_code == 201, line.text
    line_id = line.json()["id"]
    # another tenant's objects answer 404, exactly like missing ones
    for path in (f"/v1/demand-lines/{line_id}", f"/v1/enterprises/{mine['id']}"):
        assert c.get(path, headers=other).status_code == 404
    assert c.patch(f"/v1/demand-lines/{line_id}", json={"headcount": 9}, headers=other).status_code == 404
    assert c.post(f"/v1/demand-lines/{line_id}/close", headers=other).status_code == 404
    assert (
        c.post("/v1/demand-lines", json=line_body(mine["credit_code"], "L2"), headers=other).status_code
        == 404
    )
    assert c.get("/v1/demand-lines", headers=other).json()["total"] == 0
    assert c.get("/v1/demand-lines", headers=me).json()["total"] == 1
    # the owner changes and closes its line; a closed line is frozen
    assert c.patch(f"/v1/demand-lines/{line_id}", json={"headcount": 9}, headers=me).json()["headcount"] == 9
    assert c.post(f"/v1/demand-lines/{line_id}/close", headers=me).json()["status"] == "closed"
    assert c.patch(f"/v1/demand-lines/{line_id}", json={"headcount": 2}, headers=me).status_code == 409
    # enterprises do not reach workers at all
    assert c.get("/v1/workers", headers=me).status_code == 403


def test_unlawful_line_is_refused_with_reason(db_url):
    c = client(db_url)
    bureau = token(db_url, "bureau")
    code = c.post("/v1/enterprises", json=enterprise_body(1), headers=bureau).json()["credit_code"]
    r = c.post("/v1/demand-lines", json=line_body(code, description="限男性"), headers=bureau)
    assert r.status_code == 422 and "第二十七条" in r.text
    assert count(db_url, DemandLineRow) == 0


def test_counselor_scope_masking_and_audit(db_url):
    c = client(db_url)
    qilin = token(db_url, "counselor", county="530302")
    fuyuan = token(db_url, "counselor", county="530325")
    body = worker_body()
    created = c.post("/v1/workers", json=body, headers=qilin)
    assert created.status_code == 201, created.text
    worker = created.json()
    assert worker["id_masked"] == body["id_number"][:4] + "*" * 10 + body["id_number"][-4:]
    assert body["id_number"] not in created.text
    assert c.get(f"/v1/workers/{worker['id']}", headers=fuyuan).status_code == 404
    assert c.post("/v1/workers", json=worker_body(seq=124), headers=fuyuan).status_code == 403
    before = count(db_url, AuditRow)
    got = c.get(f"/v1/workers/{worker['id']}?purpose=verification", headers=qilin).json()
    assert got["groups"] == ["poverty_registered"]
    with session_scope(db_url) as s:
        last = s.scalars(select(AuditRow).order_by(AuditRow.id.desc())).first()
        assert count(db_url, AuditRow) == before + 1
        assert last.worker_id == worker["id"] and last.purpose == "verification" and last.role == "counselor"
        assert {"id_masked", "name", "groups"} <= set(last.fields)
    # nothing of the ID number is stored in clear
    with session_scope(db_url) as s:
        row = s.get(WorkerRow, worker["id"])
        assert body["id_number"] not in (row.id_hash + row.id_masked)


def test_worker_update_revalidates(db_url):
    c = client(db_url)
    bureau = token(db_url, "bureau")
    body = worker_body(registered_unemployed_since="2021-03-01")
    wid = c.post("/v1/workers", json=body, headers=bureau).json()["id"]
    r = c.patch(f"/v1/workers/{wid}", json={"employment_status": "employed"}, headers=bureau)
    assert r.status_code == 422 and "registered_unemployed_since" in r.text
    r = c.patch(f"/v1/workers/{wid}", json={"education": "bachelor"}, headers=bureau)
    assert r.status_code == 200 and r.json()["education"] == "bachelor"
    assert (
        c.patch(f"/v1/workers/{wid}", json={"residence_region": "nowhere"}, headers=bureau).status_code == 422
    )
    assert c.patch(f"/v1/workers/{wid}", json={"id_number": id_number()}, headers=bureau).status_code == 422


def test_idempotent_create_replays_and_refuses_other_body(db_url):
    c = client(db_url)
    bureau = token(db_url, "bureau")
    h = {**bureau, "Idempotency-Key": "k-1"}
    first = c.post("/v1/enterprises", json=enterprise_body(1), headers=h)
    again = c.post("/v1/enterprises", json=enterprise_body(1), headers=h)
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert again.headers.get("Idempotent-Replay") == "true"
    other = c.post("/v1/enterprises", json=enterprise_body(2), headers=h)
    assert other.status_code == 422 and "另一个请求体" in other.text
    assert count(db_url, EnterpriseRow) == 1


def test_fifty_concurrent_identical_requests_create_one_row(db_url):
    bureau = token(db_url, "bureau")
    h = {**bureau, "Idempotency-Key": "same-key"}
    with (
        served(db_url) as base,
        httpx.Client(base_url=base, timeout=60) as http,
        ThreadPoolExecutor(50) as pool,
    ):
        answers = list(
            pool.map(lambda _: http.post("/v1/enterprises", json=enterprise_body(7), headers=h), range(50))
        )
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1
    assert count(db_url, EnterpriseRow) == 1


def test_fifty_concurrent_identical_lines_and_workers_one_row_each_never_a_500(db_url):
    bureau = token(db_url, "bureau")
    code = client(db_url).post("/v1/enterprises", json=enterprise_body(8), headers=bureau).json()["credit_code"]
    cases = [
        ("/v1/demand-lines", line_body(code, "L8"), DemandLineRow),
        ("/v1/workers", worker_body(seq=88), WorkerRow),
    ]
    with served(db_url) as base, httpx.Client(base_url=base, timeout=60) as http:
        for path, body, table in cases:
            for key in ("same-key", None):  # a replay of one key; a racing create without one
                headers = bureau if key is None else {**bureau, "Idempotency-Key": f"{key}-{path}"}
                with ThreadPoolExecutor(50) as pool:
                    sent = [pool.submit(http.post, path, json=body, headers=headers) for _ in range(50)]
                    answers = [f.result() for f in sent]
                codes = {a.status_code for a in answers}
                assert codes <= {201, 409}, (path, key, sorted(a.status_code for a in answers))
            assert count(db_url, table) == 1


def test_limits(db_url):
    c = client(db_url)
    bureau = token(db_url, "bureau")
    assert c.get("/v1/enterprises?limit=101", headers=bureau).status_code == 422
    big = c.post("/v1/enterprises", content=b"{" + b" " * (1 << 21) + b"}", headers=bureau)
    assert big.status_code == 413 and "请缩小" in big.json()["detail"]


def test_errors_name_the_field_and_what_the_path_takes(db_url):
    c = client(db_url)
    bureau = token(db_url, "bureau")
    typo = c.get("/v1/enterprises?limt=5", headers=bureau)
    assert typo.status_code == 422
    assert typo.json()["detail"] == [
        {"field": "query.limt", "message": "不认识的参数，请删去或改正；此路由接受：limit, offset"}
    ]
    bad = c.post("/v1/enterprises", json={**enterprise_body(1), "credit_code": 7}, headers=bureau)
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "body.credit_code"
    assert "input" not in bad.json()["detail"][0]  # a rejected value (maybe an ID number) is not echoed
    wrong = c.delete("/v1/enterprises", headers=bureau)
    assert wrong.status_code == 405 and set(wrong.headers["allow"].split(", ")) == {"GET", "POST"}
    assert c.get("/v1/enterprises/99999999999", headers=bureau).status_code == 422


def test_ledger_uploads_are_all_or_nothing_and_scoped(db_url):
    c = client(db_url)
    bureau = token(db_url, "bureau")
    with open("data/templates/demand.xlsx", "rb") as f:
        r = c.post("/v1/demand-lines/upload", files={"file": ("demand.xlsx", f.read())}, headers=bureau)
    assert r.status_code == 200, r.text
    assert r.json()["counts"]["demand_lines"]["created"] == 3
    codes = [e["credit_code"] for e in c.get("/v1/enterprises", headers=bureau).json()["items"]]
    me = token(db_url, "enterprise", enterprise=codes[0])
    lines_before = count(db_url, DemandLineRow)
    with open("data/templates/demand.csv", "rb") as f:
        r = c.post("/v1/demand-lines/upload", files={"file": ("demand.csv", f.read())}, headers=me)
    assert r.status_code == 422 and "只能上传本企业" in r.text
    assert count(db_url, DemandLineRow) == lines_before
    qilin = token(db_url, "counselor", county="530302")
    with open("data/templates/workers.csv", "rb") as f:
        body = f.read()
    r = c.post("/v1/workers/upload", files={"file": ("w.csv", body)}, headers=qilin)
    assert r.status_code == 422 and "只能上传本县" in r.text
    assert count(db_url, WorkerRow) == 0
    r = c.post("/v1/workers/upload", files={"file": ("w.txt", body)}, headers=bureau)
    assert r.status_code == 422 and ".xls 或 .csv" in r.text
    r = c.post("/v1/workers/upload", files={"file": ("w.csv", body)}, headers=bureau)
    assert r.status_code == 200 and r.json()["counts"]["workers"]["created"] == 3


def test_enterprise_principal_by_credit_code_or_id(db_url):
    from matcher.ids import uscc_check_char

    digits = next(
        body + uscc_check_char(body)
        for body in (f"91530302{n:09d}" for n in range(100))
        if uscc_check_char(body).isdigit()
    )
    bureau = token(db_url, "bureau")
    firm = client(db_url).post(
        "/v1/enterprises", json={**enterprise_body(1), "credit_code": digits}, headers=bureau
    )
    assert firm.status_code == 201, firm.text
    for ref in (digits, str(firm.json()["id"])):  # an all-digit credit code is not read as an id
        me = token(db_url, "enterprise", enterprise=ref)
        assert client(db_url).get(f"/v1/enterprises/{firm.json()['id']}", headers=me).status_code == 200
