"""The planning problem as arrays: a layered network of workers, training classes and demand lines.

Three kinds of arc carry a worker to a job:

- a direct arc worker → line (a line in Qujing is a direct placement, one outside it an outbound one, 定向输送);
- a training arc worker → class, followed by a serve arc class → line: the class's graduates fill the
  lines it serves (an order-based class serves its ordering enterprise's lines).

Each worker takes at most one arc; a line takes at most its headcount, a class at most its seats, and the
classes of one institution together at most the institution's seats. The value of an arc is the
probability that it ends in a job still held six months on; the objective weighs each worker's value by
the priority weight of their groups. Side constraints that break the network structure (a subsidy
budget, a minimum class size, quotas of priority-group trainees) live in `SideConstraints`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _ints(name: str, value: object, size: int | None = None) -> np.ndarray:
    a = np.asarray(value)
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {a.shape}")
    if a.size and a.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integers, got dtype {a.dtype}")
    a = a.astype(np.int64)
    if size is not None and len(a) != size:
        raise ValueError(f"{name} has {len(a)} entries, expected {size}")
    if a.size and (a < 0).any():
        at = _first(a < 0)
        raise ValueError(f"{name}[{at}] = {a[at]} is negative")
    return a


def _index(name: str, value: object, bound: int, what: str, size: int | None = None) -> np.ndarray:
    a = _ints(name, value, size)
    if a.size and (a >= bound).any():
        at = _first(a >= bound)
        raise ValueError(f"{name}[{at}] = {a[at]} is not a {what} (there are {bound})")
    return a


def _reals(name: str, value: object, size: int, low: float | None = 0.0) -> np.ndarray:
    a = np.asarray(value, dtype=np.float64)
    if a.ndim != 1 or len(a) != size:
        raise ValueError(f"{name} must be 1-D with {size} entries, got shape {a.shape}")
    bad = ~np.isfinite(a) if low is None else ~np.isfinite(a) | (a < low)
    if bad.any():
        at = _first(bad)
        raise ValueError(
            f"{name}[{at}] = {a[at]} must be a finite number" + ("" if low is None else f" >= {low:g}")
        )
    return a


@dataclass(frozen=True)
class Quota:
    """At least `share` of all trainees must be `members` (a boolean mask over workers), e.g. 30 % poverty."""

    name: str
    members: np.ndarray
    share: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.share <= 1.0:
            raise ValueError(f"quota {self.name}: share must be between 0 and 1, got {self.share}")
        m = np.asarray(self.members)
        if m.ndim != 1 or m.dtype != bool:
            raise ValueError(f"quota {self.name}: members must be a 1-D boolean mask over workers")


@dataclass(frozen=True)
class SideConstraints:
    """What the pure flow cannot express: a subsidy budget (yuan), a minimum class size, trainee quotas."""

    budget: float | None = None
    min_class_size: int = 1
    quotas: tuple[Quota, ...] = ()

    def __post_init__(self) -> None:
        if self.budget is not None and not (np.isfinite(self.budget) and self.budget >= 0):
            raise ValueError(f"budget must be a non-negative number of yuan or None, got {self.budget}")
        if self.min_class_size < 1:
            raise ValueError(f"min_class_size must be at least 1, got {self.min_class_size}")


@dataclass
class Network:
    """The layered network; see the module docstring. Indices are positions in the arrays given.

    Arrays are checked once, when the network is made; it is not to be changed afterwards.
    """

    n_workers: int
    line_capacity: np.ndarray  # (L,) headcount still open on each line
    class_seats: np.ndarray  # (C,)
    class_institution: np.ndarray  # (C,) index into institution_seats
    institution_seats: np.ndarray  # (I,)
    direct_worker: np.ndarray
    direct_line: np.ndarray
    direct_value: np.ndarray
    train_worker: np.ndarray
    train_class: np.ndarray
    train_value: np.ndarray
    train_subsidy: np.ndarray  # yuan of public money the trainee brings (the policy engine's total)
    serve_class: np.ndarray
    serve_line: np.ndarray
    worker_weight: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        if self.n_workers < 0:
            raise ValueError(f"n_workers must be >= 0, got {self.n_workers}")
        w = self.n_workers
        self.line_capacity = _ints("line_capacity", self.line_capacity)
        self.class_seats = _ints("class_seats", self.class_seats)
        self.institution_seats = _ints("institution_seats", self.institution_seats)
        n_l, n_c, n_i = len(self.line_capacity), len(self.class_seats), len(self.institution_seats)
        self.class_institution = _index("class_institution", self.class_institution, n_i, "institution", n_c)
        self.direct_worker = _index("direct_worker", self.direct_worker, w, "worker")
        n_d = len(self.direct_worker)
        self.direct_line = _index("direct_line", self.direct_line, n_l, "line", n_d)
        self.direct_value = _reals("direct_value", self.direct_value, n_d)
        self.train_worker = _index("train_worker", self.train_worker, w, "worker")
        n_t = len(self.train_worker)
        self.train_class = _index("train_class", self.train_class, n_c, "class", n_t)
        self.train_value = _reals("train_value", self.train_value, n_t)
        self.train_subsidy = _reals("train_subsidy", self.train_subsidy, n_t)
        self.serve_class = _index("serve_class", self.serve_class, n_c, "class")
        self.serve_line = _index("serve_line", self.serve_line, n_l, "line", len(self.serve_class))
        weight = np.ones(w) if len(self.worker_weight) == 0 and w else self.worker_weight
        self.worker_weight = _reals("worker_weight", weight, w)
        for name, tails, heads in (
            ("direct", self.direct_worker, self.direct_line),
            ("train", self.train_worker, self.train_class),
            ("serve", self.serve_class, self.serve_line),
        ):
            key = tails * max(n_l, n_c, 1) + heads
            order = np.argsort(key, kind="stable")
            again = key[order[1:]] == key[order[:-1]]
            if again.any():
                at = int(order[1:][again].min())
                first = int(order[np.searchsorted(key[order], key[at])])
                raise ValueError(
                    f"{name} arc {at} ({tails[at]} → {heads[at]}) repeats arc {first}; each pair is given once"
                )

    @property
    def n_lines(self) -> int:
        return len(self.line_capacity)

    @property
    def n_classes(self) -> int:
        return len(self.class_seats)

    @property
    def n_arcs(self) -> int:
        return len(self.direct_worker) + len(self.train_worker) + len(self.serve_class)

    @cached_property
    def direct_coef(self) -> np.ndarray:
        """Objective coefficient of each direct arc: value times the worker's priority weight."""
        return self.direct_value * self.worker_weight[self.direct_worker]

    @cached_property
    def train_coef(self) -> np.ndarray:
        return self.train_value * self.worker_weight[self.train_worker]

    def binding_institutions(self) -> np.ndarray:
        """Institutions whose classes with any trainee arc offer more seats than the institution has."""
        used = np.zeros(self.n_classes, bool)
        used[self.train_class] = True
        offered = np.bincount(
            self.class_institution[used],
            weights=self.class_seats[used],
            minlength=len(self.institution_seats),
        )
        return np.flatnonzero(offered > self.institution_seats)


