"""Explanations a counselor can repeat: every recommendation's score, reasons in plain Chinese, and flags.

Shape (after bob-emploi's ExplainedScore): ``{"score": float, "reasons": [{"code", "text", "effect"}],
"flags": {...}}`` with effect "+" (speaks for the match) or "-" (against it). Reasons are read off the
same pair features the scorer used, so what is said is what was weighed.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np

from matcher import reference as ref
from matcher.model.candidates import AGE_MAX, AGE_MIN, home_regions, obtainable_items
from matcher.model.scoring import FEATURES
from matcher.model.snapshot import (
    GROUPS,
    NEVER,
    City,
    occupation_codes,
    place,
    special_operation_codes,
    years_between,
)

GROUP_LABELS = {
    "poverty_registered": "建档立卡贫困劳动力",
    "relocated": "易地扶贫搬迁劳动力",
    "two_after": "“两后生”",
    "veteran": "退役军人",
    "disabled": "残疾人",
    "zero_employment_family": "零就业家庭成员",
    "dibao": "低保家庭成员",
    "de_capacity_unemployed": "去产能失业人员",
    "rural_transfer": "农村转移就业劳动力",
    "transferred_worker": "转岗职工",
    "graduate_unemployed": "离校未就业高校毕业生",
}
FAR_KM = 50
"""Beyond this distance inside Qujing a commute or move counts against a line."""


def _reason(code: str, text: str, effect: str) -> dict[str, str]:
    return {"code": code, "text": text, "effect": effect}


def level_label(rank: int) -> str:
    """'四级/中级工' for rank 2; ranks run 1 初级工 … 5 高级技师."""
    return ref.skill_levels()[6 - rank].label


_PLACEHOLDER_CITIES = ("市辖区", "县")
"""The classification's city-level entries of the municipalities (上海 310100 is 市辖区)."""


def place_name(code: str) -> str:
    """A region as a person says it: 深圳市, 上海市, 昆明市官渡区, 麒麟区越州镇, 曲靖经济技术开发区."""
    r = ref.region(code)
    if r.kind == "city" and r.name in _PLACEHOLDER_CITIES and r.parent_code:
        return ref.region(r.parent_code).name
    if r.parent_code and (r.kind == "town" or (r.kind == "county" and not ref.is_in_qujing(code))):
        return place_name(r.parent_code) + r.name
    return r.name


def _held_items(city: City, worker: int, day: int) -> set[int]:
    cr = city.credentials
    sl = slice(cr.offsets[worker], cr.offsets[worker + 1])
    return {int(s) for s, d in zip(cr["so"][sl], cr["date"][sl]) if s >= 0 and d < day}


def feasibility_flags(city: City, worker: int, line: int, as_of: int) -> dict[str, Any]:
    """The feasibility rules of `matcher.model.candidates`, checked one by one for one pair."""
    w, ln = city.workers, city.lines
    line_place = place(ln.region[line])
    outside = line_place.province != ref.YUNNAN_CODE
    ir = w.intent_region
    accepted = {str(c) for c in ir["code"][ir.offsets[worker] : ir.offsets[worker + 1]]}
    accepted |= set(home_regions(str(w.county[worker])))
    region_ok = bool(w.outside_province[worker]) if outside else bool(accepted & set(line_place.chain))
    start = max(int(ln.start[line]), as_of)
    age = int(years_between(np.array([w.birth[worker]]), np.array([start]))[0])
    required = set(np.flatnonzero(city.required_dense[line, :-1]).tolist())
    missing = required - _held_items(city, worker, as_of)
    obtainable = set(np.flatnonzero(obtainable_items(city, as_of)).tolist())
    certificates = "held" if not missing else ("by_training" if missing <= obtainable else "unobtainable")
    flags = {
        "region": region_ok,
        "working_age": AGE_MIN <= age < AGE_MAX,
        "wage": bool(ln.wage_max[line] >= w.min_wage[worker]),
        "certificates": certificates,
        "outbound": not line_place.in_qujing,
        "outside_province": outside,
    }
    flags["feasible"] = bool(
        flags["region"] and flags["working_age"] and flags["wage"] and certificates != "unobtainable"
    )
    return flags


