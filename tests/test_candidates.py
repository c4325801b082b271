"""Candidate retrieval: only feasible pairs, the same for one worker alone as in a batch, and the same on
a Dask cluster as in-process."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date

import joblib
import numpy as np
import pytest
from sqlalchemy import select

from matcher import labour
from matcher import reference as ref
from matcher.model.candidates import (
    DEFAULT_K,
    build_line_index,
    feasibility,
    reach_groups,
    retrieve,
    worker_states,
)
from matcher.model.features import ProfileVectorizer, line_profiles, programme_profiles, worker_profiles
from matcher.model.scoring import FeatureSpace, score_pairs
from matcher.model.snapshot import load_city
from matcher.model.training import fit_match_model, history
from matcher.store import session_scope
from matcher.store.tables import DemandLineRow, EnrolmentRow, ProgrammeRow, WorkerRow
from tests.test_model_city import small_city

SAMPLE = 400


@pytest.fixture(scope="module")
def setup(tmp_path_factory):  # type: ignore[no-untyped-def]
    url = small_city(tmp_path_factory)
    city = load_city(url)
    profiles = worker_profiles(city, np.arange(len(city.workers)), city.as_of)
    vec = ProfileVectorizer().fit(profiles + line_profiles(city) + programme_profiles(city))
    rows = np.flatnonzero(city.lines.open & (city.lines.end >= city.as_of))
    index = build_line_index(city, vec, rows, city.as_of)
    workers = np.random.default_rng(0).choice(len(city.workers), SAMPLE, replace=False)
    states = worker_states(city, vec, index, workers, city.as_of)
    return url, city, vec, index, states


class Reference:
    """The feasibility rules of matcher.model.candidates, re-read from the store row by row."""

    def __init__(self, url: str, as_of: date) -> None:
        self.as_of = as_of
        with session_scope(url) as s:
            self.workers = {w.id: w for w in s.scalars(select(WorkerRow))}
            self.lines = {ln.id: ln for ln in s.scalars(select(DemandLineRow))}
            programmes = {p.id: p for p in s.scalars(select(ProgrammeRow))}
            enrolments = s.scalars(select(EnrolmentRow)).all()
        # A class not yet begun, with seats left.
        enrolled = Counter(e.programme_id for e in enrolments)
        self.obtainable = {
            p.special_operation
            for p in programmes.values()
            if p.special_operation and p.start_date > as_of and p.seats > enrolled[p.id]
        }
        self.trained: dict[int, set[str]] = {}
        for e in enrolments:
            op = programmes[e.programme_id].special_operation
            if e.completed and e.certificate_date and e.certificate_date < as_of and op:
                self.trained.setdefault(e.worker_id, set()).add(op)

    def held(self, worker_id: int) -> set[str]:
        w = self.workers[worker_id]
        items = {
            c["special_operation"]
            for c in w.certificates
            if c.get("special_operation") and date.fromisoformat(c["issued_on"]) < self.as_of
        }
        return items | self.trained.get(worker_id, set())

    def feasible(self, worker_id: int, line_id: int) -> bool:
        w, line = self.workers[worker_id], self.lines[line_id]
        outside = ref.province_of(line.work_region) != ref.YUNNAN_CODE
        accepted = set(w.intentions["regions"]) | {w.county}
        if ref.region(w.county).kind == "zone":
            accepted.add(ref.region(w.county).parent_code)
        region = (
            w.intentions["outside_province"]
            if outside
            else any(r.code in accepted for r in ref.region_chain(line.work_region))
        )
        hazards = labour.hazards_of(
            line.occupation_code, f"{line.title} {line.description}", line.required_certificates
        )
        lawful = labour.assess(
            w.sex, w.birth_date, max(line.start_date, self.as_of), hazards, line.occupation_code
        ).allowed
        lacking = set(line.required_certificates) - self.held(worker_id)
        return (
            bool(region)
            and lawful
            and line.wage_max >= w.intentions["min_wage"]
            and lacking <= self.obtainable
        )


def test_no_infeasible_pair_is_ever_returned(setup):  # type: ignore[no-untyped-def]
    url, city, _, index, states = setup
    cands = retrieve(index, states, k=DEFAULT_K, batch_size=128)
    assert len(cands) > SAMPLE  # most workers have many lines open to them
    check = Reference(url, date.fromordinal(city.as_of))
    wid, lid = city.workers.id[cands.worker], city.lines.id[cands.line]
    bad = [(int(w), int(ln)) for w, ln in zip(wid, lid) if not check.feasible(int(w), int(ln))]
    assert bad == []
    # A worker with fewer than K lines got every line the reference finds feasible.
    pos = {int(r): i for i, r in enumerate(states.rows)}
    counts = np.bincount([pos[int(w)] for w in cands.worker], minlength=SAMPLE)
    short = np.flatnonzero(counts < DEFAULT_K)[:40]
    open_ids = city.lines.id[index.rows]
    for i in short:
        w = int(city.workers.id[states.rows[i]])
        assert counts[i] == sum(check.feasible(w, int(ln)) for ln in open_ids)


def test_the_mask_agrees_with_the_reference_on_every_open_line(setup):  # type: ignore[no-untyped-def]
    url, city, _, index, states = setup
    check = Reference(url, date.fromordinal(city.as_of))
    mask, missing = feasibility(states.slice(0, 25), index)
    for i in range(25):
        w = int(city.workers.id[states.rows[i]])
        want = [check.feasible(w, int(city.lines.id[r])) for r in index.rows]
        assert mask[i].tolist() == want
    assert mask.any(axis=1).mean() > 0.8  # those with none are past retirement age or under 16


def test_pairs_come_best_first_and_a_worker_alone_gets_the_same_list(setup):  # type: ignore[no-untyped-def]
    _, city, vec, index, states = setup
    cands = retrieve(index, states, k=20)
    for i in range(len(states.rows)):
        sel = cands.worker == states.rows[i]
        assert (np.diff(cands.similarity[sel]) <= 0).all()
    for i in (0, 7, 123):
        alone = retrieve(index, worker_states(city, vec, index, states.rows[i : i + 1], city.as_of), k=20)
        sel = cands.worker == states.rows[i]
        assert alone.line.tolist() == cands.line[sel].tolist()
        assert np.array_equal(alone.similarity, cands.similarity[sel])
    with pytest.raises(ValueError, match="k must be at least 1"):
        retrieve(index, states, k=0)
    # The similarities retrieval returns are those the scorer's features compute pair by pair.
    text, space = FeatureSpace(city, vec).similarities(
        cands.worker, cands.line, np.full(len(cands), city.as_of)
    )
    assert np.allclose(text, cands.text, atol=1e-5) and np.allclose(space, cands.similarity, atol=1e-5)


def test_no_feasible_line_lies_outside_a_workers_reach_and_retrieval_within_it_is_the_same(setup):  # type: ignore[no-untyped-def]
    _, city, vec, index, states = setup
    group, reach = reach_groups(city, index, states.rows, chunk=64)
    assert len(group) == len(states) and 1 < len(reach) < len(states) // 4
    mask, _ = feasibility(states, index)
    assert not (mask & ~reach[group]).any()  # the reach cuts only lines the worker could never take
    assert (~reach[group]).any()  # and it cuts some
    everywhere = retrieve(index, states, k=20)
    for g in range(len(reach)):
        members = np.flatnonzero(group == g)
        within = retrieve(index.take(np.flatnonzero(reach[g])), states.slice(0, len(states)), k=20)
        mine = np.isin(everywhere.worker, states.rows[members])
        theirs = np.isin(within.worker, states.rows[members])
        assert within.line[theirs].tolist() == everywhere.line[mine].tolist()
        assert np.array_equal(within.similarity[theirs], everywhere.similarity[mine])


def test_lines_tied_at_the_kth_place_are_kept_in_line_order(setup):  # type: ignore[no-untyped-def]
    _, city, vec, index, states = setup
    # every line twice, each copy named by its position: every similarity is tied
    twice = dataclasses.replace(index.take(np.repeat(np.arange(len(index)), 2)), rows=np.arange(2 * len(index)))
    some = states.slice(0, 60)
    mask, _ = feasibility(some, twice)
    sims = (some.vectors @ twice.vectors_t).toarray() + twice.text_weight * (some.vectors @ twice.text_t).toarray()
    for k in (1, 3, 20):
        got = retrieve(twice, some, k=k)
        for i in range(len(some)):
            feasible = np.flatnonzero(mask[i])
            want = feasible[np.lexsort((feasible, -sims[i, feasible]))][:k]
            assert got.line[got.worker == some.rows[i]].tolist() == want.tolist()


def test_retrieval_a_slice_of_workers_at_a_time_finds_the_same_pairs(setup, monkeypatch):  # type: ignore[no-untyped-def]
    from matcher.model import candidates

    _, city, vec, index, states = setup
    whole = retrieve(index, states, k=20)
    monkeypatch.setattr(candidates, "PAIRS_AT_ONCE", 7 * len(index))  # seven workers at a time
    sliced = retrieve(index, states, k=20)
    for name in ("worker", "line", "similarity", "text", "missing"):
        assert np.array_equal(getattr(sliced, name), getattr(whole, name)), name


def test_retrieval_and_scoring_on_a_dask_cluster_equal_in_process(setup):  # type: ignore[no-untyped-def]
    from dask.distributed import Client, LocalCluster

    _, city, vec, index, states = setup
    train = history(city)
    model = fit_match_model(city, vec, train.subset(np.arange(len(train)) < 20_000))
    space = FeatureSpace(city, vec)
    local = retrieve(index, states, k=30, batch_size=50)
    local_scores = score_pairs(model, space, local.worker, local.line, city.as_of, batch_size=2_000)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster,
        Client(cluster),
        joblib.parallel_config(backend="dask"),
    ):
        remote = retrieve(index, states, k=30, batch_size=50)
        remote_scores = score_pairs(model, space, remote.worker, remote.line, city.as_of, batch_size=2_000)
    for f in ("worker", "line", "similarity", "text", "missing"):
        assert np.array_equal(getattr(local, f), getattr(remote, f)), f
    assert np.array_equal(local_scores, remote_scores)
    assert ((local_scores >= 0) & (local_scores <= 1)).all()
