"""The plan as the bureau reads it: classes to open, placements, each worker's assignment with reasons,
unmet demand, subsidies by article, and progress towards the plan's targets (article 二). JSON-ready."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import select

from matcher import reference as ref
from matcher.assign import solve_bipartite
from matcher.fairness import city_fairness
from matcher.model.explain import GROUP_LABELS, place_name, reasons_for, training_reason
from matcher.model.scoring import FeatureSpace, pair_features
from matcher.model.snapshot import GROUPS, City, haversine_km, occupation_codes, year_of
from matcher.plan.inputs import PlanInputs
from matcher.plan.network import Solution, class_sizes
from matcher.policy.cases import organiser
from matcher.policy.money import CostShares, cost_shares
from matcher.reports import HIGH_SKILL_LEVELS, SKILL_CERTIFICATES, TARGETS, skill_shares
from matcher.store import session_scope
from matcher.store.tables import EnterpriseRow, WorkerRow

HIGH_SKILL_RANKS = {6 - level for level in HIGH_SKILL_LEVELS}


def _day(ordinal: int) -> str:
    return date.fromordinal(int(ordinal)).isoformat()


def _r(x: float, digits: int = 4) -> float:
    return round(float(x), digits)


def _occupation(code: str) -> dict[str, str]:
    return {"code": code, "name": ref.occupation(code).name}


def _region(code: str) -> dict[str, str]:
    return {"code": code, "name": place_name(code)}


def enterprise_names(url: str | None, ids: np.ndarray) -> dict[int, str]:
    wanted = sorted({int(i) for i in ids.tolist() if i >= 0})
    if not wanted:
        return {}
    with session_scope(url) as s:
        rows = s.execute(
            select(EnterpriseRow.id, EnterpriseRow.name).where(EnterpriseRow.id.in_(wanted))
        ).all()
    return {int(i): n for i, n in rows}


def retention_rate(city: City) -> float:
    """Share of the hires in the city's history still employed six months on (1 when there is none)."""
    p = city.placements
    hired = int(p.hired.sum())
    return float((p.hired & p.retained).sum()) / hired if hired else 1.0


def graduate_lines(inputs: PlanInputs, sol: Solution) -> np.ndarray:
    """The network line each chosen trainee is referred to after the class (-1 for other arcs).

    A class's graduates fill the lines its serve flows reach; within a class the trainees are spread over
    those lines so that as many as possible go to the line of their own best pathway (`solve_bipartite`).
    """
    net = inputs.network
    out = np.full(len(net.train_worker), -1)
    chosen = np.flatnonzero(sol.train > 0.5)
    serve = np.flatnonzero(sol.serve > 0.5)
    if not len(chosen) or not len(serve):
        return out
    l_pos = np.full(int(inputs.lines.max()) + 1, -1)
    l_pos[inputs.lines] = np.arange(len(inputs.lines))
    own = l_pos[inputs.train_line[chosen]]
    rows, cols = [], []
    for i, arc in enumerate(chosen.tolist()):
        here = np.flatnonzero(net.serve_class[serve] == net.train_class[arc])
        rows.append(np.full(len(here), i))
        cols.append(here)
    r, c = np.concatenate(rows), np.concatenate(cols)
    weight = 1.0 + (net.serve_line[serve[c]] == own[r])
    result = solve_bipartite(
        r, c, weight, np.ones(len(chosen), np.int64), np.round(sol.serve[serve]).astype(np.int64)
    )
    used = result.flow > 0
    out[chosen[r[used]]] = net.serve_line[serve[c[used]]]
    return out


def _reasons(
    city: City, space: FeatureSpace, worker_rows: np.ndarray, line_rows: np.ndarray
) -> list[list[dict[str, str]]]:
    if not len(worker_rows):
        return []
    X = pair_features(space, worker_rows, line_rows, np.full(len(worker_rows), city.as_of))
    return [
        reasons_for(city, int(w), int(ln), X[i], city.as_of)
        for i, (w, ln) in enumerate(zip(worker_rows, line_rows))
    ]


