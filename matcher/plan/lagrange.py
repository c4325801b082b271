"""The plan at city scale: Lagrangian relaxation of the side constraints around the min-cost flow.

The budget, the seats of institutions whose classes offer more than they have, and the trainee quotas are
moved into the objective with multipliers (one each); for fixed multipliers the plan is a pure flow
(`matcher.plan.flow`), and its adjusted value plus the multipliers times the right-hand sides is an upper
bound on the best plan (weak duality). With one such row (the budget) the multiplier is found by a line
search on the convex, piecewise-linear dual; with several, by projected subgradient steps (Polyak's rule,
the factor halved when the bound stalls).

Every flow is repaired into a feasible plan: trainees are removed until institutions, budget and quotas
hold (sparing each class's minimum where it can), classes below the minimum size are closed, and the
workers removed are placed on the headcount left. The best repaired plan is kept; after the search its
other workers are placed again. When classes were closed, a second round runs with only the classes that
opened, starting at the multipliers found; the bound stays the one of the first round, the only one
covering every class.

On a large network (a city) only the first flow, without side constraints, is solved on the whole
network: its LP prices (`flow_prices`) choose a core of the arcs and workers a plan near it can use
(`priced_core`) and guess the budget's multiplier (`priced_guess`); the search runs on the core, and the
prices of each core flow, raised where the core's missing arcs leave lines and classes cheap
(`raised_prices`), bound the whole network (`dual_value`). See `solve_lagrangian`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from matcher.assign import solve_bipartite
from matcher.model.ragged import rank_within
from matcher.plan.flow import Flows, Prices, best_gain, dual_value, flow_prices, raised_prices, solve_flow
from matcher.plan.network import Network, Quota, SideConstraints, Solution, class_sizes, objective, trim_serve

LINE_SEARCH_STEPS = 12
"""Enough for the line search, whose dual model closes in a handful of steps."""
CORE_ABOVE = 200_000
"""Direct arcs above which the dual search runs on the network's core."""
GUESS_FACTOR = 1.5
"""`priced_guess`'s model errs low: it prices direct arcs at the least prices, where they look their best,
and lines do not fill as trainees leave. The budget's multiplier found was 1.6 times the model's on the
60,000-worker sample city and 2.7 times on the 200,000-worker one; 1.5 times saves a flow on both."""
CORE_SLACK = 0.03
"""A direct arc is in the core when its value at the line's price is this close to the worker's best: 0.01
left the 200,000-worker city's plan 0.1 % below the old whole-network refill, 0.03 puts it 0.06 % above."""


@dataclass
class Relaxed:
    """The relaxed rows A y <= b over training arcs, each scaled to a largest coefficient of 1."""

    names: list[str]
    a: sparse.csr_matrix  # (rows × training arcs)
    b: np.ndarray

    def __len__(self) -> int:
        return len(self.b)


def relaxed_rows(net: Network, side: SideConstraints) -> Relaxed:
    """The rows to relax: the budget, the seats of binding institutions, the quotas."""
    n_t = len(net.train_worker)
    arcs = np.arange(n_t)
    names: list[str] = []
    r_idx: list[np.ndarray] = []
    c_idx: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    rhs: list[float] = []

    def add(name: str, cols: np.ndarray, coef: np.ndarray, bound: float) -> None:
        scale = float(np.abs(coef).max()) if len(coef) and np.abs(coef).max() > 0 else 1.0
        r_idx.append(np.full(len(cols), len(names)))
        names.append(name)
        c_idx.append(cols)
        vals.append(coef / scale)
        rhs.append(bound / scale)

    if side.budget is not None:
        add("budget", arcs, net.train_subsidy, side.budget)
    inst_of_arc = net.class_institution[net.train_class]
    for i in net.binding_institutions():
        cols = arcs[inst_of_arc == i]
        add(f"institution {i}", cols, np.ones(len(cols)), float(net.institution_seats[i]))
    for q in side.quotas:
        add(f"quota {q.name}", arcs, q.share - q.members[net.train_worker].astype(float), 0.0)
    if not names:
        return Relaxed([], sparse.csr_matrix((0, n_t)), np.zeros(0))
    a = sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(r_idx), np.concatenate(c_idx))), shape=(len(names), n_t)
    )
    return Relaxed(names, a, np.asarray(rhs, float))


