"""Protective labour law: who may not be placed in, recommended for or trained for which work.

The rules are data (`data/policy/labour-protection.toml`, quoting `labour-protection.md`); the occupations'
usual hazards are `data/policy/occupation_hazards.csv`. `assess` answers for one person and one job or
class, with the articles that bar it; `barred` answers the same question for whole arrays at once.
"""

from __future__ import annotations

import csv
import enum
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from matcher import reference as ref

PACK_PATH = ref.DATA_DIR / "policy" / "labour-protection.toml"

PROTECTED = ("under_16", "minors", "women", "special_operation_age", "retirement")
NEGATIONS = "非无不免没"
CLAUSE_BREAK = re.compile(r"[，,。；;、：:\s]")


class Hazard(enum.IntFlag):
    """Hazard categories of a job or class; one bit each."""

    UNDERGROUND = enum.auto()
    PHYSICAL_4 = enum.auto()
    HEAVY_LOAD = enum.auto()
    DUST = enum.auto()
    TOXIC = enum.auto()
    HEIGHT = enum.auto()
    COLD_WATER = enum.auto()
    HIGH_TEMPERATURE = enum.auto()
    LOW_TEMPERATURE = enum.auto()
    QUARRY = enum.auto()
    LOGGING = enum.auto()
    RADIOACTIVE = enum.auto()
    EXPLOSIVE_FLAMMABLE = enum.auto()
    FIELD_EXPLORATION = enum.auto()
    DIVING_HIGH_ALTITUDE = enum.auto()
    VIBRATING_TOOLS = enum.auto()
    FORCED_POSTURE_LINE = enum.auto()
    BOILER = enum.auto()
    SPECIAL_OPERATION = enum.auto()


class LabourPackError(ValueError):
    """The labour-protection pack is malformed or misquotes its source."""


@dataclass(frozen=True)
class Bar:
    """One rule that refuses a person a job or class, with its source and the reason a counselor reads."""

    rule: str
    law: str
    article: str
    quote: str
    text: str


@dataclass(frozen=True)
class Verdict:
    """Whether a person may do a job or take a class, and every rule that says no."""

    allowed: bool
    bars: tuple[Bar, ...]

    @property
    def texts(self) -> tuple[str, ...]:
        """The reasons, in Chinese, each naming its law and article."""
        return tuple(b.text for b in self.bars)


@dataclass(frozen=True)
class Citation:
    law: str
    article: str
    quote: str


@dataclass(frozen=True)
class Rule:
    id: str
    protects: str
    bars: Hazard
    any_work: bool
    reason: str
    cites: tuple[Citation, ...]
    posts: str
    in_force_from: date | None
    in_force_until: date | None
    citation: str

    def in_force(self, on: date) -> bool:
        return (self.in_force_from is None or on >= self.in_force_from) and (
            self.in_force_until is None or on <= self.in_force_until
        )

    def bar(self, **values: str) -> Bar:
        first = self.cites[0]
        text = f"{self.reason.format(**values)}（{self.citation}）"
        return Bar(self.id, first.law, first.article, first.quote, text)


@dataclass(frozen=True)
class RetirementGroup:
    id: str
    name: str
    sex: str
    posts: str
    base: int
    final: int
    birth_months_per_step: int


@dataclass(frozen=True)
class Keyword:
    hazards: Hazard
    pattern: re.Pattern[str]
    exclude: re.Pattern[str] | None
    basis: str


@dataclass(frozen=True)
class Pack:
    rules: tuple[Rule, ...]
    labels: dict[Hazard, str]
    occupations: dict[str, Hazard]
    occupation_basis: dict[tuple[str, Hazard], str]
    keywords: tuple[Keyword, ...]
    special_operations: dict[str, tuple[Hazard, str]]
    minimum_age: int
    adult_age: int
    cadre_majors: frozenset[str]
    reform_start: date
    groups: tuple[RetirementGroup, ...]
    male_only: re.Pattern[str]
    women_barred: Hazard
    minor_barred: Hazard


def _missing_quote(source: str, quote: str) -> str | None:
    """The first piece of `quote` not found, in order, in `source` (whitespace ignored; …… omits words)."""
    pos = 0
    for piece in filter(None, re.sub(r"\s+", "", quote).split("……")):
        pos = source.find(piece, pos)
        if pos < 0:
            return piece
        pos += len(piece)
    return None


def _hazards(names: Iterable[str], where: str) -> Hazard:
    out = Hazard(0)
    for name in names:
        try:
            out |= Hazard[name.upper()]
        except KeyError:
            raise LabourPackError(f"{where}: unknown hazard category {name!r}") from None
    return out


