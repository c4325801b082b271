"""The learned scorer: P(hired and still employed six months on) for a (worker, line) pair.

Pair features are computed for whole arrays of pairs at once. The worker is taken as they stood on the
pair's day (the referral date in history, the matching day for the open ledger): only credentials dated
before it, work spells begun before it, their age on it. A pair may carry a programme: in history the
training the referral followed (its enrolment), for a pathway the programme proposed — then, with
`assume_completed`, the worker is scored as if they held that programme's certificate.

The worker's sex is deliberately not a feature: the Employment Promotion Law (第二十七条) forbids using it
to decide hiring, and a model that ranks on it would reproduce the discrimination it finds in history.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import InitVar, dataclass, field

import numpy as np
from joblib import Parallel, delayed
from scipy import sparse
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator

from matcher.domain import (
    EDUCATION_RANK,
    INDUSTRIES,
    CertificateType,
    Education,
    InstitutionKind,
    TrainingMode,
)
from matcher.model.codes import GROUPS, occupation_distances, occupation_major_groups
from matcher.model.dates import NEVER, year_of, years_between
from matcher.model.features import ProfileVectorizer, line_profiles, worker_profiles
from matcher.model.geometry import haversine_km
from matcher.model.ragged import Ragged
from matcher.model.snapshot import City
from matcher.model.threads import one_native_thread

NO_OCC = 5
"""Occupation distance when there is nothing to compare with (no intention, credential or spell)."""
NEAR = 1
"""Occupations within this tree distance (same 小类) count as the same trade for levels and experience."""

P_FLOOR, P_CEILING = 0.01, 0.99
"""The bounds of a stated probability: calibration on a few thousand people cannot support more."""

SIZES = {"micro": 0, "small": 1, "medium": 2, "large": 3}
PROFESSIONAL_GROUP = 2
"""大类 2, 专业技术人员: posts that in practice need a college education."""
COLLEGE = EDUCATION_RANK[Education.junior_college]
INDUSTRY_CODES = {k: i for i, k in enumerate(INDUSTRIES)}

FEATURES: tuple[str, ...] = (
    "occ_dist_intent",
    "occ_dist_credential",
    "occ_dist_history",
    "occ_dist_best",
    "intent_order",
    "rank_same",
    "rank_near",
    "rank_any",
    "required_rank",
    "level_gap",
    "n_required",
    "missing_certificates",
    "years_near",
    "years_any",
    "employed_on_day",
    "distance_km",
    "same_county",
    "line_in_qujing",
    "line_outside_province",
    "willing_outside",
    "line_in_intended_region",
    "wage_ratio_max",
    "wage_ratio_mid",
    "wage_ratio_min",
    "log_wage_max",
    "below_min_wage",
    "age",
    "education",
    "professional_gap",
    "hukou_rural",
    "pension",
    "registered_unemployed",
    "months_unemployed",
    *(f"group_{g}" for g in GROUPS),
    "n_groups",
    "trained",
    "trained_occ_dist",
    "trained_rank",
    "trained_awards_required",
    "completed_training_dist",
    "text_cosine",
    "space_similarity",
    "log_headcount",
    "order_training",
    "line_major_group",
    "line_industry",
    "enterprise_size",
    "high_risk",
    "line_days",
    "days_since_line_start",
    "prior_trainings",
)
CATEGORICAL = ("line_major_group", "line_industry")
_COL = {name: i for i, name in enumerate(FEATURES)}


def _segment_reduce(ufunc: np.ufunc, values: np.ndarray, counts: np.ndarray, fill: float) -> np.ndarray:
    """Reduce contiguous segments (`counts` per query, in query order); `fill` for empty segments."""
    out = np.full(len(counts), fill, dtype=np.float64)
    nz = counts > 0
    if values.size and nz.any():
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))[nz]
        out[nz] = ufunc.reduceat(values.astype(np.float64), starts)
    return out


def _counts(r: Ragged, owners: np.ndarray) -> np.ndarray:
    return r.offsets[owners + 1] - r.offsets[owners]


@dataclass
class FeatureSpace:
    """A fitted vectorizer bound to a city: the city's line vectors computed once."""

    city: City
    vectorizer: ProfileVectorizer
    known_line_vectors: InitVar[sparse.csr_matrix | None] = None  # a later state of the same store's
    line_vectors: sparse.csr_matrix = field(init=False)
    weights: np.ndarray = field(init=False)
    text_mask: np.ndarray = field(init=False)
    line_industry: np.ndarray = field(init=False)  # GB/T 4754 section as a category code, -1 unknown
    line_size: np.ndarray = field(init=False)  # enterprise size 0 micro … 3 large, -1 unknown
    known_workers: tuple[np.ndarray, sparse.csr_matrix] | None = field(init=False, default=None)
    # (rows, vectors): workers already vectorized as they stand on the city's day (`knowing`)

    def __post_init__(self, known_line_vectors: sparse.csr_matrix | None) -> None:
        ln = self.city.lines
        self.line_industry = np.array([INDUSTRY_CODES.get(v, -1) for v in ln.industry.tolist()], np.float32)
        self.line_size = np.array([SIZES.get(v, -1) for v in ln.size.tolist()], np.float32)
        self.line_vectors = (
            known_line_vectors
            if known_line_vectors is not None
            else self.vectorizer.transform(line_profiles(self.city)).tocsr()
        )
        self.weights = self.vectorizer.column_weights()
        self.text_mask = np.zeros(self.vectorizer.n_features_out_, np.float32)
        self.text_mask[self.vectorizer.blocks_["text"]] = 1.0

    def knowing(self, rows: np.ndarray, vectors: sparse.csr_matrix) -> FeatureSpace:
        """This space, knowing the vectors of the workers `rows` as they stand on the city's day (one row
        each, as `worker_states` computes them): `similarities` takes them instead of vectorizing again."""
        out = copy.copy(self)
        out.known_workers = (np.asarray(rows, dtype=np.int64), vectors)
        return out

    def _state(self, worker: np.ndarray, day: np.ndarray) -> np.ndarray:
        """(worker, credentials so far, spells so far) of each query: what a worker's profile depends on."""
        return np.stack(
            [
                worker,
                _count_before(self.city.credentials, "date", worker, day),
                _count_before(self.city.workers.spells, "start", worker, day),
            ],
            axis=1,
        )

    def _worker_vectors(self, state: np.ndarray, day: np.ndarray) -> sparse.csr_matrix:
        """The vector of each distinct worker state (`_state`, first seen on `day`), known ones reused."""
        if self.known_workers is None:
            return self.vectorizer.transform(worker_profiles(self.city, state[:, 0], day))
        rows, vectors = self.known_workers
        order = np.argsort(rows, kind="stable")
        at = np.minimum(np.searchsorted(rows[order], state[:, 0]), max(len(rows) - 1, 0))
        known = order[at] if len(rows) else np.zeros(len(state), np.int64)
        hit = np.zeros(len(state), bool)
        if len(rows):
            on_day = np.full(len(state), self.city.as_of, np.int64)
            hit = (rows[known] == state[:, 0]) & (self._state(state[:, 0], on_day) == state).all(axis=1)
        miss = np.flatnonzero(~hit)
        fresh = self.vectorizer.transform(worker_profiles(self.city, state[miss, 0], day[miss]))
        source = np.where(hit, known, 0)
        source[miss] = vectors.shape[0] + np.arange(len(miss))
        return sparse.vstack([vectors, fresh], format="csr")[source]

    def similarities(
        self, worker: np.ndarray, line: np.ndarray, day: np.ndarray, chunk: int = 100_000
    ) -> tuple[np.ndarray, np.ndarray]:
        """Text cosine and retrieval similarity of each pair, the worker vectorized as on the pair's day.

        A worker's profile changes only when a credential or a work spell begins, so pairs are grouped
        by (worker, credentials so far, spells so far) and each group is vectorized once, or taken from
        the workers the space knows (`knowing`) when they stand then as on the city's day.
        """
        worker = np.asarray(worker, dtype=np.int64)
        day = np.broadcast_to(np.asarray(day, dtype=np.int64), worker.shape)
        uniq, first, inv = np.unique(self._state(worker, day), axis=0, return_index=True, return_inverse=True)
        wv = self._worker_vectors(uniq, day[first])
        inv = inv.ravel()
        text, space = np.empty(len(worker), np.float32), np.empty(len(worker), np.float32)
        for s in range(0, len(worker), chunk):
            prod = wv[inv[s : s + chunk]].multiply(self.line_vectors[line[s : s + chunk]]).tocsr()
            text[s : s + chunk] = np.asarray(prod @ self.text_mask).ravel()
            space[s : s + chunk] = np.asarray(prod @ self.weights).ravel()
        return text, space