@dataclass
class Solution:
    """Flows on every arc of a network, the objective, the bound it is measured against, and how."""

    direct: np.ndarray  # 0/1 per direct arc
    train: np.ndarray  # 0/1 per training arc
    serve: np.ndarray  # graduates per serve arc
    objective: float
    bound: float
    method: str
    bound_method: str
    iterations: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def gap(self) -> float:
        """Relative optimality gap: (bound − objective) / bound, 0 when both are 0."""
        if self.bound <= 0:
            return 0.0
        return max(0.0, (self.bound - self.objective) / self.bound)


def objective(net: Network, direct: np.ndarray, train: np.ndarray) -> float:
    return float(net.direct_coef @ direct + net.train_coef @ train)


def class_sizes(net: Network, train: np.ndarray) -> np.ndarray:
    return np.bincount(net.train_class, weights=train, minlength=net.n_classes).round().astype(np.int64)


def trim_serve(net: Network, serve: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Serve flows cut so that each class sends on exactly its `size` graduates (never more than before)."""
    out = serve.copy()
    order = np.argsort(net.serve_class, kind="stable")
    cls = net.serve_class[order]
    before = np.cumsum(out[order]) - out[order]
    first = np.searchsorted(cls, cls)  # position of each class's first arc in `order`
    already = before - before[first]
    out[order] = np.clip(size[cls] - already, 0, out[order])
    return out


def violations(
    net: Network,
    side: SideConstraints,
    sol_direct: np.ndarray,
    sol_train: np.ndarray,
    sol_serve: np.ndarray,
    tol: float = 1e-6,
) -> list[str]:
    """Every constraint a flow breaks, in words (an empty list for a feasible plan)."""
    out = []
    per_worker = np.bincount(net.direct_worker, sol_direct, net.n_workers) + np.bincount(
        net.train_worker, sol_train, net.n_workers
    )
    if (per_worker > 1 + tol).any():
        out.append(f"worker {_first(per_worker > 1 + tol)} has more than one assignment")
    line_load = np.bincount(net.direct_line, sol_direct, net.n_lines) + np.bincount(
        net.serve_line, sol_serve, net.n_lines
    )
    if (line_load > net.line_capacity + tol).any():
        out.append(f"line {_first(line_load > net.line_capacity + tol)} takes more than its headcount")
    size = np.bincount(net.train_class, sol_train, net.n_classes)
    served = np.bincount(net.serve_class, sol_serve, net.n_classes)
    if (np.abs(size - served) > tol).any():
        out.append(f"class {_first(np.abs(size - served) > tol)} sends on a different number than it trains")
    if (size > net.class_seats + tol).any():
        out.append(f"class {_first(size > net.class_seats + tol)} exceeds its seats")
    inst = np.bincount(net.class_institution, size, len(net.institution_seats))
    if (inst > net.institution_seats + tol).any():
        out.append(f"institution {_first(inst > net.institution_seats + tol)} exceeds its total seats")
    small = (size > tol) & (size < side.min_class_size - tol)
    if small.any():
        out.append(
            f"class {_first(small)} opens with {size[_first(small)]:g} < {side.min_class_size} trainees"
        )
    spent = float(net.train_subsidy @ sol_train)
    if side.budget is not None and spent > side.budget * (1 + 1e-9) + tol:
        out.append(f"subsidies {spent:,.0f} exceed the budget {side.budget:,.0f}")
    trainees = float(sol_train.sum())
    for q in side.quotas:
        members = float(sol_train @ q.members[net.train_worker])
        if members < q.share * trainees - tol:
            out.append(f"quota {q.name}: {members:g} of {trainees:g} trainees, below {q.share:.0%}")
    return out
