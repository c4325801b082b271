"""Fresh matches without a restart: every change committed to the store counts in the next answer, in every
serving process (the change log of migration 0008 and `matcher.model.live`)."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select, update

from matcher.ids import worker_of_ref
from matcher.model.live import matching_view
from matcher.model.recommend import recommender
from matcher.store import session_scope
from matcher.store.tables import DemandLineRow, EnterpriseRow, WorkerRow
from matcher.synth import build_city
from tests.api_helpers import client, line_body, token, worker_body


@pytest.fixture
def city(db_url: str) -> str:
    build_city(n_workers=800, seed=3, url=db_url, progress=False)
    return db_url


def _line_with_candidates(url: str) -> tuple[int, str]:
    """An open line of Qujing with candidates, and its enterprise's credit code."""
    rec = recommender(url)
    with session_scope(url) as s:
        rows = s.execute(
            select(DemandLineRow.id, EnterpriseRow.credit_code)
            .join(EnterpriseRow, EnterpriseRow.id == DemandLineRow.enterprise_id)
            .where(DemandLineRow.status == "open", DemandLineRow.work_region.like("5303%"))
            .order_by(DemandLineRow.end_date.desc(), DemandLineRow.id)
        ).all()
    for line_id, code in rows:
        if rec.candidates(line_id, 3).candidates:
            return line_id, code
    raise AssertionError("no open line of the sample city has candidates")


def _worker_with_jobs(url: str) -> tuple[int, str, list[int]]:
    """A worker with jobs recommended: id, county, the lines shown."""
    rec = recommender(url)
    for wid in rec.city.workers.id[:300].tolist():
        jobs = [j.line_id for j in rec.recommend(wid, 5).jobs]
        if jobs:
            with session_scope(url) as s:
                return wid, s.get_one(WorkerRow, wid).county or "", jobs
    raise AssertionError("no worker of the sample city has a job recommended")


def test_a_line_posted_through_the_api_has_candidates_on_the_next_request(city: str) -> None:
    line_id, code = _line_with_candidates(city)
    c = client(city)
    with session_scope(city) as s:
        like = s.get_one(DemandLineRow, line_id)
        fields = {
            "occupation_code": like.occupation_code,
            "title": like.title,
            "required_level": like.required_level,
            "required_certificates": like.required_certificates,
            "wage_min": like.wage_min,
            "wage_max": like.wage_max,
            "work_region": like.work_region,
            "start_date": like.start_date.isoformat(),
            "end_date": like.end_date.isoformat(),
        }
    firm = token(city, "enterprise", enterprise=code)
    posted = c.post("/v1/demand-lines", json=line_body(code, ref="NEW-1", **fields), headers=firm)
    assert posted.status_code == 201, posted.text
    answer = c.get(f"/v1/demand-lines/{posted.json()['id']}/candidates?k=5", headers=firm)
    assert answer.status_code == 200, answer.text
    assert answer.json()["candidates"]


def test_a_worker_registered_through_the_api_is_advised_at_once(city: str) -> None:
    c = client(city)
    counselor = token(city, "counselor", county="530302")
    created = c.post("/v1/workers", json=worker_body(seq=901), headers=counselor)
    assert created.status_code == 201, created.text
    wid = created.json()["id"]
    answer = c.get(f"/v1/workers/{wid}/recommendations?k=5", headers=counselor)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["worker_id"] == wid and body["jobs"] + body["pathways"]


def test_a_closed_line_and_a_withdrawn_consent_vanish_from_every_answer(city: str) -> None:
    c = client(city)
    wid, county, jobs = _worker_with_jobs(city)
    counselor = token(city, "counselor", county=county)
    with session_scope(city) as s:  # closed by any writer, here a script
        s.execute(update(DemandLineRow).where(DemandLineRow.id == jobs[0]).values(status="closed"))
    shown = c.get(f"/v1/workers/{wid}/recommendations?k=5", headers=counselor).json()
    assert jobs[0] not in {j["line_id"] for j in shown["jobs"] + shown["outbound"] + shown["pathways"]}

    line_id, code = _line_with_candidates(city)
    firm = token(city, "enterprise", enterprise=code)
    first = c.get(f"/v1/demand-lines/{line_id}/candidates?k=5", headers=firm).json()["candidates"]
    gone = worker_of_ref(line_id, first[0]["ref"])
    with session_scope(city) as s:
        s.execute(update(WorkerRow).where(WorkerRow.id == gone).values(consent_to_share=False))
    again = c.get(f"/v1/demand-lines/{line_id}/candidates?k=5", headers=firm).json()["candidates"]
    assert gone not in {worker_of_ref(line_id, x["ref"]) for x in again}
    assert gone not in {
        x.worker_id for x in recommender(city).candidates(line_id, 50, _consenting(city)).candidates
    }


def _consenting(url: str) -> list[int]:
    with session_scope(url) as s:
        return list(s.scalars(select(WorkerRow.id).where(WorkerRow.consent_to_share.is_(True))))


def test_the_view_equals_the_store_read_again_after_many_changes(city: str) -> None:
    from matcher.model.recommend import Recommender

    view = matching_view(city)
    view.current().warm()
    with session_scope(city) as s:
        s.execute(update(WorkerRow).where(WorkerRow.id % 7 == 0).values(consent_to_share=False))
        s.execute(update(DemandLineRow).where(DemandLineRow.id % 5 == 0).values(status="closed"))
        s.execute(update(EnterpriseRow).where(EnterpriseRow.id % 3 == 0).values(size="large"))
    live = view.current()
    again = Recommender.load(city)
    for wid in live.city.workers.id[::97].tolist():
        assert live.recommend(wid, 5) == again.recommend(wid, 5)
    assert (live._all_worker_vectors() != again._all_worker_vectors()).nnz == 0


def test_calls_answered_together_get_the_answers_they_would_get_alone(tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    from concurrent.futures import ThreadPoolExecutor

    from matcher.model.recommend import Recommender, _Ask
    from tests.test_model_city import small_city, small_models

    url = small_city(tmp_path_factory)
    rec = Recommender.load(url, small_models(tmp_path_factory, url))
    asks = [(int(w), k) for w in rec.city.workers.id[::41][:40] for k in (3, 10)]
    alone = [rec.recommend(w, k) for w, k in asks]
    batch = [_Ask(int(rec.city.worker_rows([w])[0]), w, k) for w, k in asks]
    rec._answer(batch)  # one batch per k, as a busy service would
    assert [a.result for a in batch] == alone
    with ThreadPoolExecutor(16) as pool:
        assert list(pool.map(lambda a: rec.recommend(*a), asks)) == alone


def test_the_region_prefilter_admits_exactly_whom_feasibility_admits(tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    from matcher.model.candidates import build_line_index, feasibility, in_reach, worker_states
    from matcher.model.recommend import Recommender
    from tests.test_model_city import small_city, small_models

    url = small_city(tmp_path_factory)
    rec = Recommender.load(url, small_models(tmp_path_factory, url))
    city, vec, everyone = rec.city, rec.model.vectorizer, np.arange(len(rec.city.workers))
    outside = [int(r) for r in rec.away.rows[:5]]
    for line in [int(r) for r in rec.local.rows[::25]] + outside:
        index = build_line_index(city, vec, np.array([line]), city.as_of)
        batch = worker_states(city, vec, index, everyone, city.as_of)
        accepted = (batch.intents @ index.chain_t)[:, 0] > 0
        region = batch.outside_province if index.outside_province[0] else accepted
        assert np.array_equal(in_reach(city, everyone, line), region)
        assert not (feasibility(batch, index)[0][:, 0] & ~region).any()