def load(path: Path = PACK_PATH) -> Pack:
    """Read and check a pack: every quote must be in its source text, every code in the reference data."""
    spec = tomllib.loads(path.read_text(encoding="utf-8"))
    source = (path.parent / spec["pack"]["source"]).read_text(encoding="utf-8")
    squashed = re.sub(r"\s+", "", source)
    short = spec.get("short_names", {})

    def citation(where: str, d: dict[str, Any]) -> Citation:
        for key in ("law", "article", "quote"):
            if not isinstance(d.get(key), str) or not d[key]:
                raise LabourPackError(f"{where}: needs a non-empty {key}")
        missing = _missing_quote(squashed, d["quote"])
        if missing is not None:
            raise LabourPackError(f"{where}: quote {missing!r} is not in {spec['pack']['source']}")
        return Citation(d["law"], d["article"], d["quote"])

    if set(spec["hazards"]) != {str(h.name).lower() for h in Hazard}:
        raise LabourPackError("[hazards] must name exactly the categories of Hazard")
    labels = {Hazard[k.upper()]: v for k, v in spec["hazards"].items()}

    rules = []
    for d in spec["rule"]:
        where = f"rule {d.get('id')!r}"
        if d.get("protects") not in PROTECTED:
            raise LabourPackError(f"{where}: protects must be one of {', '.join(PROTECTED)}")
        cites = (citation(where, d), *(citation(where, a) for a in d.get("also", [])))
        any_work = d["bars"] == ["any"]
        rules.append(
            Rule(
                id=d["id"],
                protects=d["protects"],
                bars=Hazard(0) if any_work else _hazards(d["bars"], where),
                any_work=any_work,
                reason=d["reason"],
                cites=cites,
                posts=d.get("posts", "any"),
                in_force_from=d.get("in_force_from"),
                in_force_until=d.get("in_force_until"),
                citation="；".join(f"{short.get(c.law, c.law)}{c.article}" for c in cites),
            )
        )

    occupations: dict[str, Hazard] = {}
    basis: dict[tuple[str, Hazard], str] = {}
    with (path.parent / spec["pack"]["occupations"]).open(encoding="utf-8", newline="") as f:
        for i, row in enumerate(csv.DictReader(f), start=2):
            where = f"{spec['pack']['occupations']} row {i}"
            code = row["occupation_code"]
            if not ref.is_occupation(code) or ref.occupation(code).name != row["occupation_name"]:
                raise LabourPackError(f"{where}: {code} {row['occupation_name']} is not a 2022 occupation")
            if not row["basis"].strip():
                raise LabourPackError(f"{where}: every mapping states its basis")
            h = _hazards([row["hazard"]], where)
            occupations[code] = occupations.get(code, Hazard(0)) | h
            basis[(code, h)] = row["basis"]

    keywords = []
    for d in spec["keyword"]:
        where = f"keyword {d['words']!r}"
        keywords.append(
            Keyword(
                hazards=_hazards(d["hazards"], where),
                pattern=re.compile("|".join(map(re.escape, d["words"]))),
                exclude=re.compile("|".join(map(re.escape, d["except"]))) if d.get("except") else None,
                basis=d["basis"],
            )
        )

    special = {}
    for item, d in spec["special_operation_hazards"].items():
        if item not in ref.special_operations():
            raise LabourPackError(f"special_operation_hazards: {item!r} is not a special-operation item")
        special[item] = (_hazards(d["hazards"], f"special operation {item}"), d["basis"])

    params = spec["params"]
    for name in ("minimum_age", "adult_age"):
        citation(f"params.{name}", params[name])
    posting = spec["posting"]
    citation("posting", posting)
    rule_bars = {p: Hazard(0) for p in PROTECTED}
    for r in rules:
        rule_bars[r.protects] |= r.bars
    return Pack(
        rules=tuple(rules),
        labels=labels,
        occupations=occupations,
        occupation_basis=basis,
        keywords=tuple(keywords),
        special_operations=special,
        minimum_age=params["minimum_age"]["value"],
        adult_age=params["adult_age"]["value"],
        cadre_majors=frozenset(spec["posts"]["cadre_major_groups"]),
        reform_start=spec["retirement"]["reform_start"]["value"],
        groups=tuple(RetirementGroup(**g) for g in spec["retirement"]["group"]),
        male_only=re.compile(posting["male_only"]),
        women_barred=rule_bars["women"],
        minor_barred=rule_bars["minors"],
    )


