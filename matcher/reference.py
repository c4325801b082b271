"""Reference data: the 2022 occupation classification, skill levels, certificates, regions and ethnic groups.

Every table is read once from `data/reference/` and cached; the functions below are the only
way the rest of the engine reaches these facts.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
REFERENCE_DIR = DATA_DIR / "reference"

QUJING_CODE = "530300"
YUNNAN_CODE = "530000"
ETDZ_CODE = "530302-QJETDZ"
"""Internal id of 曲靖经济技术开发区, which has no GB/T 2260 code; it overlays two streets of 麒麟区."""
ETDZ_STREETS = ("530302005", "530302010")
"""西城街道 and 翠峰街道, administered by the development zone."""

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True, slots=True)
class Occupation:
    """A node of the 2022 classification: level 1 大类 … level 4 职业 (e.g. 6-18-02-04)."""

    code: str
    name: str
    level: int
    parent_code: str | None


@dataclass(frozen=True, slots=True)
class NewOccupation:
    """An occupation MOHRSS announced after the 2015 classification; it exists from `announced_on`."""

    code: str
    name: str
    announcement: str
    announced_on: date


@dataclass(frozen=True, slots=True)
class EthnicGroup:
    """One of the 56 ethnic groups (民族) of GB/T 3304-1991: two-digit code, name, letter code."""

    code: str
    name: str
    letter_code: str


@dataclass(frozen=True, slots=True)
class SkillLevel:
    """One of the five national skill levels; `level` 5 = 初级工 … 1 = 高级技师, `rank` 1 = lowest."""

    level: int
    title: str
    label: str
    rank: int


@dataclass(frozen=True, slots=True)
class SpecialOperation:
    """An item of the 特种作业目录 (requires a 特种作业操作证)."""

    code: str
    name: str
    category: str


@dataclass(frozen=True, slots=True)
class Region:
    """A province, prefecture city, county, town or the development zone, keyed by its code."""

    code: str
    name: str
    kind: str  # province | city | county | town | zone
    parent_code: str | None
    lon: float | None
    lat: float | None
    population: int | None = None


def _rows(name: str) -> list[dict[str, str]]:
    with open(REFERENCE_DIR / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _float(text: str) -> float | None:
    return float(text) if text else None


# --- occupations ----------------------------------------------------------------------------


@cache
def occupations() -> dict[str, Occupation]:
    """All 2,176 nodes of the classification by code."""
    return {
        r["code"]: Occupation(r["code"], r["name"], int(r["level"]), r["parent_code"] or None)
        for r in _rows("occupations_2022.csv")
    }


@cache
def leaf_occupations() -> tuple[Occupation, ...]:
    """The 1,639 occupations (level 4), in code order."""
    return tuple(o for o in occupations().values() if o.level == 4)


def occupation(code: str) -> Occupation:
    """The occupation or group with this code; KeyError names the code when it does not exist."""
    try:
        return occupations()[code]
    except KeyError:
        raise KeyError(f"occupation code {code!r} is not in the 2022 classification") from None


def is_occupation(code: str) -> bool:
    """Whether `code` is a level-4 occupation of the 2022 classification."""
    node = occupations().get(code)
    return node is not None and node.level == 4


def ancestors(code: str) -> list[Occupation]:
    """The groups above `code`, nearest first (小类, 中类, 大类)."""
    out = []
    node = occupation(code)
    while node.parent_code:
        node = occupation(node.parent_code)
        out.append(node)
    return out


@cache
def _children() -> dict[str | None, tuple[str, ...]]:
    kids: dict[str | None, list[str]] = {}
    for o in occupations().values():
        kids.setdefault(o.parent_code, []).append(o.code)
    return {k: tuple(v) for k, v in kids.items()}


def children(code: str | None) -> tuple[str, ...]:
    """Codes directly under `code` (None: the eight 大类)."""
    return _children().get(code, ())


def siblings(code: str) -> list[Occupation]:
    """The other nodes under the same parent."""
    parent = occupation(code).parent_code
    return [occupation(c) for c in children(parent) if c != code]


def occupation_distance(a: str, b: str) -> int:
    """Steps from each node up to their lowest common group: 0 same, 1 same 小类 … 4 other 大类.

    Both codes must be of the same depth; the figure is the depth below the common ancestor.
    """
    pa, pb = occupation(a).code.split("-"), occupation(b).code.split("-")
    if len(pa) != len(pb):
        raise ValueError(f"occupation codes {a!r} and {b!r} are at different levels of the tree")
    common = 0
    for x, y in zip(pa, pb):
        if x != y:
            break
        common += 1
    return len(pa) - common


@cache
def new_occupations() -> dict[str, NewOccupation]:
    """The occupations announced in batches from 2019 on (and those new in the 2022 edition), by code."""
    out = {}
    for r in _rows("new_occupations.csv"):
        node = occupation(r["code"])
        if node.level != 4 or node.name != r["name"]:
            raise ValueError(
                f"new_occupations.csv: {r['code']} {r['name']} is not that occupation of the 2022 edition"
            )
        out[r["code"]] = NewOccupation(
            r["code"], r["name"], r["announcement"], date.fromisoformat(r["announced_on"])
        )
    return out


def occupation_exists_since(code: str) -> date | None:
    """The day a new occupation was announced; None for one that existed before 2019."""
    new = new_occupations().get(code)
    return new.announced_on if new else None


# --- skill levels and certificates ----------------------------------------------------------


@cache
def skill_levels() -> dict[int, SkillLevel]:
    """The five levels by national level number (5 初级工 … 1 高级技师)."""
    return {
        int(r["level_num"]): SkillLevel(
            int(r["level_num"]), r["title"], r["label_2018_style"], int(r["rank_order"])
        )
        for r in _rows("skill_levels.csv")
    }


def level_rank(level: int | None) -> int:
    """Order of a level for comparison: 0 for none, 1 初级工 … 5 高级技师."""
    if level is None:
        return 0
    try:
        return skill_levels()[level].rank
    except KeyError:
        raise ValueError(f"skill level must be 1 (高级技师) to 5 (初级工), got {level!r}") from None


def level_of_rank(rank: int) -> int | None:
    """The national level of a rank (rank 1 初级工 is level 5 … rank 5 高级技师 is level 1); None for rank 0."""
    if not rank:
        return None
    return next(lv.level for lv in skill_levels().values() if lv.rank == rank)


def rank_label(rank: int) -> str:
    """'四级/中级工' for rank 2: the label of the level a rank (1 初级工 … 5 高级技师) stands for."""
    level = level_of_rank(rank)
    if level is None:
        raise ValueError("rank 0 is no skill level")
    return skill_levels()[level].label


def meets_level(held: int | None, required: int | None) -> bool:
    """Whether a held level is at least the required one (None required: always)."""
    return level_rank(held) >= level_rank(required)


@cache
def special_operations() -> dict[str, SpecialOperation]:
    """The 51 special-operation items by item code (e.g. '2.1' 熔化焊接与热切割作业)."""
    return {
        r["item_code"]: SpecialOperation(r["item_code"], r["item_name"], r["category_name"])
        for r in _rows("special_operations_2010.csv")
        if r["item_code"]
    }


# --- regions --------------------------------------------------------------------------------


@cache
def regions() -> dict[str, Region]:
    """Every province, city and county of China, Qujing's towns, and the development zone."""
    out: dict[str, Region] = {}
    for r in _rows("cn_provinces_geo.csv"):
        out[r["code6"]] = Region(r["code6"], r["name"], "province", None, _float(r["lon"]), _float(r["lat"]))
    for r in _rows("cn_cities_geo.csv"):
        out[r["code6"]] = Region(
            r["code6"], r["name"], "city", r["province_code"] + "0000", _float(r["lon"]), _float(r["lat"])
        )
    for r in _rows("cn_counties_geo.csv"):
        if r["code"] in out:  # cities without counties (东莞, 中山, 儋州) are listed as their own county
            continue
        out[r["code"]] = Region(
            r["code"], r["name"], "county", r["city_code"] + "00", _float(r["lon"]), _float(r["lat"])
        )
    for r in _rows("qujing_divisions.csv"):
        if r["code"] and r["code"] != QUJING_CODE:
            out[r["code"]] = Region(
                r["code"],
                r["name"],
                "county",
                QUJING_CODE,
                _float(r["lon"]),
                _float(r["lat"]),
                int(r["pop_census_2020"]),
            )
    qilin = out["530302"]
    out[ETDZ_CODE] = Region(ETDZ_CODE, "曲靖经济技术开发区", "zone", "530302", qilin.lon, qilin.lat)
    for r in _rows("qujing_towns_streets.csv"):
        parent = ETDZ_CODE if r["code"] in ETDZ_STREETS else r["county_code"]
        out[r["code"]] = Region(r["code"], r["name"], "town", parent, None, None)
    return out