def _trim(
    net: Network,
    side: SideConstraints,
    train: np.ndarray,
    arcs: np.ndarray,
    key: np.ndarray,
    need: float,
    weight: np.ndarray,
    close: bool = True,
) -> None:
    """Remove trainees among `arcs` until their `weight` reaches `need`, sparing classes' minimum sizes.

    First the surplus of each class above the minimum goes, lowest `key` first; then, if `close`, whole
    classes go, lowest mean `key` first; then single trainees, lowest `key` first (a class left below the
    minimum is closed afterwards).
    """
    if need <= 1e-9:
        return
    chosen = arcs[train[arcs] > 0]
    if not len(chosen):
        return
    cls = net.train_class[chosen]
    size = class_sizes(net, train)
    floor = side.min_class_size if side.min_class_size > 1 else 0
    spare = rank_within(cls, key[chosen]) < size[cls] - floor
    for stage in ("surplus", "classes", "single"):
        if stage == "surplus":
            pool = chosen[spare]
            order = pool[np.argsort(key[pool], kind="stable")]
        elif stage == "classes":
            if not close:
                continue
            left = chosen[train[chosen] > 0]
            if not len(left):
                return
            c = net.train_class[left]
            mean = np.bincount(c, key[left], net.n_classes) / np.maximum(
                np.bincount(c, minlength=net.n_classes), 1
            )
            order = left[np.lexsort((key[left], mean[c]))]
            # remove whole classes: the cut falls at the end of a class
            reach = np.cumsum(weight[order])
            k = int(np.searchsorted(reach, need - 1e-9)) + 1
            if k <= len(order):
                last = net.train_class[order[min(k, len(order)) - 1]]
                k = int(np.flatnonzero(net.train_class[order] == last).max()) + 1
            train[order[:k]] = 0
            need -= float(reach[min(k, len(order)) - 1])
            if need <= 1e-9:
                return
            continue
        else:
            pool = chosen[train[chosen] > 0]
            order = pool[np.argsort(key[pool], kind="stable")]
        if not len(order):
            continue
        reach = np.cumsum(weight[order])
        k = int(np.searchsorted(reach, need - 1e-9)) + 1
        train[order[:k]] = 0
        need -= float(reach[min(k, len(order)) - 1])
        if need <= 1e-9:
            return


def repair(net: Network, side: SideConstraints, flows: Flows) -> Flows:
    """A feasible plan from a flow that may break the side constraints (see the module docstring)."""
    coef = net.train_coef
    train = flows.train.copy()
    arcs = np.arange(len(train))
    ones = np.ones(len(train))
    inst_of_arc = net.class_institution[net.train_class]
    for i in net.binding_institutions():
        mine = arcs[inst_of_arc == i]
        _trim(net, side, train, mine, coef, float(train[mine].sum()) - net.institution_seats[i], ones)
    if side.budget is not None:
        ratio = coef / np.maximum(net.train_subsidy, 1e-9)
        paid = arcs[net.train_subsidy > 0]
        _trim(
            net, side, train, paid, ratio, float(net.train_subsidy @ train) - side.budget, net.train_subsidy
        )
    quota_members = [q.members[net.train_worker] for q in side.quotas]
    for _ in range(len(train) + 1):
        changed = False
        for q, members in zip(side.quotas, quota_members):
            total, inside = float(train.sum()), float(train @ members)
            if inside < q.share * total - 1e-9:
                # removing k outsiders meets the quota when inside >= share * (total - k)
                need = total - (inside / q.share if q.share > 0 else total)
                _trim(net, side, train, arcs[~members], coef, need, ones, close=False)
                changed = True
        size = class_sizes(net, train)
        small = (size > 0) & (size < side.min_class_size)
        if small.any():
            train[small[net.train_class]] = 0
            changed = True
        if not changed:
            break

    if np.array_equal(train, flows.train):
        return flows
    # graduates of each class follow the flow's serve arcs, trimmed to the class's new size
    serve = trim_serve(net, flows.serve, class_sizes(net, train))
    # the trainees removed may take a direct arc on the headcount the flow left free
    freed = np.zeros(net.n_workers, bool)
    freed[net.train_worker[(flows.train > 0) & (train == 0)]] = True
    residual = (
        net.line_capacity
        - np.bincount(net.direct_line, flows.direct, net.n_lines)
        - np.bincount(net.serve_line, serve, net.n_lines)
    )
    direct = flows.direct.copy()
    arcs = np.flatnonzero(freed[net.direct_worker] & (residual[net.direct_line] > 0))
    if len(arcs):
        # only the workers freed, numbered anew, enter the solver
        who, row = np.unique(net.direct_worker[arcs], return_inverse=True)
        placed = solve_bipartite(
            row,
            net.direct_line[arcs],
            net.direct_coef[arcs],
            np.ones(len(who), np.int64),
            np.maximum(residual, 0).astype(np.int64),
        )
        direct[arcs] = placed.flow
    return Flows(direct, train, serve)


