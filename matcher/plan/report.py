"""The plan as the bureau reads it: classes to open, placements, each worker's assignment with reasons,
unmet demand, subsidies by article, and progress towards the plan's targets (article 二). JSON-ready.

Each part of the result has its own function; `assemble` puts them together. Nothing here reads the store
or solves anything: the pipeline reads what the report names (`Reads`) and places the graduates
(`matcher.plan.solve.place_graduates`) before the report starts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

import numpy as np

from matcher import reference as ref
from matcher.fairness import city_fairness
from matcher.model.codes import GROUPS, occupation_codes
from matcher.model.dates import year_of
from matcher.model.explain import GROUP_LABELS, place_name, reasons_for, training_reason
from matcher.model.geometry import haversine_km
from matcher.model.scoring import FeatureSpace, pair_features
from matcher.model.snapshot import City
from matcher.plan.inputs import PlanInputs
from matcher.plan.network import Solution, class_sizes
from matcher.policy.cases import organiser
from matcher.policy.money import CostShares, cost_shares
from matcher.reports import (
    EMPLOYED_STATUSES,
    HIGH_SKILL_LEVELS,
    SKILL_CERTIFICATES,
    TARGETS,
    skill_shares,
)

HIGH_SKILL_RANKS = {ref.level_rank(level) for level in HIGH_SKILL_LEVELS}


@dataclass
class Reads:
    """What the report shows from the store beyond the matching view: enterprise names by id."""

    enterprise_names: dict[int, str]


@dataclass
class Assignments:
    """Each network worker's assignment in a solution."""

    kind: np.ndarray  # -1 none, 0 a direct or outbound placement, 1 a class
    line: np.ndarray  # network line, a trainee's after the class; -1 none
    value: np.ndarray  # P(hired and retained) of the arc taken
    train_arc: np.ndarray  # the trainee's training arc; -1 for the others
    outbound: np.ndarray  # bool: the line lies outside Qujing
    direct_arcs: np.ndarray  # the direct arcs taken
    train_arcs: np.ndarray  # the training arcs taken


def _day(ordinal: int) -> str:
    return date.fromordinal(int(ordinal)).isoformat()


def _rounded(x: float, digits: int = 4) -> float:
    return round(float(x), digits)


def _occupation(code: str) -> dict[str, str]:
    return {"code": code, "name": ref.occupation(code).name}


_place_name = cache(place_name)


def _region(code: str) -> dict[str, str]:
    return {"code": code, "name": _place_name(code)}


def retention_rate(city: City) -> float:
    """Share of the hires in the city's history still employed six months on (1 when there is none)."""
    p = city.placements
    hired = int(p.hired.sum())
    return float((p.hired & p.retained).sum()) / hired if hired else 1.0


def assignments(city: City, inputs: PlanInputs, sol: Solution, graduate_line: np.ndarray) -> Assignments:
    """Who takes which arc in `sol`; `graduate_line` is each training arc's line after the class."""
    net = inputs.network
    n_w = net.n_workers
    direct_on = np.flatnonzero(sol.direct > 0.5)
    train_on = np.flatnonzero(sol.train > 0.5)
    kind = np.full(n_w, -1)
    line = np.full(n_w, -1)
    value = np.zeros(n_w)
    train_arc = np.full(n_w, -1)
    kind[net.direct_worker[direct_on]] = 0
    line[net.direct_worker[direct_on]] = net.direct_line[direct_on]
    value[net.direct_worker[direct_on]] = net.direct_value[direct_on]
    kind[net.train_worker[train_on]] = 1
    line[net.train_worker[train_on]] = graduate_line[train_on]
    value[net.train_worker[train_on]] = net.train_value[train_on]
    train_arc[net.train_worker[train_on]] = train_on
    outbound = np.zeros(n_w, bool)
    has_line = line >= 0
    outbound[has_line] = ~city.lines.in_qujing[inputs.lines[line[has_line]]]
    return Assignments(kind, line, value, train_arc, outbound, direct_on, train_on)


