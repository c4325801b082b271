"""Training pathways: worker → class → job, for lines asking for what the worker lacks.

A pair has a GAP when the line requires a special-operation item the worker does not hold, a skill level
above the worker's in the line's trade (same 小类), or an occupation far from everything the worker asked
for, holds or did (no common 小类). A class of the catalogue CLOSES the gap when:

- it leads to the job: it awards the missing special-operation item, and for a level or occupation gap it
  certifies the line's own occupation at the level the line requires (or at a level when none is asked);
- the worker may join it: it has not begun and has seats left (`candidates.available_programmes`), the
  worker meets the entry conditions of its level (`matcher.skill_entry`), the law allows them the training
  on its first day and the job on the day after its last (`matcher.labour`);
- it is open to them: a class an employer runs for its own staff (apprenticeship, pre-job, in-job safety,
  job transfer, or any class at an enterprise training centre) and an order-based class (订单培训) only
  for the hires of that employer's own line, and in-job safety and job-transfer classes for no job-seeker;
- it ends before the line closes.

Each pathway carries the class's dates, cost, the travel from home to its site, and the probability of
success: P(complete the class) × P(hired and retained on the line after it), the latter from the scorer
with the class's certificate counted as held. Pathways are ranked by their value: that probability times
the class's reach (`reach`: 1 in the worker's own county, half for a class 100 km away), so that a class
near home is proposed before a farther one with much the same odds; ties go to the cheaper class.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher import labour, skill_entry
from matcher.domain import InstitutionKind, TrainingMode
from matcher.model.candidates import available_programmes, held_items
from matcher.model.codes import occupation_prefixes
from matcher.model.dates import NEVER, years_between
from matcher.model.geometry import haversine_km
from matcher.model.ragged import group_reduce
from matcher.model.scoring import FEATURES, NEAR, FeatureSpace, MatchModel
from matcher.model.snapshot import City

_F = {name: i for i, name in enumerate(FEATURES)}
STAFF_MODES = (
    TrainingMode.apprenticeship,
    TrainingMode.pre_job,
    TrainingMode.on_job_safety,
    TrainingMode.job_transfer,
)
"""Trainings an employer runs for its own staff (article 十六)."""
CURRENT_STAFF_MODES = (TrainingMode.on_job_safety, TrainingMode.job_transfer)
"""… of which these are for people already on its staff, never for a job-seeker."""
ENTERPRISE_CENTRE = InstitutionKind.enterprise_centre
DAYS_PER_YEAR = 365.25
REACH_KM = 100.0
"""Travel at which a class outside the worker's county counts half: a daily commute becomes a stay."""


def reach(km: np.ndarray, same_county: np.ndarray) -> np.ndarray:
    """How much a class's site is worth to the worker: 1 in their own county, 1 / (1 + km / REACH_KM) beyond."""
    return np.where(same_county, 1.0, 1.0 / (1.0 + np.asarray(km) / REACH_KM))


@dataclass
class Pathways:
    """One row per (worker, line) pair with a pathway: the best class for it and its odds."""

    pair: np.ndarray  # index into the pairs given
    worker: np.ndarray
    line: np.ndarray
    programme: np.ndarray
    p_complete: np.ndarray
    p_hired: np.ndarray
    p_success: np.ndarray
    value: np.ndarray  # p_success × the class's reach: what pathways are ranked by
    start: np.ndarray  # the class's first day
    end: np.ndarray  # … and last day
    cost: np.ndarray
    days: np.ndarray
    travel_km: np.ndarray  # from the worker's home to the class's site

    def __len__(self) -> int:
        return len(self.pair)


def gaps(X: np.ndarray) -> dict[str, np.ndarray]:
    """Which gaps each pair has, from its pair features."""
    return {
        "certificate": X[:, _F["missing_certificates"]] > 0,
        "level": X[:, _F["level_gap"]] > 0,
        "occupation": X[:, _F["occ_dist_best"]] > NEAR,
    }


def standing(city: City, worker: np.ndarray, occ: np.ndarray, day: int) -> tuple[np.ndarray, ...]:
    """For each worker (rows, axis 0) against each occupation (ids, axis 1), on `day`: the highest level
    rank held in the same or a related occupation (same 小类), whole years since it was issued, and whole
    years worked in the same or a related occupation — what the entry conditions of a level read."""
    small = occupation_prefixes()[:, 2]
    target = small[np.asarray(occ)][None, :]
    cr = city.credentials
    q, k = cr.expand(worker)
    valid = (cr["date"][k] < day) & (cr["rank"][k] > 0) & (cr["occ"][k] >= 0)
    q, k = q[valid], k[valid]
    match = small[cr["occ"][k]][:, None] == target
    rank = np.where(match, cr["rank"][k][:, None], 0)
    n = len(worker)
    held = group_reduce(np.maximum, q, rank, n, 0)
    # the date of the best certificate: the earliest issued among those at the highest rank
    best = match & (rank == held[q])
    issued = group_reduce(np.minimum, q, np.where(best, cr["date"][k][:, None], NEVER), n, NEVER)
    since = np.zeros(held.shape, np.int64)
    some = held > 0
    since[some] = years_between(np.minimum(issued[some], day), np.full(int(some.sum()), day))
    sp = city.workers.spells
    q, k = sp.expand(worker)
    begun = sp["start"][k] < day
    q, k = q[begun], k[begun]
    worked = (np.minimum(sp["end"][k], day) - sp["start"][k]).astype(np.float64)
    in_trade = small[sp["occ"][k]][:, None] == target
    days = group_reduce(np.add, q, np.where(in_trade, worked[:, None], 0.0), n, 0.0)
    return held, since, np.floor(days / DAYS_PER_YEAR).astype(np.int64)