def reasons_for(
    city: City, worker: int, line: int, x: np.ndarray, as_of: int, programme: int | None = None
) -> list[dict[str, str]]:
    """Why this line suits (or not) this worker, from the pair's features `x` on `as_of`; for a pathway,
    `programme` is the training proposed, named where it brings a missing certificate."""
    f = dict(zip(FEATURES, x.tolist()))
    w, ln = city.workers, city.lines
    occ = occupation_codes()[ln.occ[line]]
    minor = ref.occupation(occ.rsplit("-", 1)[0]).name
    out: list[dict[str, str]] = []

    d_int, d_cred, d_hist = f["occ_dist_intent"], f["occ_dist_credential"], f["occ_dist_history"]
    name = ref.occupation(occ).name
    if d_int == 0:
        out.append(_reason("occupation", f"与意向职业相同（{name}）", "+"))
    elif d_int == 1:
        out.append(_reason("occupation", f"与意向职业相近（同一小类：{minor}）", "+"))
    elif min(d_cred, d_hist) <= 1:
        source = "所持证书" if d_cred <= d_hist else "从事过的"
        same = "相同" if min(d_cred, d_hist) == 0 else f"相近（同一小类：{minor}）"
        out.append(_reason("occupation", f"与本人{source}职业{same}", "+"))
    elif min(d_int, d_cred, d_hist) == 2:
        middle = ref.occupation(occ.rsplit("-", 2)[0]).name
        out.append(_reason("occupation", f"与本人的职业同属一个中类（{middle}），但不在同一小类", "+"))
    else:
        out.append(_reason("occupation", f"岗位职业（{name}）与本人意向、证书和工作经历都不相近", "-"))

    if f["years_near"] >= 1:
        out.append(_reason("experience", f"有约{int(round(f['years_near']))}年相同或相近职业的工作经历", "+"))

    req, held = int(f["required_rank"]), int(f["rank_near"])
    if req:
        if held >= req:
            out.append(_reason("level", f"岗位要求{level_label(req)}，本人持{level_label(held)}证书", "+"))
        elif held:
            out.append(_reason("level", f"岗位要求{level_label(req)}，本人持{level_label(held)}证书", "-"))
        else:
            out.append(
                _reason("level", f"岗位要求{level_label(req)}，本人没有该职业（同一小类）的等级证书", "-")
            )

    codes = special_operation_codes()
    have = _held_items(city, worker, as_of)
    for item in np.flatnonzero(city.required_dense[line, :-1]).tolist():
        op = ref.special_operations()[codes[item]].name
        if item in have:
            out.append(_reason("certificate", f"持有岗位要求的特种作业操作证（{op}）", "+"))
        elif programme is not None and city.programmes.so[programme] == item:
            text = f"缺少岗位要求的特种作业操作证（{op}），参加“{city.programmes.name[programme]}”可以取得"
            out.append(_reason("certificate_missing", text, "-"))
        else:
            out.append(
                _reason("certificate_missing", f"缺少岗位要求的特种作业操作证（{op}），须先培训取证", "-")
            )

    km = int(round(f["distance_km"]))
    where = place_name(ln.region[line])
    if f["line_outside_province"]:
        willing = "本人愿意省外就业" if f["willing_outside"] else "本人未表示愿意省外就业"
        out.append(
            _reason(
                "outbound", f"需赴{where}工作，约{km}公里，{willing}", "+" if f["willing_outside"] else "-"
            )
        )
    elif not f["line_in_qujing"]:
        wish = "，在本人意向地区内" if f["line_in_intended_region"] else ""
        out.append(_reason("outbound", f"需赴{where}工作，约{km}公里{wish}", "+" if wish else "-"))
    elif f["same_county"]:
        out.append(_reason("distance", f"工作地在本县（市、区）{where}", "+"))
    else:
        effect = "-" if km > FAR_KM else "+"
        out.append(_reason("distance", f"工作地在{where}，距居住地约{km}公里", effect))

    lo, hi, mw = int(ln.wage_min[line]), int(ln.wage_max[line]), int(w.min_wage[worker])
    if mw:
        if lo >= mw:
            out.append(_reason("wage", f"月工资{lo}–{hi}元，不低于本人期望的{mw}元", "+"))
        elif (lo + hi) / 2 >= mw:
            out.append(_reason("wage", f"月工资{lo}–{hi}元，中间值达到本人期望的{mw}元", "+"))
        else:
            out.append(_reason("wage", f"月工资{lo}–{hi}元，只有上限达到本人期望的{mw}元", "-"))

    # Rural transfer labour is most of the rural workforce: naming it would single nobody out.
    groups = w.groups[worker].indices.tolist()
    labels = [GROUP_LABELS[GROUPS[g]] for g in groups if GROUPS[g] != "rural_transfer"]
    if labels:
        out.append(
            _reason("priority_group", f"本人属于{'、'.join(labels)}，按规定优先推荐、享受就业扶持", "+")
        )
    return out


