"""Stable mode: workers and places matched by deferred acceptance instead of the optimum.

The optimal plan decides which classes open and how much of each line's headcount is kept for each
class's graduates; deferred acceptance (`matcher.assign.deferred_acceptance`, workers proposing) then
decides who goes where. Workers rank their options by their own chance of success (the arc's value);
lines and classes rank the workers by score weighted with the priority weights. No worker and place
would both rather be matched to each other than to what they got.

Afterwards a class left below the minimum size closes (its kept headcount returns to the lines) and,
while the budget is exceeded, the open class with the least value per yuan of subsidy closes; the
matching runs again after each change. Quotas are reported when missed, not enforced: a stable
matching with a quota is a different problem.
"""

from __future__ import annotations

import numpy as np

from matcher.assign import deferred_acceptance
from matcher.plan.network import (
    Network,
    SideConstraints,
    Solution,
    class_sizes,
    objective,
    trim_serve,
    violations,
)


def _ranked(owner: np.ndarray, other: np.ndarray, key: np.ndarray) -> dict[int, list[int]]:
    """For each owner, the others ranked by `key`, highest first (ties by the other's index)."""
    order = np.lexsort((other, -key, owner))
    owner_sorted, other_sorted = owner[order].tolist(), other[order].tolist()
    out: dict[int, list[int]] = {}
    for o, x in zip(owner_sorted, other_sorted):
        out.setdefault(o, []).append(x)
    return out


def stable_plan(net: Network, side: SideConstraints, optimum: Solution) -> Solution:
    """The stable plan within the optimum's classes and headcount reservations (see the module docstring)."""
    n_l = net.n_lines
    class_cap = class_sizes(net, optimum.train)
    reserved_serve = optimum.serve.copy()
    notes: list[str] = []
    while True:  # each pass closes a class or returns
        reserved = np.bincount(net.serve_line, reserved_serve, n_l).astype(np.int64)
        line_cap = net.line_capacity - reserved
        d_ok = (net.direct_value > 0) & (line_cap[net.direct_line] > 0)
        t_ok = (net.train_value > 0) & (class_cap[net.train_class] > 0)
        d_idx, t_idx = np.flatnonzero(d_ok), np.flatnonzero(t_ok)
        # receivers: line l is l, class c is n_l + c
        owner = np.concatenate([net.direct_worker[d_idx], net.train_worker[t_idx]])
        place = np.concatenate([net.direct_line[d_idx], n_l + net.train_class[t_idx]])
        value = np.concatenate([net.direct_value[d_idx], net.train_value[t_idx]])
        coef = np.concatenate([net.direct_coef[d_idx], net.train_coef[t_idx]])
        proposers = _ranked(owner, place, value)
        receivers = _ranked(place, owner, coef)
        capacity = {r: int(line_cap[r]) if r < n_l else int(class_cap[r - n_l]) for r in receivers}
        matched = deferred_acceptance(proposers, receivers, capacity)

        direct, train = np.zeros(len(net.direct_worker)), np.zeros(len(net.train_worker))
        got = {(w, r) for w, r in matched.items() if r is not None}
        if got:
            direct[d_idx] = [
                (w, r) in got
                for w, r in zip(net.direct_worker[d_idx].tolist(), net.direct_line[d_idx].tolist())
            ]
            train[t_idx] = [
                (w, n_l + c) in got
                for w, c in zip(net.train_worker[t_idx].tolist(), net.train_class[t_idx].tolist())
            ]
        size = class_sizes(net, train)
        small = (size < side.min_class_size) & (class_cap > 0)
        over = side.budget is not None and float(net.train_subsidy @ train) > side.budget
        if small.any():
            close = small
        elif over:
            worth = np.bincount(net.train_class, net.train_coef * train, net.n_classes)
            paid = np.bincount(net.train_class, net.train_subsidy * train, net.n_classes)
            ratio = np.where(paid > 0, worth / np.maximum(paid, 1e-9), np.inf)
            close = np.zeros(net.n_classes, bool)
            close[int(np.argmin(ratio))] = True
        else:
            serve = trim_serve(net, reserved_serve, size)
            missed = [v for v in violations(net, side, direct, train, serve) if v.startswith("quota")]
            notes += [f"stable mode does not enforce quotas: {v}" for v in missed]
            return Solution(
                direct,
                train,
                serve,
                objective(net, direct, train),
                optimum.bound,
                "stable",
                optimum.bound_method,
                notes=notes,
            )
        class_cap[close] = 0
        reserved_serve[close[net.serve_class]] = 0