def closing_programmes(
    city: City, worker: np.ndarray, line: np.ndarray, X: np.ndarray, as_of: int
) -> tuple[np.ndarray, np.ndarray]:
    """(pair index, programme row) for every class that closes every gap of a pair (see module doc).

    Computed as one (gap pairs × available classes) boolean matrix.
    """
    g = gaps(X)
    has_gap = g["certificate"] | g["level"] | g["occupation"]
    missing = X[:, _F["missing_certificates"]]
    pairs = np.flatnonzero(has_gap & (missing <= 1))
    progs = available_programmes(city, as_of)
    if not len(pairs) or not len(progs):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    ln, pr, w_all = city.lines, city.programmes, city.workers
    w, lrow = worker[pairs], line[pairs]
    same_occ = pr.occ[progs][None, :] == ln.occ[lrow][:, None]
    so = pr.so[progs]
    held = held_items(city, w, as_of)[:, np.maximum(so, 0)] > 0
    awards_missing = city.required_dense[lrow[:, None], so[None, :]] & ~held
    at_level = pr.rank[progs][None, :] >= ln.rank[lrow][:, None]
    ok_cert = ~g["certificate"][pairs][:, None] | awards_missing
    ok_level = ~g["level"][pairs][:, None] | (same_occ & at_level)
    ok_occ = ~g["occupation"][pairs][:, None] | (same_occ & at_level)
    in_time = pr.end[progs][None, :] < ln.end[lrow][:, None]
    mode = pr.mode[progs]
    staff_only = np.isin(mode, (*STAFF_MODES, TrainingMode.order_based)) | (
        pr.institution_kind[progs] == ENTERPRISE_CENTRE
    )
    own_line = pr.enterprise_id[progs][None, :] == ln.enterprise_id[lrow][:, None]
    ok_staff = ~staff_only[None, :] | (own_line & ~np.isin(mode, CURRENT_STAFF_MODES)[None, :])
    ok = ok_cert & ok_level & ok_occ & in_time & ok_staff
    i, j = np.nonzero(ok)
    if not len(i):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    # who may take the class and then the job: the law, and the entry conditions of the class's level
    wi, pj = w[i], progs[j]
    sex, birth = w_all.sex[wi], w_all.birth[wi]
    lawful = ~labour.barred(sex, birth, pr.start[pj], pr.hazards[pj], pr.cadre[pj])
    lawful &= ~labour.barred(sex, birth, pr.end[pj] + 1, ln.hazards[lrow[i]], ln.cadre[lrow[i]])
    held_rank, since, years = standing(city, w, pr.occ[progs], as_of)
    may_enrol = skill_entry.entry_allowed(
        pr.rank[pj], held_rank[i, j], since[i, j], years[i, j], w_all.education[wi]
    )
    keep = lawful & may_enrol
    return pairs[i[keep]], pj[keep]


def find_pathways(
    model: MatchModel, space: FeatureSpace, worker: np.ndarray, line: np.ndarray, X: np.ndarray, as_of: int
) -> Pathways:
    """The best pathway (highest value, then cheapest) for each pair that has one (see the module doc).

    `X` holds the pairs' features on `as_of`. A pathway is scored on the day after its class ends.
    """
    city = space.city
    pr, w_all = city.programmes, city.workers
    pair, prog = closing_programmes(city, worker, line, X, as_of)
    w, ln = worker[pair], line[pair]
    start, end = pr.start[prog], pr.end[prog]
    p_complete = model.complete_probability(city, w, prog, start)
    p_hired = model.score(space, w, ln, end + 1, prog, assume_completed=True)
    p_success = p_complete * p_hired
    travel = haversine_km(w_all.lon[w], w_all.lat[w], pr.lon[prog], pr.lat[prog])
    value = p_success * reach(travel, w_all.county[w] == pr.county[prog])
    order = np.lexsort((pr.cost[prog], -value, pair))
    first = order[np.r_[True, pair[order][1:] != pair[order][:-1]]] if len(order) else order
    return Pathways(
        pair=pair[first],
        worker=w[first],
        line=ln[first],
        programme=prog[first],
        p_complete=p_complete[first],
        p_hired=p_hired[first],
        p_success=p_success[first],
        value=value[first],
        start=start[first],
        end=end[first],
        cost=pr.cost[prog][first],
        days=pr.days[prog][first],
        travel_km=travel[first],
    )