class _Names:
    """Lines and enterprises as the report names them, each line described once."""

    def __init__(self, city: City, inputs: PlanInputs, enterprise_names: dict[int, str]) -> None:
        self.city, self.inputs, self.enterprises = city, inputs, enterprise_names
        self.occupations = occupation_codes()
        self._lines: dict[int, dict[str, Any]] = {}

    def enterprise(self, enterprise_id: int) -> dict[str, Any]:
        return {"id": enterprise_id, "name": self.enterprises.get(enterprise_id, "")}

    def line(self, i: int) -> dict[str, Any]:
        """Network line `i`: its id, title, enterprise, occupation, where the work is."""
        if i not in self._lines:
            ln = self.city.lines
            r = int(self.inputs.lines[i])
            self._lines[i] = {
                "line_id": int(ln.id[r]),
                "title": str(ln.title[r]),
                "enterprise": self.enterprise(int(ln.enterprise_id[r])),
                "occupation": _occupation(self.occupations[ln.occ[r]]),
                "work_region": _region(str(ln.region[r])),
                "outbound": not bool(ln.in_qujing[r]),
            }
        return dict(self._lines[i])


def trainee_shares(city: City, inputs: PlanInputs, arc: int) -> CostShares:
    """Who pays what of one trainee's class (`matcher.policy.money`)."""
    pr = city.programmes
    p = int(inputs.programmes[inputs.network.train_class[arc]])
    _, advanced = organiser(str(pr.mode[p]), bool(pr.tendered[p]))
    decision = inputs.decisions.decisions[int(inputs.decisions.decision[arc])]
    return cost_shares(int(pr.cost[p]), advanced, decision)


def line_fill(inputs: PlanInputs, asg: Assignments) -> tuple[np.ndarray, np.ndarray]:
    """(direct placements, graduates) per network line."""
    net = inputs.network
    dest = asg.line[net.train_worker[asg.train_arcs]]
    direct = np.bincount(net.direct_line[asg.direct_arcs], minlength=net.n_lines)
    return direct, np.bincount(dest[dest >= 0], minlength=net.n_lines)


def placements(
    city: City, inputs: PlanInputs, asg: Assignments, names: _Names
) -> dict[str, list[dict[str, Any]]]:
    """The lines the plan fills, direct and outbound, with their placements, graduates and expected hires."""
    net = inputs.network
    direct_fill, grad_fill = line_fill(inputs, asg)
    has_line = asg.line >= 0
    expected = np.bincount(asg.line[has_line], asg.value[has_line], net.n_lines)
    entries = [
        {
            **names.line(i),
            "county": _region(str(city.lines.county[inputs.lines[i]])),
            "headcount": int(net.line_capacity[i]),
            "direct": int(direct_fill[i]),
            "graduates": int(grad_fill[i]),
            "expected_retained": _rounded(expected[i]),
        }
        for i in np.flatnonzero(direct_fill + grad_fill > 0).tolist()
    ]
    return {
        "direct": [p for p in entries if not p["outbound"]],
        "outbound": [p for p in entries if p["outbound"]],
    }


def classes(
    city: City,
    inputs: PlanInputs,
    sol: Solution,
    asg: Assignments,
    names: _Names,
    shares: dict[int, CostShares],
) -> list[dict[str, Any]]:
    """The classes to open: programme, school, orders served, size, dates, cost, subsidies, who pays."""
    net = inputs.network
    ln, pr = city.lines, city.programmes
    train_on = asg.train_arcs
    sizes = class_sizes(net, sol.train)
    subsidy_of_class = np.bincount(net.train_class[train_on], net.train_subsidy[train_on], net.n_classes)
    out = []
    for c in np.flatnonzero(sizes > 0).tolist():
        p = int(inputs.programmes[c])
        served = np.flatnonzero((net.serve_class == c) & (sol.serve > 0.5))
        orders: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for s in served.tolist():
            r = int(inputs.lines[net.serve_line[s]])
            orders[int(ln.enterprise_id[r])].append(
                {"line_id": int(ln.id[r]), "title": str(ln.title[r]), "graduates": int(round(sol.serve[s]))}
            )
        members = train_on[net.train_class[train_on] == c]
        paid = [shares[a] for a in members.tolist()]
        out.append(
            {
                "programme": {
                    "id": int(pr.id[p]),
                    "code": str(pr.code[p]),
                    "name": str(pr.name[p]),
                    "mode": str(pr.mode[p]),
                },
                "occupation": _occupation(names.occupations[pr.occ[p]]),
                "certificate": str(pr.certificate[p]),
                "institution": {
                    "name": str(pr.institution[p]),
                    "kind": str(pr.institution_kind[p]),
                    "tendered": bool(pr.tendered[p]),
                },
                "county": _region(str(pr.county[p])),
                "ordering_enterprise": (
                    names.enterprise(int(pr.enterprise_id[p])) if pr.enterprise_id[p] >= 0 else None
                ),
                "orders": [
                    {
                        "enterprise": names.enterprise(e),
                        "lines": served_lines,
                        "graduates": sum(x["graduates"] for x in served_lines),
                    }
                    for e, served_lines in sorted(orders.items())
                ],
                "size": int(sizes[c]),
                "seats": int(net.class_seats[c]),
                "start_date": _day(inputs.class_start[c]),
                "end_date": _day(inputs.class_end[c]),
                "days": int(pr.days[p]),
                "cost_per_person": int(pr.cost[p]),
                "cost": int(pr.cost[p]) * int(sizes[c]),
                "subsidies": _rounded(subsidy_of_class[c], 2),
                "subsidy_towards_cost": sum(x.subsidy for x in paid),
                "trainees_pay": sum(x.person_pays for x in paid),
                "enterprise_pays": sum(x.enterprise_pays for x in paid),
                "free_for_trainees": all(x.free for x in paid),
                "expected_completions": _rounded(inputs.train_complete[members].sum(), 2),
                "expected_retained": _rounded(net.train_value[members].sum()),
            }
        )
    return out


