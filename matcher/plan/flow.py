"""The pure-flow plan: a maximum-value flow on the layered network with OR-Tools' min-cost flow.

Nodes: a source, every worker with a useful arc, each class split into an entry and an exit joined by an
arc of its seats, every line, and a sink. A bypass arc source → sink carries the workers left unassigned,
so every worker may stay out. Arc costs are the negated objective coefficients in integer micro-units
(`cost_scale`); only arcs with a positive coefficient enter (a worker is never sent where they add
nothing). Side constraints are not seen here: the Lagrangian folds them into the coefficients it passes in.

`flow_prices` reads the LP duals of an optimal flow (a price per line, per class seat and per class exit)
off the flow itself, and `dual_value` turns any such prices into an upper bound on the flow's optimum on
a network, also one with more arcs than the flow was solved on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from matcher.model.ragged import group_max, rank_within
from matcher.plan.network import Network, class_sizes

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


@dataclass
class Prices:
    """LP duals of the flow, in units of the objective: what a unit of each capacity is worth."""

    line: np.ndarray  # (L,) per unit of headcount, >= 0
    seat: np.ndarray  # (C,) per class seat, >= 0
    exit: np.ndarray  # (C,) per graduate leaving the class (at most the price of each line it serves)


@dataclass
class _Arcs:
    """The arcs a flow with these coefficients uses (`on` masks) and the integer costs' scale."""

    direct_on: np.ndarray
    train_on: np.ndarray
    serve_on: np.ndarray
    scale: float


