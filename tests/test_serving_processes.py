"""Several processes over one store: each keeps its matching view current, and they share one plan queue in
which a job is claimed by exactly one process (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import select, update

from matcher.config import PROJECT_DIR
from matcher.store import session_scope
from matcher.store.tables import DemandLineRow, PlanJobRow
from matcher.synth import build_city
from tests.api_helpers import free_port, token
from tests.test_live_matching import _worker_with_jobs

CLAIM_ALL = """
import json, sys
from api.plan_jobs import PlanRunner
runner, taken = PlanRunner(sys.argv[1]), []
print("ready", flush=True)
sys.stdin.readline()
while (job := runner.claim()) is not None:
    taken.append(job)
print(json.dumps(taken), flush=True)
"""


@contextmanager
def _server(url: str) -> Iterator[tuple[str, int]]:
    """`matcher serve`'s app in a process of its own: its address and pid."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "MATCHER_REFRESH_SECONDS": "0.2"}
    cmd = [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--port", str(port)]
    proc = subprocess.Popen([*cmd, "--log-level", "warning"], cwd=PROJECT_DIR, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
            time.sleep(0.1)
        yield base, proc.pid
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.fixture
def city(db_url: str) -> str:
    build_city(n_workers=800, seed=3, url=db_url, progress=False)
    return db_url


def test_two_serving_processes_both_see_a_change(city: str) -> None:
    wid, county, jobs = _worker_with_jobs(city)
    counselor = token(city, "counselor", county=county)
    path = f"/v1/workers/{wid}/recommendations?k=5"
    with _server(city) as (one, _), _server(city) as (two, _):
        for base in (one, two):
            before = httpx.get(base + path, headers=counselor, timeout=60).json()
            assert jobs[0] in {j["line_id"] for j in before["jobs"]}
        with session_scope(city) as s:
            s.execute(update(DemandLineRow).where(DemandLineRow.id == jobs[0]).values(status="closed"))
        time.sleep(1.0)  # each process's own poll has read the change by now
        for base in (one, two):
            after = httpx.get(base + path, headers=counselor, timeout=60).json()
            assert jobs[0] not in {j["line_id"] for j in after["jobs"]}


def test_racing_processes_claim_each_queued_job_once(db_url: str) -> None:
    token(db_url, "bureau")
    with session_scope(db_url) as s:
        s.add_all(PlanJobRow(principal_id=1, status="queued", options={}) for _ in range(60))
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIM_ALL, db_url],
            cwd=PROJECT_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for p in procs:
        assert p.stdout and p.stdout.readline().strip() == "ready"
    for p in procs:  # both start claiming at once
        assert p.stdin
        p.stdin.write("go\n")
        p.stdin.flush()
    taken = [json.loads(p.communicate(timeout=120)[0]) for p in procs]
    assert sorted(taken[0] + taken[1]) == list(range(1, 61))
    with session_scope(db_url) as s:
        names = s.execute(select(PlanJobRow.claimed_by)).scalars().all()
        assert {n.rsplit(":", 1)[1] for n in names} <= {str(p.pid) for p in procs}


def test_a_plan_job_is_run_by_exactly_one_of_two_serving_processes(db_url: str) -> None:
    build_city(n_workers=300, seed=2, url=db_url, progress=False)
    bureau = token(db_url, "bureau")
    with _server(db_url) as (one, pid_one), _server(db_url) as (two, pid_two):
        ids = [
            httpx.post(f"{base}/v1/plans", json={"min_class_size": 2}, headers=bureau, timeout=60).json()[
                "id"
            ]
            for base in (one, two)
        ]
        deadline = time.monotonic() + 300
        while True:
            with session_scope(db_url) as s:
                jobs = s.scalars(select(PlanJobRow).where(PlanJobRow.id.in_(ids))).all()
                if all(j.status not in ("queued", "running") for j in jobs):
                    break
            assert time.monotonic() < deadline, [j.status for j in jobs]
            time.sleep(0.5)
    assert [j.status for j in jobs] == ["done", "done"], [j.error for j in jobs]
    assert {j.claimed_by.rsplit(":", 1)[1] for j in jobs if j.claimed_by} <= {str(pid_one), str(pid_two)}
