"""The plan's optimisation core on small networks: min-cost flow, MILP, Lagrangian, stable mode."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.assign import deferred_acceptance
from matcher.model.ragged import group_max
from matcher.plan import (
    Network,
    Quota,
    SideConstraints,
    lp_bound,
    solve_flow,
    solve_lagrangian,
    solve_milp,
    stable_plan,
    violations,
)
from matcher.plan.flow import dual_value, flow_prices, raised_prices
from matcher.plan.inputs import PlanInputs
from matcher.plan.network import Solution, class_sizes, objective
from matcher.plan.options import PlanOptions
from matcher.plan.solve import place_graduates
from matcher.plan.subsidy import PairDecisions


def random_network(
    seed: int,
    workers: int = 40,
    lines: int = 8,
    classes: int = 4,
    institutions: int = 2,
    direct_per_worker: int = 3,
    train_per_worker: int = 2,
) -> Network:
    """A network with every worker on a few random lines and classes; each class serves a few lines."""
    r = np.random.default_rng(seed)
    dw = np.repeat(np.arange(workers), direct_per_worker)
    dl = np.concatenate([r.choice(lines, direct_per_worker, replace=False) for _ in range(workers)])
    tw = np.repeat(np.arange(workers), train_per_worker)
    tc = np.concatenate([r.choice(classes, train_per_worker, replace=False) for _ in range(workers)])
    sc = np.repeat(np.arange(classes), 3)
    sl = np.concatenate([r.choice(lines, 3, replace=False) for _ in range(classes)])
    return Network(
        n_workers=workers,
        line_capacity=r.integers(1, 8, lines),
        class_seats=r.integers(3, 15, classes),
        class_institution=r.integers(0, institutions, classes),
        institution_seats=r.integers(5, 25, institutions),
        direct_worker=dw,
        direct_line=dl,
        direct_value=r.random(len(dw)) * 0.5,
        train_worker=tw,
        train_class=tc,
        train_value=r.random(len(tw)) * 0.9,
        train_subsidy=r.integers(500, 3000, len(tw)).astype(float),
        serve_class=sc,
        serve_line=sl,
        worker_weight=np.where(r.random(workers) < 0.2, 2.0, 1.0),
    )


def assert_flow_shape(net: Network, direct: np.ndarray, train: np.ndarray, serve: np.ndarray) -> None:
    """Flows are whole numbers on the network's own arcs, 0/1 on worker arcs."""
    assert direct.shape == net.direct_worker.shape and train.shape == net.train_worker.shape
    assert serve.shape == net.serve_class.shape
    for f in (direct, train, serve):
        assert (f >= 0).all() and np.array_equal(f, np.round(f))
    assert direct.max(initial=0) <= 1 and train.max(initial=0) <= 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    workers=st.integers(1, 30),
    lines=st.integers(3, 6),
    classes=st.integers(2, 4),
)
def test_pure_flow_is_feasible_and_equals_the_lp_optimum(
    seed: int, workers: int, lines: int, classes: int
) -> None:
    net = random_network(seed, workers, lines, classes)
    f = solve_flow(net)
    assert_flow_shape(net, f.direct, f.train, f.serve)
    # the pure flow ignores institutions' seats; everything else holds
    assert not [
        v for v in violations(net, SideConstraints(), f.direct, f.train, f.serve) if "institution" not in v
    ]
    value, _ = lp_bound(net, SideConstraints(), pure=True)
    assert objective(net, f.direct, f.train) == pytest.approx(value, abs=1e-4)


@given(
    groups=st.lists(st.integers(0, 9), max_size=60),
    in_runs=st.booleans(),
    floor=st.sampled_from([0.0, -np.inf]),
)
def test_group_max_is_each_groups_largest_value_at_least_the_floor(
    groups: list[int], in_runs: bool, floor: float
) -> None:
    g = np.sort(np.array(groups, np.int64)) if in_runs else np.array(groups, np.int64)
    values = np.random.default_rng(len(groups)).normal(size=len(g))
    expected = np.full(12, floor)
    np.maximum.at(expected, g, values)
    assert np.array_equal(group_max(g, values, 12, floor), expected)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    budget=st.sampled_from([None, 3_000.0, 15_000.0]),
    min_size=st.integers(1, 5),
    share=st.sampled_from([0.0, 0.3, 0.6]),
)
def test_lagrangian_is_feasible_and_its_bound_covers_the_milp_optimum(
    seed: int, budget: float | None, min_size: int, share: float
) -> None:
    net = random_network(seed)
    members = np.random.default_rng(seed + 1).random(net.n_workers) < 0.3
    side = SideConstraints(budget=budget, min_class_size=min_size, quotas=(Quota("poor", members, share),))
    exact = solve_milp(net, side, time_limit=20)
    lagr = solve_lagrangian(net, side)
    for sol in (exact, lagr):
        assert_flow_shape(net, sol.direct, sol.train, sol.serve)
        assert violations(net, side, sol.direct, sol.train, sol.serve) == []
    # weak duality: the optimum lies between the Lagrangian plan and its bound, within the reported gap
    assert lagr.objective <= exact.objective + 1e-6
    assert exact.objective <= lagr.bound + 1e-6
    assert exact.objective - lagr.objective <= lagr.gap * lagr.bound + 1e-6
    assert exact.objective <= exact.bound + 1e-6