def training_reason(city: City, programme: int, start: int, p_complete: float) -> dict[str, str]:
    pr = city.programmes
    award = ""
    if pr.so[programme] >= 0:
        award = f"，取得特种作业操作证（{ref.special_operations()[special_operation_codes()[pr.so[programme]]].name}）"
    elif pr.rank[programme]:
        award = f"，可取得{level_label(int(pr.rank[programme]))}证书"
    return _reason(
        "training",
        f"参加“{pr.name[programme]}”（{pr.institution[programme]}，{date.fromordinal(start).isoformat()}开班，{int(pr.days[programme])}天，"
        f"费用{int(pr.cost[programme])}元）{award}；完成培训的可能性约{round(p_complete * 100)}%",
        "+",
    )


def subsidy_decision(city: City, worker: int, programme: int, start: int, end: int) -> dict[str, Any]:
    """The training-subsidy decision of `matcher.policy` for the worker taking a class of the programme
    from `start` to `end`; a case the engine refuses is reported with its message. Who organises and
    advances the cost follows `matcher.policy.cases.organiser`.
    """
    from matcher.policy import Case, CaseError, decide
    from matcher.policy.cases import organiser

    w, pr = city.workers, city.programmes
    organised, advanced = organiser(str(pr.mode[programme]), bool(pr.tendered[programme]))
    prior = w.prior
    sl = slice(prior.offsets[worker], prior.offsets[worker + 1])
    since = int(w.unemployed_since[worker])
    case = {
        "person": {
            "birth_date": date.fromordinal(int(w.birth[worker])),
            "sex": str(w.sex[worker]),
            "hukou_region": str(w.hukou_region[worker]),
            "residence_region": str(w.residence[worker]),
            "hukou_type": "rural" if w.hukou_rural[worker] else "urban",
            "employment_status": str(w.status[worker]),
            "registered_unemployed_since": None if since == NEVER else date.fromordinal(since),
            "receives_pension": bool(w.pension[worker]),
            "groups": [GROUPS[g] for g in w.groups[worker].indices.tolist()],
        },
        "training": {
            "kind": str(pr.mode[programme]),
            "project_id": str(pr.code[programme]),
            "occupation_code": occupation_codes()[pr.occ[programme]],
            "level": 6 - int(pr.rank[programme]) if pr.rank[programme] else None,
            "certificate": str(pr.certificate[programme]),
            "start_date": date.fromordinal(start),
            "end_date": date.fromordinal(end),
            "days": int(pr.days[programme]),
            "organised_by": organised,
            "advanced_by": advanced,
            "catalogue_subsidy": int(pr.subsidy[programme]),
        },
        "history": [
            {
                "year": int(y),
                "occupation_code": occupation_codes()[o],
                "level": 6 - int(r) if r else None,
                "project_id": str(p),
            }
            for y, o, r, p in zip(
                prior["year"][sl], prior["occ"][sl], prior["rank"][sl], prior["project"][sl]
            )
        ],
    }
    try:
        decision = decide(Case.model_validate(case))
    except (CaseError, ValueError) as e:
        return {"eligible": None, "error": str(e)}
    return {
        "eligible": decision.eligible,
        "amount": decision.total,
        "items": [
            {"item": i.item, "name": i.name, "amount": i.amount, "payee": i.payee, "article": i.article}
            for i in decision.items
        ],
        "denials": [d.reason for d in decision.denials],
        "articles": sorted({i.article for i in decision.items} | {d.article for d in decision.denials}),
    }


def explained(score: float, reasons: list[dict[str, str]], flags: dict[str, Any]) -> dict[str, Any]:
    return {"score": round(float(score), 4), "reasons": reasons, "flags": flags}