def refill(net: Network, train: np.ndarray, serve: np.ndarray) -> Flows:
    """Trainees and their graduates' lines kept; everyone else placed again on the headcount left."""
    residual = net.line_capacity - np.bincount(net.serve_line, serve, net.n_lines).astype(np.int64)
    trainee = np.zeros(net.n_workers, bool)
    trainee[net.train_worker[train > 0]] = True
    dcoef = np.where(trainee[net.direct_worker], 0.0, net.direct_coef)
    placed = solve_flow(net, direct_coef=dcoef, train_coef=np.zeros(len(train)), line_capacity=residual)
    return Flows(placed.direct, train, serve)


def training_adds(net: Network, prices: Prices) -> np.ndarray:
    """What each training arc adds at `prices`: its coefficient less the class's exit price and less the
    worker's best direct arc (the class's seats given up)."""
    alone = best_gain(net, prices, net.direct_coef)
    return net.train_coef - prices.exit[net.train_class] - alone[net.train_worker]


def priced_core(
    net: Network, flows: Flows, prices: Prices, trains: np.ndarray, slack: float = CORE_SLACK
) -> tuple[np.ndarray, np.ndarray]:
    """The direct arcs a plan near `flows` is likely to use, and those it keeps as they are.

    An arc is near when its value at the flow's `prices` is within `slack` of the worker's best direct arc
    (or of staying out, if that is better). A worker with no training arc among `trains` who holds an arc
    of `flows`, has no other near one and gains more than `slack` there keeps it; the other near arcs and
    those of `flows` form the core."""
    reduced = net.direct_coef - prices.line[net.direct_line]
    best = best_gain(net, prices, net.direct_coef)
    near = (reduced >= best[net.direct_worker] - slack) | (flows.direct > 0)
    options = np.bincount(net.direct_worker[near], minlength=net.n_workers)
    options[net.train_worker[trains]] += 2
    stays = (options == 1) & (best > slack)
    held = near & (flows.direct > 0) & stays[net.direct_worker]
    return np.flatnonzero(near & ~held), np.flatnonzero(held)


def subnetwork(
    net: Network,
    side: SideConstraints,
    direct: np.ndarray,
    line_capacity: np.ndarray | None = None,
    trains: np.ndarray | None = None,
) -> tuple[Network, SideConstraints, np.ndarray]:
    """The network with only the direct arcs `direct` (training and serve arcs all kept, in their order)
    and only the workers these arcs reach, numbered anew; with other headcounts if given, and training
    arcs not among `trains` (if given) worth nothing. Also its side constraints and those workers in `net`."""
    workers = np.union1d(net.direct_worker[direct], net.train_worker)
    number = np.zeros(net.n_workers, np.int64)
    number[workers] = np.arange(len(workers))
    sub = Network(
        len(workers),
        net.line_capacity if line_capacity is None else line_capacity,
        net.class_seats,
        net.class_institution,
        net.institution_seats,
        number[net.direct_worker[direct]],
        net.direct_line[direct],
        net.direct_value[direct],
        number[net.train_worker],
        net.train_class,
        net.train_value if trains is None else np.where(trains, net.train_value, 0.0),
        net.train_subsidy,
        net.serve_class,
        net.serve_line,
        net.worker_weight[workers],
    )
    quotas = tuple(Quota(q.name, q.members[workers], q.share) for q in side.quotas)
    return sub, SideConstraints(side.budget, side.min_class_size, quotas), workers