def _count_before(r: Ragged, column: str, owners: np.ndarray, day: np.ndarray) -> np.ndarray:
    """How many of each owner's records have `column` before the query's day."""
    q, k = r.expand(owners)
    return np.bincount(q[r[column][k] < day[q]], minlength=len(owners))


Columns = dict[str, np.ndarray]
"""Feature columns by name, as one group of `pair_features` computes them."""


@dataclass(frozen=True)
class _Pairs:
    """The pairs being featurized, with what several feature groups read."""

    space: FeatureSpace
    worker: np.ndarray
    line: np.ndarray
    day: np.ndarray
    assume_completed: bool
    similarity: tuple[np.ndarray, np.ndarray] | None
    line_occ: np.ndarray
    major: np.ndarray  # the line's occupation 大类
    has_prog: np.ndarray
    p_dist: np.ndarray  # the programme's occupation distance to the line (NO_OCC without one)
    p_rank: np.ndarray
    p_so: np.ndarray
    p_awards: np.ndarray  # the programme awards a special-operation item the line requires

    @property
    def city(self) -> City:
        return self.space.city


def _pairs(
    space: FeatureSpace,
    worker: np.ndarray,
    line: np.ndarray,
    day: np.ndarray,
    programme: np.ndarray | None,
    assume_completed: bool,
    similarity: tuple[np.ndarray, np.ndarray] | None,
) -> _Pairs:
    city = space.city
    pr = city.programmes
    worker = np.asarray(worker, dtype=np.int64)
    line = np.asarray(line, dtype=np.int64)
    day = np.broadcast_to(np.asarray(day, dtype=np.int64), worker.shape).copy()
    prog = np.full(len(worker), -1, np.int64) if programme is None else np.asarray(programme, dtype=np.int64)
    line_occ = city.lines.occ[line]
    has_prog = prog >= 0
    some = np.maximum(prog, 0)
    p_so = np.where(has_prog, pr.so[some], -1)
    return _Pairs(
        space=space,
        worker=worker,
        line=line,
        day=day,
        assume_completed=assume_completed,
        similarity=similarity,
        line_occ=line_occ,
        major=occupation_major_groups()[line_occ],
        has_prog=has_prog,
        p_dist=np.where(has_prog, occupation_distances(pr.occ[some], line_occ), NO_OCC),
        p_rank=np.where(has_prog, pr.rank[some], 0),
        p_so=p_so,
        p_awards=has_prog & (p_so >= 0) & _required(city, line, p_so),
    )