def test_budget_minimum_size_and_quota_hold_in_the_milp() -> None:
    net = random_network(3, workers=60)
    members = np.arange(net.n_workers) % 4 == 0
    side = SideConstraints(budget=12_000, min_class_size=4, quotas=(Quota("poor", members, 0.5),))
    sol = solve_milp(net, side)
    sizes = class_sizes(net, sol.train)
    assert ((sizes == 0) | (sizes >= 4)).all()
    assert net.train_subsidy @ sol.train <= 12_000 + 1e-6
    trainees = sol.train.sum()
    assert trainees == 0 or sol.train @ members[net.train_worker] >= 0.5 * trainees - 1e-9
    free = solve_milp(net, SideConstraints())
    assert sol.objective <= free.objective + 1e-9
    assert net.train_subsidy @ free.train > 12_000, "the instance must make the budget bind"


def test_a_quota_that_cannot_be_met_with_trainees_leaves_classes_empty() -> None:
    net = random_network(5)
    nobody = np.zeros(net.n_workers, bool)
    side = SideConstraints(quotas=(Quota("veterans", nobody, 0.5),))
    for sol in (solve_milp(net, side), solve_lagrangian(net, side)):
        assert sol.train.sum() == 0
        assert violations(net, side, sol.direct, sol.train, sol.serve) == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), workers=st.integers(1, 40), cut=st.floats(0.0, 1.0))
def test_flow_prices_are_the_optimal_duals_and_any_prices_bound_the_optimum(
    seed: int, workers: int, cut: float
) -> None:
    net = random_network(seed, workers)
    # a shift of the training coefficients, as the Lagrangian makes them
    adj = net.train_coef - cut * net.train_subsidy / net.train_subsidy.max()
    f = solve_flow(net, train_coef=adj)
    optimum = float(net.direct_coef @ f.direct + adj @ f.train)
    prices = flow_prices(net, f, train_coef=adj)
    assert (prices.line >= 0).all() and (prices.seat >= 0).all()
    assert dual_value(net, prices, train_coef=adj) == pytest.approx(optimum, abs=1e-5)
    # prices of a flow on fewer arcs still bound the whole network's optimum; raising them keeps that
    fewer = Network(
        net.n_workers,
        net.line_capacity,
        net.class_seats,
        net.class_institution,
        net.institution_seats,
        net.direct_worker[::2],
        net.direct_line[::2],
        net.direct_value[::2],
        net.train_worker,
        net.train_class,
        net.train_value,
        net.train_subsidy,
        net.serve_class,
        net.serve_line,
        net.worker_weight,
    )
    partial = flow_prices(fewer, solve_flow(fewer, train_coef=adj), train_coef=adj)
    loose = dual_value(net, partial, train_coef=adj)
    raised = dual_value(net, raised_prices(net, partial, train_coef=adj), train_coef=adj)
    assert optimum <= raised + 1e-6
    assert raised <= loose + 1e-9


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    budget=st.sampled_from([3_000.0, 15_000.0]),
    min_size=st.integers(1, 5),
    share=st.sampled_from([0.0, 0.3]),
)
def test_lagrangian_on_a_priced_core_is_feasible_and_brackets_the_milp_optimum(
    seed: int, budget: float, min_size: int, share: float
) -> None:
    net = random_network(seed, workers=60, direct_per_worker=5)
    members = np.random.default_rng(seed + 1).random(net.n_workers) < 0.3
    side = SideConstraints(budget=budget, min_class_size=min_size, quotas=(Quota("poor", members, share),))
    exact = solve_milp(net, side, time_limit=20)
    lagr = solve_lagrangian(net, side, core_above=0)
    assert violations(net, side, lagr.direct, lagr.train, lagr.serve) == []
    assert_flow_shape(net, lagr.direct, lagr.train, lagr.serve)
    assert lagr.objective == pytest.approx(objective(net, lagr.direct, lagr.train))
    assert lagr.objective <= exact.objective + 1e-6
    assert exact.objective <= lagr.bound + 1e-6
    assert exact.objective - lagr.objective <= lagr.gap * lagr.bound + 1e-6