def priced_guess(net: Network, rows: Relaxed, adds: np.ndarray) -> float:
    """A first multiplier for one relaxed row, from what each training arc adds at the prices of an
    optimal flow at zero (`training_adds`): at multiplier m it adds m times its weight in the row less,
    and each class takes the arcs that add most, up to its seats. The guess is `GUESS_FACTOR` times the
    least m (by bisection) at which those arcs fit the row."""
    weight = rows.a.toarray()[0]
    positive = weight > 0
    lo, hi = 0.0, float((net.train_coef[positive] / weight[positive]).max(initial=0.0))

    def fits(m: float) -> bool:
        gain = adds - m * weight
        arcs = np.flatnonzero(gain > 0)
        rank = rank_within(net.train_class[arcs], -gain[arcs])
        taken = arcs[rank < net.class_seats[net.train_class[arcs]]]
        return float(weight[taken].sum()) <= rows.b[0]

    if fits(lo):
        return 0.0
    for _ in range(30):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if fits(mid) else (mid, hi)
    return GUESS_FACTOR * hi


WholeBound = Callable[[Flows, np.ndarray, np.ndarray], float]
"""The whole network's dual bound from a core's flow at these training coefficients and multipliers."""


class _Search:
    """The state of a dual search: the best repaired plan, the bound, the iterations and the clock."""

    def __init__(
        self, net: Network, side: SideConstraints, tol: float, time_limit: float, bound_of: WholeBound | None
    ) -> None:
        self.net, self.side, self.tol, self.bound_of = net, side, tol, bound_of
        self.deadline = time.perf_counter() + time_limit
        self.best: Flows | None = None
        self.best_value = -np.inf
        self.best_repaired = False
        self.bound = np.inf
        self.iterations = 0
        self.round_best: Flows | None = None
        self.round_value = -np.inf

    def done(self) -> bool:
        return self.bound - self.best_value <= self.tol * max(abs(self.bound), 1e-12) or self.late()

    def late(self) -> bool:
        return time.perf_counter() > self.deadline

    def evaluate(
        self, rows: Relaxed, lam: np.ndarray, open_classes: np.ndarray | None, bounding: bool
    ) -> tuple[float, np.ndarray]:
        """The dual value at `lam` and the rows' excess (A y − b) of its flow; keeps the best repaired plan."""
        adj = self.net.train_coef - rows.a.T @ lam
        return self.record(
            rows, lam, solve_flow(self.net, train_coef=adj, open_classes=open_classes), bounding
        )

    def record(
        self, rows: Relaxed, lam: np.ndarray, flows: Flows, bounding: bool
    ) -> tuple[float, np.ndarray]:
        """`evaluate` for the optimal flow `flows` at `lam`, solved already."""
        net = self.net
        self.iterations += 1
        adj = net.train_coef - rows.a.T @ lam
        dual = float(net.direct_coef @ flows.direct + adj @ flows.train + lam @ rows.b)
        if bounding:
            whole = dual if self.bound_of is None else self.bound_of(flows, adj, lam)
            self.bound = min(self.bound, whole)
        fixed = repair(net, self.side, flows)
        value = objective(net, fixed.direct, fixed.train)
        if value > self.round_value:
            self.round_best, self.round_value = fixed, value
        if value > self.best_value:
            self.best, self.best_value, self.best_repaired = fixed, value, fixed is not flows
        return dual, rows.a @ flows.train - rows.b

    def line_search(
        self,
        rows: Relaxed,
        open_classes: np.ndarray | None,
        bounding: bool,
        max_iter: int,
        at_zero: Flows | None = None,
        guess: float = 0.0,
    ) -> float:
        """One relaxed row: the dual is convex and piecewise linear in its multiplier, its slope minus the
        excess. The multiplier is bracketed between a flow that breaks the row and one that keeps it; the
        next one tried is where the two tangents cross (a bisection when that makes little progress).

        The flow at zero is solved unless given (`at_zero`); the bracket's other end is `guess` when that
        keeps the row, else the multiplier at which no training arc pays."""
        zero = np.zeros(1)
        if not bounding and guess > 0:
            # a later round: the multiplier is close, only the plan is sought
            dual, excess = self.evaluate(rows, np.array([guess]), open_classes, bounding)
            if excess[0] <= 0:
                return guess
        dual_lo, excess = (
            self.evaluate(rows, zero, open_classes, bounding)
            if at_zero is None
            else self.record(rows, zero, at_zero, bounding)
        )
        if excess[0] <= 0:
            return 0.0
        lo, slope_lo = 0.0, -float(excess[0])
        weights = rows.a.toarray()[0]
        positive = weights > 0
        top = float((self.net.train_coef[positive] / weights[positive]).max())
        hi = guess if 0 < guess < top else top
        dual_hi, excess = self.evaluate(rows, np.array([hi]), open_classes, bounding)
        while excess[0] > 0 and hi < top:
            # the guess still breaks the row: half again past where the excess, falling as it did, reaches 0
            # (and at least a tenth further)
            step = (hi - lo) * excess[0] / max(-slope_lo - excess[0], 1e-12)
            lo, dual_lo, slope_lo = hi, dual_hi, -float(excess[0])
            hi = min(top, hi + max(1.5 * step, 0.1 * hi))
            dual_hi, excess = self.evaluate(rows, np.array([hi]), open_classes, bounding)
        slope_hi = -float(excess[0])
        for _ in range(max_iter):
            cross = (dual_hi - dual_lo + slope_lo * lo - slope_hi * hi) / (slope_lo - slope_hi)
            floor = dual_lo + slope_lo * (cross - lo)  # no dual value lies below the tangents' crossing
            if self.done() or min(dual_lo, dual_hi) - floor <= self.tol * abs(floor) or hi - lo <= 1e-6 * hi:
                break
            margin = 0.05 * (hi - lo)
            lam = cross if lo + margin < cross < hi - margin else (lo + hi) / 2
            dual, excess = self.evaluate(rows, np.array([lam]), open_classes, bounding)
            if excess[0] > 0:
                lo, dual_lo, slope_lo = lam, dual, -float(excess[0])
            else:
                hi, dual_hi, slope_hi = lam, dual, -float(excess[0])
        return hi

    def subgradient(
        self, rows: Relaxed, lam: np.ndarray, open_classes: np.ndarray | None, bounding: bool, max_iter: int
    ) -> np.ndarray:
        """Several relaxed rows: projected subgradient steps, Polyak's rule towards the best plan."""
        theta, stall, best_dual = 2.0, 0, np.inf
        for _ in range(max_iter):
            dual, direction = self.evaluate(rows, lam, open_classes, bounding)
            if dual < best_dual - 1e-12:
                best_dual, stall = dual, 0
            else:
                stall += 1
                if stall >= 4:
                    theta, stall = theta / 2, 0
            direction[(lam <= 0) & (direction < 0)] = 0.0
            norm = float(direction @ direction)
            if norm == 0.0 or theta < 1e-3 or self.done():
                break
            step = theta * max(dual - self.round_value, 1e-9) / norm
            lam = np.maximum(0.0, lam + step * direction)
        return lam