def _intentions(p: _Pairs) -> Columns:
    """The closest intended occupation and its place in the worker's list."""
    io = p.city.workers.intent_occ
    q, k = io.expand(p.worker)
    cnt = _counts(io, p.worker)
    d = occupation_distances(io["occ"][k], p.line_occ[q])
    d_intent = _segment_reduce(np.minimum, d, cnt, NO_OCC)
    best_order = np.where(d == d_intent[q], io["order"][k], 99)
    return {
        "occ_dist_intent": d_intent,
        "intent_order": np.where(cnt > 0, _segment_reduce(np.minimum, best_order, cnt, 99), np.nan),
    }


def _credentials(p: _Pairs) -> Columns:
    """Credentials dated before the day (plus, for a pathway, the programme's certificate)."""
    city, worker, line, day = p.city, p.worker, p.line, p.day
    cr = city.credentials
    q, k = cr.expand(worker)
    cnt = _counts(cr, worker)
    valid = cr["date"][k] < day[q]
    d = np.where(valid, occupation_distances(cr["occ"][k], p.line_occ[q]), NO_OCC)
    d_cred = _segment_reduce(np.minimum, d, cnt, NO_OCC)
    rank = np.where(valid, cr["rank"][k], 0)
    rank_same = _segment_reduce(np.maximum, np.where(d == 0, rank, 0), cnt, 0)
    rank_near = _segment_reduce(np.maximum, np.where(d <= NEAR, rank, 0), cnt, 0)
    rank_any = _segment_reduce(np.maximum, rank, cnt, 0)
    so = cr["so"][k]
    held_required = valid & (so >= 0) & _required(city, line[q], so)
    # Items held twice count once: mark each (pair, item) the first time it appears.
    n_items = city.required_dense.shape[1]
    pair_item = q * n_items + np.where(held_required, so, n_items - 1)
    first = np.zeros(len(q), bool)
    if len(q):
        _, idx = np.unique(pair_item, return_index=True)
        first[idx] = True
    covered = np.bincount(q[held_required & first], minlength=len(worker))
    n_required = np.diff(city.lines.required.indptr)[line]
    if p.assume_completed:
        d_cred = np.minimum(d_cred, p.p_dist)
        rank_same = np.maximum(rank_same, np.where(p.p_dist == 0, p.p_rank, 0))
        rank_near = np.maximum(rank_near, np.where(p.p_dist <= NEAR, p.p_rank, 0))
        rank_any = np.maximum(rank_any, p.p_rank)
        covered = covered + (p.p_awards & ~_holds(city, worker, day, p.p_so))
    required_rank = city.lines.rank[line]
    return {
        "occ_dist_credential": d_cred,
        "rank_same": rank_same,
        "rank_near": rank_near,
        "rank_any": rank_any,
        "required_rank": required_rank,
        "level_gap": np.maximum(required_rank - rank_near, 0),
        "n_required": n_required,
        "missing_certificates": n_required - covered,
    }


