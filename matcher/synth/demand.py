"""The expected mix of jobs each search area posts: what local workers have done and want to do."""

from __future__ import annotations

from functools import cache

import numpy as np

from matcher.synth import places
from matcher.synth.params import PARTNER, jobs, params, sectors, shares


@cache
def job_mix() -> np.ndarray:
    """Expected share of each job row among the postings of each area (row `OUTBOUND`: partner cities).

    An area's enterprises of a sector are proportional to population times the sector's county
    multiplier; each enterprise posts the sector's rows by weight times the row's county hint.
    """
    table = jobs()
    units = places.units()
    out = np.zeros((places.N_AREAS, len(table)))
    for key, sec in sectors().items():
        rows = [i for i, j in enumerate(table) if j.sector == key]
        unit_w = np.array([u.population * sec.county_weight(u.code) for u in units])
        if unit_w.sum() <= 0:
            continue
        unit_w = sec.share * unit_w / unit_w.sum()
        for u, w in zip(units, unit_w):
            local = np.array([table[i].local_weight(u.code) for i in rows])
            if w > 0 and local.sum() > 0:
                out[u.area, rows] += w * local / local.sum()
    partner = params()["partners"]["sectors"]
    for key, w in zip(partner, shares(list(partner.values()), "[partners] sectors")):
        rows = [i for i, j in enumerate(table) if j.sector == key]
        local = np.array([table[i].local_weight(PARTNER) for i in rows])
        out[places.OUTBOUND, rows] += w * local / local.sum()
    return out / out.sum(axis=1, keepdims=True)


@cache
def job_mix_for_education() -> np.ndarray:
    """`job_mix()` twice: index 0 without major-group-2 jobs (workers below college), index 1 with all."""
    mix = job_mix()
    no_prof = mix * ~np.array([j.professional for j in jobs()])
    no_prof /= no_prof.sum(axis=1, keepdims=True)
    return np.stack([no_prof, mix])