def _reasons(
    city: City, space: FeatureSpace, worker_rows: np.ndarray, line_rows: np.ndarray
) -> list[list[dict[str, str]]]:
    """Why each (worker row, line row) pair suits (`explain.reasons_for`). The reasons read no text
    similarity, so the pairs' features are computed without vectorizing the workers' profiles again
    (most of the cost of features): those two columns are left unknown (NaN)."""
    if not len(worker_rows):
        return []
    unread = np.full(len(worker_rows), np.nan, np.float32)
    X = pair_features(
        space,
        worker_rows,
        line_rows,
        np.full(len(worker_rows), city.as_of),
        similarity=(unread, unread),
    )
    return [
        reasons_for(city, int(w), int(ln), X[i], city.as_of)
        for i, (w, ln) in enumerate(zip(worker_rows, line_rows))
    ]


def _trainee(
    city: City, inputs: PlanInputs, worker_row: int, arc: int, shares: CostShares
) -> tuple[dict[str, Any], dict[str, str]]:
    """A trainee's class, completion odds, subsidy items and cost shares; and the reason for the class."""
    net, pr, w = inputs.network, city.programmes, city.workers
    c = int(net.train_class[arc])
    p = int(inputs.programmes[c])
    decision = inputs.decisions.decisions[int(inputs.decisions.decision[arc])]
    entry = {
        "class": {
            "programme_code": str(pr.code[p]),
            "programme_name": str(pr.name[p]),
            "start_date": _day(inputs.class_start[c]),
            "end_date": _day(inputs.class_end[c]),
        },
        "p_complete": _rounded(inputs.train_complete[arc]),
        "subsidy": {
            "total": _rounded(decision.total, 2),
            "items": [
                {
                    "item": it.item,
                    "name": it.name,
                    "amount": it.amount,
                    "payee": it.payee,
                    "article": it.article,
                    "advance": it.part_of is not None,
                }
                for it in decision.items
            ],
        },
        "cost": shares.as_dict(),
    }
    travel = float(haversine_km(w.lon[worker_row], w.lat[worker_row], pr.lon[p], pr.lat[p]))
    target = int(inputs.train_line[arc])
    reason = training_reason(city, worker_row, p, target, float(inputs.train_complete[arc]), travel)
    return entry, reason


def workers(
    city: City,
    space: FeatureSpace,
    inputs: PlanInputs,
    asg: Assignments,
    names: _Names,
    shares: dict[int, CostShares],
) -> list[dict[str, Any]]:
    """Each assigned worker: where they go, the odds, the reasons, and for a trainee the class and money."""
    w = city.workers
    groups = w.groups.tocsr()
    order = np.flatnonzero(asg.kind >= 0)
    routed = order[asg.line[order] >= 0]
    reasons = dict(
        zip(routed.tolist(), _reasons(city, space, inputs.workers[routed], inputs.lines[asg.line[routed]]))
    )
    people = []
    for i in order.tolist():
        r = int(inputs.workers[i])
        trainee = asg.kind[i] == 1
        entry: dict[str, Any] = {
            "worker_id": int(w.id[r]),
            "county": _region(str(w.county[r])),
            "groups": [GROUPS[g] for g in groups.indices[groups.indptr[r] : groups.indptr[r + 1]].tolist()],
            "assignment": "training" if trainee else ("outbound" if asg.outbound[i] else "direct"),
            "line": names.line(int(asg.line[i])) if asg.line[i] >= 0 else None,
            "p_retained": _rounded(asg.value[i]),
            "reasons": reasons.get(i, []),
        }
        if trainee:
            arc = int(asg.train_arc[i])
            more, reason = _trainee(city, inputs, r, arc, shares[arc])
            entry.update(more)
            entry["reasons"] = [reason, *entry["reasons"]]
        people.append(entry)
    return people


