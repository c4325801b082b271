"""Training pathways: worker → programme → job, for lines asking for what the worker lacks.

A pair has a GAP when the line requires a special-operation item the worker does not hold, a skill level
above the worker's in the line's trade (same 小类), or an occupation far from everything the worker asked
for, holds or did (no common 小类). A programme CLOSES the gap when:

- it awards the missing special-operation item (one programme awards one item, so a worker missing two
  items gets no single-programme pathway);
- for a level gap, it trains in the line's occupation or a neighbouring one (same 小类) to a target level
  at least the required one;
- for an occupation gap, it trains in the line's occupation or a neighbouring one;
- a class joined on the matching day finishes within the programme's catalogue validity and before
  the line closes (`candidates.class_dates`), the programme has seats, and — when it is an order-based
  class (订单培训) — it was ordered by the line's own enterprise; the worker is of working age when the
  class starts.

Each pathway carries its cost, days and the probability of success: P(complete the programme) ×
P(hired and retained on the line after it), the latter from the scorer with the programme's certificate
counted as held.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.model.candidates import AGE_MAX, AGE_MIN, available_programmes, class_dates, held_items
from matcher.model.scoring import FEATURES, NEAR, FeatureSpace, MatchModel
from matcher.model.snapshot import City, occupation_distances, years_between

_F = {name: i for i, name in enumerate(FEATURES)}


@dataclass
class Pathways:
    """One row per (worker, line) pair with a pathway: the best programme for it and its odds."""

    pair: np.ndarray  # index into the pairs given
    worker: np.ndarray
    line: np.ndarray
    programme: np.ndarray
    p_complete: np.ndarray
    p_hired: np.ndarray
    p_success: np.ndarray
    start: np.ndarray  # the class's first day
    end: np.ndarray  # … and last day
    cost: np.ndarray
    days: np.ndarray

    def __len__(self) -> int:
        return len(self.pair)


def gaps(X: np.ndarray) -> dict[str, np.ndarray]:
    """Which gaps each pair has, from its pair features."""
    return {
        "certificate": X[:, _F["missing_certificates"]] > 0,
        "level": X[:, _F["level_gap"]] > 0,
        "occupation": X[:, _F["occ_dist_best"]] > NEAR,
    }


def closing_programmes(
    city: City, worker: np.ndarray, line: np.ndarray, X: np.ndarray, as_of: int
) -> tuple[np.ndarray, np.ndarray]:
    """(pair index, programme row) for every programme that closes every gap of a pair (see module doc).

    Computed as one (gap pairs × available programmes) boolean matrix.
    """
    g = gaps(X)
    has_gap = g["certificate"] | g["level"] | g["occupation"]
    missing = X[:, _F["missing_certificates"]]
    pairs = np.flatnonzero(has_gap & (missing <= 1))
    progs = available_programmes(city, as_of)
    if not len(pairs) or not len(progs):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    ln, pr = city.lines, city.programmes
    w, lrow = worker[pairs], line[pairs]
    near = occupation_distances(pr.occ[progs][None, :], ln.occ[lrow][:, None]) <= NEAR
    so = pr.so[progs]
    held = held_items(city, w, as_of)[:, np.maximum(so, 0)] > 0
    awards_missing = city.required_dense[lrow[:, None], so[None, :]] & ~held
    ok_cert = ~g["certificate"][pairs][:, None] | awards_missing
    ok_level = ~g["level"][pairs][:, None] | (near & (pr.rank[progs][None, :] >= ln.rank[lrow][:, None]))
    ok_occ = ~g["occupation"][pairs][:, None] | near
    start, end = class_dates(city, progs, as_of)
    in_time = end[None, :] < ln.end[lrow][:, None]
    ordered = (pr.mode[progs] == "order_based")[None, :]
    ok_order = ~ordered | (pr.enterprise_id[progs][None, :] == ln.enterprise_id[lrow][:, None])
    age = years_between(city.workers.birth[w][:, None], start[None, :])
    ok_age = (age >= AGE_MIN) & (age < AGE_MAX)
    i, j = np.nonzero(ok_cert & ok_level & ok_occ & in_time & ok_order & ok_age)
    return pairs[i], progs[j]


def find_pathways(
    model: MatchModel, space: FeatureSpace, worker: np.ndarray, line: np.ndarray, X: np.ndarray, as_of: int
) -> Pathways:
    """The best pathway (highest P(success), then lowest cost) for each pair that has one.

    `X` holds the pairs' features on `as_of`. A pathway is scored on the day after its class ends.
    """
    city = space.city
    pr = city.programmes
    pair, prog = closing_programmes(city, worker, line, X, as_of)
    w, ln = worker[pair], line[pair]
    start, end = class_dates(city, prog, as_of)
    after = end + 1
    p_complete = model.complete_probability(city, w, prog, start)
    p_hired = model.score(space, w, ln, after, prog, assume_completed=True)
    p_success = p_complete * p_hired
    order = np.lexsort((pr.cost[prog], -p_success, pair))
    first = order[np.r_[True, pair[order][1:] != pair[order][:-1]]] if len(order) else order
    return Pathways(
        pair=pair[first],
        worker=w[first],
        line=ln[first],
        programme=prog[first],
        p_complete=p_complete[first],
        p_hired=p_hired[first],
        p_success=p_success[first],
        start=start[first],
        end=end[first],
        cost=pr.cost[prog][first],
        days=pr.days[prog][first],
    )
