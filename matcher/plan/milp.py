"""The plan as a mixed-integer program (HiGHS through `scipy.optimize.milp`) and its LP relaxation.

Variables: one per direct arc and per training arc (0/1), one per serve arc (graduates, integer), and,
when classes have a minimum size, one per class that has trainee arcs (open or not, 0/1). Rows: each worker
at most once, each line at most its headcount, each class sends on what it trains and holds at most its
seats (and at least the minimum when open), institutions at most their seats, the budget, the quotas.
Without side constraints the matrix is a network matrix and the LP optimum is already integral.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from matcher.plan.network import Network, SideConstraints, Solution, objective


@dataclass
class Program:
    c: np.ndarray  # to maximise
    a_ub: sparse.csr_matrix
    b_ub: np.ndarray
    a_eq: sparse.csr_matrix
    b_eq: np.ndarray
    upper: np.ndarray
    integrality: np.ndarray
    n_direct: int
    n_train: int
    n_serve: int


def _rows(row: np.ndarray, col: np.ndarray, val: np.ndarray, n_rows: int, n_cols: int) -> sparse.csr_matrix:
    return sparse.csr_matrix((val, (row, col)), shape=(n_rows, n_cols))


def build_program(net: Network, side: SideConstraints, pure: bool = False) -> Program:
    """The program of `net` under `side`; `pure` leaves every side constraint out."""
    n_d, n_t, n_s, n_c = len(net.direct_worker), len(net.train_worker), len(net.serve_class), net.n_classes
    used = np.zeros(n_c, bool)
    used[net.train_class] = True
    with_min = not pure and side.min_class_size > 1
    opened = np.flatnonzero(used) if with_min else np.zeros(0, np.int64)
    n_o = len(opened)
    n = n_d + n_t + n_s + n_o
    d_cols, t_cols, s_cols = np.arange(n_d), n_d + np.arange(n_t), n_d + n_t + np.arange(n_s)
    o_col = np.full(n_c, -1)
    o_col[opened] = n_d + n_t + n_s + np.arange(n_o)

    blocks, rhs = [], []
    # each worker at most once
    blocks.append(
        _rows(
            np.concatenate([net.direct_worker, net.train_worker]),
            np.concatenate([d_cols, t_cols]),
            np.ones(n_d + n_t),
            net.n_workers,
            n,
        )
    )
    rhs.append(np.ones(net.n_workers))
    # each line at most its headcount
    blocks.append(
        _rows(
            np.concatenate([net.direct_line, net.serve_line]),
            np.concatenate([d_cols, s_cols]),
            np.ones(n_d + n_s),
            net.n_lines,
            n,
        )
    )
    rhs.append(net.line_capacity.astype(float))
    # class seats (times "open" when classes have a minimum size)
    if with_min:
        blocks.append(
            _rows(
                np.concatenate([net.train_class, opened]),
                np.concatenate([t_cols, o_col[opened]]),
                np.concatenate([np.ones(n_t), -net.class_seats[opened].astype(float)]),
                n_c,
                n,
            )
        )
        rhs.append(np.zeros(n_c))
        blocks.append(
            _rows(
                np.concatenate([net.train_class, opened]),
                np.concatenate([t_cols, o_col[opened]]),
                np.concatenate([-np.ones(n_t), np.full(n_o, float(side.min_class_size))]),
                n_c,
                n,
            )
        )
        rhs.append(np.zeros(n_c))
    else:
        blocks.append(_rows(net.train_class, t_cols, np.ones(n_t), n_c, n))
        rhs.append(net.class_seats.astype(float))
    if not pure:
        inst = net.binding_institutions()
        if len(inst):
            pos = np.full(len(net.institution_seats), -1)
            pos[inst] = np.arange(len(inst))
            row = pos[net.class_institution[net.train_class]]
            keep = row >= 0
            blocks.append(_rows(row[keep], t_cols[keep], np.ones(int(keep.sum())), len(inst), n))
            rhs.append(net.institution_seats[inst].astype(float))
        if side.budget is not None:
            blocks.append(_rows(np.zeros(n_t, np.int64), t_cols, net.train_subsidy, 1, n))
            rhs.append(np.array([side.budget]))
        for q in side.quotas:
            coef = q.share - q.members[net.train_worker].astype(float)
            blocks.append(_rows(np.zeros(n_t, np.int64), t_cols, coef, 1, n))
            rhs.append(np.zeros(1))
    a_eq = _rows(
        np.concatenate([net.train_class, net.serve_class]),
        np.concatenate([t_cols, s_cols]),
        np.concatenate([np.ones(n_t), -np.ones(n_s)]),
        n_c,
        n,
    )
    upper = np.concatenate(
        [
            np.ones(n_d + n_t),
            np.minimum(net.class_seats[net.serve_class], net.line_capacity[net.serve_line]).astype(float),
            np.ones(n_o),
        ]
    )
    integrality = np.concatenate([np.ones(n_d + n_t + n_s), np.ones(n_o)])
    c = np.concatenate([net.direct_coef, net.train_coef, np.zeros(n_s + n_o)])
    return Program(
        c,
        sparse.vstack(blocks).tocsr(),
        np.concatenate(rhs),
        a_eq,
        np.zeros(n_c),
        upper,
        integrality,
        n_d,
        n_t,
        n_s,
    )


def lp_bound(net: Network, side: SideConstraints, pure: bool = False) -> tuple[float, np.ndarray]:
    """The optimum of the LP relaxation (an upper bound on the plan's objective) and its solution."""
    p = build_program(net, side, pure)
    if len(p.c) == 0:
        return 0.0, np.zeros(0)
    res = linprog(
        -p.c,
        A_ub=p.a_ub,
        b_ub=p.b_ub,
        A_eq=p.a_eq,
        b_eq=p.b_eq,
        bounds=np.column_stack([np.zeros(len(p.c)), p.upper]),
        method="highs",
    )
    if res.status != 0:
        raise RuntimeError(f"the LP relaxation did not solve: {res.message}")
    return float(-res.fun), res.x


def solve_milp(
    net: Network, side: SideConstraints, time_limit: float = 60.0, mip_rel_gap: float = 1e-6
) -> Solution:
    """The plan by branch and bound (HiGHS), its gap measured against the LP relaxation's bound.

    When the time limit stops the search, the best plan found is returned and its gap says how good it is.
    """
    p = build_program(net, side)
    bound, _ = lp_bound(net, side)
    n = len(p.c)
    if n == 0:
        z = np.zeros(0)
        return Solution(z, z, z, 0.0, 0.0, "milp", "lp")
    res = milp(
        -p.c,
        constraints=[LinearConstraint(p.a_ub, -np.inf, p.b_ub), LinearConstraint(p.a_eq, p.b_eq, p.b_eq)],
        integrality=p.integrality,
        bounds=Bounds(np.zeros(n), p.upper),
        options={"time_limit": time_limit, "mip_rel_gap": mip_rel_gap},
    )
    if res.x is None:
        raise RuntimeError(f"HiGHS found no plan: {res.message}")
    x = np.round(res.x)
    direct, train = x[: p.n_direct], x[p.n_direct : p.n_direct + p.n_train]
    serve = x[p.n_direct + p.n_train : p.n_direct + p.n_train + p.n_serve]
    notes = [] if res.status == 0 else [f"HiGHS stopped early: {res.message}"]
    dual = getattr(res, "mip_dual_bound", None)
    if dual is not None and np.isfinite(dual) and -dual < bound - 1e-6 * max(abs(bound), 1.0):
        notes.append(f"the branch-and-bound dual bound {-dual:.6g} is tighter than the LP bound {bound:.6g}")
    return Solution(direct, train, serve, objective(net, direct, train), bound, "milp", "lp", notes=notes)