def test_a_flow_that_meets_the_side_constraints_is_the_plan_at_once() -> None:
    net = random_network(4, workers=60, direct_per_worker=5)
    net = dataclasses.replace(net, institution_seats=np.full(len(net.institution_seats), 1_000))
    side = SideConstraints(budget=1e9)
    lagr = solve_lagrangian(net, side, core_above=0)
    f = solve_flow(net)
    assert lagr.gap == 0 and lagr.iterations == 0
    assert lagr.objective == pytest.approx(objective(net, f.direct, f.train))


def test_lagrangian_on_a_core_keeps_a_valid_bound() -> None:
    net = random_network(11, workers=400, lines=30, classes=8, institutions=3, direct_per_worker=8)
    side = SideConstraints(budget=40_000, min_class_size=5)
    lagr = solve_lagrangian(net, side, core_above=100)
    assert any("core" in note for note in lagr.notes)
    assert violations(net, side, lagr.direct, lagr.train, lagr.serve) == []
    lp, _ = lp_bound(net, side)
    # the dual of the flow relaxation is at least the LP relaxation's optimum
    assert lagr.bound >= lp - 1e-6 * max(lp, 1)
    assert lagr.objective <= lp + 1e-6


def test_stable_plan_has_no_blocking_pair_without_classes() -> None:
    net = random_network(8, workers=50, classes=4, train_per_worker=0)
    side = SideConstraints()
    optimum = solve_flow(net)
    best = objective(net, optimum.direct, optimum.train)
    from matcher.plan.network import Solution

    sol = stable_plan(
        net, side, Solution(optimum.direct, optimum.train, optimum.serve, best, best, "flow", "lp")
    )
    assert violations(net, side, sol.direct, sol.train, sol.serve) == []
    assert sol.objective <= best + 1e-9
    got = {int(net.direct_worker[a]): int(net.direct_line[a]) for a in np.flatnonzero(sol.direct)}
    load = np.bincount(list(got.values()), minlength=net.n_lines)
    value = {
        (int(w), int(ln)): float(v) for w, ln, v in zip(net.direct_worker, net.direct_line, net.direct_value)
    }
    coef = {
        (int(w), int(ln)): float(c) for w, ln, c in zip(net.direct_worker, net.direct_line, net.direct_coef)
    }
    for (w, ln), v in value.items():
        if v <= 0 or got.get(w) == ln:
            continue
        mine = value.get((w, got[w]), 0.0) if w in got else 0.0
        if v <= mine:
            continue  # w does not prefer ln
        holders = [x for x, y in got.items() if y == ln]
        # ln is full and prefers every worker it holds
        assert load[ln] >= net.line_capacity[ln]
        assert all(coef[(x, ln)] >= coef[(w, ln)] for x in holders)


def test_stable_plan_matches_deferred_acceptance_on_direct_arcs() -> None:
    net = random_network(21, workers=30, classes=2, train_per_worker=0)
    from matcher.plan.network import Solution

    f = solve_flow(net)
    sol = stable_plan(net, SideConstraints(), Solution(f.direct, f.train, f.serve, 0.0, 0.0, "flow", "lp"))
    prefs: dict[int, list[int]] = {}
    for a in np.lexsort((net.direct_line, -net.direct_value, net.direct_worker)):
        prefs.setdefault(int(net.direct_worker[a]), []).append(int(net.direct_line[a]))
    ranks: dict[int, list[int]] = {}
    for a in np.lexsort((net.direct_worker, -net.direct_coef, net.direct_line)):
        ranks.setdefault(int(net.direct_line[a]), []).append(int(net.direct_worker[a]))
    caps = {ln: int(net.line_capacity[ln]) for ln in ranks}
    expected = {w: ln for w, ln in deferred_acceptance(prefs, ranks, caps).items() if ln is not None}
    got = {int(net.direct_worker[a]): int(net.direct_line[a]) for a in np.flatnonzero(sol.direct)}
    assert got == expected


