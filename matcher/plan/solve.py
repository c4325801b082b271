"""Choosing the solver for a plan: the pure flow, the MILP or the Lagrangian."""

from __future__ import annotations

from matcher.plan.flow import solve_flow
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