def trainee_shares(city: City, inputs: PlanInputs, arc: int) -> CostShares:
    """Who pays what of one trainee's class (`matcher.policy.money`)."""
    pr = city.programmes
    p = int(inputs.programmes[inputs.network.train_class[arc]])
    _, advanced = organiser(str(pr.mode[p]), bool(pr.tendered[p]))
    decision = inputs.decisions.decisions[int(inputs.decisions.decision[arc])]
    return cost_shares(int(pr.cost[p]), advanced, decision)


def _subsidy_items(inputs: PlanInputs, arcs: np.ndarray) -> list[dict[str, Any]]:
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
            "amount": _r(v[0], 2),
            "persons": int(v[1]),
        }
        for (a, i, n, p, adv), v in sorted(sums.items())
    ]


def worker_certificates(url: str | None, ids: np.ndarray) -> list[tuple[str, list[dict[str, Any]]]]:
    """(employment status, certificates as recorded) of the workers `ids`, in that order."""
    with session_scope(url) as s:
        rows = dict(
            (i, (st, certs))
            for i, st, certs in s.execute(
                select(WorkerRow.id, WorkerRow.employment_status, WorkerRow.certificates)
            )
        )
    return [rows[int(i)] for i in ids.tolist()]


def _targets(
    city: City, inputs: PlanInputs, sol: Solution, value: np.ndarray, assigned: np.ndarray, url: str | None
) -> dict[str, Any]:
    """Progress towards article 二's targets in scope, and what the plan would add (expected values)."""
    w = city.workers
    rows = inputs.workers
    pairs = worker_certificates(url, w.id[rows])
    now = skill_shares(pairs)

    employed = np.array([s in ("employed", "self_employed") for s, _ in pairs])
    skilled = np.array([any(c["kind"] in SKILL_CERTIFICATES for c in cs) for _, cs in pairs])
    high = np.array(
        [
            any(c["kind"] in SKILL_CERTIFICATES and c["level"] in HIGH_SKILL_LEVELS for c in cs)
            for _, cs in pairs
        ]
    )
    # P(employed after the plan) and P(newly certified at a skilled / high-skilled level)
    p_emp = np.where(employed, 1.0, 0.0)
    p_emp[assigned >= 0] = np.maximum(p_emp[assigned >= 0], value[assigned >= 0])
    p_skill = skilled.astype(float)
    p_high = high.astype(float)
    net = inputs.network
    pr = city.programmes
    for arc in np.flatnonzero(sol.train > 0.5).tolist():
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
    in_scope = np.zeros(len(w), bool)
    in_scope[rows] = True
    years = year_of(e.start) if len(e) else np.zeros(0, np.int64)
    done = int((in_scope[e.worker] & (years >= 2019) & (years <= 2021)).sum()) if len(e) else 0
    trainees = int((sol.train > 0.5).sum())
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
                "now": _r(now[name]),
                "with_plan": _r(with_plan[name]),
                "met_now": now[name] >= TARGETS[name],
                "met_with_plan": with_plan[name] >= TARGETS[name],
                "article": "二",
            }
            for name in ("skilled_share_of_employed", "high_skilled_share_of_skilled")
        },
        "workforce": {
            **now,
            "expected_employed_with_plan": _r(e_employed, 1),
            "expected_skilled_with_plan": _r(e_skilled, 1),
            "expected_high_skilled_with_plan": _r(e_high, 1),
        },
    }