def region(code: str) -> Region:
    """The region with this code; KeyError names the code when it is unknown."""
    try:
        return regions()[code]
    except KeyError:
        raise KeyError(f"region code {code!r} is not a known province, city, county or town") from None


def is_region(code: str) -> bool:
    return code in regions()


def region_chain(code: str) -> list[Region]:
    """The region and every region containing it, innermost first."""
    out = [region(code)]
    while out[-1].parent_code:
        out.append(region(out[-1].parent_code))
    return out


def located(code: str) -> Region:
    """The region itself or its nearest container that has coordinates."""
    for r in region_chain(code):
        if r.lon is not None and r.lat is not None:
            return r
    raise ValueError(f"region {code!r} has no coordinates, nor has any region containing it")


def distance_km(a: str, b: str) -> float:
    """Great-circle distance between two regions' centres, in kilometres."""
    ra, rb = located(a), located(b)
    assert ra.lat is not None and ra.lon is not None and rb.lat is not None and rb.lon is not None
    p1, p2 = math.radians(ra.lat), math.radians(rb.lat)
    dp, dl = p2 - p1, math.radians(rb.lon - ra.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def is_in_qujing(code: str) -> bool:
    """Whether a region lies in Qujing city (its counties, towns and the development zone)."""
    return any(r.code == QUJING_CODE for r in region_chain(code))


def province_of(code: str) -> str:
    """The 6-digit code of the province containing a region."""
    return region_chain(code)[-1].code


def county_of(code: str) -> str | None:
    """The county-level unit containing a region (the zone counts as one), or None above that level."""
    for r in region_chain(code):
        if r.kind in ("county", "zone"):
            return r.code
    return None


@cache
def qujing_counties() -> tuple[Region, ...]:
    """Qujing's nine county-level units with their 2020 census populations."""
    return tuple(r for r in regions().values() if r.kind == "county" and r.parent_code == QUJING_CODE)


# --- ethnic groups ----------------------------------------------------------------------------


@cache
def ethnic_groups() -> dict[str, EthnicGroup]:
    """The 56 ethnic groups of GB/T 3304-1991 by two-digit code ('01' 汉族 … '56' 基诺族)."""
    return {
        r["code"]: EthnicGroup(r["code"], r["name"], r["letter_code"]) for r in _rows("ethnic_groups.csv")
    }


@cache
def _ethnic_codes() -> dict[str, str]:
    out = {}
    for g in ethnic_groups().values():
        out[g.code] = out[g.name] = out[g.name.removesuffix("族")] = out[g.letter_code] = g.code
    return out


def ethnic_group_code(text: str) -> str | None:
    """The GB/T 3304 code of an ethnic group given by code, name (彝族, 彝) or letter code; None if unknown."""
    return _ethnic_codes().get(text.strip().upper() if text.strip().isascii() else text.strip())