@cache
def pack() -> Pack:
    """The city's labour-protection pack, loaded and checked once."""
    return load()


# --- hazards of a job or class ------------------------------------------------------------------


def _negated(text: str, start: int) -> bool:
    clause = CLAUSE_BREAK.split(text[max(0, start - 3) : start])[-1]
    return any(n in clause for n in NEGATIONS)


def _keyword_hits(text: str) -> list[tuple[Keyword, str]]:
    """Each keyword rule the text meets, with the first word it says (negated words do not count)."""
    hits = []
    for k in pack().keywords:
        t = k.exclude.sub("", text) if k.exclude else text
        word = next((m.group() for m in k.pattern.finditer(t) if not _negated(t, m.start())), None)
        if word is not None:
            hits.append((k, word))
    return hits


def text_hazards(text: str) -> Hazard:
    """The categories a posting's or class's free text names (井下, 高处作业, 锅炉, 爆破 …)."""
    out = Hazard(0)
    for k, _ in _keyword_hits(text):
        out |= k.hazards
    return out


def hazards_of(occupation_code: str, text: str = "", special_operations: Iterable[str] = ()) -> Hazard:
    """The hazard categories of a job or class: its occupation's, its text's, and its special operations'."""
    p = pack()
    out = p.occupations.get(occupation_code, Hazard(0)) | text_hazards(text)
    for item in special_operations:
        out |= Hazard.SPECIAL_OPERATION | p.special_operations.get(item, (Hazard(0), ""))[0]
    return out


def hazard_basis(
    occupation_code: str, text: str = "", special_operations: Iterable[str] = ()
) -> tuple[str, ...]:
    """Why a job or class falls in each of its hazard categories, in Chinese, for a counselor to read."""
    p = pack()
    out = []
    for h in p.occupations.get(occupation_code, Hazard(0)):
        name = ref.occupation(occupation_code).name
        out.append(f"{p.labels[h]}：{name}，{p.occupation_basis[occupation_code, h]}")
    for k, word in _keyword_hits(text):
        out.append(f"{'、'.join(p.labels[h] for h in k.hazards)}：岗位写明“{word}”，{k.basis}")
    for item in special_operations:
        hazards, basis = p.special_operations.get(item, (Hazard(0), ""))
        op = ref.special_operations()[item].name
        why = f"{p.labels[Hazard.SPECIAL_OPERATION]}：须持特种作业操作证（{item} {op}）"
        if hazards:
            why += f"；{'、'.join(p.labels[h] for h in hazards)}：{basis}"
        out.append(why)
    return tuple(out)


def required_restrictions(hazards: Hazard) -> frozenset[str]:
    """What the law itself requires of a posting with these hazards: "male_only", "adult_only" (年满18周岁)."""
    p = pack()
    out = set()
    if hazards & p.women_barred:
        out.add("male_only")
    if hazards & (p.minor_barred | Hazard.SPECIAL_OPERATION):
        out.add("adult_only")
    return frozenset(out)


def strip_required_restrictions(text: str, hazards: Hazard) -> str:
    """A posting's text without the restrictions the law requires for its hazards (限男性 on mine work)."""
    if "male_only" in required_restrictions(hazards):
        return pack().male_only.sub("", text)
    return text


# --- ages -------------------------------------------------------------------------------------


def cadre_post(occupation_code: str | None) -> bool:
    """Whether a post counts as cadre-type for retirement (大类 1–3, by the pack's convention)."""
    return occupation_code is not None and occupation_code.split("-")[0] in pack().cadre_majors


def months_of_age(birth_date: date, on: date) -> int:
    """Whole months of age on a day, as a calendar counts them (a month is complete on the birth day's date)."""
    return (on.year - birth_date.year) * 12 + on.month - birth_date.month - (on.day < birth_date.day)


def _group(sex: str, cadre: bool) -> RetirementGroup:
    post = "cadre" if cadre else "worker"
    return next(g for g in pack().groups if g.sex == sex and g.posts in ("any", post))


