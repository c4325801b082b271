"""Kept answers: a recommendation or a candidate list is served again until a change could alter it, and
is then the answer a recommender read afresh from the store gives (`Stored`, `Recommender.updated`)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, insert, not_, select, update

from matcher.model.live import matching_view
from matcher.model.recommend import Recommender
from matcher.store import session_scope
from matcher.store.tables import DemandLineRow, WorkerRow
from matcher.synth import build_city
from tests.api_helpers import client, token

pytestmark = pytest.mark.db


@pytest.fixture
def city(db_url: str) -> str:
    build_city(n_workers=800, seed=5, url=db_url, progress=False)
    return db_url


def _copy_of_line(url: str, line_id: int) -> int:
    """A new open line in every field like `line_id`; its id."""
    with session_scope(url) as s:
        row = s.get_one(DemandLineRow, line_id)
        values = {c.name: getattr(row, c.name) for c in DemandLineRow.__table__.columns if c.name != "id"}
        values["line_ref"] = f"{values['line_ref']}-copy"[:40]
        return int(s.execute(insert(DemandLineRow).values(**values).returning(DemandLineRow.id)).scalar_one())


def test_kept_answers_are_the_answers_of_the_store_read_again(city: str) -> None:
    view = matching_view(city)
    rec = view.current()
    rec.warm()
    workers = [int(w) for w in rec.city.workers.id[::37]]
    advised = {w: rec.recommend(w, 5) for w in workers}
    with_jobs = [w for w, a in advised.items() if a.jobs]
    lines = [int(rec.city.lines.id[r]) for r in rec.local.rows[::40]]
    listed = {ln: rec.candidates(ln, 5, consenting=True) for ln in lines}
    with_candidates = [ln for ln, c in listed.items() if c.candidates]
    assert len(with_jobs) >= 3 and len(with_candidates) >= 2

    closed = advised[with_jobs[0]].jobs[0].line_id  # shown to a worker, then closed
    copied = _copy_of_line(city, advised[with_jobs[1]].jobs[0].line_id)  # as good a line, posted
    withdrawn = listed[with_candidates[0]].candidates[0].worker_id  # shown to an enterprise, then withdrawn
    with session_scope(city) as s:
        s.execute(update(DemandLineRow).where(DemandLineRow.id == closed).values(status="closed"))
        s.execute(update(WorkerRow).where(WorkerRow.id == withdrawn).values(consent_to_share=False))
        s.execute(
            update(WorkerRow)
            .where(WorkerRow.id == with_jobs[2])
            .values(receives_pension=not_(WorkerRow.receives_pension))
        )

    live = view.current()
    kept = set(live._stored)
    for dropped in (
        ("worker", with_jobs[0], 5),
        ("worker", with_jobs[1], 5),
        ("worker", with_jobs[2], 5),
        ("line", with_candidates[0], 5, True),
    ):
        assert dropped not in kept
    carried = [w for w in workers if ("worker", w, 5) in kept]
    assert carried  # answers the changes could not alter are served again
    assert live.stored_recommendations(carried[0], 5) is rec.stored_recommendations(carried[0], 5)

    again = Recommender.load(city)
    for w in workers:
        assert live.recommend(w, 5) == again.recommend(w, 5)
    for ln in lines:
        if ln != closed:
            assert live.candidates(ln, 5, consenting=True) == again.candidates(ln, 5, consenting=True)
    assert copied in {j.line_id for j in live.recommend(with_jobs[1], 5).jobs} | {
        j.line_id for j in again.recommend(with_jobs[1], 10).jobs
    }


def test_a_kept_answer_is_served_as_the_recommender_gives_it_and_goes_at_once_when_closed(city: str) -> None:
    c = client(city)
    view = matching_view(city)
    rec = view.current()
    with session_scope(city) as s:
        county = dict(s.execute(select(WorkerRow.id, WorkerRow.county)).all())
    wid = next(int(w) for w in rec.city.workers.id if rec.recommend(int(w), 5).jobs)
    counselor = token(city, "counselor", county=county[wid] or "")
    path = f"/v1/workers/{wid}/recommendations?k=5"
    first, second = c.get(path, headers=counselor), c.get(path, headers=counselor)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json() == rec.recommend(wid, 5).model_dump(mode="json")

    line = first.json()["jobs"][0]["line_id"]
    with session_scope(city) as s:
        s.execute(update(DemandLineRow).where(DemandLineRow.id == line).values(status="closed"))
    shown = c.get(path, headers=counselor).json()
    assert line not in {j["line_id"] for j in shown["jobs"] + shown["outbound"] + shown["pathways"]}
    assert shown == Recommender.load(city).recommend(wid, 5).model_dump(mode="json")
    assert np.isin(line, view.current().city.lines.id)


def test_a_change_an_answer_rests_on_is_applied_before_it_is_served_and_another_may_wait(city: str) -> None:
    from matcher.model.recommend import served_candidates, served_recommendations

    view = matching_view(city)
    view.lag = timedelta(minutes=1)  # no poller here: the change apart stays pending
    rec = view.current()
    wid = next(int(w) for w in rec.city.workers.id if rec.recommend(int(w), 5).jobs)
    first = served_recommendations(wid, city, 5)
    apart = next(int(w) for w in rec.city.workers.id if int(w) != wid)
    with session_scope(city) as s:  # a worker whose change cannot take anything from the answer
        s.execute(
            update(WorkerRow)
            .where(WorkerRow.id == apart)
            .values(receives_pension=not_(WorkerRow.receives_pension))
        )
    assert served_recommendations(wid, city, 5) is first and view.pending() == [("workers", apart)]

    shown = first.answer.jobs[0].line_id  # type: ignore[union-attr]
    with session_scope(city) as s:
        s.execute(update(DemandLineRow).where(DemandLineRow.id == shown).values(status="closed"))
    again = served_recommendations(wid, city, 5).answer
    assert shown not in {j.line_id for j in again.jobs + again.outbound + again.pathways}  # type: ignore[union-attr]
    assert not view.pending()

    line = next(
        int(ln) for ln in view.rec.city.lines.id[view.rec.local.rows] if rec.candidates(int(ln), 5).candidates
    )
    listed = served_candidates(line, city, 5).answer.candidates  # type: ignore[union-attr]
    gone = next(
        c.worker_id for c in listed if rec.city.workers.consent[rec.city.worker_rows([c.worker_id])[0]]
    )
    with session_scope(city) as s:
        s.execute(update(WorkerRow).where(WorkerRow.id == gone).values(consent_to_share=False))
    assert gone not in {c.worker_id for c in served_candidates(line, city, 5).answer.candidates}  # type: ignore[union-attr]


def _bearer(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def test_kept_answers_served_in_a_batch_are_the_ordinary_answers_to_whom_may_see_them_and_audited(
    city: str,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from api.routes.recommendations import LINE, WORKER, KeptAnswers, _Ask
    from matcher.principals import revoke_principal
    from matcher.store.tables import AuditRow, PrincipalRow

    c = client(city)
    rec = matching_view(city).current()
    with session_scope(city) as s:
        county = dict(s.execute(select(WorkerRow.id, WorkerRow.county)).all())
        owner = dict(s.execute(select(DemandLineRow.id, DemandLineRow.enterprise_id)).all())
    wid = next(int(w) for w in rec.city.workers.id if rec.recommend(int(w), 5).jobs and county[int(w)])
    line = next(int(ln) for ln in rec.city.lines.id[rec.local.rows] if rec.candidates(int(ln), 5).candidates)
    other_line = next(ln for ln, e in owner.items() if e != owner[line])
    bureau, counselor = token(city, "bureau"), token(city, "counselor", county=county[wid])
    stranger = token(city, "counselor", county=next(v for v in county.values() if v and v != county[wid]))
    enterprise = token(city, "enterprise", enterprise=str(owner[line]))
    revoked = token(city, "bureau")
    advice, listed = f"/v1/workers/{wid}/recommendations?k=5", f"/v1/demand-lines/{line}/candidates?k=5"
    ordinary = {
        "advice": c.get(advice, headers=counselor),
        "listed": c.get(listed, headers=enterprise),
    }
    assert all(r.status_code == 200 for r in ordinary.values())
    with session_scope(city) as s:
        revoke_principal(
            s,
            s.scalar(
                select(PrincipalRow.id)
                .where(PrincipalRow.name == "test bureau")
                .order_by(PrincipalRow.id.desc())
            ),
        )
        audited = s.scalar(select(func.count()).select_from(AuditRow))

    asks = [
        (_Ask(WORKER, wid, 5, _bearer(counselor)), ordinary["advice"].content),
        (_Ask(WORKER, wid, 5, _bearer(bureau)), ordinary["advice"].content),
        (_Ask(LINE, line, 5, _bearer(enterprise)), ordinary["listed"].content),
        (_Ask(WORKER, wid, 5, _bearer(stranger)), None),  # another county's counselor
        (_Ask(WORKER, wid, 5, _bearer(enterprise)), None),  # an enterprise asks for a worker's advice
        (_Ask(LINE, other_line, 5, _bearer(enterprise)), None),  # another enterprise's line
        (_Ask(WORKER, wid, 5, _bearer(revoked)), None),
        (_Ask(WORKER, wid, 5, "not a token"), None),
        (_Ask(WORKER, wid, 3, _bearer(counselor)), None),  # no answer kept for k = 3
    ]
    shown = KeptAnswers(city)._serve([ask for ask, _ in asks])
    assert [None if s is None else s.body for s in shown] == [body for _, body in asks]
    with session_scope(city) as s:
        rows = s.execute(select(AuditRow.purpose, AuditRow.worker_id).where(AuditRow.id > audited)).all()
    listed_workers = {c.worker_id for c in rec.candidates(line, 5, consenting=True).candidates}
    assert sorted(rows) == sorted([("counselling", wid)] * 2 + [("recruitment", w) for w in listed_workers])

    with ThreadPoolExecutor(8) as pool:  # through the service, many at once: the same answer, each audited
        answers = list(pool.map(lambda _: c.get(advice, headers=counselor), range(24)))
    assert {(r.status_code, r.content) for r in answers} == {(200, ordinary["advice"].content)}
    assert c.get(advice, headers=revoked).status_code == 401
    assert c.get(advice, headers=stranger).status_code == 404
    with session_scope(city) as s:
        assert (
            s.scalar(select(func.count()).select_from(AuditRow).where(AuditRow.id > audited))
            == len(rows) + 24
        )


def test_without_a_trained_model_matching_answers_503_naming_what_to_run(
    city: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    from matcher.config import settings

    monkeypatch.setenv("MATCHER_MODELS_DIR", str(tmp_path))
    settings.cache_clear()
    request.addfinalizer(settings.cache_clear)
    c = client(city)
    with session_scope(city) as s:
        wid = s.scalar(select(WorkerRow.id).order_by(WorkerRow.id))
        line = s.scalar(
            select(DemandLineRow.id).where(DemandLineRow.status == "open").order_by(DemandLineRow.id)
        )
    bureau = token(city, "bureau")
    for path in (f"/v1/workers/{wid}/recommendations", f"/v1/demand-lines/{line}/candidates"):
        answer = c.get(path, headers=bureau)
        assert answer.status_code == 503 and "matcher train" in answer.json()["detail"]
