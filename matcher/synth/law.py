"""Protective labour law in the sample city: whom each job, line and course may be drawn for.

The law itself is `matcher.labour`; this module turns it into what the generator draws with. A worker's
*legal class* in a period is (woman or man) × (under 18 at some time of it or not); for each class a job,
line or course is either open to everyone in it or to no one, so drawing from the open ones never breaks
the law. Retirement and the minimum age bar all work, and are handled by leaving people out.
"""

from __future__ import annotations

from datetime import date
from functools import cache

import numpy as np

from matcher import labour
from matcher.synth.params import jobs
from matcher.synth.sampling import EPOCH, ymd

N_CLASSES = 4
"""Legal classes: 2 × woman + minor."""


def legal_class(male: np.ndarray, birth: np.ndarray, first_day: np.ndarray | int) -> np.ndarray:
    """The class of each person over a period beginning `first_day`: minor when not yet 18 on that day."""
    return 2 * (~np.asarray(male, dtype=bool)).astype(np.int64) + (first_day < adult_day(birth))


def open_to(hazards: np.ndarray) -> np.ndarray:
    """(N_CLASSES, n): whether work with each of these hazards is open to every person of each class."""
    p = labour.pack()
    h = np.asarray(hazards, dtype=np.int64)
    women = (h & int(p.women_barred)) == 0
    minors = (h & int(p.minor_barred | labour.Hazard.SPECIAL_OPERATION)) == 0
    return np.stack([np.ones(len(h), dtype=bool), minors, women, women & minors])


@cache
def job_hazards() -> np.ndarray:
    """The hazard bits of each job-table row: its occupation's, its posting title's, its certificates'."""
    return np.array(
        [int(labour.hazards_of(j.code, j.posting_title, j.certificates)) for j in jobs()], dtype=np.int64
    )


def hazards(codes: list[str], texts: list[str], items: list[list[str]]) -> np.ndarray:
    """The hazard bits of lines or courses from their occupation, text and special-operation items."""
    return np.array([int(labour.hazards_of(c, t, i)) for c, t, i in zip(codes, texts, items)], dtype=np.int64)


def months_later(day: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """The day a person born on `day` is `months` months old (the 1st of the next month for a 29 February)."""
    y, m, d = ymd(day)
    t = y * 12 + m - 1 + np.asarray(months)
    first = _month_start(t)
    return first + np.minimum(d - 1, _month_start(t + 1) - first)


def _month_start(index: np.ndarray) -> np.ndarray:
    return (np.asarray(index) - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]").astype(
        np.int64
    ) + EPOCH


def adult_day(birth: np.ndarray) -> np.ndarray:
    """The 18th birthday."""
    return months_later(birth, labour.pack().adult_age * 12)


def retirement_day(male: np.ndarray, birth: np.ndarray) -> np.ndarray:
    """The first day past the statutory retirement age for a worker-type post (the earlier of the two)."""
    y, m, _ = ymd(birth)
    key = (np.asarray(male, dtype=np.int64) * 10_000 + y) * 100 + m
    uniq, inverse = np.unique(key, return_inverse=True)
    months = np.array(
        [
            labour.retirement_age_months(
                "M" if k // 1_000_000 else "F", date(k // 100 % 10_000, k % 100, 1), False
            )
            for k in uniq.tolist()
        ],
        dtype=np.int64,
    )
    return months_later(birth, months[inverse])


def barred(
    male: np.ndarray, birth: np.ndarray, on: np.ndarray, hazards: np.ndarray, codes: np.ndarray
) -> np.ndarray:
    """`matcher.labour.barred` for the generator's arrays (`codes`: occupation codes of the posts)."""
    cadre = (
        np.array([labour.cadre_post(c) for c in codes.tolist()], dtype=bool)
        if len(codes)
        else np.zeros(0, bool)
    )
    return labour.barred(np.where(male, "M", "F"), birth, on, hazards, cadre)