def _retirement_months(sex: str, cadre: bool, year: Any, month: Any) -> Any:
    """Retirement age in months for birth years and months (ints or arrays), the 2024 rise included."""
    g = _group(sex, cadre)
    start = pack().reform_start
    k = (year - (start.year - g.base)) * 12 + month - start.month
    delay = np.where(k < 0, 0, np.minimum((g.final - g.base) * 12, k // g.birth_months_per_step + 1))
    return g.base * 12 + delay


def retirement_age_months(sex: str, birth_date: date, cadre: bool) -> int:
    """The statutory retirement age in months, with the gradual rise decided on 2024-09-13."""
    return int(_retirement_months(sex, cadre, birth_date.year, birth_date.month))


def _age_words(months: int) -> str:
    years, rest = divmod(months, 12)
    return f"{years}周岁{rest}个月" if rest else f"{years}周岁"


# --- the verdict ------------------------------------------------------------------------------


def assess(
    sex: str, birth_date: date, on: date, hazards: Hazard, occupation_code: str | None = None
) -> Verdict:
    """May a person of this sex and birth date do work (or take a class) with these hazards starting `on`?"""
    if sex not in ("M", "F"):
        raise ValueError(f"sex must be 'M' or 'F', got {sex!r}")
    p = pack()
    age = months_of_age(birth_date, on)
    cadre = cadre_post(occupation_code)
    group = _group(sex, cadre)
    retire_at = group.base * 12 if on < p.reform_start else retirement_age_months(sex, birth_date, cadre)
    bars = []
    for r in p.rules:
        hit = r.any_work or bool(hazards & r.bars)
        if r.protects == "under_16":
            applies = age < p.minimum_age * 12
        elif age < p.minimum_age * 12:
            applies = False
        elif r.protects in ("minors", "special_operation_age"):
            applies = hit and age < p.adult_age * 12
        elif r.protects == "women":
            applies = hit and sex == "F"
        else:
            applies = (
                hit
                and age >= retire_at
                and r.in_force(on)
                and r.posts in ("any", "cadre" if cadre else "worker")
            )
        if applies:
            bars.append(
                r.bar(
                    group=group.name,
                    birth=f"{birth_date.year}年{birth_date.month}月",
                    retirement_age=_age_words(retire_at),
                )
            )
    return Verdict(not bars, tuple(bars))


# --- the vectorized verdict -------------------------------------------------------------------

_EPOCH = date(1970, 1, 1).toordinal()


def _ymd(ordinals: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = (ordinals - _EPOCH).astype("datetime64[D]")
    months = d.astype("datetime64[M]")
    y = months.astype(np.int64) // 12 + 1970
    m = months.astype(np.int64) % 12 + 1
    return y, m, (d - months).astype(np.int64) + 1


def _key(ordinals: np.ndarray) -> np.ndarray:
    """Dates as ``(year * 12 + month - 1) * 32 + day``: ordered like the dates, and a person born on key
    b is X months old exactly from key ``b + 32 * X`` on (the next month's 1st when the day is missing)."""
    y, m, d = _ymd(np.asarray(ordinals, dtype=np.int64))
    return (y * 12 + m - 1) * 32 + d


def barred(
    sex: np.ndarray, birth: np.ndarray, on: np.ndarray, hazards: np.ndarray, cadre: np.ndarray
) -> np.ndarray:
    """Where `assess` would refuse, for arrays broadcasting numpy-style: sex "M"/"F", birth and on as date
    ordinals, hazards as Hazard bits, cadre whether the post is cadre-type.

    Each condition is one comparison between a person-side array (built from sex and birth) and a job-side
    array (built from on, hazards and cadre), each computed on its inputs' own shapes, so the broadcast
    work is four comparisons. The retirement age is the one decided in 2024 for every date: anyone whose
    age rises under it reaches the former age only from 2025-01-01, so before then both rules agree.
    """
    p = pack()
    low, high = np.iinfo(np.int32).min, np.iinfo(np.int32).max
    female = np.asarray(sex) == "F"
    born = _key(birth)
    y, m = born // 32 // 12, born // 32 % 12 + 1
    retire = {
        c: 32 * np.where(female, _retirement_months("F", c, y, m), _retirement_months("M", c, y, m))
        for c in (True, False)
    }
    h = np.asarray(hazards, dtype=np.int64)
    minor_hit = (h & int(p.minor_barred | Hazard.SPECIAL_OPERATION)) != 0
    women_hit = (h & int(p.women_barred)) != 0
    day = _key(on)
    post = np.asarray(cadre, dtype=bool)
    # too young: the job's day, less the age it needs, falls before the birth day
    refused = day - 32 * 12 * np.where(minor_hit, p.adult_age, p.minimum_age) < born
    # past retirement, comparing only against the threshold of the post's type
    refused |= np.where(post, day, low).astype(np.int32) >= (born + retire[True]).astype(np.int32)
    refused |= np.where(post, low, day).astype(np.int32) >= (born + retire[False]).astype(np.int32)
    # a woman, in work barred to women
    refused |= np.where(women_hit, high, low).astype(np.int32) > np.where(female, 0, high).astype(np.int32)
    return refused