def unmet_demand(city: City, inputs: PlanInputs, asg: Assignments) -> list[dict[str, Any]]:
    """Headcount planned and left open by occupation and county, the most unmet first."""
    net, ln = inputs.network, city.lines
    occ_codes = occupation_codes()
    direct_fill, grad_fill = line_fill(inputs, asg)
    fill = direct_fill + grad_fill
    demand: dict[tuple[str, str], int] = defaultdict(int)
    planned: dict[tuple[str, str], int] = defaultdict(int)
    for i in range(net.n_lines):
        r = int(inputs.lines[i])
        key = (occ_codes[ln.occ[r]], str(ln.county[r]))
        demand[key] += int(net.line_capacity[i])
        planned[key] += int(fill[i])
    return [
        {
            "occupation": _occupation(o),
            "county": _region(cty),
            "outbound": not ref.is_in_qujing(cty),
            "headcount": h,
            "planned": planned[(o, cty)],
            "unmet": h - planned[(o, cty)],
        }
        for (o, cty), h in sorted(demand.items(), key=lambda kv: (planned[kv[0]] - kv[1], kv[0]))
    ]


def subsidy_items(inputs: PlanInputs, arcs: np.ndarray) -> list[dict[str, Any]]:
    """Subsidy items of the given training arcs summed by article, item and payee (advances, which are
    paid out of another item, are listed apart and not added to the total)."""
    sums: dict[tuple[str, str, str, str, bool], list[float]] = defaultdict(lambda: [0.0, 0])
    counts = np.bincount(inputs.decisions.decision[arcs], minlength=len(inputs.decisions.decisions))
    for d in np.flatnonzero(counts).tolist():
        for item in inputs.decisions.decisions[d].items:
            key = (item.article, item.item, item.name, item.payee, item.part_of is not None)
            sums[key][0] += item.amount * counts[d]
            sums[key][1] += int(counts[d])
    return [
        {
            "article": a,
            "item": i,
            "name": n,
            "payee": p,
            "advance": adv,
            "amount": _rounded(v[0], 2),
            "persons": int(v[1]),
        }
        for (a, i, n, p, adv), v in sorted(sums.items())
    ]


def priority_groups(city: City, inputs: PlanInputs, asg: Assignments) -> dict[str, dict[str, Any]]:
    """Per priority group: how many are in scope, assigned and trained, and their shares."""
    n_w = inputs.network.n_workers
    assigned, trainee = asg.kind >= 0, asg.kind == 1
    group_rows = city.workers.groups[inputs.workers].tocsc()
    shares = {}
    for g, name in enumerate(GROUPS):
        members = np.zeros(n_w, bool)
        members[group_rows.indices[group_rows.indptr[g] : group_rows.indptr[g + 1]]] = True
        shares[name] = {
            "label": GROUP_LABELS[name],
            "in_scope": int(members.sum()),
            "assigned": int((members & assigned).sum()),
            "trainees": int((members & trainee).sum()),
            "share_of_assigned": _rounded((members & assigned).sum() / max(assigned.sum(), 1)),
            "share_of_trainees": _rounded((members & trainee).sum() / max(trainee.sum(), 1)),
            "share_of_scope": _rounded(members.sum() / max(n_w, 1)),
        }
    return shares


