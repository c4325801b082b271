"""Who may enrol in a class at a given skill level: the entry conditions (申报条件) of the national standards.

The routes live in `data/reference/skill_entry_conditions.csv`, one row per route of the
《国家职业技能标准编制技术规程（2018年版）》 template, with the engine's simplifications in its notes.
Ranks are the engine's: 0 no level, 1 五级/初级工 … 5 一级/高级技师. A class of rank 0 or 1 is open to
anyone; a person holding the target level or a higher one in the same or a related occupation may enrol at
any level; otherwise one route of the target level must be met.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.typing import ArrayLike

from matcher import reference as ref
from matcher.domain import EDUCATION_RANK, Education

CONDITIONS_FILE = ref.REFERENCE_DIR / "skill_entry_conditions.csv"
COLUMNS = (
    "target_level",
    "target_label",
    "route",
    "needs_level_below",
    "years_after_level_below",
    "years_in_occupation",
    "education_min",
    "education_max",
    "schooling_zh",
    "condition_zh",
    "source",
    "note",
)
_YES_NO = {"yes": True, "no": False}
_OCC = "本职业（相关职业）"
_NO_LEVEL_REASON = "该培训不对应职业技能等级，不设申报门槛，任何人均可报名（本引擎约定）"
_NUMBERS = "①②③④⑤⑥⑦⑧⑨"
_HELD_SOURCE = "本引擎约定：已持同级或更高等级证书者不受申报条件限制"


@dataclass(frozen=True, slots=True)
class Route:
    """One way into a level: every figure must be reached (education within [min, max] when set)."""

    target_rank: int
    route: str
    needs_level_below: bool
    years_after_level_below: int
    years_in_occupation: int
    education_min: int | None
    education_max: int | None
    schooling_zh: str
    condition_zh: str
    source: str


def _education(text: str, where: str) -> int | None:
    if not text:
        return None
    try:
        return EDUCATION_RANK[Education(text)]
    except ValueError:
        raise ValueError(
            f"{where}: unknown education {text!r}, expected one of {[e.value for e in Education]}"
        ) from None


def _int(text: str, where: str, column: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{where}: {column} must be a whole number, got {text!r}") from None
    if value < 0:
        raise ValueError(f"{where}: {column} must not be negative, got {value}")
    return value


def _route(row: dict[str, str], where: str) -> Route:
    level = _int(row["target_level"], where, "target_level")
    if level not in ref.skill_levels():
        raise ValueError(f"{where}: target_level must be 1 (一级) to 5 (五级), got {level}")
    rank = ref.level_rank(level)
    if row["target_label"] != ref.rank_label(rank):
        raise ValueError(
            f"{where}: target_label {row['target_label']!r} is not level {level} ({ref.rank_label(rank)})"
        )
    if row["needs_level_below"] not in _YES_NO:
        raise ValueError(f"{where}: needs_level_below must be yes or no, got {row['needs_level_below']!r}")
    needs = _YES_NO[row["needs_level_below"]]
    if needs and rank == 1:
        raise ValueError(f"{where}: 五级 has no level below it")
    after = _int(row["years_after_level_below"], where, "years_after_level_below")
    if after and not needs:
        raise ValueError(f"{where}: years_after_level_below is set but the route needs no level below")
    lo = _education(row["education_min"], where)
    hi = _education(row["education_max"], where)
    if hi is not None and (lo is None or hi < lo):
        raise ValueError(f"{where}: education_max needs an education_min at or below it")
    if (lo is None) == bool(row["schooling_zh"]):
        raise ValueError(f"{where}: schooling_zh is given exactly when education_min is")
    if not row["condition_zh"] or not row["source"]:
        raise ValueError(f"{where}: condition_zh and source are required")
    return Route(
        rank,
        row["route"],
        needs,
        after,
        _int(row["years_in_occupation"], where, "years_in_occupation"),
        lo,
        hi,
        row["schooling_zh"],
        row["condition_zh"],
        row["source"],
    )


@cache
def routes() -> dict[int, tuple[Route, ...]]:
    """The routes into each rank 1–5, in file order; a bad file raises ValueError naming the row."""
    with open(CONDITIONS_FILE, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ValueError(f"{CONDITIONS_FILE.name}: columns must be {', '.join(COLUMNS)}")
        out: dict[int, list[Route]] = {}
        for line, row in enumerate(reader, start=2):
            r = _route(row, f"{CONDITIONS_FILE.name} row {line} ({row['route'] or 'no route id'})")
            out.setdefault(r.target_rank, []).append(r)
    missing = sorted(set(range(1, 6)) - set(out))
    if missing:
        raise ValueError(f"{CONDITIONS_FILE.name}: no route for rank(s) {missing}")
    return {rank: tuple(out[rank]) for rank in sorted(out)}


def _met(
    r: Route,
    held: ArrayLike,
    years_since_held: ArrayLike,
    years_in_occupation: ArrayLike,
    education_rank: ArrayLike,
) -> np.ndarray:
    ok = np.asarray(years_in_occupation) >= r.years_in_occupation
    if r.needs_level_below:
        ok = (
            ok
            & (np.asarray(held) >= r.target_rank - 1)
            & (np.asarray(years_since_held) >= r.years_after_level_below)
        )
    if r.education_min is not None:
        ok = ok & (np.asarray(education_rank) >= r.education_min)
    if r.education_max is not None:
        ok = ok & (np.asarray(education_rank) <= r.education_max)
    return ok


def entry_allowed(
    target_rank: np.ndarray,
    held_rank: np.ndarray,
    years_since_held: np.ndarray,
    years_in_occupation: np.ndarray,
    education_rank: np.ndarray,
) -> np.ndarray:
    """Whether each person may enrol in each class (numpy broadcasting over all five arguments).

    `held_rank` is the highest rank held in the same or a related occupation (0 none), `years_since_held`
    whole years since that certificate, `years_in_occupation` whole years worked in the same or a related
    occupation, `education_rank` the index in `matcher.domain.Education`.
    """
    target, held, since, worked, education = np.broadcast_arrays(
        *map(np.asarray, (target_rank, held_rank, years_since_held, years_in_occupation, education_rank))
    )
    if target.size and (target.min() < 0 or target.max() > 5):
        raise ValueError("target_rank must be 0 (no level) to 5 (一级/高级技师)")
    allowed = (target <= 1) | (held >= target)
    for rank, rs in routes().items():
        if rank > 1:
            at_rank = target == rank
            for r in rs:
                allowed |= at_rank & _met(r, held, since, worked, education)
    return allowed


def _requirement(r: Route) -> str:
    parts = []
    if r.schooling_zh:
        parts.append(f"是{r.schooling_zh}")
    if r.needs_level_below:
        years = f"满{r.years_after_level_below}年" if r.years_after_level_below else ""
        parts.append(f"持有{_OCC}{ref.rank_label(r.target_rank - 1)}证书{years}")
    if r.years_in_occupation:
        parts.append(f"累计从事{_OCC}工作满{r.years_in_occupation}年")
    return "，".join(parts)


def _gaps(r: Route, held: int, years_since_held: int, years_in_occupation: int, education_rank: int) -> str:
    gaps = []
    if r.education_min is not None and not (
        r.education_min
        <= education_rank
        <= (r.education_max if r.education_max is not None else education_rank)
    ):
        gaps.append("学历不符")
    if r.needs_level_below and held < r.target_rank - 1:
        gaps.append(f"尚缺{ref.rank_label(r.target_rank - 1)}证书")
    elif r.needs_level_below and years_since_held < r.years_after_level_below:
        gaps.append(f"持证年限还差{r.years_after_level_below - years_since_held}年")
    if years_in_occupation < r.years_in_occupation:
        gaps.append(f"工作年限还差{r.years_in_occupation - years_in_occupation}年")
    return "，".join(gaps)


def entry_reason(
    target_rank: int, held_rank: int, years_since_held: int, years_in_occupation: int, education_rank: int
) -> str:
    """The sentence a counselor reads: the condition met (it says 可报), or what is missing for each route."""
    if target_rank == 0:
        return _NO_LEVEL_REASON
    if not 1 <= target_rank <= 5:
        raise ValueError(f"target_rank must be 0 (no level) to 5 (一级/高级技师), got {target_rank}")
    target = ref.rank_label(target_rank)
    rs = routes()[target_rank]
    if target_rank > 1 and held_rank >= target_rank:
        return f"已持有{_OCC}{ref.rank_label(held_rank)}证书，不低于{target}，可报{target}（{_HELD_SOURCE}）"
    for r in rs:
        if _met(r, held_rank, years_since_held, years_in_occupation, education_rank):
            requirement = _requirement(r) or f"{target}培训班即标准要求的培训，不设申报门槛"
            return f"{requirement}，可报{target}（{r.source}）"
    gaps = [_gaps(r, held_rank, years_since_held, years_in_occupation, education_rank) for r in rs]
    sources = "；".join(dict.fromkeys(r.source for r in rs))
    if len(rs) == 1:
        return f"报考{target}须{_requirement(rs[0])}，目前未满足（{gaps[0]}）（{sources}）"
    alternatives = "；".join(f"{_NUMBERS[i]}{_requirement(r)}（{gaps[i]}）" for i, r in enumerate(rs))
    return f"报考{target}须满足以下条件之一，目前均未满足：{alternatives}（{sources}）"
