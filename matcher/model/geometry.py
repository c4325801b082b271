"""Where regions lie: county, province, containment chain and coordinates, and distances between them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from matcher import reference as ref


@dataclass(frozen=True, slots=True)
class Place:
    """What matching needs to know of a region code."""

    code: str
    county: str  # the county-level unit, or the region itself above county level (an outbound city)
    in_qujing: bool
    province: str
    lon: float
    lat: float
    chain: tuple[str, ...]  # the region and every region containing it


@cache
def place(code: str) -> Place:
    """The region's county, province, containment chain and coordinates (KeyError for an unknown code)."""
    loc = ref.located(code)
    assert loc.lon is not None and loc.lat is not None
    return Place(
        code=code,
        county=ref.county_of(code) or code,
        in_qujing=ref.is_in_qujing(code),
        province=ref.province_of(code),
        lon=loc.lon,
        lat=loc.lat,
        chain=tuple(r.code for r in ref.region_chain(code)),
    )


def place_of(code: str, where: str) -> Place:
    try:
        return place(code)
    except (KeyError, ValueError) as e:
        raise ValueError(f"{where}: {e}") from None


def haversine_km(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    """Great-circle distances in kilometres, broadcast (the formula of `reference.distance_km`)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * ref.EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


@cache
def home_regions(county: str) -> tuple[str, ...]:
    """The regions counted as a worker's own county: the county-level unit, and for the development
    zone also 麒麟区, which contains it."""
    r = ref.region(county)
    return (county, r.parent_code) if r.kind == "zone" and r.parent_code else (county,)