def test_stable_plan_closes_classes_below_the_minimum_and_keeps_the_budget() -> None:
    net = random_network(4, workers=60)
    side = SideConstraints(budget=10_000, min_class_size=4)
    optimum = solve_milp(net, side)
    sol = stable_plan(net, side, optimum)
    assert violations(net, side, sol.direct, sol.train, sol.serve) == []
    assert sol.objective <= optimum.objective + 1e-9
    assert sol.bound == optimum.bound


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"direct_line": [0, 99]}, "direct_line[1] = 99 is not a line"),
        ({"direct_value": [0.1, float("nan")]}, "direct_value[1]"),
        ({"line_capacity": [2, -1, 1]}, "line_capacity[1] = -1 is negative"),
        ({"direct_worker": [0, 0], "direct_line": [1, 1]}, "direct arc 1 (0 → 1) repeats arc 0"),
        ({"class_institution": [3]}, "class_institution[0] = 3 is not a institution"),
        ({"train_subsidy": [-5.0]}, "train_subsidy[0] = -5.0 must be a finite number >= 0"),
    ],
)
def test_bad_networks_are_refused_naming_the_field(change: dict, message: str) -> None:
    base: dict[str, Any] = {
        "n_workers": 2,
        "line_capacity": [2, 1, 1],
        "class_seats": [5],
        "class_institution": [0],
        "institution_seats": [10],
        "direct_worker": [0, 1],
        "direct_line": [0, 1],
        "direct_value": [0.1, 0.2],
        "train_worker": [0],
        "train_class": [0],
        "train_value": [0.3],
        "train_subsidy": [100.0],
        "serve_class": [0],
        "serve_line": [2],
    }
    base.update(change)
    with pytest.raises(ValueError, match=re.escape(message)):
        arrays: dict[str, Any] = {k: np.asarray(v) if isinstance(v, list) else v for k, v in base.items()}
        Network(**arrays)


def test_bad_side_constraints_and_options_are_refused() -> None:
    with pytest.raises(ValueError, match="budget"):
        SideConstraints(budget=-1)
    with pytest.raises(ValueError, match="min_class_size"):
        SideConstraints(min_class_size=0)
    with pytest.raises(ValueError, match="share"):
        Quota("poor", np.zeros(3, bool), 1.5)
    with pytest.raises(ValueError, match="extra"):
        PlanOptions(budgt=5)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match=r"counties 第 2 项 '110101' 不是曲靖的县"):
        PlanOptions(counties=["530302", "110101"])
    with pytest.raises(ValueError, match=r"priority_weights\[veteran\] 为 0.5：优先权重须在 1 到"):
        PlanOptions(priority_weights={"veteran": 0.5})
    with pytest.raises(ValueError, match="priority_weights"):
        PlanOptions(priority_weights={"astronaut": 2})
    assert PlanOptions(priority_weights={"poverty_registered": 3}).priority_weights


def test_graduates_go_to_the_line_of_their_own_pathway_where_the_serve_flows_allow() -> None:
    # one class of three seats serving two lines of one place each; the first two workers trained, the first
    # led there by line row 20 (network line 1), the second by line row 10 (network line 0)
    net = Network(
        n_workers=3,
        line_capacity=np.array([1, 1]),
        class_seats=np.array([3]),
        class_institution=np.array([0]),
        institution_seats=np.array([3]),
        direct_worker=np.zeros(0, np.int64),
        direct_line=np.zeros(0, np.int64),
        direct_value=np.zeros(0),
        train_worker=np.array([0, 1, 2]),
        train_class=np.array([0, 0, 0]),
        train_value=np.array([0.5, 0.5, 0.5]),
        train_subsidy=np.zeros(3),
        serve_class=np.array([0, 0]),
        serve_line=np.array([0, 1]),
    )
    inputs = PlanInputs(
        network=net,
        workers=np.arange(3),
        lines=np.array([10, 20]),
        programmes=np.array([0]),
        class_start=np.array([0]),
        class_end=np.array([0]),
        train_complete=np.ones(3),
        train_line=np.array([20, 10, 10]),
        decisions=PairDecisions(np.zeros(3, np.int64), [], 0),
        priority_weights={},
    )
    sol = Solution(np.zeros(0), np.array([1.0, 1.0, 0.0]), np.array([1.0, 1.0]), 1.0, 1.0, "test", "test")
    assert place_graduates(inputs, sol).tolist() == [1, 0, -1]
    closed = Solution(np.zeros(0), np.zeros(3), np.zeros(2), 0.0, 0.0, "test", "test")
    assert place_graduates(inputs, closed).tolist() == [-1, -1, -1]
