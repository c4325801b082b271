"""Chinese labels of the codes the pages show (display only; the rules live in the library)."""

from __future__ import annotations

from jinja2 import Environment

from matcher import reference as ref
from matcher.domain import (
    Education,
    EmploymentStatus,
    HukouType,
    LineStatus,
    Party,
    PlanStatus,
    Sex,
    labels_of,
)
from matcher.model.explain import CERTIFICATE_LABELS, GROUP_LABELS
from matcher.plan.options import plan_counties

EDUCATION = labels_of(Education)
STATUS = labels_of(EmploymentStatus)
PAYEES = labels_of(Party)
HUKOU = labels_of(HukouType)
SEX = labels_of(Sex)
LEVELS = {level: s.label for level, s in ref.skill_levels().items()}
PLAN_STATUS = labels_of(PlanStatus)
LINE_STATUS = labels_of(LineStatus)
GROUPS = GROUP_LABELS
CERTIFICATES = CERTIFICATE_LABELS


def place(code: str | None) -> str:
    """A region's name, with its county for a town (e.g. 麒麟区越州镇)."""
    if not code:
        return ""
    try:
        chain = ref.region_chain(code)
    except KeyError:
        return code
    if chain[0].kind == "town" and len(chain) > 1:
        return chain[1].name + chain[0].name
    return chain[0].name


def counties() -> dict[str, str]:
    """Qujing's nine county-level units and the development zone, code to name."""
    return plan_counties()


def occupation(code: str | None) -> str:
    """An occupation's name with its code, e.g. 叉车司机（6-30-05-01）."""
    if not code or not ref.is_occupation(code):
        return code or ""
    return f"{ref.occupation(code).name}（{code}）"


def townships(county: str | None) -> dict[str, str]:
    """The towns and streets of a county (all of Qujing's when `county` is None), code to name."""
    out = {}
    for r in ref.regions().values():
        if r.kind == "town" and (county is None or ref.county_of(r.code) == county):
            out[r.code] = place(r.code)
    return dict(sorted(out.items()))


FILTERS = {
    "education": EDUCATION,
    "status": STATUS,
    "hukou": HUKOU,
    "sex": SEX,
    "group": GROUPS,
    "plan_status": PLAN_STATUS,
    "line_status": LINE_STATUS,
    "certificate": CERTIFICATES,
    "payee": PAYEES,
}


def install(env: Environment) -> None:
    """Register the label filters (`{{ w.education | education }}`) and `place` in a Jinja environment."""
    for name, table in FILTERS.items():
        env.filters[name] = lambda code, table=table: table.get(code, code or "")
    env.filters["place"] = place
    env.filters["occupation"] = occupation
    env.filters["yuan"] = lambda v: "" if v is None else f"{v:,.0f}"
    env.filters["pct"] = lambda v, digits=1: "" if v is None else f"{v * 100:.{digits}f}%"
    env.filters["level"] = lambda v: LEVELS.get(v, "不限") if v else "不限"
