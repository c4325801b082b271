"""Advice a counselor can trust, on the small sample city: no path (jobs, outbound options, pathways,
candidates, the plan) offers work or a class the law bars; pathways lead to the job through a real class
the worker may join; outside the policy's period no amount is promised; `matcher audit` counts nothing."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from datetime import date

import numpy as np
import pytest

from matcher import labour
from matcher.advice_audit import audit
from matcher.model.dates import years_between
from matcher.model.explain import subsidy_outlook
from matcher.model.pathways import CURRENT_STAFF_MODES, ENTERPRISE_CENTRE, STAFF_MODES
from matcher.model.recommend import Recommender
from matcher.policy import decide
from matcher.policy.cases import CityCases
from tests.test_model_city import small_city, small_models

WOMEN_BARRED = labour.Hazard.UNDERGROUND | labour.Hazard.PHYSICAL_4 | labour.Hazard.HEAVY_LOAD


@pytest.fixture(scope="module")
def setup(tmp_path_factory):  # type: ignore[no-untyped-def]
    url = small_city(tmp_path_factory)
    models = small_models(tmp_path_factory, url)
    return url, models, Recommender.load(url, models)


def _ages(rec: Recommender) -> np.ndarray:
    w = rec.city.workers
    return years_between(w.birth, np.full(len(w), rec.city.as_of))


def _advised(rec: Recommender, rows: np.ndarray) -> list[dict]:
    return [rec.recommend(int(rec.city.workers.id[r])).model_dump(mode="json") for r in rows]


def test_no_woman_is_offered_work_barred_to_women_on_any_path(setup) -> None:  # type: ignore[no-untyped-def]
    _, _, rec = setup
    city = rec.city
    barred_lines = np.flatnonzero((city.lines.hazards & int(WOMEN_BARRED)) > 0)
    assert len(barred_lines) > 0, "the sample city has underground and heavy work"
    women = np.flatnonzero((city.workers.sex == "F") & (_ages(rec) >= 18) & (_ages(rec) < 45))[:80]
    for out in _advised(rec, women):
        for item in out["jobs"] + out["outbound"] + out["pathways"]:
            row = int(city.line_rows([item["line_id"]])[0])
            assert not city.lines.hazards[row] & int(WOMEN_BARRED), item["title"]
        for item in out["pathways"]:
            prog = int(np.flatnonzero(city.programmes.id == item["programme"]["programme_id"])[0])
            assert not city.programmes.hazards[prog] & int(WOMEN_BARRED)
    # the candidates of such a line: men only
    for row in barred_lines[city.lines.open[barred_lines]][:10].tolist():
        answer = rec.candidates(int(city.lines.id[row]), k=20)
        sexes = city.workers.sex[city.worker_rows([c.worker_id for c in answer.candidates])]
        assert (sexes == "M").all()


def test_minors_get_no_barred_work_and_no_one_under_16_gets_any(setup) -> None:  # type: ignore[no-untyped-def]
    _, _, rec = setup
    city, ages = rec.city, _ages(rec)
    minors = np.flatnonzero((ages >= 16) & (ages < 18))
    assert len(minors), "the sample city has workers aged 16-17"
    for row, out in zip(minors.tolist(), _advised(rec, minors[:60])):
        for item in out["jobs"] + out["outbound"] + out["pathways"]:
            line = int(city.line_rows([item["line_id"]])[0])
            start = date.fromisoformat(item["programme"]["class_end"]) if "programme" in item else None
            verdict = labour.assess(
                str(city.workers.sex[row]),
                date.fromordinal(int(city.workers.birth[row])),
                start or date.fromordinal(max(int(city.lines.start[line]), city.as_of)),
                labour.Hazard(int(city.lines.hazards[line])),
            )
            assert verdict.allowed, verdict.texts
    young = (
        city.workers.birth
        > date.fromordinal(city.as_of).replace(year=date.fromordinal(city.as_of).year - 16).toordinal()
    )
    for out in _advised(rec, np.flatnonzero(young)[:20]):
        assert not (out["jobs"] or out["outbound"] or out["pathways"])


def test_pathways_lead_to_the_job_through_a_class_the_worker_may_join(setup) -> None:  # type: ignore[no-untyped-def]
    _, _, rec = setup
    city = rec.city
    pr, ln = city.programmes, city.lines
    rows = np.arange(0, len(city.workers), 7)[:300]
    advice = rec.advice(rows, 10)
    paths = advice.paths
    assert len(paths) > 20
    for i in range(len(paths)):
        p, line, pair = int(paths.programme[i]), int(paths.line[i]), int(paths.pair[i])
        awards = pr.so[p] >= 0 and city.required_dense[line, pr.so[p]]
        same_job = pr.occ[p] == ln.occ[line] and pr.rank[p] >= ln.rank[line]
        level_gap = advice.X[pair, list(rec.model.features).index("level_gap")] > 0
        assert same_job or (awards and not level_gap)
        assert pr.start[p] > city.as_of and pr.seats[p] > pr.enrolled[p] and pr.end[p] < ln.end[line]
        if pr.mode[p] in (*STAFF_MODES, "order_based") or pr.institution_kind[p] == ENTERPRISE_CENTRE:
            assert pr.enterprise_id[p] == ln.enterprise_id[line] and pr.mode[p] not in CURRENT_STAFF_MODES
    shown = [p for out in _advised(rec, rows[:80]) for p in out["pathways"]]
    assert shown
    for p in shown:
        text = p["reasons"][0]["text"]
        assert p["programme"]["certifies"] in text and p["occupation"]["name"] in text
        assert "开班" in text and "名额" in text and "公里" in text
        money = p["flags"]["subsidy"]["cost"]
        assert money["cost"] == money["subsidy"] + money["person_pays"] + money["enterprise_pays"]
        assert money["free"] == (money["person_pays"] == 0)


def test_candidates_hold_the_level_or_are_named_a_class(setup) -> None:  # type: ignore[no-untyped-def]
    _, _, rec = setup
    city = rec.city
    asking = np.flatnonzero(city.lines.open & (city.lines.rank > 0) & (city.lines.end >= city.as_of))[:15]
    assert len(asking)
    seen = 0
    for row in asking.tolist():
        for c in rec.candidates(int(city.lines.id[row]), k=20).candidates:
            seen += 1
            if c.flags.needs_training:
                assert c.programme is not None and c.reasons[0].code == "training"
            else:
                assert not any(r.code == "level" and r.effect == "-" for r in c.reasons)
    assert seen


def test_outside_the_policy_period_no_amount_is_promised(setup) -> None:  # type: ignore[no-untyped-def]
    _, _, rec = setup
    city = rec.city
    p = int(np.flatnonzero(city.programmes.start > city.as_of)[0])
    later = date(2022, 3, 1).toordinal()
    pr = dataclasses.replace(
        city.programmes,
        start=np.where(np.arange(len(city.programmes)) == p, later, city.programmes.start),
        end=np.where(np.arange(len(city.programmes)) == p, later + 20, city.programmes.end),
    )
    moved = dataclasses.replace(city, programmes=pr)
    worker = int(np.flatnonzero(_ages(rec) >= 20)[0])
    outlook = subsidy_outlook(moved, worker, p)
    assert outlook["in_force"] is False and outlook["amount"] is None and outlook["eligible"] is None
    assert "实施期" in outlook["message"] and "2021-12-31" in outlook["message"]
    assert (
        outlook["cost"]["subsidy"] == 0 and not outlook["cost"]["free"] or outlook["cost"]["enterprise_pays"]
    )
    decision = decide(CityCases(moved).case(worker, p))
    assert not decision.in_force and not decision.eligible
    assert [d.rule for d in decision.denials] == ["plan_period"]


def test_matcher_audit_counts_no_violation(setup) -> None:  # type: ignore[no-untyped-def]
    url, _, _ = setup
    env = {**os.environ, "DATABASE_URL": url}
    done = subprocess.run(
        [sys.executable, "-m", "matcher.cli", "audit", "--json"], env=env, capture_output=True, timeout=600
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    result = json.loads(done.stdout)
    assert result["violation_total"] == 0, result["examples"]
    checked = result["checked"]
    assert checked["worker_line_pairs"] > 10_000 and checked["candidates_shown"] > 100
    assert checked["plan_assignments"] > 100
    dimensions = {row["dimension"] for row in result["fairness"]["rows"]}
    assert dimensions == {"sex", "age_band", "ethnicity", "county", "priority_group"}


def test_the_audit_would_see_unlawful_advice(setup, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """With the law switched off where the engine applies it, the audit's own checks count the damage."""
    url, models, _ = setup

    def nobody_barred(sex, birth, on, hazards, cadre):  # type: ignore[no-untyped-def]
        return np.zeros(np.broadcast_shapes(*(np.shape(a) for a in (sex, birth, on, hazards, cadre))), bool)

    monkeypatch.setattr(labour, "barred", nobody_barred)
    found = audit(url, k=10, models_dir=models).summary["violations"]
    women = sum(n for kind, n in found.items() if kind.startswith("law:women"))
    assert women > 0, found
