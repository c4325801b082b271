"""Choosing the solver for a plan (the pure flow, the MILP or the Lagrangian), and where its graduates go."""

from __future__ import annotations

import numpy as np

from matcher.assign import solve_bipartite
from matcher.plan.flow import solve_flow
from matcher.plan.inputs import PlanInputs
from matcher.plan.lagrange import solve_lagrangian
from matcher.plan.milp import solve_milp
from matcher.plan.network import Network, SideConstraints, Solution, objective

MILP_MAX_ARCS = 20_000
"""Networks up to this many arcs are solved exactly by HiGHS; larger ones by the Lagrangian."""
MILP_TIME_LIMIT = 60.0
LAGRANGIAN_TIME_LIMIT = 30.0


def has_side_constraints(net: Network, side: SideConstraints) -> bool:
    """Whether anything beyond the network's own capacities restricts the trainees."""
    if not len(net.train_worker):
        return False
    return (
        side.budget is not None
        or side.min_class_size > 1
        or bool(side.quotas)
        or len(net.binding_institutions()) > 0
    )


def solve_plan(net: Network, side: SideConstraints, milp_max_arcs: int = MILP_MAX_ARCS) -> Solution:
    """The best plan: a pure min-cost flow when no side constraint applies (its LP is integral, so it is
    optimal with a gap of 0), HiGHS branch and bound up to `milp_max_arcs` arcs, the Lagrangian above."""
    if not has_side_constraints(net, side):
        f = solve_flow(net)
        value = objective(net, f.direct, f.train)
        return Solution(f.direct, f.train, f.serve, value, value, "min-cost flow", "pure flow (integral LP)")
    if net.n_arcs <= milp_max_arcs:
        return solve_milp(net, side, time_limit=MILP_TIME_LIMIT)
    return solve_lagrangian(net, side, time_limit=LAGRANGIAN_TIME_LIMIT)


def place_graduates(inputs: PlanInputs, sol: Solution) -> np.ndarray:
    """The network line each chosen trainee is referred to after the class (-1 for other arcs).

    A class's graduates fill the lines its serve flows reach; within a class the trainees are spread over
    those lines so that as many as possible go to the line of their own best pathway (`solve_bipartite`).
    """
    net = inputs.network
    out = np.full(len(net.train_worker), -1)
    chosen = np.flatnonzero(sol.train > 0.5)
    serve = np.flatnonzero(sol.serve > 0.5)
    if not len(chosen) or not len(serve):
        return out
    l_pos = np.full(int(inputs.lines.max()) + 1, -1)
    l_pos[inputs.lines] = np.arange(len(inputs.lines))
    own = l_pos[inputs.train_line[chosen]]
    # every (trainee, serve arc of the trainee's class) pair
    by_class = np.argsort(net.serve_class[serve], kind="stable")
    serve_classes = net.serve_class[serve][by_class]
    trainee_class = net.train_class[chosen]
    first = np.searchsorted(serve_classes, trainee_class, "left")
    count = np.searchsorted(serve_classes, trainee_class, "right") - first
    r = np.repeat(np.arange(len(chosen)), count)
    c = by_class[
        np.repeat(first, count) + np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    ]
    weight = 1.0 + (net.serve_line[serve[c]] == own[r])
    result = solve_bipartite(
        r, c, weight, np.ones(len(chosen), np.int64), np.round(sol.serve[serve]).astype(np.int64)
    )
    used = result.flow > 0
    out[chosen[r[used]]] = net.serve_line[serve[c[used]]]
    return out
