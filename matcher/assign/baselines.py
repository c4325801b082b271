"""Independent solvers of the `solve_bipartite` problem, used to check it and to measure it against.

Both take the same arguments and semantics as `solve_bipartite` and return (objective, flow), with the
flow as a float array: networkx's network simplex on an explicit flow network, exact for float weights too
(each weight becomes a Python integer times a common power of two), and SciPy's HiGHS on the transportation
LP (totally unimodular, so its optimal vertex is integral; its tolerances are HiGHS's own).
"""

from __future__ import annotations

import math
from fractions import Fraction

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from matcher.assign.flow import _prepare


def networkx_solve(
    rows: object,
    cols: object,
    weights: object,
    row_capacity: object,
    col_capacity: object,
    *,
    maximize: bool = True,
) -> tuple[float, np.ndarray]:
    """Network simplex on source -> rows -> columns -> sink, plus a free source -> sink bypass when
    maximising so that units may stay unassigned; minimising runs max-flow-min-cost without the bypass."""
    p = _prepare(rows, cols, weights, row_capacity, col_capacity)
    g = nx.DiGraph()
    g.add_nodes_from(["s", "t"])
    for r, cap in enumerate(p.row_capacity.tolist()):
        g.add_edge("s", ("r", r), capacity=cap, weight=0)
    for c, cap in enumerate(p.col_capacity.tolist()):
        g.add_edge(("c", c), "t", capacity=cap, weight=0)
    # Network simplex may cycle on floats; every float is an integer over a power of two, so one common
    # denominator turns all weights into exact Python integers with the same optimal flows.
    exact = [Fraction(w) for w in p.weights.tolist()]
    denominator = max((f.denominator for f in exact), default=1)
    sign = -1 if maximize else 1
    for r, c, w in zip(p.rows.tolist(), p.cols.tolist(), exact):
        cap = int(min(p.row_capacity[r], p.col_capacity[c]))
        g.add_edge(("r", r), ("c", c), capacity=cap, weight=sign * int(w * denominator))
    if maximize:
        units = int(min(p.row_capacity.sum(), p.col_capacity.sum()))
        g.add_edge("s", "t", capacity=units, weight=0)
        g.nodes["s"]["demand"], g.nodes["t"]["demand"] = -units, units
        _, flow_dict = nx.network_simplex(g)
    else:
        flow_dict = nx.max_flow_min_cost(g, "s", "t")
    flow = np.array(
        [flow_dict[("r", r)][("c", c)] for r, c in zip(p.rows.tolist(), p.cols.tolist())], dtype=np.float64
    )
    return math.fsum((p.weights * flow).tolist()), flow


def highs_solve(
    rows: object,
    cols: object,
    weights: object,
    row_capacity: object,
    col_capacity: object,
    *,
    maximize: bool = True,
) -> tuple[float, np.ndarray]:
    """The transportation LP with HiGHS; minimising first finds the maximum flow, then its least cost."""
    p = _prepare(rows, cols, weights, row_capacity, col_capacity)
    n_arcs, n_rows = len(p.rows), len(p.row_capacity)
    if n_arcs == 0:
        return 0.0, np.zeros(0)
    a_ub = sp.csr_array(
        (np.ones(2 * n_arcs), (np.concatenate([p.rows, n_rows + p.cols]), np.tile(np.arange(n_arcs), 2))),
        shape=(n_rows + len(p.col_capacity), n_arcs),
    )
    b_ub = np.concatenate([p.row_capacity, p.col_capacity]).astype(np.float64)
    bounds = np.column_stack([np.zeros(n_arcs), np.minimum(p.row_capacity[p.rows], p.col_capacity[p.cols])])
    if maximize:
        res = linprog(-p.weights, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
        return _checked(res, "max-weight LP") * -1.0, res.x
    most = linprog(-np.ones(n_arcs), A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
    units = -_checked(most, "max-flow LP")
    res = linprog(
        p.weights,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=sp.csr_array(np.ones((1, n_arcs))),
        b_eq=[round(units)],
        bounds=bounds,
        method="highs",
    )
    return _checked(res, "min-cost LP"), res.x


def _checked(res: object, what: str) -> float:
    if not res.success:  # type: ignore[attr-defined]
        raise RuntimeError(f"HiGHS could not solve the {what}: {res.message}")  # type: ignore[attr-defined]
    return float(res.fun)  # type: ignore[attr-defined]
