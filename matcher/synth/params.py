"""The sample city's parameters: `data/sample_city.toml` and the job table `data/sample_city_occupations.csv`.

Both files are read once and checked here, so that a typing error in a share or an occupation code is
reported with the key or row at fault before anything is generated.
"""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

import numpy as np

from matcher import reference as ref
from matcher.domain import INDUSTRIES, HighRiskSector

PARAMS_PATH = ref.DATA_DIR / "sample_city.toml"
JOBS_PATH = ref.DATA_DIR / "sample_city_occupations.csv"
PARTNER = "partner"
"""Pseudo unit code of enterprises outside Qujing; multiplier tables give it their "*" value."""


def multiplier(table: Mapping[str, float], code: str) -> float:
    """A county multiplier: the code's own entry, else the table's "*" entry, else 1."""
    return float(table.get(code, table.get("*", 1.0)))


def parse_day(text: str) -> int:
    """An ISO date as a proleptic ordinal (the integer form every generator works with)."""
    return date.fromisoformat(text).toordinal()


@dataclass(frozen=True, slots=True)
class Job:
    """One row of the job table: an occupation as the enterprises of one sector post it."""

    code: str
    title: str
    sector: str
    typical_level: int | None
    certificates: tuple[str, ...]
    wage_min: int
    wage_max: int
    hint: tuple[tuple[str, float], ...]
    weight: float
    posting_title: str

    def local_weight(self, unit_code: str) -> float:
        """The row's weight for an enterprise in `unit_code` (its county hint applied)."""
        return self.weight * multiplier(dict(self.hint), unit_code)

    @property
    def professional(self) -> bool:
        """Major group 2 (专业技术人员): needs a college education."""
        return self.code.startswith("2-")


@dataclass(frozen=True, slots=True)
class Sector:
    key: str
    name: str
    industry: str
    high_risk: str | None
    share: float
    sizes: tuple[float, float, float, float]
    counties: tuple[tuple[str, float], ...]
    nouns: tuple[str, ...]
    work_town: str | None

    def county_weight(self, unit_code: str) -> float:
        return multiplier(dict(self.counties), unit_code)


@cache
def params() -> dict[str, Any]:
    """The parsed `data/sample_city.toml`."""
    with open(PARAMS_PATH, "rb") as f:
        try:
            return tomllib.load(f)
        except tomllib.TOMLDecodeError as e:
            raise ValueError(f"{PARAMS_PATH.name}: {e}") from None


def shares(values: Any, where: str) -> np.ndarray:
    """A list of shares from the parameters, normalised; a clear error names `where` when it is not one."""
    p = np.asarray(values, dtype=float)
    if p.ndim != 1 or (p < 0).any() or p.sum() <= 0:
        raise ValueError(
            f"{PARAMS_PATH.name}: {where} must be non-negative shares with a positive sum, got {values!r}"
        )
    return p / p.sum()


@cache
def sectors() -> dict[str, Sector]:
    """The sectors by key, in file order."""
    p = params()
    default_sizes = p["enterprises"]["default_sizes"]
    out: dict[str, Sector] = {}
    for key, s in p["sectors"].items():
        where = f"[sectors.{key}]"
        if s.get("industry") not in INDUSTRIES:
            raise ValueError(
                f"{PARAMS_PATH.name}: {where} industry must be a GB/T 4754 section letter, got {s.get('industry')!r}"
            )
        risk = s.get("high_risk")
        if risk is not None and risk not in HighRiskSector.__members__:
            raise ValueError(
                f"{PARAMS_PATH.name}: {where} high_risk {risk!r} is not one of {', '.join(HighRiskSector.__members__)}"
            )
        for code in s.get("counties", {}):
            if code != "*" and not ref.is_region(code):
                raise ValueError(f"{PARAMS_PATH.name}: {where} counties names an unknown region {code!r}")
        town = s.get("work_town")
        if town is not None and not ref.is_region(town):
            raise ValueError(f"{PARAMS_PATH.name}: {where} work_town {town!r} is not a known region")
        sizes = shares(s.get("sizes", default_sizes), f"{where} sizes")
        out[key] = Sector(
            key=key,
            name=s["name"],
            industry=s["industry"],
            high_risk=risk,
            share=float(s["share"]),
            sizes=(sizes[0], sizes[1], sizes[2], sizes[3]),
            counties=tuple((k, float(v)) for k, v in s.get("counties", {}).items()),
            nouns=tuple(s["nouns"]),
            work_town=town,
        )
    return out