def _experience(p: _Pairs) -> Columns:
    """Work spells begun before the day: closeness, years in the trade, in work on the day."""
    sp = p.city.workers.spells
    q, k = sp.expand(p.worker)
    cnt = _counts(sp, p.worker)
    day = p.day[q]
    began = sp["start"][k] < day
    d = np.where(began, occupation_distances(sp["occ"][k], p.line_occ[q]), NO_OCC)
    years = np.where(began, (np.minimum(sp["end"][k], day) - sp["start"][k]) / 365.25, 0.0)
    running = began & (sp["end"][k] >= day)
    return {
        "occ_dist_history": _segment_reduce(np.minimum, d, cnt, NO_OCC),
        "years_near": _segment_reduce(np.add, np.where(d <= NEAR, years, 0.0), cnt, 0.0),
        "years_any": _segment_reduce(np.add, years, cnt, 0.0),
        "employed_on_day": _segment_reduce(np.maximum, running.astype(np.float64), cnt, 0.0),
    }


def _place(p: _Pairs) -> Columns:
    """Distance, county, outbound, and whether the line lies in a region the worker asked for."""
    w, ln, worker, line = p.city.workers, p.city.lines, p.worker, p.line
    return {
        "distance_km": haversine_km(w.lon[worker], w.lat[worker], ln.lon[line], ln.lat[line]),
        "same_county": w.county[worker] == ln.county[line],
        "line_in_qujing": ln.in_qujing[line],
        "line_outside_province": ln.province[line] != w.province[worker],
        "willing_outside": w.outside_province[worker],
        "line_in_intended_region": _in_intended(p.city, worker, line),
    }


