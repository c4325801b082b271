"""The fairness audit: whether the engine's advice reaches each group of people in proportion to its size.

For every group (by sex, age band, ethnicity, county, and each priority group) and every outcome
(recommended, placed, trained, subsidised, …) the audit compares the group's share of the people who got
the outcome with its share of the population. Their quotient, the ratio, is also the group's outcome rate
over the overall rate.

Flagging rule: a group of at least `min_group` people is flagged for an outcome when its ratio is below
`threshold`, 0.8 by default: the four-fifths rule of US EEOC practice (Uniform Guidelines on Employee
Selection Procedures, 29 CFR 1607.4(D)), a common disparate-impact yardstick. The plan's priority groups
(articles 四, 五, 十七–二十 of 曲政办发〔2019〕112号) are meant to be favoured, so they are flagged as soon as
their ratio is below 1.0: reaching them less than the average person already misses the plan's intent.
Comparisons are exact (whole-number arithmetic), so a ratio of exactly 0.8 is not flagged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matcher.model.snapshot import City

from matcher import reference as ref
from matcher.domain import PriorityGroup, Sex, labels_of
from matcher.text import table_lines

AGE_BANDS = ((16, 24), (25, 34), (35, 44), (45, 54), (55, 64))
AGE_BAND_LABELS = tuple(f"{lo}–{hi}岁" for lo, hi in AGE_BANDS)
UNDER_AGE = "16岁以下"
OVER_AGE = "65岁及以上"
MISSING = "未填"
"""The group of people whose value is missing (None, "" or NaN)."""

DIMENSIONS = ("sex", "age_band", "ethnicity", "county", "priority_group")
DIMENSION_LABELS = {
    "sex": "性别",
    "age_band": "年龄段",
    "ethnicity": "民族",
    "county": "县（市、区）",
    "priority_group": "重点群体",
}
SEX_LABELS = labels_of(Sex)
OUTCOME_LABELS = {
    "recommended": "获推荐",
    "placed": "安排就业",
    "trained": "参加培训",
    "subsidised": "获补贴",
    "hit": "首选岗位留任",
}
"""Chinese names of the usual outcomes; `labels` passed to `fairness_report` override them."""


def age_band(age: np.ndarray) -> np.ndarray:
    """The band label of each whole age ("16–24岁" …); outside 16–64: 16岁以下 / 65岁及以上; NaN: 未填."""
    a = np.floor(np.asarray(age, dtype=float))
    out = np.full(a.shape, MISSING, dtype="<U8")
    for (lo, hi), label in zip(AGE_BANDS, AGE_BAND_LABELS):
        out[(a >= lo) & (a <= hi)] = label
    out[a < AGE_BANDS[0][0]] = UNDER_AGE
    out[a > AGE_BANDS[-1][1]] = OVER_AGE
    return out


@dataclass(frozen=True)
class FairnessRow:
    """One group: its size and, per outcome, people reached, share of the outcome, ratio and flag.

    `counts` are people with the outcome (at least once); `totals` the sum of per-person counts (equal to
    `counts` for a yes/no outcome, e.g. times recommended for a count outcome).
    """

    dimension: str
    group: str
    label: str
    population: int
    population_share: float
    counts: dict[str, int]
    shares: dict[str, float]
    ratios: dict[str, float | None]
    flags: tuple[str, ...]
    totals: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class FairnessReport:
    """Every group's row, the outcomes in order, the flagging parameters and the number of flags."""

    rows: tuple[FairnessRow, ...]
    outcomes: tuple[str, ...]
    threshold: float
    min_group: int
    flagged: int
    population: int = 0
    outcome_labels: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready: the parameters, the outcomes with their labels, and every row."""
        return {
            "population": self.population,
            "outcomes": list(self.outcomes),
            "outcome_labels": dict(self.outcome_labels),
            "threshold": self.threshold,
            "min_group": self.min_group,
            "flagged": self.flagged,
            "rows": [{**asdict(r), "flags": list(r.flags)} for r in self.rows],
        }

    @classmethod
    def from_dict(cls, d: dict) -> FairnessReport:
        """The report `to_dict` gave."""
        rows = tuple(FairnessRow(**{**r, "flags": tuple(r["flags"])}) for r in d["rows"])
        return cls(
            rows=rows,
            outcomes=tuple(d["outcomes"]),
            threshold=d["threshold"],
            min_group=d["min_group"],
            flagged=d["flagged"],
            population=d["population"],
            outcome_labels=d["outcome_labels"],
        )

    def to_text(self) -> str:
        """A Chinese table for the terminal, one block per dimension."""
        names = [self.outcome_labels.get(o, o) for o in self.outcomes]
        lines = [
            "公平性审计：比值 = 群体在该结果中的占比 ÷ 群体的人口占比",
            f"标注规则：人数不少于{self.min_group}人的群体，比值低于{self.threshold:g}即标注"
            f"{'（五分之四规则）' if self.threshold == 0.8 else ''}；重点群体比值低于1即标注",
            f"总人数 {self.population:,}，共 {self.flagged} 处标注",
        ]
        header = ["群体", "人数", "人口占比", *(f"{n}（占比/比值）" for n in names), "标注"]
        for dimension in dict.fromkeys(r.dimension for r in self.rows):
            table = [header]
            for r in (r for r in self.rows if r.dimension == dimension):
                cells = [
                    "—" if r.ratios[o] is None else f"{r.shares[o]:.1%} / {r.ratios[o]:.2f}"
                    for o in self.outcomes
                ]
                if r.flags:
                    note = "偏低：" + "、".join(self.outcome_labels.get(o, o) for o in r.flags)
                elif r.population < self.min_group:
                    note = f"人数少于{self.min_group}，不判断"
                else:
                    note = ""
                table.append([r.label, f"{r.population:,}", f"{r.population_share:.1%}", *cells, note])
            lines += ["", f"【{DIMENSION_LABELS.get(dimension, dimension)}】", *table_lines(table)]
        return "\n".join(lines)


def _keys(values: np.ndarray) -> np.ndarray:
    """Categorical values as strings, missing ones (None, "", NaN) as 未填."""
    arr = np.asarray(values)
    if arr.dtype.kind == "U":
        return np.where(arr == "", MISSING, arr)
    arr = arr.astype(object)
    missing = np.equal(arr, np.array(None)) | np.equal(arr, "") | np.not_equal(arr, arr)
    return np.where(missing, MISSING, arr).astype(str)


def _order(dimension: str, codes: np.ndarray) -> list[int]:
    bands = (UNDER_AGE, *AGE_BAND_LABELS, OVER_AGE) if dimension == "age_band" else ()
    rank = {label: i for i, label in enumerate(bands)}
    key = [(c == MISSING, rank.get(c, len(rank)), c) for c in codes.tolist()]
    return sorted(range(len(codes)), key=key.__getitem__)


def _label(dimension: str, group: str, labels: Mapping[str, str]) -> str:
    if group in labels:
        return labels[group]
    if dimension == "sex" and group in SEX_LABELS:
        return SEX_LABELS[group]
    if dimension == "county" and ref.is_region(group):
        return ref.region(group).name
    return group


def _below(count: int, total: int, population: int, people: int, limit: Fraction) -> bool:
    """Exactly: (count / total) / (population / people) < limit."""
    return count * people * limit.denominator < limit.numerator * total * population


def fairness_report(
    attributes: Mapping[str, np.ndarray],
    groups: Mapping[str, np.ndarray],
    outcomes: Mapping[str, np.ndarray],
    labels: Mapping[str, str] | None = None,
    threshold: float = 0.8,
    min_group: int = 30,
) -> FairnessReport:
    """The audit of `outcomes` across `attributes` and priority `groups`, one array entry per person.

    `attributes` are categorical arrays by dimension (sex, age_band, ethnicity, county), missing values going
    to 未填; `groups` one bool array per priority group (a person may be in several); `outcomes` one array per
    outcome, bool or whole counts per person (a person counts as reached with a count of at least one; the
    sum is kept in `FairnessRow.totals`). `labels` give the Chinese label of a group code or an outcome.
    The flagging rule is in the module docstring.
    """
    labels = dict(labels or {})
    if not outcomes:
        raise ValueError("at least one outcome is required")
    first = np.shape(next(iter(outcomes.values())))
    people = first[0] if len(first) == 1 else -1
    for name, values in {**attributes, **groups, **outcomes}.items():
        if np.shape(values) != (people,):
            raise ValueError(
                f"{name!r} must be a one-dimensional array of one entry per person, like the others"
            )
    reached: dict[str, np.ndarray] = {}
    amounts: dict[str, np.ndarray] = {}
    for name, values in outcomes.items():
        arr = np.asarray(values)
        if arr.dtype.kind not in "biu" or (arr.dtype.kind == "i" and arr.size and arr.min() < 0):
            raise ValueError(f"outcome {name!r} must be bool or non-negative whole counts per person")
        reached[name] = arr > 0
        amounts[name] = arr.astype(np.int64)
    total = {name: int(r.sum()) for name, r in reached.items()}
    threshold_limit = Fraction(threshold).limit_denominator(10**6)
    priority_limit = max(threshold_limit, Fraction(1))

    def row(
        dimension: str, group: str, population: int, counts: dict[str, int], sums: dict[str, int]
    ) -> FairnessRow:
        limit = priority_limit if dimension == "priority_group" else threshold_limit
        ratios = {
            o: None if not population or not total[o] else (counts[o] / total[o]) / (population / people)
            for o in outcomes
        }
        flags = tuple(
            o
            for o in outcomes
            if ratios[o] is not None
            and population >= min_group
            and _below(counts[o], total[o], population, people, limit)
        )
        return FairnessRow(
            dimension=dimension,
            group=group,
            label=_label(dimension, group, labels),
            population=population,
            population_share=population / people if people else 0.0,
            counts=counts,
            shares={o: counts[o] / total[o] if total[o] else 0.0 for o in outcomes},
            ratios=ratios,
            flags=flags,
            totals=sums,
        )

    rows: list[FairnessRow] = []
    for dimension, values in attributes.items():
        codes, inverse = np.unique(_keys(values), return_inverse=True)
        size = np.bincount(inverse, minlength=len(codes))
        counts = {o: np.bincount(inverse[reached[o]], minlength=len(codes)) for o in outcomes}
        sums = {o: np.bincount(inverse, weights=amounts[o], minlength=len(codes)) for o in outcomes}
        for i in _order(dimension, codes):
            rows.append(
                row(
                    dimension,
                    str(codes[i]),
                    int(size[i]),
                    {o: int(counts[o][i]) for o in outcomes},
                    {o: int(round(sums[o][i])) for o in outcomes},
                )
            )
    for group, members in groups.items():
        mask = np.asarray(members, dtype=bool)
        rows.append(
            row(
                "priority_group",
                group,
                int(mask.sum()),
                {o: int((mask & reached[o]).sum()) for o in outcomes},
                {o: int(amounts[o][mask].sum()) for o in outcomes},
            )
        )
    return FairnessReport(
        rows=tuple(rows),
        outcomes=tuple(outcomes),
        threshold=threshold,
        min_group=min_group,
        flagged=sum(len(r.flags) for r in rows),
        population=people,
        outcome_labels={o: labels.get(o, OUTCOME_LABELS.get(o, o)) for o in outcomes},
    )


def city_fairness(city: City, rows: np.ndarray, outcomes: Mapping[str, np.ndarray]) -> FairnessReport:
    """The fairness table of `outcomes` (one entry per worker of `rows`) by sex, age band, ethnicity,
    county and priority group, ages taken on the city's day."""
    from matcher.model.codes import GROUPS
    from matcher.model.dates import years_between

    w = city.workers
    groups = w.groups[rows].tocsc()
    members = {}
    for g, name in enumerate(GROUPS):
        mask = np.zeros(len(rows), bool)
        mask[groups.indices[groups.indptr[g] : groups.indptr[g + 1]]] = True
        members[name] = mask
    ages = years_between(w.birth[rows], np.full(len(rows), city.as_of))
    return fairness_report(
        {
            "sex": w.sex[rows],
            "age_band": age_band(ages),
            "ethnicity": w.ethnicity[rows],
            "county": w.county[rows],
        },
        members,
        outcomes,
        labels={**labels_of(PriorityGroup), **{g.code: g.name for g in ref.ethnic_groups().values()}},
    )