def totals(
    city: City,
    inputs: PlanInputs,
    sol: Solution,
    asg: Assignments,
    shares: dict[int, CostShares],
    budget: float | None,
) -> dict[str, Any]:
    """The plan's figures: who is assigned how, classes, expected hires, money, budget, headcount left."""
    net, pr = inputs.network, city.programmes
    train_on = asg.train_arcs
    assigned, trainee = asg.kind >= 0, asg.kind == 1
    spent = float(net.train_subsidy @ sol.train)
    expected_retained = float(asg.value.sum())
    retention = retention_rate(city)
    direct_fill, grad_fill = line_fill(inputs, asg)
    in_groups = np.diff(city.workers.groups.tocsr().indptr) > 0
    return {
        "workers_in_scope": int(net.n_workers),
        "assigned": int(assigned.sum()),
        "direct": int(((asg.kind == 0) & ~asg.outbound).sum()),
        "outbound": int(((asg.kind == 0) & asg.outbound).sum()),
        "trainees": int(trainee.sum()),
        "classes": int((class_sizes(net, sol.train) > 0).sum()),
        "expected_retained_placements": _rounded(expected_retained, 2),
        "expected_placements": _rounded(min(expected_retained / retention, float(assigned.sum())), 2),
        "retention_rate_used": _rounded(retention),
        "objective": _rounded(sol.objective, 4),
        "training_cost": int((pr.cost[inputs.programmes[net.train_class[train_on]]]).sum()),
        "subsidies": _rounded(spent, 2),
        "subsidy_towards_cost": sum(x.subsidy for x in shares.values()),
        "trainees_pay": sum(x.person_pays for x in shares.values()),
        "enterprises_pay": sum(x.enterprise_pays for x in shares.values()),
        "priority_trainees_paying": sum(
            1 for a, x in shares.items() if x.person_pays and in_groups[inputs.workers[net.train_worker[a]]]
        ),
        "expected_subsidies": _rounded(
            float(net.train_subsidy[train_on] @ inputs.train_complete[train_on]), 2
        ),
        "budget": None
        if budget is None
        else {
            "budget": budget,
            "used": _rounded(spent, 2),
            "left": _rounded(budget - spent, 2),
            "share_used": _rounded(spent / budget) if budget else None,
        },
        "open_headcount": int(net.line_capacity.sum()),
        "unmet_headcount": int(net.line_capacity.sum() - direct_fill.sum() - grad_fill.sum()),
        "priority_groups": priority_groups(city, inputs, asg),
        "priority_weights": inputs.priority_weights,
    }