def _wage(p: _Pairs) -> Columns:
    """The line's wage against the worker's minimum (unknown when they named none)."""
    ln, line = p.city.lines, p.line
    min_wage = p.city.workers.min_wage[p.worker].astype(np.float64)
    known = min_wage > 0
    divisor = np.where(known, min_wage, 1.0)
    return {
        "wage_ratio_max": np.where(known, ln.wage_max[line] / divisor, np.nan),
        "wage_ratio_mid": np.where(known, (ln.wage_min[line] + ln.wage_max[line]) / 2 / divisor, np.nan),
        "wage_ratio_min": np.where(known, ln.wage_min[line] / divisor, np.nan),
        "log_wage_max": np.log(np.maximum(ln.wage_max[line], 1)),
        "below_min_wage": ln.wage_max[line] < min_wage,
    }


def _person(p: _Pairs) -> Columns:
    """The person on the day: age, education, household, unemployment, priority groups."""
    w, worker, day = p.city.workers, p.worker, p.day
    since = w.unemployed_since[worker]
    registered = (since != NEVER) & (since <= day)
    groups = w.groups[worker].toarray()
    return {
        "age": years_between(w.birth[worker], day),
        "education": w.education[worker],
        "professional_gap": (p.major == PROFESSIONAL_GROUP) & (w.education[worker] < COLLEGE),
        "hukou_rural": w.hukou_rural[worker],
        "pension": w.pension[worker],
        "registered_unemployed": registered,
        "months_unemployed": np.where(registered, (day - since) / 30.44, 0.0),
        **{f"group_{g}": groups[:, j] for j, g in enumerate(GROUPS)},
        "n_groups": groups.sum(axis=1),
    }


def _training(p: _Pairs) -> Columns:
    """The training followed (history) or proposed (pathway), and the trainings completed before."""
    tr, pr = p.city.trainings, p.city.programmes
    q, k = tr.expand(p.worker)
    done = tr["completed"][k] & (tr["end"][k] < p.day[q])
    d = np.where(done, occupation_distances(pr.occ[tr["programme"][k]], p.line_occ[q]), NO_OCC)
    d_done = _segment_reduce(np.minimum, d, _counts(tr, p.worker), NO_OCC)
    return {
        "trained": p.has_prog,
        "trained_occ_dist": p.p_dist,
        "trained_rank": p.p_rank,
        "trained_awards_required": p.p_awards,
        "completed_training_dist": np.minimum(d_done, p.p_dist) if p.assume_completed else d_done,
    }


def _text(p: _Pairs) -> Columns:
    """How close the two profiles' texts and vectors are."""
    text, sim = p.space.similarities(p.worker, p.line, p.day) if p.similarity is None else p.similarity
    return {"text_cosine": text, "space_similarity": sim}


def _line(p: _Pairs) -> Columns:
    """The line and its enterprise, and the worker's subsidised trainings before the line's year."""
    ln, line, space = p.city.lines, p.line, p.space
    pt = p.city.workers.prior
    q, k = pt.expand(p.worker)
    before = pt["year"][k] < year_of(p.day[q])
    return {
        "log_headcount": np.log(ln.headcount[line]),
        "order_training": ln.order_training[line],
        "line_major_group": p.major,
        "line_industry": space.line_industry[line],
        "enterprise_size": space.line_size[line],
        "high_risk": ln.high_risk[line],
        "line_days": ln.end[line] - ln.start[line],
        "days_since_line_start": p.day - ln.start[line],
        "prior_trainings": np.bincount(q[before], minlength=len(p.worker)),
    }


FEATURE_GROUPS: tuple[Callable[[_Pairs], Columns], ...] = (
    _intentions,
    _credentials,
    _experience,
    _place,
    _wage,
    _person,
    _training,
    _text,
    _line,
)
"""The functions that compute the feature columns; each names the columns it fills."""
BEST_OF = ("occ_dist_intent", "occ_dist_credential", "occ_dist_history")
"""`occ_dist_best` is the closest of these."""


