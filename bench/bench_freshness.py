"""Freshness benchmark: from the commit of a change to the first served answer that reflects it.

Usage: `python bench/bench_freshness.py [--rounds 20] [--server-workers 1] [--json PATH]`.

The app is served by uvicorn in its own process(es) over the store at `DATABASE_URL` (the sample city), as
`matcher serve` runs it (matching view polled every `MATCHER_REFRESH_SECONDS`, default 0.5). Each round, a
script (not the API: any writer counts) commits one change and at once asks the service, again and again,
until the answer shows it:

- a line closed: a worker's first recommended job is closed; lag until it is gone from the worker's jobs;
- a line posted: a copy of an open line is inserted; lag until its candidates answer 200 with candidates.

Baseline, measured in the same run: reading the whole matching view again in this process
(`Recommender.load`), which is what a change cost before, plus a restart. Every change is undone afterwards.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlalchemy import delete, update

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_api import free_port, start_server, wait_healthy  # noqa: E402

from matcher.config import settings  # noqa: E402
from matcher.model.recommend import Recommender  # noqa: E402
from matcher.principals import create_principal  # noqa: E402
from matcher.store import session_scope  # noqa: E402
from matcher.store.tables import DemandLineRow, PrincipalRow  # noqa: E402


def until(check: Any, timeout: float = 60.0) -> float:
    """Seconds until `check()` is true, asked back to back."""
    t = time.perf_counter()
    while not check():
        if time.perf_counter() - t > timeout:
            raise RuntimeError(f"the change was not served within {timeout:.0f} s")
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--server-workers", type=int, default=1)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    url = settings().database_url

    t = time.perf_counter()
    rec = Recommender.load(url)
    reload_s = time.perf_counter() - t
    with session_scope(url) as s:
        principal, token = create_principal(s, "bureau", name="bench_freshness")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(url, port, args.server_workers)
    closed_lag, posted_lag = [], []
    try:
        wait_healthy(base, server, 60)
        http = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=300)
        workers = [int(w) for w in rec.city.workers.id[:: max(1, len(rec.city.workers) // 400)]]
        shown = []
        for wid in workers:
            jobs = [j.line_id for j in rec.recommend(wid, 5).jobs]
            if jobs:
                shown.append((wid, jobs[0]))
            if len(shown) == args.rounds:
                break
        http.get(f"/v1/workers/{shown[0][0]}/recommendations?k=5").raise_for_status()  # loads the view
        for wid, line in shown:

            def jobs_of(w: int = wid) -> set[int]:
                answer = http.get(f"/v1/workers/{w}/recommendations?k=5")
                answer.raise_for_status()
                return {j["line_id"] for j in answer.json()["jobs"]}

            assert line in jobs_of()
            with session_scope(url) as s:
                s.execute(update(DemandLineRow).where(DemandLineRow.id == line).values(status="closed"))
            closed_lag.append(until(lambda line=line: line not in jobs_of()))
            with session_scope(url) as s:
                s.execute(update(DemandLineRow).where(DemandLineRow.id == line).values(status="open"))

            with session_scope(url) as s:
                like = s.get_one(DemandLineRow, line)
                copy = DemandLineRow(
                    **{
                        c.name: getattr(like, c.name)
                        for c in DemandLineRow.__table__.columns
                        if c.name not in ("id", "created_at", "line_ref")
                    },
                    line_ref=f"bench-{time.time_ns()}",
                )
                s.add(copy)
                s.flush()
                new_id = copy.id

            def has_candidates(line_id: int = new_id) -> bool:
                answer = http.get(f"/v1/demand-lines/{line_id}/candidates?k=5")
                return answer.status_code == 200 and bool(answer.json()["candidates"])

            posted_lag.append(until(has_candidates))
            with session_scope(url) as s:
                s.execute(delete(DemandLineRow).where(DemandLineRow.id == new_id))
        http.close()
    finally:
        server.terminate()
        server.wait(30)
        with session_scope(url) as s:
            s.execute(update(PrincipalRow).where(PrincipalRow.id == principal.id).values(active=False))
    report(args, reload_s, np.array(closed_lag), np.array(posted_lag), len(rec.city.workers))


def report(args: argparse.Namespace, reload_s: float, closed: np.ndarray, posted: np.ndarray, n: int) -> None:
    print(f"\nfreshness — {n:,} workers, {args.server_workers} serving process(es), {len(closed)} rounds\n")
    print(f"{'change':<44}{'p50 ms':>9}{'p90 ms':>9}{'max ms':>9}{'÷ reload':>10}")
    out = {"reload_s": reload_s, "workers": n, "server_workers": args.server_workers}
    for name, lag in (
        ("line closed → gone from recommendations", closed),
        ("line posted → has candidates", posted),
    ):
        p50, p90, top = np.percentile(lag * 1e3, [50, 90, 100])
        print(f"{name:<44}{p50:>9.0f}{p90:>9.0f}{top:>9.0f}{p50 / 1e3 / reload_s:>10.3f}")
        out[name] = {"p50_ms": p50, "p90_ms": p90, "max_ms": top}
    print(f"baseline: reading the whole matching view again (Recommender.load), {reload_s:.1f} s")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, default=float))


if __name__ == "__main__":
    main()
