"""City plans through the service: queued, run in the background, read with audit, downloaded, refused."""

from __future__ import annotations

import io
import os
import socket
import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from api.app import create_app
from api.plan_jobs import INTERRUPTED, PlanRunner
from matcher.store import session_scope
from matcher.store.tables import AuditRow, EnterpriseRow, PlanJobRow, WorkerRow
from matcher.synth import build_city
from tests.api_helpers import client, token

WAIT_SECONDS = 300


@pytest.fixture
def tiny_city(db_url: str) -> str:
    build_city(n_workers=300, seed=2, url=db_url, progress=False)
    return db_url


def _count(url: str, table: type) -> int:
    with session_scope(url) as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)


def _wait(c: TestClient, plan_id: int, headers: dict[str, str]) -> dict:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        job = c.get(f"/v1/plans/{plan_id}", headers=headers).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"plan {plan_id} did not finish in {WAIT_SECONDS} s")


def test_plan_job_runs_and_its_workers_are_read_with_audit(tiny_city: str) -> None:
    url = tiny_city
    c, bureau = client(url), token(url, "bureau")
    body = {"budget": 200_000, "min_class_size": 2}
    first = c.post("/v1/plans", json=body, headers={**bureau, "Idempotency-Key": "plan-1"})
    assert first.status_code == 202, first.text
    assert first.json()["status"] == "queued" and first.json()["plan"] is None
    replay = c.post("/v1/plans", json=body, headers={**bureau, "Idempotency-Key": "plan-1"})
    assert replay.json()["id"] == first.json()["id"] and _count(url, PlanJobRow) == 1

    job = _wait(c, first.json()["id"], bureau)
    assert job["status"] == "done", job["error"]
    plan = job["plan"]
    assert "workers" not in plan and job["workers_assigned"] == plan["totals"]["assigned"] > 0
    assert plan["totals"]["subsidies"] <= 200_000
    listed = c.get("/v1/plans", headers=bureau).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == job["id"]

    audited = _count(url, AuditRow)
    page = c.get(f"/v1/plans/{job['id']}/workers?limit=7", headers=bureau).json()
    assert page["total"] == job["workers_assigned"] and len(page["items"]) == 7
    assert all(isinstance(w["groups"], list) for w in page["items"])  # the bureau sees the flags, audited
    assert _count(url, AuditRow) == audited + 7
    trainee = next(
        w
        for w in c.get(f"/v1/plans/{job['id']}/workers?limit=100", headers=bureau).json()["items"]
        if w["assignment"] == "training"
    )
    assert trainee["class"]["programme_code"] and all(i["article"] for i in trainee["subsidy"]["items"])

    audited = _count(url, AuditRow)
    book = c.get(f"/v1/plans/{job['id']}/xlsx", headers=bureau)
    assert book.status_code == 200 and "attachment" in book.headers["content-disposition"]
    sheets = load_workbook(io.BytesIO(book.content), read_only=True).sheetnames
    assert sheets[0] == "总览" and len(sheets) >= 5
    assert _count(url, AuditRow) > audited

    # text stored before it was checked (a formula, control and bidi characters) is written as plain text
    with session_scope(url) as s:
        row = s.get_one(PlanJobRow, job["id"])
        workers = [dict(w) for w in row.workers or []]
        placed = next(w for w in workers if w["line"])
        placed["line"] = {
            **placed["line"],
            "title": '=HYPERLINK("http://x.test")',
            "enterprise": {**placed["line"]["enterprise"], "name": "曲靖\x07\u202e企业"},
        }
        row.workers = workers
    book = c.get(f"/v1/plans/{job['id']}/xlsx", headers=bureau)
    assert book.status_code == 200, book.text
    cells = [cell for row in load_workbook(io.BytesIO(book.content))["人员安排"].iter_rows() for cell in row]
    title = next(cell for cell in cells if cell.value == '=HYPERLINK("http://x.test")')
    assert title.data_type == "s" and title.quotePrefix and all(cell.data_type != "f" for cell in cells)
    assert any(cell.value == "曲靖企业" for cell in cells)


def test_plans_are_for_the_bureau_and_refused_when_too_large(tiny_city: str) -> None:
    url = tiny_city
    c, bureau = client(url), token(url, "bureau")
    with session_scope(url) as s:
        county = s.scalar(select(WorkerRow.county).order_by(WorkerRow.id))
        enterprise = s.scalar(select(EnterpriseRow.credit_code).order_by(EnterpriseRow.id))
    for other in (token(url, "enterprise", enterprise=enterprise), token(url, "counselor", county=county)):
        assert c.post("/v1/plans", json={}, headers=other).status_code == 403
        assert c.get("/v1/plans", headers=other).status_code == 403

    too_many = c.post("/v1/plans", json={"max_workers": 10}, headers=bureau)
    assert too_many.status_code == 422 and "300 人" in too_many.json()["detail"]
    c.app.state.plan_max_workers = 100  # type: ignore[attr-defined]
    over_limit = c.post("/v1/plans", json={}, headers=bureau)
    assert over_limit.status_code == 422 and "最多 100 人" in over_limit.json()["detail"]
    unknown = c.post("/v1/plans", json={"budget": 1, "colour": "red"}, headers=bureau)
    assert unknown.status_code == 422
    assert _count(url, PlanJobRow) == 0

    assert c.get("/v1/plans/999", headers=bureau).status_code == 404
    with session_scope(url) as s:
        s.add(PlanJobRow(principal_id=1, status="queued", options={}))
    queued = c.get("/v1/plans", headers=bureau).json()["items"][0]["id"]
    answer = c.get(f"/v1/plans/{queued}/xlsx", headers=bureau)
    assert (
        answer.status_code == 409
        and "queued" in answer.json()["detail"]
        and "请等" in answer.json()["detail"]
    )


def test_a_failing_plan_ends_failed_with_its_reason(tiny_city: str) -> None:
    url = tiny_city
    token(url, "bureau")
    with session_scope(url) as s:
        s.add(PlanJobRow(principal_id=1, status="queued", options={"max_workers": 5}))
    runner = PlanRunner(url)
    assert runner.claim() == 1 and runner.claim() is None
    runner.run(1)
    with session_scope(url) as s:
        job = s.get_one(PlanJobRow, 1)
        assert job.status == "failed" and "max_workers" in (job.error or "") and job.finished_at


def test_jobs_left_running_by_a_stopped_process_fail_when_the_service_starts(db_url: str) -> None:
    token(db_url, "bureau")
    earlier = datetime.now(UTC) - timedelta(minutes=5)
    with session_scope(db_url) as s:
        s.add_all(
            PlanJobRow(principal_id=1, status=st, options={}, created_at=earlier, heartbeat_at=beat)
            for st, beat in (("running", earlier), ("running", None), ("done", earlier))
        )
        # killed on this host a moment ago; alive here (this process) and on another host
        for name in (
            f"{socket.gethostname()}:{2**22 + 1}",
            f"{socket.gethostname()}:{os.getpid()}",
            "other:1",
        ):
            s.add(
                PlanJobRow(
                    principal_id=1,
                    status="running",
                    options={},
                    claimed_by=name,
                    heartbeat_at=datetime.now(UTC),
                )
            )
    with TestClient(create_app(db_url)):
        pass
    with session_scope(db_url) as s:
        rows = s.scalars(select(PlanJobRow).order_by(PlanJobRow.id)).all()
        assert [r.status for r in rows] == ["failed", "failed", "done", "failed", "running", "running"]
        assert rows[0].error == INTERRUPTED