def pair_features(
    space: FeatureSpace,
    worker: np.ndarray,
    line: np.ndarray,
    day: np.ndarray,
    programme: np.ndarray | None = None,
    assume_completed: bool = False,
    similarity: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """(pairs × FEATURES) float32 matrix; NaN where a value is unknown (no minimum wage, no intention).

    `programme` (line-aligned, -1 none) marks the training the pair follows; with `assume_completed`
    its certificate counts as held. `similarity` may pass (text cosine, retrieval similarity) already
    computed by retrieval for the same day. Every column is filled by exactly one group of
    `FEATURE_GROUPS` (or is `occ_dist_best`); a column no group fills, or one filled twice, is an error.
    """
    pairs = _pairs(space, worker, line, day, programme, assume_completed, similarity)
    X = np.empty((len(pairs.worker), len(FEATURES)), dtype=np.float32)
    filled = {"occ_dist_best"}
    for group in FEATURE_GROUPS:
        for name, values in group(pairs).items():
            if name in filled or name not in _COL:
                raise ValueError(f"feature {name!r} of {group.__name__} is filled twice or not in FEATURES")
            X[:, _COL[name]] = values
            filled.add(name)
    if len(filled) != len(FEATURES):
        raise ValueError(f"features no group fills: {', '.join(sorted(set(FEATURES) - filled))}")
    X[:, _COL["occ_dist_best"]] = X[:, [_COL[name] for name in BEST_OF]].min(axis=1)
    return X


def _required(city: City, line: np.ndarray, so: np.ndarray) -> np.ndarray:
    """Whether line `line[i]` requires special-operation item `so[i]` (False for -1)."""
    return city.required_dense[line, so]


def _holds(city: City, worker: np.ndarray, day: np.ndarray, so: np.ndarray) -> np.ndarray:
    """Whether each worker holds item `so[i]` (a credential dated before `day[i]`)."""
    cr = city.credentials
    q, k = cr.expand(worker)
    hit = (cr["so"][k] == so[q]) & (so[q] >= 0) & (cr["date"][k] < day[q])
    return np.bincount(q[hit], minlength=len(worker)) > 0


def _in_intended(city: City, worker: np.ndarray, line: np.ndarray) -> np.ndarray:
    """Whether the line's work region lies inside one of the regions the worker intends to work in."""
    ir = city.workers.intent_region
    q, k = ir.expand(worker)
    rid = city.intent_region_id[k]
    hit = (rid >= 0) & (city.line_chain[line[q]] == rid[:, None]).any(axis=1)
    return np.bincount(q[hit], minlength=len(worker)) > 0


def make_classifier(random_state: int = 0) -> HistGradientBoostingClassifier:
    """The gradient-boosted trees behind the scorer (occupation group and industry as categories).

    Small trees and a brisk learning rate: on the 60,000-worker city's held-out year they rank as well
    as 31-leaf trees at 0.1 (NDCG@10 0.780 against 0.779) with half the trees, and scoring millions of
    candidate pairs is mostly walking trees.
    """
    return HistGradientBoostingClassifier(
        learning_rate=0.2,
        max_iter=300,
        max_leaf_nodes=15,
        min_samples_leaf=40,
        l2_regularization=1.0,
        categorical_features=[FEATURES.index(c) for c in CATEGORICAL],
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=25,
        random_state=random_state,
    )


def fit_calibrated(
    X: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    classifier: HistGradientBoostingClassifier,
    method: str = "isotonic",
    random_state: int = 0,
    calibration_share: float = 0.2,
) -> CalibratedClassifierCV:
    """`classifier` fitted on most people, its probabilities calibrated (`method`) on the rest.

    Splitting by person (`groups`) keeps someone's records on one side, so calibration sees people the
    trees never saw — as the model will in use.
    """
    if len(np.unique(y)) < 2:
        raise ValueError("the training records need both outcomes (some positive, some negative)")
    # A column with no value at all breaks the trees' binning; it carries nothing to learn from either.
    X = np.where(np.isnan(X).all(axis=0)[None, :], 0.0, X).astype(np.float32)
    rng = np.random.default_rng(random_state)
    people = np.unique(groups)
    held = np.isin(
        groups, rng.choice(people, size=max(1, int(len(people) * calibration_share)), replace=False)
    )
    trees = classifier.fit(X[~held], y[~held])
    return CalibratedClassifierCV(FrozenEstimator(trees), method=method).fit(X[held], y[held])


# --- completing a training ----------------------------------------------------------------------

# The saved models code these vocabularies by position: new values go at the end of their enum.
MODES: tuple[str, ...] = tuple(TrainingMode)
CERTIFICATE_KINDS: tuple[str, ...] = tuple(CertificateType)
INSTITUTION_KINDS: tuple[str, ...] = tuple(InstitutionKind)

COMPLETION_FEATURES: tuple[str, ...] = (
    "mode",
    "certificate",
    "institution_kind",
    "tendered",
    "days",
    "log_cost",
    "subsidy_share",
    "target_rank",
    "special_operation",
    "age",
    "education",
    "n_groups",
    "registered_unemployed",
    "employed_on_day",
    "distance_km",
    "same_county",
    "occ_dist_intent",
    "prior_trainings",
)
COMPLETION_CATEGORICAL = ("mode", "certificate", "institution_kind")


def _codes(values: np.ndarray, vocabulary: tuple[str, ...]) -> np.ndarray:
    index = {v: i for i, v in enumerate(vocabulary)}
    return np.array([index.get(v, -1) for v in values.tolist()], np.float32)


def completion_features(city: City, worker: np.ndarray, programme: np.ndarray, day: np.ndarray) -> np.ndarray:
    """(enrolments × COMPLETION_FEATURES): the programme and the worker as they stood on its first day."""
    w, pr = city.workers, city.programmes
    worker = np.asarray(worker, dtype=np.int64)
    programme = np.asarray(programme, dtype=np.int64)
    day = np.broadcast_to(np.asarray(day, dtype=np.int64), worker.shape).copy()
    n = len(worker)
    X = np.zeros((n, len(COMPLETION_FEATURES)), np.float32)
    col = {name: i for i, name in enumerate(COMPLETION_FEATURES)}
    X[:, col["mode"]] = _codes(pr.mode, MODES)[programme]
    X[:, col["certificate"]] = _codes(pr.certificate, CERTIFICATE_KINDS)[programme]
    X[:, col["institution_kind"]] = _codes(pr.institution_kind, INSTITUTION_KINDS)[programme]
    X[:, col["tendered"]] = pr.tendered[programme]
    X[:, col["days"]] = pr.days[programme]
    X[:, col["log_cost"]] = np.log1p(pr.cost[programme])
    X[:, col["subsidy_share"]] = pr.subsidy[programme] / np.maximum(pr.cost[programme], 1)
    X[:, col["target_rank"]] = pr.rank[programme]
    X[:, col["special_operation"]] = pr.so[programme] >= 0
    X[:, col["age"]] = years_between(w.birth[worker], day)
    X[:, col["education"]] = w.education[worker]
    X[:, col["n_groups"]] = np.asarray(w.groups[worker].sum(axis=1)).ravel()
    since = w.unemployed_since[worker]
    X[:, col["registered_unemployed"]] = (since != NEVER) & (since <= day)
    sp = w.spells
    q, k = sp.expand(worker)
    running = (sp["start"][k] < day[q]) & (sp["end"][k] >= day[q])
    X[:, col["employed_on_day"]] = np.bincount(q[running], minlength=n) > 0
    X[:, col["distance_km"]] = haversine_km(
        w.lon[worker], w.lat[worker], pr.lon[programme], pr.lat[programme]
    )
    X[:, col["same_county"]] = w.county[worker] == pr.county[programme]
    io = w.intent_occ
    q, k = io.expand(worker)
    d = occupation_distances(io["occ"][k], pr.occ[programme][q])
    X[:, col["occ_dist_intent"]] = _segment_reduce(np.minimum, d, _counts(io, worker), NO_OCC)
    pt = w.prior
    q, k = pt.expand(worker)
    X[:, col["prior_trainings"]] = np.bincount(q[pt["year"][k] < year_of(day[q])], minlength=n)
    return X


def make_completion_classifier(random_state: int = 0) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        learning_rate=0.08,
        max_iter=150,
        max_leaf_nodes=15,
        min_samples_leaf=40,
        l2_regularization=1.0,
        categorical_features=[COMPLETION_FEATURES.index(c) for c in COMPLETION_CATEGORICAL],
        early_stopping=True,
        random_state=random_state,
    )


