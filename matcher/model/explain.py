"""Explanations a counselor can repeat: every recommendation's score, reasons in plain Chinese, and flags.

Shape (after bob-emploi's ExplainedScore): ``{"score": float, "reasons": [{"code", "text", "effect"}],
"flags": {...}}`` with effect "+" (speaks for the match) or "-" (against it). Reasons are read off the
same pair features the scorer used, so what is said is what was weighed.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
from pydantic import ValidationError

from matcher import labour
from matcher import reference as ref
from matcher.domain import CertificateType, PriorityGroup, labels_of
from matcher.model.candidates import obtainable_items
from matcher.model.codes import GROUPS, occupation_codes, special_operation_codes
from matcher.model.geometry import home_regions, place
from matcher.model.scoring import FEATURES
from matcher.model.snapshot import City
from matcher.policy import CaseError, decide
from matcher.policy.cases import CityCases, organiser
from matcher.policy.money import cost_shares

GROUP_LABELS = labels_of(PriorityGroup)
CERTIFICATE_LABELS = labels_of(CertificateType)
FAR_KM = 50
"""Beyond this distance inside Qujing a commute or move counts against a line."""


def _reason(code: str, text: str, effect: str) -> dict[str, str]:
    return {"code": code, "text": text, "effect": effect}


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
    """The feasibility rules of `matcher.model.candidates`, checked one by one for one pair; `law` lists
    what protective labour law says against it (`matcher.labour`), each with its law and article."""
    w, ln = city.workers, city.lines
    line_place = place(ln.region[line])
    outside = line_place.province != ref.YUNNAN_CODE
    ir = w.intent_region
    accepted = {str(c) for c in ir["code"][ir.offsets[worker] : ir.offsets[worker + 1]]}
    accepted |= set(home_regions(str(w.county[worker])))
    region_ok = bool(w.outside_province[worker]) if outside else bool(accepted & set(line_place.chain))
    start = date.fromordinal(max(int(ln.start[line]), as_of))
    verdict = labour.assess(
        str(w.sex[worker]),
        date.fromordinal(int(w.birth[worker])),
        start,
        labour.Hazard(int(ln.hazards[line])),
        occupation_codes()[ln.occ[line]],
    )
    required = set(np.flatnonzero(city.required_dense[line, :-1]).tolist())
    missing = required - _held_items(city, worker, as_of)
    obtainable = set(np.flatnonzero(obtainable_items(city, as_of)).tolist())
    certificates = "held" if not missing else ("by_training" if missing <= obtainable else "unobtainable")
    flags = {
        "region": region_ok,
        "lawful": verdict.allowed,
        "law": [bar.text for bar in verdict.bars],
        "wage": bool(ln.wage_max[line] >= w.min_wage[worker]),
        "certificates": certificates,
        "outbound": not line_place.in_qujing,
        "outside_province": outside,
    }
    flags["feasible"] = bool(
        flags["region"] and flags["lawful"] and flags["wage"] and certificates != "unobtainable"
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
            out.append(
                _reason("level", f"岗位要求{ref.rank_label(req)}，本人持{ref.rank_label(held)}证书", "+")
            )
        elif held:
            out.append(
                _reason("level", f"岗位要求{ref.rank_label(req)}，本人持{ref.rank_label(held)}证书", "-")
            )
        else:
            out.append(
                _reason("level", f"岗位要求{ref.rank_label(req)}，本人没有该职业（同一小类）的等级证书", "-")
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
    groups = w.groups.indices[w.groups.indptr[worker] : w.groups.indptr[worker + 1]].tolist()  # no row copy
    labels = [GROUP_LABELS[GROUPS[g]] for g in groups if GROUPS[g] != "rural_transfer"]
    if labels:
        out.append(
            _reason("priority_group", f"本人属于{'、'.join(labels)}，按规定优先推荐、享受就业扶持", "+")
        )
    return out


def certifies(city: City, programme: int) -> str:
    """What a class certifies: '焊工 四级/中级工职业技能等级证书', or the special-operation item."""
    pr = city.programmes
    if pr.so[programme] >= 0:
        return (
            f"特种作业操作证（{ref.special_operations()[special_operation_codes()[pr.so[programme]]].name}）"
        )
    occupation = ref.occupation(occupation_codes()[pr.occ[programme]]).name
    kind = CERTIFICATE_LABELS[str(pr.certificate[programme])]
    level = f"{ref.rank_label(int(pr.rank[programme]))}" if pr.rank[programme] else ""
    return f"{occupation}{level}{kind}"


def training_reason(
    city: City, _worker: int, programme: int, line: int, p_complete: float, travel_km: float
) -> dict[str, str]:
    """The class proposed: what it certifies for which job, where and when, seats left, travel, odds."""
    pr, ln = city.programmes, city.lines
    seats_left = int(pr.seats[programme] - pr.enrolled[programme])
    job = ref.occupation(occupation_codes()[ln.occ[line]]).name
    level = f"（岗位要求{ref.rank_label(int(ln.rank[line]))}）" if ln.rank[line] else ""
    where = place_name(str(pr.region[programme]))
    return _reason(
        "training",
        f"参加“{pr.name[programme]}”，取得{certifies(city, programme)}，对应岗位职业{job}{level}；"
        f"{pr.institution[programme]}在{where}办班，距居住地约{round(travel_km)}公里，"
        f"{date.fromordinal(int(pr.start[programme])).isoformat()}开班、"
        f"{date.fromordinal(int(pr.end[programme])).isoformat()}结业，共{int(pr.days[programme])}天，"
        f"尚余{seats_left}个名额；完成培训的可能性约{round(p_complete * 100)}%",
        "+",
    )


def subsidy_outlook(city: City, worker: int, programme: int) -> dict[str, Any]:
    """What the worker may claim for the class, and who pays what, from the policy engine's decision under
    the pack in force on the class's first day (`matcher.policy.pack_for`).

    Outside every pack's period the answer says so and gives no amount; a worker's record the engine cannot
    decide on is reported with what to check, never with the engine's own message.
    """
    pr = city.programmes
    cases = CityCases(city)
    _, advanced = organiser(str(pr.mode[programme]), bool(pr.tendered[programme]))
    try:
        decision = decide(cases.case(worker, programme))
    except (CaseError, ValidationError):
        return {
            "in_force": None,
            "eligible": None,
            "amount": None,
            "message": "该劳动者的登记信息（出生日期、失业登记日期）与培训日期不一致，暂不能判断补贴，请先核对登记信息",
            "cost": cost_shares(int(pr.cost[programme]), advanced, None).as_dict(),
        }
    shares = cost_shares(int(pr.cost[programme]), advanced, decision)
    out: dict[str, Any] = {
        "pack": decision.pack,
        "in_force": decision.in_force,
        "eligible": decision.eligible if decision.in_force else None,
        "amount": decision.total if decision.in_force else None,
        "items": [
            {"item": i.item, "name": i.name, "amount": i.amount, "payee": i.payee, "article": i.article}
            for i in decision.items
        ],
        "denials": [d.reason for d in decision.denials],
        "articles": sorted({i.article for i in decision.items} | {d.article for d in decision.denials}),
        "cost": shares.as_dict(),
    }
    out["message"] = shares.summary() if decision.in_force else "；".join(out["denials"])
    return out


def explained(score: float, reasons: list[dict[str, str]], flags: dict[str, Any]) -> dict[str, Any]:
    return {"score": round(float(score), 4), "reasons": reasons, "flags": flags}
