"""Where the sample city's people and jobs are: Qujing's county-level units, their towns, partner cities.

A *unit* is one of the nine counties or the development zone (which takes two streets of 麒麟区).
An *area* is what a job search covers: the nine counties, with the zone inside 麒麟区's area, plus one
area for all partner cities (`OUTBOUND`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from matcher import reference as ref
from matcher.synth.params import params, sectors

QILIN = "530302"
N_AREAS = 10
OUTBOUND = 9
"""Area index of every line outside Qujing."""


@dataclass(frozen=True, slots=True)
class Unit:
    code: str
    name: str
    population: float
    towns: tuple[str, ...]
    area: int
    registry_code: str
    """The 6-digit code a credit code or ID number carries (the zone has none of its own: 麒麟区's)."""


@cache
def units() -> tuple[Unit, ...]:
    """The nine counties in code order, then the development zone."""
    zone_share = float(params()["workers"]["qilin_zone_share"])
    towns: dict[str, list[str]] = {}
    for r in ref.regions().values():
        if r.kind == "town" and r.parent_code:
            towns.setdefault(r.parent_code, []).append(r.code)
    out = []
    counties = sorted(ref.qujing_counties(), key=lambda r: r.code)
    for i, c in enumerate(counties):
        assert c.population is not None
        pop = c.population * (1 - zone_share) if c.code == QILIN else c.population
        out.append(Unit(c.code, c.name, pop, tuple(sorted(towns[c.code])), i, c.code))
    qilin = next(u for u in out if u.code == QILIN)
    zone = ref.region(ref.ETDZ_CODE)
    zone_pop = qilin.population / (1 - zone_share) * zone_share
    out.append(Unit(zone.code, zone.name, zone_pop, tuple(sorted(towns[zone.code])), qilin.area, QILIN))
    return tuple(out)


@cache
def unit_index() -> dict[str, int]:
    return {u.code: i for i, u in enumerate(units())}


@cache
def partner_cities() -> tuple[tuple[str, ...], np.ndarray]:
    """Partner city codes and their recruiting weights."""
    table = params()["partners"]["cities"]
    for code in table:
        r = ref.region(code)
        if r.kind != "city" or ref.is_in_qujing(code):
            raise ValueError(f"partner city {code!r} must be a prefecture city outside Qujing")
    w = np.array(list(table.values()), dtype=float)
    return tuple(table), w / w.sum()


@cache
def locations() -> tuple[str, ...]:
    """Every place a line can name as its work region: the units, the partner cities, special towns."""
    towns = tuple(sorted({s.work_town for s in sectors().values() if s.work_town}))
    return tuple(u.code for u in units()) + partner_cities()[0] + towns


@cache
def location_index() -> dict[str, int]:
    return {c: i for i, c in enumerate(locations())}


@cache
def location_area() -> np.ndarray:
    """The search area of every location."""
    out = []
    for code in locations():
        if ref.is_in_qujing(code):
            out.append(units()[unit_index()[ref.county_of(code) or ""]].area)
        else:
            out.append(OUTBOUND)
    return np.array(out, dtype=np.int8)


@cache
def distances() -> np.ndarray:
    """Kilometres from each unit's centre (rows) to each location (columns)."""
    locs = locations()
    return np.array([[ref.distance_km(u.code, loc) for loc in locs] for u in units()], dtype=np.float64)