def _hint(text: str, where: str) -> tuple[tuple[str, float], ...]:
    out = []
    for part in filter(None, text.split(";")):
        code, _, value = part.partition(":")
        if code != "*" and not ref.is_region(code):
            raise ValueError(f"{where}: counties_weight_hint names an unknown region {code!r}")
        try:
            out.append((code, float(value)))
        except ValueError:
            raise ValueError(f"{where}: counties_weight_hint {part!r} is not code:weight") from None
    return tuple(out)


@cache
def jobs() -> tuple[Job, ...]:
    """The job table, checked against the 2022 classification and the special-operation catalogue."""
    known = sectors()
    out = []
    with open(JOBS_PATH, encoding="utf-8", newline="") as f:
        for i, r in enumerate(csv.DictReader(f), start=2):
            where = f"{JOBS_PATH.name} line {i}"
            node = ref.occupations().get(r["code"])
            if node is None or node.level != 4:
                raise ValueError(
                    f"{where}: code {r['code']!r} is not an occupation (level 4) of the 2022 classification"
                )
            if node.name != r["title"]:
                raise ValueError(
                    f"{where}: title {r['title']!r} differs from the classification's {node.name!r}"
                )
            if r["industry"] not in known:
                raise ValueError(f"{where}: industry {r['industry']!r} is not a sector of {PARAMS_PATH.name}")
            certs = tuple(filter(None, r["certificates"].split(";")))
            for c in certs:
                if c not in ref.special_operations():
                    raise ValueError(
                        f"{where}: certificate {c!r} is not an item of the special-operation catalogue"
                    )
            level = int(r["typical_level"]) if r["typical_level"] else None
            if level is not None and level not in ref.skill_levels():
                raise ValueError(f"{where}: typical_level must be 1–5, got {level}")
            lo, hi = int(r["wage_min"]), int(r["wage_max"])
            if not 0 < lo <= hi:
                raise ValueError(
                    f"{where}: wage_min {lo} and wage_max {hi} must satisfy 0 < wage_min <= wage_max"
                )
            out.append(
                Job(
                    code=r["code"],
                    title=r["title"],
                    sector=r["industry"],
                    typical_level=level,
                    certificates=certs,
                    wage_min=lo,
                    wage_max=hi,
                    hint=_hint(r["counties_weight_hint"], where),
                    weight=float(r["weight"]),
                    posting_title=r["posting_title"],
                )
            )
    return tuple(out)


@cache
def job_codes() -> tuple[str, ...]:
    """The distinct occupation codes of the job table, sorted; their positions are occupation indices."""
    return tuple(sorted({j.code for j in jobs()}))


@cache
def job_occupation() -> np.ndarray:
    """For each job row, the index of its occupation in `job_codes()`."""
    index = {c: i for i, c in enumerate(job_codes())}
    return np.array([index[j.code] for j in jobs()], dtype=np.int32)


@cache
def occupation_distances() -> np.ndarray:
    """Tree distance (0 same … 4 other major group) between every pair of job-table occupations."""
    codes = job_codes()
    d = np.empty((len(codes), len(codes)), dtype=np.int8)
    for i, a in enumerate(codes):
        for j, b in enumerate(codes):
            d[i, j] = ref.occupation_distance(a, b)
    return d


@cache
def special_items() -> tuple[str, ...]:
    """The special-operation item codes, in catalogue order; positions are item indices."""
    return tuple(ref.special_operations())
