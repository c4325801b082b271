"""The pure-flow plan: a maximum-value flow on the layered network with OR-Tools' min-cost flow.

Nodes: a source, every worker with a useful arc, each class split into an entry and an exit joined by an
arc of its seats, every line, and a sink. A bypass arc source → sink carries the workers left unassigned,
so every worker may stay out. Arc costs are the negated objective coefficients in integer micro-units
(`cost_scale`); only arcs with a positive coefficient enter (a worker is never sent where they add
nothing). Side constraints are not seen here: the Lagrangian folds them into the coefficients it passes in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from matcher.plan.network import Network

COST_SCALE = 1_000_000
"""Micro-units of value per unit of integer cost: coefficients are rounded to 1e-6 ..."""


def cost_scale(largest: float, nodes: int) -> float:
    """... unless that would overflow OR-Tools' cost scaling, whose potentials reach about
    |cost| × 4 × (nodes + 1)²; then the largest scale that keeps them within int64."""
    if largest <= 0:
        return float(COST_SCALE)
    return float(min(COST_SCALE, 2**61 // (nodes + 1) ** 2 / largest))


@dataclass
class Flows:
    direct: np.ndarray  # 0/1 per direct arc
    train: np.ndarray  # 0/1 per training arc
    serve: np.ndarray  # graduates per serve arc


def solve_flow(
    net: Network,
    direct_coef: np.ndarray | None = None,
    train_coef: np.ndarray | None = None,
    open_classes: np.ndarray | None = None,
    line_capacity: np.ndarray | None = None,
) -> Flows:
    """The flow of greatest total coefficient; defaults are the network's own coefficients and capacities.

    `open_classes` (bool per class) closes the others; `line_capacity` overrides the headcounts.
    """
    dc = net.direct_coef if direct_coef is None else direct_coef
    tc = net.train_coef if train_coef is None else train_coef
    caps = net.line_capacity if line_capacity is None else line_capacity
    n_w, n_c, n_l = net.n_workers, net.n_classes, net.n_lines

    d_on = (dc > 0) & (caps[net.direct_line] > 0)
    t_on = tc > 0
    if open_classes is not None:
        t_on &= open_classes[net.train_class]
    s_on = np.ones(len(net.serve_class), bool) if open_classes is None else open_classes[net.serve_class]
    s_on &= caps[net.serve_line] > 0
    active = np.zeros(n_w, bool)
    active[net.direct_worker[d_on]] = True
    active[net.train_worker[t_on]] = True
    n_active = int(active.sum())
    if n_active == 0:
        return Flows(np.zeros(len(dc)), np.zeros(len(tc)), np.zeros(len(net.serve_class)))

    n_nodes = 2 + n_w + 2 * n_c + n_l
    scale = cost_scale(max(float(dc[d_on].max(initial=0)), float(tc[t_on].max(initial=0))), n_nodes)
    source, sink = 0, 1
    worker_node = 2 + np.arange(n_w)
    class_in = 2 + n_w + np.arange(n_c)
    class_out = class_in + n_c
    line_node = 2 + n_w + 2 * n_c + np.arange(n_l)
    w_act = np.flatnonzero(active)
    d_idx, t_idx, s_idx = np.flatnonzero(d_on), np.flatnonzero(t_on), np.flatnonzero(s_on)

    parts = [
        # (tails, heads, capacities, costs)
        (np.full(n_active, source), worker_node[w_act], np.ones(n_active), np.zeros(n_active)),
        (
            worker_node[net.direct_worker[d_idx]],
            line_node[net.direct_line[d_idx]],
            np.ones(len(d_idx)),
            -np.round(dc[d_idx] * scale),
        ),
        (
            worker_node[net.train_worker[t_idx]],
            class_in[net.train_class[t_idx]],
            np.ones(len(t_idx)),
            -np.round(tc[t_idx] * scale),
        ),
        (class_in, class_out, net.class_seats, np.zeros(n_c)),
        (
            class_out[net.serve_class[s_idx]],
            line_node[net.serve_line[s_idx]],
            np.minimum(net.class_seats[net.serve_class[s_idx]], caps[net.serve_line[s_idx]]),
            np.zeros(len(s_idx)),
        ),
        (line_node, np.full(n_l, sink), caps, np.zeros(n_l)),
        (np.array([source]), np.array([sink]), np.array([n_active]), np.zeros(1)),
    ]
    tails, heads, capacity, cost = (np.concatenate([p[k] for p in parts]).astype(np.int64) for k in range(4))
    mcf = min_cost_flow.SimpleMinCostFlow()
    arcs = mcf.add_arcs_with_capacity_and_unit_cost(tails, heads, capacity, cost)
    supplies = np.zeros(n_nodes, np.int64)
    supplies[source], supplies[sink] = n_active, -n_active
    mcf.set_nodes_supplies(np.arange(len(supplies)), supplies)
    status = mcf.solve()
    if status != mcf.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status!r}; the network is malformed")
    flows = mcf.flows(arcs)
    start = n_active
    out = Flows(np.zeros(len(dc)), np.zeros(len(tc)), np.zeros(len(net.serve_class)))
    out.direct[d_idx] = flows[start : start + len(d_idx)]
    start += len(d_idx)
    out.train[t_idx] = flows[start : start + len(t_idx)]
    start += len(t_idx) + n_c
    out.serve[s_idx] = flows[start : start + len(s_idx)]
    return out