def assemble(
    city: City,
    space: FeatureSpace,
    inputs: PlanInputs,
    sol: Solution,
    url: str | None,
    budget: float | None,
    optimum: Solution | None = None,
) -> dict[str, Any]:
    """The JSON-ready plan for solution `sol` (`optimum`: the optimal plan stable mode is compared with)."""
    net = inputs.network
    w, ln, pr = city.workers, city.lines, city.programmes
    occ_codes = occupation_codes()
    n_w = net.n_workers
    d_on = np.flatnonzero(sol.direct > 0.5)
    t_on = np.flatnonzero(sol.train > 0.5)
    dest = graduate_lines(inputs, sol)

    # each worker's assignment: arc kind, network line, value
    assigned = np.full(n_w, -1)
    line_of = np.full(n_w, -1)
    value = np.zeros(n_w)
    arc_of = np.full(n_w, -1)
    assigned[net.direct_worker[d_on]] = 0
    line_of[net.direct_worker[d_on]] = net.direct_line[d_on]
    value[net.direct_worker[d_on]] = net.direct_value[d_on]
    assigned[net.train_worker[t_on]] = 1
    line_of[net.train_worker[t_on]] = dest[t_on]
    value[net.train_worker[t_on]] = net.train_value[t_on]
    arc_of[net.train_worker[t_on]] = t_on
    outbound = np.zeros(n_w, bool)
    has_line = line_of >= 0
    outbound[has_line] = ~ln.in_qujing[inputs.lines[line_of[has_line]]]

    sizes = class_sizes(net, sol.train)
    opened = np.flatnonzero(sizes > 0)
    ent_ids = np.concatenate([ln.enterprise_id[inputs.lines], pr.enterprise_id[inputs.programmes]])
    names = enterprise_names(url, ent_ids)
    retention = retention_rate(city)

    # lines: direct placements and graduates
    direct_fill = np.bincount(net.direct_line[d_on], minlength=net.n_lines)
    grad_fill = np.bincount(dest[t_on][dest[t_on] >= 0], minlength=net.n_lines)
    expected_line = np.bincount(line_of[has_line], value[has_line], net.n_lines)

    def line_ref(i: int) -> dict[str, Any]:
        r = int(inputs.lines[i])
        return {
            "line_id": int(ln.id[r]),
            "title": str(ln.title[r]),
            "enterprise": {"id": int(ln.enterprise_id[r]), "name": names.get(int(ln.enterprise_id[r]), "")},
            "occupation": _occupation(occ_codes[ln.occ[r]]),
            "work_region": _region(str(ln.region[r])),
            "outbound": not bool(ln.in_qujing[r]),
        }

    def line_entry(i: int) -> dict[str, Any]:
        return {
            **line_ref(i),
            "county": _region(str(ln.county[inputs.lines[i]])),
            "headcount": int(net.line_capacity[i]),
            "direct": int(direct_fill[i]),
            "graduates": int(grad_fill[i]),
            "expected_retained": _r(expected_line[i]),
        }

    filled_lines = np.flatnonzero(direct_fill + grad_fill > 0)
    placements = [line_entry(i) for i in filled_lines.tolist()]

    # who pays: per trainee, then summed per class
    shares_of_arc = {arc: trainee_shares(city, inputs, arc) for arc in t_on.tolist()}
    subsidy_of_class = np.bincount(net.train_class[t_on], net.train_subsidy[t_on], net.n_classes)
    classes = []
    for c in opened.tolist():
        p = int(inputs.programmes[c])
        served = np.flatnonzero((net.serve_class == c) & (sol.serve > 0.5))
        orders: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for s in served.tolist():
            r = int(inputs.lines[net.serve_line[s]])
            orders[int(ln.enterprise_id[r])].append(
                {"line_id": int(ln.id[r]), "title": str(ln.title[r]), "graduates": int(round(sol.serve[s]))}
            )
        members = t_on[net.train_class[t_on] == c]
        paid = [shares_of_arc[a] for a in members.tolist()]
        classes.append(
            {
                "programme": {
                    "id": int(pr.id[p]),
                    "code": str(pr.code[p]),
                    "name": str(pr.name[p]),
                    "mode": str(pr.mode[p]),
                },
                "occupation": _occupation(occ_codes[pr.occ[p]]),
                "certificate": str(pr.certificate[p]),
                "institution": {
                    "name": str(pr.institution[p]),
                    "kind": str(pr.institution_kind[p]),
                    "tendered": bool(pr.tendered[p]),
                },
                "county": _region(str(pr.county[p])),
                "ordering_enterprise": (
                    {"id": int(pr.enterprise_id[p]), "name": names.get(int(pr.enterprise_id[p]), "")}
                    if pr.enterprise_id[p] >= 0
                    else None
                ),
                "orders": [
                    {
                        "enterprise": {"id": e, "name": names.get(e, "")},
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
                "subsidies": _r(subsidy_of_class[c], 2),
                "subsidy_towards_cost": sum(x.subsidy for x in paid),
                "trainees_pay": sum(x.person_pays for x in paid),
                "enterprise_pays": sum(x.enterprise_pays for x in paid),
                "free_for_trainees": all(x.free for x in paid),
                "expected_completions": _r(inputs.train_complete[members].sum(), 2),
                "expected_retained": _r(net.train_value[members].sum()),
            }
        )

    # workers
    order = np.flatnonzero(assigned >= 0)
    routed = order[line_of[order] >= 0]
    said = dict(
        zip(routed.tolist(), _reasons(city, space, inputs.workers[routed], inputs.lines[line_of[routed]]))
    )
    people = []
    for i in order.tolist():
        r = int(inputs.workers[i])
        entry: dict[str, Any] = {
            "worker_id": int(w.id[r]),
            "county": _region(str(w.county[r])),
            "groups": [GROUPS[g] for g in w.groups[r].indices.tolist()],
            "assignment": "training" if assigned[i] == 1 else ("outbound" if outbound[i] else "direct"),
            "line": line_ref(int(line_of[i])) if line_of[i] >= 0 else None,
            "p_retained": _r(value[i]),
            "reasons": said.get(i, []),
        }
        if assigned[i] == 1:
            arc = int(arc_of[i])
            c = int(net.train_class[arc])
            p = int(inputs.programmes[c])
            decision = inputs.decisions.decisions[int(inputs.decisions.decision[arc])]
            entry["class"] = {
                "programme_code": str(pr.code[p]),
                "programme_name": str(pr.name[p]),
                "start_date": _day(inputs.class_start[c]),
                "end_date": _day(inputs.class_end[c]),
            }
            entry["p_complete"] = _r(inputs.train_complete[arc])
            entry["subsidy"] = {
                "total": _r(decision.total, 2),
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
            }
            entry["cost"] = shares_of_arc[arc].as_dict()
            travel = float(haversine_km(w.lon[r], w.lat[r], pr.lon[p], pr.lat[p]))
            target = int(inputs.train_line[arc])
            entry["reasons"] = [
                training_reason(city, r, p, target, float(inputs.train_complete[arc]), travel),
                *entry["reasons"],
            ]
        people.append(entry)

    # unmet demand by occupation and county
    fill = direct_fill + grad_fill
    demand: dict[tuple[str, str], int] = defaultdict(int)
    planned: dict[tuple[str, str], int] = defaultdict(int)
    for i in range(net.n_lines):
        r = int(inputs.lines[i])
        key = (occ_codes[ln.occ[r]], str(ln.county[r]))
        demand[key] += int(net.line_capacity[i])
        planned[key] += int(fill[i])
    unmet: list[dict[str, Any]] = [
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

    # totals
    trainee_mask = assigned == 1
    spent = float(net.train_subsidy @ sol.train)
    expected_retained = float(value.sum())
    group_rows = w.groups[inputs.workers].tocsc()
    shares = {}
    for g, name in enumerate(GROUPS):
        members = np.zeros(n_w, bool)
        members[group_rows.indices[group_rows.indptr[g] : group_rows.indptr[g + 1]]] = True
        shares[name] = {
            "label": GROUP_LABELS[name],
            "in_scope": int(members.sum()),
            "assigned": int((members & (assigned >= 0)).sum()),
            "trainees": int((members & trainee_mask).sum()),
            "share_of_assigned": _r((members & (assigned >= 0)).sum() / max((assigned >= 0).sum(), 1)),
            "share_of_trainees": _r((members & trainee_mask).sum() / max(trainee_mask.sum(), 1)),
            "share_of_scope": _r(members.sum() / max(n_w, 1)),
        }
    totals = {
        "workers_in_scope": int(n_w),
        "assigned": int((assigned >= 0).sum()),
        "direct": int(((assigned == 0) & ~outbound).sum()),
        "outbound": int(((assigned == 0) & outbound).sum()),
        "trainees": int(trainee_mask.sum()),
        "classes": len(opened),
        "expected_retained_placements": _r(expected_retained, 2),
        "expected_placements": _r(min(expected_retained / retention, float((assigned >= 0).sum())), 2),
        "retention_rate_used": _r(retention),
        "objective": _r(sol.objective, 4),
        "training_cost": int((pr.cost[inputs.programmes[net.train_class[t_on]]]).sum()),
        "subsidies": _r(spent, 2),
        "subsidy_towards_cost": sum(x.subsidy for x in shares_of_arc.values()),
        "trainees_pay": sum(x.person_pays for x in shares_of_arc.values()),
        "enterprises_pay": sum(x.enterprise_pays for x in shares_of_arc.values()),
        "priority_trainees_paying": sum(
            1
            for a, x in shares_of_arc.items()
            if x.person_pays and w.groups[inputs.workers[net.train_worker[a]]].nnz
        ),
        "expected_subsidies": _r(float(net.train_subsidy[t_on] @ inputs.train_complete[t_on]), 2),
        "budget": None
        if budget is None
        else {
            "budget": budget,
            "used": _r(spent, 2),
            "left": _r(budget - spent, 2),
            "share_used": _r(spent / budget) if budget else None,
        },
        "open_headcount": int(net.line_capacity.sum()),
        "unmet_headcount": int(net.line_capacity.sum() - fill.sum()),
        "priority_groups": shares,
        "priority_weights": inputs.priority_weights,
    }
    subsidised = np.zeros(n_w, bool)
    for arc, x in shares_of_arc.items():
        subsidised[net.train_worker[arc]] = x.subsidy > 0
    fairness = city_fairness(
        city,
        inputs.workers,
        {"placed": assigned == 0, "trained": trainee_mask, "subsidised": subsidised},
    )
    out: dict[str, Any] = {
        "totals": totals,
        "fairness": fairness.to_dict(),
        "classes": classes,
        "placements": {
            "direct": [p for p in placements if not p["outbound"]],
            "outbound": [p for p in placements if p["outbound"]],
        },
        "workers": people,
        "unmet_demand": unmet,
        "subsidies_by_article": _subsidy_items(inputs, t_on),
        "targets": _targets(city, inputs, sol, value, assigned, url),
        "solution": {
            "method": sol.method,
            "objective": _r(sol.objective, 6),
            "bound": _r(sol.bound, 6),
            "bound_method": sol.bound_method,
            "gap": _r(sol.gap, 6),
            "iterations": sol.iterations,
            "notes": sol.notes,
        },
    }
    if optimum is not None:
        opt_value = float(net.direct_value @ (optimum.direct > 0.5) + net.train_value @ (optimum.train > 0.5))
        out["stable"] = {
            "optimum_objective": _r(optimum.objective, 6),
            "stable_objective": _r(sol.objective, 6),
            "objective_cost": _r(optimum.objective - sol.objective, 6),
            "optimum_expected_retained": _r(opt_value, 2),
            "stable_expected_retained": _r(expected_retained, 2),
            "expected_retained_cost": _r(opt_value - expected_retained, 2),
            "relative_cost": _r((opt_value - expected_retained) / opt_value) if opt_value else 0.0,
        }
    return out
