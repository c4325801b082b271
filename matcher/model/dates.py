"""Dates as proleptic ordinals (`date.toordinal()`), computed on whole arrays."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np

NEVER = date(9999, 12, 31).toordinal()
"""The ordinal used for an open end (a work spell still running, a certificate never issued)."""
_EPOCH = date(1970, 1, 1).toordinal()


def ordinals(values: Sequence[date | str | None]) -> np.ndarray:
    """Dates, or ISO date texts (as SQLite keeps them), as ordinals; None (an open end) as NEVER."""
    days = np.array(values, dtype="datetime64[D]")
    out = days.astype(np.int64) + _EPOCH
    out[np.isnat(days)] = NEVER
    return out


def years_between(born: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Whole years of age from birth ordinals to date ordinals, exactly as a calendar counts them."""
    b = _ymd(np.asarray(born))
    o = _ymd(np.asarray(on))
    before_birthday = (o[1] * 100 + o[2]) < (b[1] * 100 + b[2])
    return o[0] - b[0] - before_birthday


def _ymd(ordinals: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    days = ordinals.astype("int64") - _EPOCH
    d64 = days.astype("datetime64[D]")
    y = d64.astype("datetime64[Y]").astype(np.int64) + 1970
    m = d64.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dd = (d64 - d64.astype("datetime64[M]")).astype(np.int64) + 1
    return y, m, dd


def year_of(ordinals: np.ndarray) -> np.ndarray:
    return _ymd(np.asarray(ordinals))[0]
