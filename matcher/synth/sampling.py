"""Vectorised sampling helpers shared by the generators: seeded streams, allocations, pools, dates."""

from __future__ import annotations

from datetime import date
from functools import cache

import numpy as np

EPOCH = date(1970, 1, 1).toordinal()


def stream(seed: int, *key: int) -> np.random.Generator:
    """An independent generator for one part of the city, so that parts do not shift each other."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Split `total` into integers proportional to `weights` (largest remainder, deterministic)."""
    w = np.asarray(weights, dtype=float)
    exact = total * w / w.sum()
    out = np.floor(exact).astype(np.int64)
    rest = total - int(out.sum())
    if rest:
        out[np.argsort(-(exact - out), kind="stable")[:rest]] += 1
    return out


def categorical(rng: np.random.Generator, probs: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """One draw per element of `groups` from row `groups[i]` of the probability matrix `probs`."""
    cum = np.cumsum(probs, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cum /= cum[:, -1:]
    u = rng.random(len(groups))
    out = np.empty(len(groups), dtype=np.int64)
    for g in np.unique(groups):
        sel = np.flatnonzero(groups == g)
        out[sel] = np.searchsorted(cum[g], u[sel], side="right")
    return np.minimum(out, probs.shape[1] - 1)


def top_k(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """`k` distinct indices drawn with probability proportional to `weights` (Gumbel top-k), sorted."""
    k = min(k, int((weights > 0).sum()))
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    with np.errstate(divide="ignore"):
        keys = np.log(weights) + rng.gumbel(size=len(weights))
    return np.sort(np.argpartition(-keys, k - 1)[:k])


class Pools:
    """Items grouped by an integer key and ordered by an end day within each key, for fast draws.

    `draw(keys, after)` picks, for each request, an item of that key whose end day is later than
    `after` (or -1 when there is none), with probability proportional to the item's weight, without
    looping over requests.
    """

    SHIFT = 1 << 22  # above any day ordinal in use

    def __init__(self, keys: np.ndarray, ends: np.ndarray, n_keys: int, weights: np.ndarray | None = None):
        ok = keys >= 0
        idx = np.flatnonzero(ok)
        composite = keys[ok].astype(np.int64) * self.SHIFT + ends[ok].astype(np.int64)
        order = np.argsort(composite, kind="stable")
        self.items = idx[order]
        self.composite = composite[order]
        self.offsets = np.searchsorted(keys[ok][order], np.arange(n_keys + 1), side="left")
        self.n_keys = n_keys
        w = np.ones(len(keys)) if weights is None else np.asarray(weights, dtype=float)
        self.cumulative = np.r_[0.0, np.cumsum(w[self.items])]

    def available(self, keys: np.ndarray, after: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """First position and count of the items of each key ending after `after` (count 0 for key -1)."""
        valid = (keys >= 0) & (keys < self.n_keys)
        k = np.where(valid, keys, 0).astype(np.int64)
        lo = np.searchsorted(self.composite, k * self.SHIFT + after.astype(np.int64) + 1, side="left")
        hi = self.offsets[k + 1]
        return lo, np.where(valid, np.maximum(hi - lo, 0), 0)

    def draw(self, rng: np.random.Generator, keys: np.ndarray, after: np.ndarray) -> np.ndarray:
        lo, n = self.available(keys, after)
        u = rng.random(len(keys))
        if not len(self.items):
            return np.full(len(keys), -1, dtype=np.int64)
        base = self.cumulative[lo]
        target = base + u * (self.cumulative[lo + n] - base)
        pick = np.clip(
            np.searchsorted(self.cumulative, target, side="right") - 1, lo, np.maximum(lo + n - 1, lo)
        )
        return np.where(n > 0, self.items[np.minimum(pick, len(self.items) - 1)], -1)


@cache
def _day_table(first: int, last: int) -> tuple[list[date], list[str]]:
    days = [date.fromordinal(o) for o in range(first, last + 1)]
    return days, [d.isoformat() for d in days]


TABLE_FIRST = date(1940, 1, 1).toordinal()
TABLE_LAST = date(2030, 12, 31).toordinal()


def to_dates(ordinals: np.ndarray) -> list[date]:
    """Python dates for an array of day ordinals (looked up, not constructed one by one)."""
    days, _ = _day_table(TABLE_FIRST, TABLE_LAST)
    return [days[i] for i in (np.asarray(ordinals) - TABLE_FIRST).tolist()]


def iso_day(ordinal: int) -> str:
    """The ISO text of one day ordinal (the JSON form of a date)."""
    return _day_table(TABLE_FIRST, TABLE_LAST)[1][ordinal - TABLE_FIRST]


def ymd(ordinals: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month and day of each ordinal, vectorised."""
    d = (np.asarray(ordinals, dtype=np.int64) - EPOCH).astype("datetime64[D]")
    y = d.astype("datetime64[Y]")
    m = d.astype("datetime64[M]")
    return (
        y.astype(np.int64) + 1970,
        (m - y.astype("datetime64[M]")).astype(np.int64) + 1,
        (d - m.astype("datetime64[D]")).astype(np.int64) + 1,
    )


def day_of(year: int, month_day: str) -> int:
    """The ordinal of "MM-DD" in `year`."""
    m, d = (int(x) for x in month_day.split("-"))
    return date(year, m, d).toordinal()


def years_later(ordinals: np.ndarray, years: np.ndarray | float) -> np.ndarray:
    """Ordinals shifted by a (fractional) number of years of 365.25 days."""
    return (np.asarray(ordinals) + np.round(np.asarray(years) * 365.25)).astype(np.int64)
