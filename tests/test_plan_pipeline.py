"""The city plan end to end on a small sample city: run_plan's result, its consistency, and the workbook."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest

from matcher.model import train_model
from matcher.model.artifacts import ArtifactError, load_model
from matcher.model.explain import reasons_for, subsidy_outlook
from matcher.model.scoring import FEATURES, pair_features
from matcher.model.snapshot import load_city
from matcher.plan import PlanOptions, plan_city, solve_lagrangian, solve_milp, violations
from matcher.plan.inputs import build_inputs, gather_arcs, planning_city, scope_rows
from matcher.plan.network import SideConstraints
from matcher.policy import decide, decide_json
from matcher.policy.cases import CityCases, case_for
from matcher.store import engine, session_scope
from matcher.store.tables import InstitutionRow, ProgrammeRow, WorkerRow
from matcher.synth import build_city

CITY_WORKERS = 2000
CITY_SEED = 7
PLAN_DIGESTS = Path(__file__).parent / "fixtures" / "plan_digests.json"


def sample_city(base: Path) -> tuple[str, Path]:
    """A small sample city and its model under `base`, built on first use in a test session."""
    url, models = f"sqlite:///{base / 'plan_city.db'}", base / "plan_models"
    if not (models / "manifest.json").exists():
        build_city(CITY_WORKERS, seed=CITY_SEED, url=url, progress=False, replace=True)
        train_model(url, out_dir=models)
    return url, models


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    url, models = sample_city(tmp_path_factory.getbasetemp())
    yield url, models
    engine(url).dispose()


@pytest.fixture(scope="module")
def plan(city: tuple[str, Path]) -> dict:
    url, models = city
    return plan_city(
        PlanOptions(budget=120_000, min_class_size=5, priority_weights={"poverty_registered": 2}),
        url=url,
        models_dir=models,
    )


def test_plan_is_json_and_its_totals_add_up(plan: dict) -> None:
    again = json.loads(json.dumps(plan, ensure_ascii=False))
    assert again["options"]["budget"] == 120_000
    t = plan["totals"]
    assert t["assigned"] == t["direct"] + t["outbound"] + t["trainees"] == len(plan["workers"])
    assert t["trainees"] == sum(c["size"] for c in plan["classes"]) > 0
    assert t["classes"] == len(plan["classes"])
    assert t["expected_retained_placements"] == pytest.approx(
        sum(w["p_retained"] for w in plan["workers"]), abs=0.05
    )
    assert t["expected_retained_placements"] <= t["expected_placements"] <= t["assigned"]
    assert t["open_headcount"] - t["unmet_headcount"] == sum(
        p["direct"] + p["graduates"] for p in plan["placements"]["direct"] + plan["placements"]["outbound"]
    )
    assert sum(u["unmet"] for u in plan["unmet_demand"]) == t["unmet_headcount"]
    assert all(u["unmet"] >= 0 and u["planned"] <= u["headcount"] for u in plan["unmet_demand"])
    assert [s["stage"] for s in plan["timings"]] == ["load", "candidates", "policy", "solve", "report"]


def plan_digests(plan: dict) -> dict[str, str]:
    """A digest of each part of a plan's JSON, but its timings and the model's file digest and date."""
    return {
        part: hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
        for part, value in plan.items()
        if part not in ("timings", "model")
    }


def test_the_plan_is_the_one_recorded(plan: dict) -> None:
    """Every part of the sample city's plan is as recorded in `fixtures/plan_digests.json`, so that a change
    of any figure, assignment, reason or subsidy shows (making a stage faster must not change its answer).
    When a change of the plan is meant, record the new one with
    `MATCHER_RECORD_PLAN=1 pytest tests/test_plan_pipeline.py -k recorded` and say why in the commit."""
    if os.environ.get("MATCHER_RECORD_PLAN"):
        PLAN_DIGESTS.write_text(json.dumps(plan_digests(plan), indent=1, sort_keys=True) + "\n")
    recorded = json.loads(PLAN_DIGESTS.read_text())
    changed = sorted(part for part, digest in plan_digests(plan).items() if recorded.get(part) != digest)
    assert not changed, f"these parts of the plan changed: {changed}"


def test_reasons_read_no_text_similarity(city: tuple[str, Path]) -> None:
    """The report gives each assignment's reasons without the text similarities (`report._reasons`), so
    the reasons must be the same whatever those two features are."""
    url, models = city
    model, _ = load_model(models)
    c = load_city(url)
    rng = np.random.default_rng(0)
    workers, lines = rng.integers(0, len(c.workers), 300), rng.integers(0, len(c.lines), 300)
    day = np.full(300, c.as_of)
    unknown = np.full(300, np.nan, np.float32)
    full = pair_features(model.space(c), workers, lines, day)
    without = pair_features(model.space(c), workers, lines, day, similarity=(unknown, unknown))
    assert (full[:, FEATURES.index("text_cosine")] > 0).any()
    for w, ln, x, y in zip(workers.tolist(), lines.tolist(), full, without):
        assert reasons_for(c, w, ln, x, c.as_of) == reasons_for(c, w, ln, y, c.as_of)


def test_plan_respects_budget_seats_minimum_and_headcount(plan: dict) -> None:
    t = plan["totals"]
    assert t["subsidies"] <= 120_000 + 1e-6
    assert t["budget"]["used"] == t["subsidies"]
    for c in plan["classes"]:
        assert 5 <= c["size"] <= c["seats"]
        assert sum(o["graduates"] for o in c["orders"]) == c["size"]
        assert c["start_date"] >= plan["as_of"] and c["end_date"] >= c["start_date"]
        if c["programme"]["mode"] == "order_based":
            assert {o["enterprise"]["id"] for o in c["orders"]} == {c["ordering_enterprise"]["id"]}
    for p in plan["placements"]["direct"] + plan["placements"]["outbound"]:
        assert p["direct"] + p["graduates"] <= p["headcount"]
        assert p["outbound"] == (p in plan["placements"]["outbound"])
    ids = [w["worker_id"] for w in plan["workers"]]
    assert len(ids) == len(set(ids))
    s = plan["solution"]
    assert 0 <= s["gap"] < 0.1 and s["objective"] <= s["bound"] + 1e-6


def test_subsidies_come_from_the_policy_engine(plan: dict, city: tuple[str, Path]) -> None:
    trainees = [w for w in plan["workers"] if w["assignment"] == "training"]
    paid = sum(i["amount"] for w in trainees for i in w["subsidy"]["items"] if not i["advance"])
    assert paid == pytest.approx(plan["totals"]["subsidies"])
    by_article = sum(s["amount"] for s in plan["subsidies_by_article"] if not s["advance"])
    assert by_article == pytest.approx(plan["totals"]["subsidies"])
    assert {s["article"] for s in plan["subsidies_by_article"]} <= {"十六", "十七", "十八", "二十"}
    # one answer for one person and class: the planner's shared decision, the counselor's outlook and the
    # case the CLI and the claims ledger build from the stored rows, all decided by the pack in force
    url, _ = city
    c = planning_city(load_city(url), PlanOptions())
    rows = c.worker_rows([w["worker_id"] for w in trainees[:25]])
    codes = {str(code): i for i, code in enumerate(c.programmes.code)}
    cases = CityCases(c)
    with session_scope(url) as s:
        for w, row in zip(trainees[:25], rows.tolist()):
            p = codes[w["class"]["programme_code"]]
            decision = decide(cases.case(row, p))
            assert decision.eligible and decision.in_force
            assert decision.total == pytest.approx(w["subsidy"]["total"])
            outlook = subsidy_outlook(c, row, p)
            assert outlook["amount"] == pytest.approx(w["subsidy"]["total"])
            assert outlook["cost"] == w["cost"]
            stored = s.get(WorkerRow, w["worker_id"])
            programme = s.get(ProgrammeRow, int(c.programmes.id[p]))
            case = case_for(
                stored,
                programme,
                s.get(InstitutionRow, programme.institution_id),
                programme.start_date,
                programme.end_date,
            )
            assert decide_json(case.model_dump(mode="json"))["total"] == pytest.approx(decision.total)


def test_per_worker_entries_explain_the_assignment(plan: dict) -> None:
    kinds = {w["assignment"] for w in plan["workers"]}
    assert kinds == {"direct", "outbound", "training"}
    for w in plan["workers"][:200]:
        assert w["line"] is not None and w["reasons"], w
        assert all(r["effect"] in "+-" and r["text"] for r in w["reasons"])
        assert w["line"]["outbound"] == (w["assignment"] == "outbound") or w["assignment"] == "training"
        if w["assignment"] == "training":
            assert w["reasons"][0]["code"] == "training"
            assert 0 < w["p_complete"] <= 1


def test_plan_reports_groups_and_targets(plan: dict) -> None:
    groups = plan["totals"]["priority_groups"]
    assert set(groups) >= {"poverty_registered", "veteran", "disabled"}
    for g in groups.values():
        assert g["trainees"] <= g["assigned"] <= g["in_scope"]
        assert 0 <= g["share_of_trainees"] <= 1
    targets = plan["targets"]
    assert targets["subsidised_trainings_2019_2021"]["target"] == 180_000
    assert targets["subsidised_trainings_2019_2021"]["plan_adds"] == plan["totals"]["trainees"]
    for name in ("skilled_share_of_employed", "high_skilled_share_of_skilled"):
        assert 0 <= targets[name]["now"] <= 1 and 0 <= targets[name]["with_plan"] <= 1
    assert (
        targets["skilled_share_of_employed"]["with_plan"]
        >= targets["skilled_share_of_employed"]["now"] - 0.02
    )
    assert plan["policy"]["engine_calls"] <= plan["policy"]["pairs_decided"]


def test_stable_mode_reports_its_cost(city: tuple[str, Path], plan: dict) -> None:
    url, models = city
    stable = plan_city(
        PlanOptions(
            budget=120_000, min_class_size=5, priority_weights={"poverty_registered": 2}, stable=True
        ),
        url=url,
        models_dir=models,
    )
    cost = stable["stable"]
    assert cost["optimum_expected_retained"] == pytest.approx(
        plan["totals"]["expected_retained_placements"], abs=0.05
    )
    assert cost["stable_expected_retained"] == pytest.approx(
        stable["totals"]["expected_retained_placements"], abs=0.05
    )
    assert cost["objective_cost"] >= -1e-6
    assert stable["totals"]["subsidies"] <= 120_000 + 1e-6
    assert all(c["size"] >= 5 for c in stable["classes"])
    assert stable["solution"]["method"] == "stable"


def test_milp_and_lagrangian_agree_on_a_county_plan(city: tuple[str, Path]) -> None:
    url, models = city
    model, _ = load_model(models)
    options = PlanOptions(counties=["530302"], budget=20_000, min_class_size=3)
    c = planning_city(load_city(url), options)
    workers, lines, _ = scope_rows(c, options)
    assert set(c.workers.county[workers]) == {"530302"}
    inputs = build_inputs(
        c, gather_arcs(c, model, model.space(c), workers, lines), workers, lines, options, url
    )
    net = inputs.network
    assert len(net.train_worker) > 0
    side = SideConstraints(budget=20_000, min_class_size=3)
    exact, lagr = solve_milp(net, side, time_limit=30), solve_lagrangian(net, side)
    for sol in (exact, lagr):
        assert violations(net, side, sol.direct, sol.train, sol.serve) == []
    assert lagr.objective <= exact.objective + 1e-6 <= lagr.bound + 2e-6
    assert exact.objective - lagr.objective <= lagr.gap * lagr.bound + 1e-6


def test_plan_refuses_a_scope_above_max_workers_and_a_missing_model(
    city: tuple[str, Path], tmp_path: Path
) -> None:
    url, models = city
    with pytest.raises(ValueError, match="max_workers = 10"):
        plan_city(PlanOptions(max_workers=10), url=url, models_dir=models)
    with pytest.raises(ArtifactError, match="manifest"):
        plan_city(PlanOptions(), url=url, models_dir=tmp_path)