def _arcs(
    net: Network, dc: np.ndarray, tc: np.ndarray, open_classes: np.ndarray | None, caps: np.ndarray
) -> _Arcs:
    d_on = (dc > 0) & (caps[net.direct_line] > 0)
    t_on = tc > 0
    if open_classes is not None:
        t_on &= open_classes[net.train_class]
    s_on = np.ones(len(net.serve_class), bool) if open_classes is None else open_classes[net.serve_class]
    s_on &= caps[net.serve_line] > 0
    n_nodes = 2 + net.n_workers + 2 * net.n_classes + net.n_lines
    scale = cost_scale(max(float(dc[d_on].max(initial=0)), float(tc[t_on].max(initial=0))), n_nodes)
    return _Arcs(d_on, t_on, s_on, scale)


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
    on = _arcs(net, dc, tc, open_classes, caps)

    active = np.zeros(n_w, bool)
    active[net.direct_worker[on.direct_on]] = True
    active[net.train_worker[on.train_on]] = True
    n_active = int(active.sum())
    if n_active == 0:
        return Flows(np.zeros(len(dc)), np.zeros(len(tc)), np.zeros(len(net.serve_class)))

    n_nodes = 2 + n_w + 2 * n_c + n_l
    source, sink = 0, 1
    worker_node = 2 + np.arange(n_w)
    class_in = 2 + n_w + np.arange(n_c)
    class_out = class_in + n_c
    line_node = 2 + n_w + 2 * n_c + np.arange(n_l)
    w_act = np.flatnonzero(active)
    d_idx, t_idx, s_idx = (np.flatnonzero(m) for m in (on.direct_on, on.train_on, on.serve_on))

    parts = [
        # (tails, heads, capacities, costs)
        (np.full(n_active, source), worker_node[w_act], np.ones(n_active), np.zeros(n_active)),
        (
            worker_node[net.direct_worker[d_idx]],
            line_node[net.direct_line[d_idx]],
            np.ones(len(d_idx)),
            -np.round(dc[d_idx] * on.scale),
        ),
        (
            worker_node[net.train_worker[t_idx]],
            class_in[net.train_class[t_idx]],
            np.ones(len(t_idx)),
            -np.round(tc[t_idx] * on.scale),
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


PRICE_ROUNDS = 1_000
"""Rounds of `flow_prices` at most: far more than an optimal flow's prices take (about 20 at city scale)."""


def flow_prices(
    net: Network,
    flows: Flows,
    direct_coef: np.ndarray | None = None,
    train_coef: np.ndarray | None = None,
) -> Prices:
    """The least LP duals of `flows`, optimal when `flows` is `solve_flow`'s with these coefficients.

    A worker on an option (a line, or a class's seats) takes no other: every other option is priced at
    least its coefficient less what the worker gains where they are; an option of a worker left out at
    least its coefficient. A class's exit is priced as each line it sends graduates to and at most as
    each line it may serve, its entry as its exit unless its seats are full. The least prices meeting all
    of these (a longest path, found by rounds over all options at once) are optimal duals, in the
    solver's integer costs, so exactly. For a flow that is not optimal the rounds stop after
    `PRICE_ROUNDS`; `dual_value` still bounds with whatever prices they reached.
    """
    dc = net.direct_coef if direct_coef is None else direct_coef
    tc = net.train_coef if train_coef is None else train_coef
    on = _arcs(net, dc, tc, None, net.line_capacity)
    n_l, n_c = net.n_lines, net.n_classes
    class_in, class_out = n_l + np.arange(n_c), n_l + n_c + np.arange(n_c)
    node = np.concatenate([net.direct_line[on.direct_on], class_in[net.train_class[on.train_on]]])
    by_node = np.argsort(node, kind="stable")
    node = node[by_node]
    worker = np.concatenate([net.direct_worker[on.direct_on], net.train_worker[on.train_on]])[by_node]
    value = np.round(np.concatenate([dc[on.direct_on], tc[on.train_on]]) * on.scale)[by_node]
    taken = np.concatenate([flows.direct[on.direct_on], flows.train[on.train_on]])[by_node] > 0.5
    placed = np.zeros(net.n_workers, bool)
    placed[worker[taken]] = True
    at_node = np.zeros(net.n_workers, np.int64)
    at_value = np.zeros(net.n_workers)
    at_node[worker[taken]], at_value[worker[taken]] = node[taken], value[taken]
    # exits and entries: (from, to) pairs whose price the second must reach
    serve_cap = np.minimum(net.class_seats[net.serve_class], net.line_capacity[net.serve_line])
    open_seats = class_sizes(net, flows.train) < net.class_seats
    unsaturated = on.serve_on & (flows.serve < serve_cap)
    used = flows.serve > 0
    tails = np.concatenate(
        [class_out[net.serve_class[unsaturated]], net.serve_line[used], class_out, class_in[open_seats]]
    )
    heads = np.concatenate(
        [net.serve_line[unsaturated], class_out[net.serve_class[used]], class_in, class_out[open_seats]]
    )
    price = np.zeros(n_l + 2 * n_c)
    for _ in range(PRICE_ROUNDS):
        gain = np.where(placed, at_value - price[at_node], 0.0)
        new = np.maximum(price, group_max(node, value - gain[worker], len(price), -np.inf))
        np.maximum.at(new, heads, price[tails])
        if np.array_equal(new, price):
            break
        price = new
    price /= on.scale
    return Prices(
        np.maximum(price[:n_l], 0.0),
        np.maximum(price[class_in] - price[class_out], 0.0),
        price[class_out],
    )


def best_gain(
    net: Network, prices: Prices, direct_coef: np.ndarray, train_coef: np.ndarray | None = None
) -> np.ndarray:
    """Each worker's best option at `prices`: its coefficient less the price, 0 when none is better than
    staying out (training arcs only when `train_coef` is given)."""
    gain = group_max(net.direct_worker, direct_coef - prices.line[net.direct_line], net.n_workers)
    if train_coef is not None:
        offer = train_coef - prices.seat[net.train_class] - prices.exit[net.train_class]
        np.maximum(gain, group_max(net.train_worker, offer, net.n_workers), out=gain)
    return gain


def dual_value(
    net: Network, prices: Prices, direct_coef: np.ndarray | None = None, train_coef: np.ndarray | None = None
) -> float:
    """An upper bound on the greatest flow on `net` with these coefficients (LP weak duality): each worker's
    best option at `prices`, plus the capacities at their prices. Valid for any prices, so also for prices
    read off a flow on fewer arcs; equal to the optimum for the optimal flow's own."""
    dc = net.direct_coef if direct_coef is None else direct_coef
    tc = net.train_coef if train_coef is None else train_coef
    gain = best_gain(net, prices, dc, tc)
    serve_cap = np.minimum(net.class_seats[net.serve_class], net.line_capacity[net.serve_line])
    # a graduate priced above a line it may go to: that serve arc's capacity is priced at the difference
    serve = np.maximum(prices.exit[net.serve_class] - prices.line[net.serve_line], 0.0) @ serve_cap
    return float(gain.sum() + net.line_capacity @ prices.line + net.class_seats @ prices.seat + serve)


def raised_prices(
    net: Network,
    prices: Prices,
    direct_coef: np.ndarray | None = None,
    train_coef: np.ndarray | None = None,
    rounds: int = 3,
) -> Prices:
    """Line and seat prices raised where `dual_value` falls by it: prices read off a flow on a core of
    `net` can leave lines and classes cheap to workers whose arcs the core lacks.

    In each round the price of every line and every class's seats rises to the one at which no more
    workers prefer it to their next best option than it has room for (the lowest price that line or
    class alone would take), all at once; a round that does not lower `dual_value` ends the rounds and
    is dropped."""
    dc = net.direct_coef if direct_coef is None else direct_coef
    tc = net.train_coef if train_coef is None else train_coef
    n_l = net.n_lines
    # every option (direct arcs, then training arcs) and the capacity it takes room in
    worker = np.concatenate([net.direct_worker, net.train_worker])
    by_worker = np.argsort(worker, kind="stable")
    worker = worker[by_worker]
    node = np.concatenate([net.direct_line, n_l + net.train_class])[by_worker]
    value = np.concatenate([dc, tc - prices.exit[net.train_class]])[by_worker]
    room = np.concatenate([net.line_capacity, net.class_seats])
    bound = dual_value(net, prices, dc, tc)
    for _ in range(rounds):
        price = np.concatenate([prices.line, prices.seat])
        reduced = value - price[node]
        best = group_max(worker, reduced, net.n_workers)
        # each worker's next best option: the best once one option of the best value is set aside
        on_top = reduced >= best[worker]
        second = group_max(worker[~on_top], reduced[~on_top], net.n_workers)
        second = np.where(np.bincount(worker[on_top], minlength=net.n_workers) > 1, best, second)
        bid = value - np.where(on_top, second[worker], best[worker])
        # the new price: the (room + 1)-th highest bid, if above the price it has
        high = np.flatnonzero(bid > price[node])
        rank = rank_within(node[high], -bid[high])
        at = high[rank == room[node[high]]]
        np.maximum.at(price, node[at], bid[at])
        raised = Prices(price[:n_l], price[n_l:], prices.exit)
        lower = dual_value(net, raised, dc, tc)
        if lower >= bound:
            break
        prices, bound = raised, lower
    return prices