@dataclass
class MatchModel:
    """Everything the engine learnt: the feature space, P(hired and retained) and P(complete a training)."""

    vectorizer: ProfileVectorizer
    scorer: CalibratedClassifierCV
    completion: CalibratedClassifierCV
    features: tuple[str, ...] = FEATURES
    completion_features: tuple[str, ...] = COMPLETION_FEATURES

    def check(self) -> None:
        """Refuse a model built for other feature lists than this code computes."""
        if tuple(self.features) != FEATURES or tuple(self.completion_features) != COMPLETION_FEATURES:
            raise ValueError("the model was trained on other features than this version computes; retrain it")

    def space(self, city: City) -> FeatureSpace:
        return FeatureSpace(city, self.vectorizer)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """P(hired and still employed after six months) of pairs with features `X`, kept within
        [`P_FLOOR`, `P_CEILING`]: the model never claims certainty about a person."""
        if len(X) == 0:
            return np.zeros(0)
        return np.clip(self.scorer.predict_proba(X)[:, 1], P_FLOOR, P_CEILING)

    def score(
        self,
        space: FeatureSpace,
        worker: np.ndarray,
        line: np.ndarray,
        day: np.ndarray,
        programme: np.ndarray | None = None,
        assume_completed: bool = False,
        similarity: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> np.ndarray:
        """P(hired and still employed after six months) of each pair."""
        if len(worker) == 0:
            return np.zeros(0)
        return self.predict(pair_features(space, worker, line, day, programme, assume_completed, similarity))

    def complete_probability(
        self, city: City, worker: np.ndarray, programme: np.ndarray, day: np.ndarray
    ) -> np.ndarray:
        """P(the worker completes the programme) when starting it on `day`."""
        if len(worker) == 0:
            return np.zeros(0)
        return self.completion.predict_proba(completion_features(city, worker, programme, day))[:, 1]


def _score_part(
    model: MatchModel,
    space: FeatureSpace,
    worker: np.ndarray,
    line: np.ndarray,
    day: int,
    similarity: tuple[np.ndarray, np.ndarray] | None,
) -> np.ndarray:
    with one_native_thread():
        return model.score(space, worker, line, np.full(len(worker), day), similarity=similarity)


def score_pairs(
    model: MatchModel,
    space: FeatureSpace,
    worker: np.ndarray,
    line: np.ndarray,
    day: int,
    similarity: tuple[np.ndarray, np.ndarray] | None = None,
    batch_size: int = 100_000,
    n_jobs: int | None = None,
) -> np.ndarray:
    """P(hired and retained) for many pairs on `day`, batch by batch through `joblib.Parallel`.

    `similarity` may pass the pairs' (text cosine, retrieval similarity) as retrieval computed them.
    Batches are cut on worker boundaries when the pairs come grouped by worker (as retrieval returns
    them), so each batch vectorizes each of its workers once.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    worker, line = np.asarray(worker), np.asarray(line)
    cuts = [0]
    while cuts[-1] < len(worker):
        end = min(cuts[-1] + batch_size, len(worker))
        while 0 < end < len(worker) and worker[end] == worker[end - 1]:
            end += 1
        cuts.append(end)
    spans = list(zip(cuts[:-1], cuts[1:]))
    sims = [None if similarity is None else (similarity[0][a:b], similarity[1][a:b]) for a, b in spans]
    parts = Parallel(n_jobs=n_jobs)(
        delayed(_score_part)(model, space, worker[a:b], line[a:b], day, sim)
        for (a, b), sim in zip(spans, sims)
    )
    return np.concatenate(parts) if parts else np.zeros(0)