def recorded_skills(city: City, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`matcher.reports.skill_flags` of the worker rows `rows`, from the city's arrays: employed, holds a
    skill certificate, holds one at a high level."""
    w = city.workers
    employed = np.array([s in EMPLOYED_STATUSES for s in w.status[rows].tolist()], bool)
    certs = w.certs.take(rows)
    skill = np.array([k in SKILL_CERTIFICATES for k in certs["kind"].tolist()], bool)
    high = skill & np.isin(certs["rank"], list(HIGH_SKILL_RANKS))
    owner = certs.owner()
    return (
        employed,
        np.bincount(owner[skill], minlength=len(rows)) > 0,
        np.bincount(owner[high], minlength=len(rows)) > 0,
    )


def targets(city: City, inputs: PlanInputs, asg: Assignments) -> dict[str, Any]:
    """Progress towards article 二's targets in scope, and what the plan would add (expected values)."""
    employed, skilled, high = recorded_skills(city, inputs.workers)
    now = skill_shares(employed, skilled, high)
    # P(employed after the plan) and P(newly certified at a skilled / high-skilled level)
    placed = asg.kind >= 0
    p_emp = np.where(employed, 1.0, 0.0)
    p_emp[placed] = np.maximum(p_emp[placed], asg.value[placed])
    p_skill = skilled.astype(float)
    p_high = high.astype(float)
    net = inputs.network
    pr = city.programmes
    for arc in asg.train_arcs.tolist():
        wi, prog = int(net.train_worker[arc]), int(inputs.programmes[net.train_class[arc]])
        if pr.certificate[prog] in SKILL_CERTIFICATES:
            p_cert = float(inputs.train_complete[arc])
            p_skill[wi] = max(p_skill[wi], p_cert)
            if int(pr.rank[prog]) in HIGH_SKILL_RANKS:
                p_high[wi] = max(p_high[wi], p_cert)
    e_employed = float(p_emp.sum())
    e_skilled = float((p_emp * p_skill).sum())
    e_high = float((p_emp * p_high).sum())
    e = city.enrolments
    in_scope = np.zeros(len(city.workers), bool)
    in_scope[inputs.workers] = True
    years = year_of(e.start) if len(e) else np.zeros(0, np.int64)
    done = int((in_scope[e.worker] & (years >= 2019) & (years <= 2021)).sum()) if len(e) else 0
    trainees = len(asg.train_arcs)
    year = int(date.fromordinal(int(inputs.class_start.min())).year) if len(inputs.class_start) else None
    with_plan = {
        "skilled_share_of_employed": e_skilled / e_employed if e_employed else 0.0,
        "high_skilled_share_of_skilled": e_high / e_skilled if e_skilled else 0.0,
    }
    return {
        "subsidised_trainings_2019_2021": {
            "target": TARGETS["subsidised_trainings_2019_2021"],
            "achieved": done,
            "plan_adds": trainees,
            "plan_year": year,
            "with_plan": done + trainees,
            "note": "the plan's classes count towards the period in which they are held",
            "article": "二",
        },
        **{
            name: {
                "target": TARGETS[name],
                "now": _rounded(now[name]),
                "with_plan": _rounded(with_plan[name]),
                "met_now": now[name] >= TARGETS[name],
                "met_with_plan": with_plan[name] >= TARGETS[name],
                "article": "二",
            }
            for name in ("skilled_share_of_employed", "high_skilled_share_of_skilled")
        },
        "workforce": {
            **now,
            "expected_employed_with_plan": _rounded(e_employed, 1),
            "expected_skilled_with_plan": _rounded(e_skilled, 1),
            "expected_high_skilled_with_plan": _rounded(e_high, 1),
        },
    }


def fairness(
    city: City, inputs: PlanInputs, asg: Assignments, shares: dict[int, CostShares]
) -> dict[str, Any]:
    """Placement, training and subsidy rates by group (`matcher.fairness`)."""
    net = inputs.network
    subsidised = np.zeros(net.n_workers, bool)
    for arc, x in shares.items():
        subsidised[net.train_worker[arc]] = x.subsidy > 0
    outcomes = {"placed": asg.kind == 0, "trained": asg.kind == 1, "subsidised": subsidised}
    return city_fairness(city, inputs.workers, outcomes).to_dict()


def solution_summary(sol: Solution) -> dict[str, Any]:
    """The solver, the objective, the bound it is measured against and the gap."""
    return {
        "method": sol.method,
        "objective": _rounded(sol.objective, 6),
        "bound": _rounded(sol.bound, 6),
        "bound_method": sol.bound_method,
        "gap": _rounded(sol.gap, 6),
        "iterations": sol.iterations,
        "notes": sol.notes,
    }


def stable_cost(inputs: PlanInputs, sol: Solution, optimum: Solution, asg: Assignments) -> dict[str, Any]:
    """What a stable plan costs against the optimal one, in objective and in expected retained hires."""
    net = inputs.network
    opt_value = float(net.direct_value @ (optimum.direct > 0.5) + net.train_value @ (optimum.train > 0.5))
    stable_value = float(asg.value.sum())
    return {
        "optimum_objective": _rounded(optimum.objective, 6),
        "stable_objective": _rounded(sol.objective, 6),
        "objective_cost": _rounded(optimum.objective - sol.objective, 6),
        "optimum_expected_retained": _rounded(opt_value, 2),
        "stable_expected_retained": _rounded(stable_value, 2),
        "expected_retained_cost": _rounded(opt_value - stable_value, 2),
        "relative_cost": _rounded((opt_value - stable_value) / opt_value) if opt_value else 0.0,
    }


def assemble(
    city: City,
    space: FeatureSpace,
    inputs: PlanInputs,
    sol: Solution,
    graduate_line: np.ndarray,
    reads: Reads,
    budget: float | None,
    optimum: Solution | None = None,
) -> dict[str, Any]:
    """The JSON-ready plan for solution `sol`, whose trainees go on to `graduate_line` (per training arc);
    `optimum`: the optimal plan a stable plan is compared with."""
    asg = assignments(city, inputs, sol, graduate_line)
    names = _Names(city, inputs, reads.enterprise_names)
    shares = {arc: trainee_shares(city, inputs, arc) for arc in asg.train_arcs.tolist()}
    out: dict[str, Any] = {
        "totals": totals(city, inputs, sol, asg, shares, budget),
        "fairness": fairness(city, inputs, asg, shares),
        "classes": classes(city, inputs, sol, asg, names, shares),
        "placements": placements(city, inputs, asg, names),
        "workers": workers(city, space, inputs, asg, names, shares),
        "unmet_demand": unmet_demand(city, inputs, asg),
        "subsidies_by_article": subsidy_items(inputs, asg.train_arcs),
        "targets": targets(city, inputs, asg),
        "solution": solution_summary(sol),
    }
    if optimum is not None:
        out["stable"] = stable_cost(inputs, sol, optimum, asg)
    return out
