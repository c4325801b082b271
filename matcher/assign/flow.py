"""Capacitated transportation (max-weight b-matching) solved as a min-cost flow with OR-Tools."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from matcher.assign._checks import capacity_array, index_array, weight_array


@dataclass(frozen=True, eq=False)
class Assignment:
    """Result of `solve_bipartite`.

    `flow[i]` is the number of units on arc i (read-only int64 array), `objective` is sum(weights * flow)
    in the caller's float weights, `status` is "optimal", and `max_gap` bounds |objective - exact optimum|
    (0.0 when the weights were used unscaled, see `solve_bipartite`).
    """

    flow: np.ndarray
    objective: float
    status: str
    max_gap: float


@dataclass(frozen=True)
class _Problem:
    rows: np.ndarray
    cols: np.ndarray
    weights: np.ndarray
    row_capacity: np.ndarray
    col_capacity: np.ndarray
    order: np.ndarray  # arc indices sorted by (row, col)


def _prepare(
    rows: object, cols: object, weights: object, row_capacity: object, col_capacity: object
) -> _Problem:
    r = index_array("rows", rows)
    c = index_array("cols", cols)
    w = weight_array("weights", weights)
    if not len(r) == len(c) == len(w):
        raise ValueError(
            f"rows, cols and weights must have the same length, got {len(r)}, {len(c)} and {len(w)}"
        )
    a = capacity_array("row_capacity", row_capacity, int(r.max()) + 1 if len(r) else 0)
    b = capacity_array("col_capacity", col_capacity, int(c.max()) + 1 if len(c) else 0)
    for name, index, cap_name, cap in (("rows", r, "row_capacity", a), ("cols", c, "col_capacity", b)):
        if len(index) and index.max() >= len(cap):
            at = int(np.flatnonzero(index >= len(cap))[0])
            raise ValueError(f"{name}[{at}] = {index[at]} is out of range: {cap_name} has {len(cap)} entries")
    keys = r * max(len(b), 1) + c
    order = np.argsort(keys, kind="stable")
    repeated = keys[order[1:]] == keys[order[:-1]]
    if repeated.any():
        k = int(np.argmin(np.where(repeated, order[1:], len(keys))))
        first, again = int(order[k]), int(order[k + 1])
        raise ValueError(
            f"arc {again} (row {r[again]}, col {c[again]}) repeats arc {first}; "
            "each (row, col) pair may appear once: merge duplicates before solving"
        )
    return _Problem(r, c, w, a, b, order)


def _cost_limit(num_nodes: int) -> int:
    """Largest integer |cost| that keeps OR-Tools' cost-scaling potentials inside int64.

    Its push-relabel multiplies costs by (nodes + 1) and lets node potentials fall by about
    4 * nodes * that product, so |cost| * 4 * (nodes + 1)**2 must stay below 2**63.
    """
    return min(2**53, 2**61 // (num_nodes + 1) ** 2)


def solve_bipartite(
    rows: object,
    cols: object,
    weights: object,
    row_capacity: object,
    col_capacity: object,
    *,
    maximize: bool = True,
) -> Assignment:
    """Optimal integer flow on the arcs (rows[i], cols[i]) within row and column capacities.

    Arc i may carry any number of units up to min(row_capacity[rows[i]], col_capacity[cols[i]]); the
    units leaving row r sum to at most row_capacity[r], those entering column c to at most col_capacity[c].
    Capacities are arrays of non-negative integers, or scalars applied to rows 0..max(rows) (columns
    0..max(cols)). Each (row, col) pair may appear only once; a repeat is refused.

    maximize=True: maximise sum(weights * flow). Rows and columns may stay short of capacity, so an arc
    with weight <= 0 never carries flow (it cannot raise the total).
    maximize=False: among the flows that move as many units as the capacities allow (maximum flow),
    minimise sum(weights * flow); every arc takes part, whatever the sign of its weight.

    Integer weights with |w| <= limit = min(2**53, 2**61 // (n_rows + n_cols + 3)**2), the largest cost
    OR-Tools handles safely here, are used as they are and the result is exact (max_gap == 0). Other
    weights are multiplied by scale = 2**k (the largest power of two that keeps max|w| * scale under the
    limit, about 2**28 on 68,000 nodes) and rounded, so each unit's weight is off by at most 0.5 / scale
    and |objective - exact float optimum| <= n_units / scale = max_gap. Here n_units, the least of the
    total row capacity, the total column capacity and the summed capacity of the usable arcs, bounds the
    units of any feasible flow. Relative to the size of the problem, max_gap / (n_units * max|w|) is
    below 2 / limit: about 2**-27 on 68,000 nodes, smaller on fewer.

    Ties are broken deterministically: the solver sees the arcs sorted by (row, col) and has no
    randomness, so the same set of arcs gives the same flow whatever order they are listed in.
    No other preference among equally good flows (such as favouring lower arc indices) is promised:
    encoding one into the integer costs would take its bits from the precision of the weights.
    """
    p = _prepare(rows, cols, weights, row_capacity, col_capacity)
    n_rows, n_cols = len(p.row_capacity), len(p.col_capacity)
    flow = np.zeros(len(p.rows), dtype=np.int64)

    arcs = p.order
    arc_cap = np.minimum(p.row_capacity[p.rows[arcs]], p.col_capacity[p.cols[arcs]])
    usable = arc_cap > 0
    if maximize:
        usable &= p.weights[arcs] > 0
    arcs, arc_cap = arcs[usable], arc_cap[usable]
    n_units = int(min(p.row_capacity.sum(), p.col_capacity.sum(), arc_cap.sum()))
    if n_units == 0:
        return _result(flow, p.weights, 0.0)

    w = p.weights[arcs]
    num_nodes = n_rows + n_cols + 2
    limit = _cost_limit(num_nodes)
    largest = float(np.abs(w).max())
    exact = largest <= limit and np.array_equal(w, np.rint(w))
    exponent = 0
    if not exact:
        # Weights may be subnormal, so scale by an exponent rather than by the ratio limit / largest.
        exponent = math.floor(math.log2(limit) - math.log2(largest))
        if math.ldexp(largest, exponent) > limit:
            exponent -= 1
    cost = np.rint(np.ldexp(w, exponent)).astype(np.int64)
    if maximize:
        cost = -cost

    source, sink = n_rows + n_cols, n_rows + n_cols + 1
    row_nodes = np.arange(n_rows, dtype=np.int32)
    col_nodes = np.arange(n_rows, n_rows + n_cols, dtype=np.int32)
    tails = [np.full(n_rows, source, dtype=np.int32), p.rows[arcs].astype(np.int32), col_nodes]
    heads = [row_nodes, (n_rows + p.cols[arcs]).astype(np.int32), np.full(n_cols, sink, dtype=np.int32)]
    caps = [p.row_capacity, arc_cap, p.col_capacity]
    costs = [np.zeros(n_rows, dtype=np.int64), cost, np.zeros(n_cols, dtype=np.int64)]
    if maximize:
        # Units that find no profitable arc go straight from source to sink at no cost.
        tails.append(np.array([source], dtype=np.int32))
        heads.append(np.array([sink], dtype=np.int32))
        caps.append(np.array([n_units], dtype=np.int64))
        costs.append(np.zeros(1, dtype=np.int64))

    solver = min_cost_flow.SimpleMinCostFlow()
    ids = solver.add_arcs_with_capacity_and_unit_cost(
        np.concatenate(tails), np.concatenate(heads), np.concatenate(caps), np.concatenate(costs)
    )
    solver.set_nodes_supplies(np.array([source, sink], dtype=np.int32), np.array([n_units, -n_units]))
    status = solver.solve() if maximize else solver.solve_max_flow_with_min_cost()
    if status != solver.OPTIMAL:
        raise RuntimeError(f"the min-cost flow solver stopped with status {status.name}")

    flow[arcs] = solver.flows(ids[n_rows : n_rows + len(arcs)])
    return _result(flow, p.weights, 0.0 if exact else math.ldexp(n_units, -exponent))


def _result(flow: np.ndarray, weights: np.ndarray, max_gap: float) -> Assignment:
    used = np.flatnonzero(flow)
    objective = math.fsum((weights[used] * flow[used]).tolist())
    flow.flags.writeable = False
    return Assignment(flow=flow, objective=objective, status="optimal", max_gap=max_gap)


def bipartite_lp_bound(
    rows: object,
    cols: object,
    weights: object,
    row_capacity: object,
    col_capacity: object,
    *,
    maximize: bool = True,
) -> float:
    """A guaranteed bound on the exact optimum of the transportation LP (no side constraints).

    The LP is totally unimodular, so its optimum is that of `solve_bipartite`; the bound adds the scaling
    gap so that it stays valid for float weights: an upper bound when maximising, a lower bound on the
    minimum cost of a maximum flow otherwise. A decomposition can bound a side-constrained problem by
    calling it with penalised weights.
    """
    result = solve_bipartite(rows, cols, weights, row_capacity, col_capacity, maximize=maximize)
    return result.objective + result.max_gap if maximize else result.objective - result.max_gap