def _search(
    net: Network,
    side: SideConstraints,
    max_iter: int,
    tol: float,
    time_limit: float,
    max_rounds: int,
    bound_of: WholeBound | None = None,
    at_zero: Flows | None = None,
    guess: float = 0.0,
) -> _Search:
    """The dual search, in rounds (see the module docstring); on a core, with the whole network's bound
    (`bound_of`), its flow at zero multipliers (`at_zero`) and a first multiplier (`guess`) when known."""
    search = _Search(net, side, tol, time_limit, bound_of)
    rows = relaxed_rows(net, side)
    lam = np.zeros(len(rows))
    open_classes: np.ndarray | None = None
    for round_no in range(max_rounds):
        search.round_best, search.round_value = None, -np.inf
        bounding = round_no == 0
        # later rounds only adjust a plan whose multipliers are already close
        iterations = max_iter if bounding else max(4, max_iter // 3)
        if len(rows) == 0:
            search.evaluate(rows, lam, open_classes, bounding)
        elif len(rows) == 1:
            steps = min(iterations, LINE_SEARCH_STEPS)
            lam = np.array(
                [
                    search.line_search(
                        rows, open_classes, bounding, steps, at_zero if bounding else None, guess
                    )
                ]
            )
            if bound_of is not None:  # on a city's core, a later round starts at the multiplier found
                guess = float(lam[0])
        else:
            lam = search.subgradient(rows, lam, open_classes, bounding, iterations)
        assert search.round_best is not None
        if side.min_class_size <= 1 or search.done():
            break
        opened = class_sizes(net, search.round_best.train) >= side.min_class_size
        if open_classes is not None and np.array_equal(opened, open_classes):
            break
        open_classes = opened
    return search


def solve_lagrangian(
    net: Network,
    side: SideConstraints,
    max_iter: int = 60,
    tol: float = 1e-3,
    time_limit: float = 60.0,
    max_rounds: int = 3,
    core_above: int = CORE_ABOVE,
) -> Solution:
    """The best feasible plan found and the Lagrangian dual bound (see the module docstring).

    A network with more than `core_above` direct arcs is first solved once whole without side constraints;
    a plan that meets them all is optimal. Otherwise the multipliers are searched on a core: the arcs of
    that flow and those its prices make nearly as good (`priced_core`). Each flow on the core has prices,
    and they bound the whole network (`dual_value`); the bound is the least of those and of the whole
    network's optimum without side constraints. The core's best plan is a plan of the whole network; its
    other workers are placed again on the core.
    """
    rows = relaxed_rows(net, side)
    notes: list[str] = []
    if len(net.direct_worker) <= core_above:
        search = _search(net, side, max_iter, tol, time_limit, max_rounds)
        assert search.best is not None
        best, bound = refill(net, search.best.train, search.best.serve), search.bound
    else:
        start = solve_flow(net)
        bound = objective(net, start.direct, start.train)
        if repair(net, side, start) is start:
            return Solution(
                start.direct,
                start.train,
                start.serve,
                bound,
                bound,
                "min-cost flow",
                "pure flow (integral LP)",
            )
        prices = flow_prices(net, start)
        adds = training_adds(net, prices)
        # multipliers only lower training arcs' coefficients when no row weighs an arc negatively: an arc
        # that adds nothing at zero is then left out of the core
        trains = (adds >= -CORE_SLACK) | (start.train > 0)
        if rows.a.data.min(initial=0.0) < 0:
            trains[:] = True
        kept, held = priced_core(net, start, prices, trains)
        headcount = net.line_capacity - np.bincount(net.direct_line[held], minlength=net.n_lines)
        core, core_side, _ = subnetwork(net, side, kept, headcount, trains)
        at_zero = Flows(start.direct[kept], start.train, start.serve)
        guess = priced_guess(net, rows, adds) if len(rows) == 1 else 0.0
        # the core and the arcs held, on the whole headcount: its flows' prices bound the whole network
        with_held, _, _ = subnetwork(net, side, np.concatenate([kept, held]))

        least: list[
            tuple[float, Prices, np.ndarray, float]
        ] = []  # the least bound, its prices, coefficients, λ·b

        def bound_of(flows: Flows, adj: np.ndarray, lam: np.ndarray) -> float:
            flows = Flows(np.concatenate([flows.direct, np.ones(len(held))]), flows.train, flows.serve)
            prices = flow_prices(with_held, flows, train_coef=adj)
            value = dual_value(net, prices, train_coef=adj) + float(lam @ rows.b)
            if not least or value < least[0][0]:
                least[:] = [(value, prices, adj, float(lam @ rows.b))]
            return value

        search = _search(core, core_side, max_iter, tol, time_limit, max_rounds, bound_of, at_zero, guess)
        assert search.best is not None
        bound = min(bound, search.bound)
        if least:
            _, prices, adj, constant = least[0]
            bound = min(
                bound, dual_value(net, raised_prices(net, prices, train_coef=adj), train_coef=adj) + constant
            )
        # a plan the repair left as the flow gave it places everyone else optimally already
        placed = refill(core, search.best.train, search.best.serve) if search.best_repaired else search.best
        direct = np.zeros(len(net.direct_worker))
        direct[kept], direct[held] = placed.direct, 1.0
        best = Flows(direct, placed.train, placed.serve)
        notes.append(
            f"multipliers searched on a core of {len(kept):,} of {len(net.direct_worker):,} direct arcs (the arcs "
            f"of the unconstrained optimum and those its prices make nearly as good) and {core.n_workers:,} workers, "
            f"{len(held):,} others keeping their line; bound on the whole network"
        )
    if search.late():
        notes.append(f"the time limit of {time_limit:g} s stopped the search")
    return Solution(
        best.direct,
        best.train,
        best.serve,
        objective(net, best.direct, best.train),
        float(bound),
        "lagrangian",
        "lagrangian dual" if len(rows) else "pure flow (integral LP)",
        search.iterations,
        notes,
    )
