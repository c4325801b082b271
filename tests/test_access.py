"""Who may see which worker and demand line: the query conditions and the test of one record agree."""

from __future__ import annotations

from sqlalchemy import select

from api.access import line_scope, sees_line, sees_worker, worker_scope
from matcher.principals import Principal
from matcher.store import session_scope
from matcher.store.tables import DemandLineRow, WorkerRow
from matcher.synth import build_city


def test_each_rule_selects_in_the_store_what_it_admits_record_by_record(db_url: str) -> None:
    build_city(n_workers=300, seed=4, url=db_url, progress=False)
    with session_scope(db_url) as session:
        workers = session.execute(select(WorkerRow.id, WorkerRow.county)).all()
        lines = session.execute(select(DemandLineRow.id, DemandLineRow.enterprise_id)).all()
        counties = sorted({w.county for w in workers})
        firms = sorted({ln.enterprise_id for ln in lines})
        assert len(counties) > 1 and len(firms) > 1
        principals = [
            Principal(1, "市局", "bureau", None, None),
            *(Principal(2, "指导员", "counselor", None, c) for c in counties[:3]),
            Principal(3, "无此县的指导员", "counselor", None, "000000"),
            *(Principal(4, "企业", "enterprise", f, None) for f in firms[:3]),
        ]
        for who in principals:
            queried = set(session.scalars(select(WorkerRow.id).where(*worker_scope(who))))
            assert queried == {w.id for w in workers if sees_worker(who, w.county)}
            queried = set(session.scalars(select(DemandLineRow.id).where(*line_scope(who))))
            assert queried == {ln.id for ln in lines if sees_line(who, ln.enterprise_id)}
        # the rules differ by role: a counselor sees one county's workers, an enterprise its own lines
        assert (
            0
            < len(set(session.scalars(select(WorkerRow.id).where(*worker_scope(principals[1])))))
            < len(workers)
        )
        assert (
            0
            < len(set(session.scalars(select(DemandLineRow.id).where(*line_scope(principals[-1])))))
            < len(lines)
        )
