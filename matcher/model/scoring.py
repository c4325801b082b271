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
from matcher.model.features import ProfileVectorizer, line_profiles, worker_profiles
from matcher.model.snapshot import (
    GROUPS,
    NEVER,
    City,
    Ragged,
    haversine_km,
    occupation_distances,
    occupation_major_groups,
    one_native_thread,
    year_of,
    years_between,
)

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

    def similarities(
        self, worker: np.ndarray, line: np.ndarray, day: np.ndarray, chunk: int = 100_000
    ) -> tuple[np.ndarray, np.ndarray]:
        """Text cosine and retrieval similarity of each pair, the worker vectorized as on the pair's day.

        A worker's profile changes only when a credential or a work spell begins, so pairs are grouped
        by (worker, credentials so far, spells so far) and each group is vectorized once.
        """
        worker = np.asarray(worker, dtype=np.int64)
        day = np.broadcast_to(np.asarray(day, dtype=np.int64), worker.shape)
        state = np.stack(
            [
                worker,
                _count_before(self.city.credentials, "date", worker, day),
                _count_before(self.city.workers.spells, "start", worker, day),
            ],
            axis=1,
        )
        uniq, first, inv = np.unique(state, axis=0, return_index=True, return_inverse=True)
        wv = self.vectorizer.transform(worker_profiles(self.city, uniq[:, 0], day[first]))
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
    computed by retrieval for the same day.
    """
    city = space.city
    w, ln, pr = city.workers, city.lines, city.programmes
    worker = np.asarray(worker, dtype=np.int64)
    line = np.asarray(line, dtype=np.int64)
    day = np.broadcast_to(np.asarray(day, dtype=np.int64), worker.shape).copy()
    n = len(worker)
    prog = np.full(n, -1, np.int64) if programme is None else np.asarray(programme, dtype=np.int64)
    X = np.full((n, len(FEATURES)), np.nan, dtype=np.float32)
    line_occ = ln.occ[line]

    def put(name: str, values: np.ndarray) -> None:
        X[:, _COL[name]] = values

    # Intentions: the closest intended occupation and its place in the worker's list.
    io = w.intent_occ
    q, k = io.expand(worker)
    cnt = _counts(io, worker)
    d = occupation_distances(io["occ"][k], line_occ[q])
    d_intent = _segment_reduce(np.minimum, d, cnt, NO_OCC)
    put("occ_dist_intent", d_intent)
    best_order = np.where(d == d_intent[q], io["order"][k], 99)
    put("intent_order", np.where(cnt > 0, _segment_reduce(np.minimum, best_order, cnt, 99), np.nan))

    # Credentials dated before the day (plus, for a pathway, the programme's certificate).
    cr = city.credentials
    q, k = cr.expand(worker)
    cnt = _counts(cr, worker)
    valid = cr["date"][k] < day[q]
    d = np.where(valid, occupation_distances(cr["occ"][k], line_occ[q]), NO_OCC)
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
    covered = np.bincount(q[held_required & first], minlength=n)
    n_required = np.diff(ln.required.indptr)[line]

    has_prog = prog >= 0
    p_dist = np.where(has_prog, occupation_distances(pr.occ[np.maximum(prog, 0)], line_occ), NO_OCC)
    p_rank = np.where(has_prog, pr.rank[np.maximum(prog, 0)], 0)
    p_so = np.where(has_prog, pr.so[np.maximum(prog, 0)], -1)
    p_awards = has_prog & (p_so >= 0) & _required(city, line, p_so)
    if assume_completed:
        d_cred = np.minimum(d_cred, p_dist)
        rank_same = np.maximum(rank_same, np.where(p_dist == 0, p_rank, 0))
        rank_near = np.maximum(rank_near, np.where(p_dist <= NEAR, p_rank, 0))
        rank_any = np.maximum(rank_any, p_rank)
        held_before = _holds(city, worker, day, p_so)
        covered = covered + (p_awards & ~held_before)
    put("occ_dist_credential", d_cred)
    put("rank_same", rank_same)
    put("rank_near", rank_near)
    put("rank_any", rank_any)
    put("required_rank", ln.rank[line])
    put("level_gap", np.maximum(ln.rank[line] - rank_near, 0))
    put("n_required", n_required)
    put("missing_certificates", n_required - covered)

    # Work spells begun before the day: closeness, years in the trade, in work on the day.
    sp = w.spells
    q, k = sp.expand(worker)
    cnt = _counts(sp, worker)
    began = sp["start"][k] < day[q]
    d = np.where(began, occupation_distances(sp["occ"][k], line_occ[q]), NO_OCC)
    d_hist = _segment_reduce(np.minimum, d, cnt, NO_OCC)
    years = np.where(began, (np.minimum(sp["end"][k], day[q]) - sp["start"][k]) / 365.25, 0.0)
    put("occ_dist_history", d_hist)
    put("years_near", _segment_reduce(np.add, np.where(d <= NEAR, years, 0.0), cnt, 0.0))
    put("years_any", _segment_reduce(np.add, years, cnt, 0.0))
    running = began & (sp["end"][k] >= day[q])
    put("employed_on_day", _segment_reduce(np.maximum, running.astype(np.float64), cnt, 0.0))
    put("occ_dist_best", np.minimum(np.minimum(d_intent, d_cred), d_hist))

    # Place: distance, county, outbound, and whether the line lies in a region the worker asked for.
    put("distance_km", haversine_km(w.lon[worker], w.lat[worker], ln.lon[line], ln.lat[line]))
    put("same_county", w.county[worker] == ln.county[line])
    put("line_in_qujing", ln.in_qujing[line])
    outside = ln.province[line] != w.province[worker]
    put("line_outside_province", outside)
    put("willing_outside", w.outside_province[worker])
    put("line_in_intended_region", _in_intended(city, worker, line))

    # Wage against the worker's minimum (unknown when they named none).
    min_wage = w.min_wage[worker].astype(np.float64)
    known = min_wage > 0
    put("wage_ratio_max", np.where(known, ln.wage_max[line] / np.where(known, min_wage, 1.0), np.nan))
    put(
        "wage_ratio_mid",
        np.where(known, (ln.wage_min[line] + ln.wage_max[line]) / 2 / np.where(known, min_wage, 1.0), np.nan),
    )
    put("wage_ratio_min", np.where(known, ln.wage_min[line] / np.where(known, min_wage, 1.0), np.nan))
    put("log_wage_max", np.log(np.maximum(ln.wage_max[line], 1)))
    put("below_min_wage", ln.wage_max[line] < min_wage)

    # The person on the day.
    put("age", years_between(w.birth[worker], day))
    put("education", w.education[worker])
    major = occupation_major_groups()[line_occ]
    put("professional_gap", (major == PROFESSIONAL_GROUP) & (w.education[worker] < COLLEGE))
    put("hukou_rural", w.hukou_rural[worker])
    put("pension", w.pension[worker])
    since = w.unemployed_since[worker]
    registered = (since != NEVER) & (since <= day)
    put("registered_unemployed", registered)
    put("months_unemployed", np.where(registered, (day - since) / 30.44, 0.0))
    groups = w.groups[worker].toarray()
    for j, g in enumerate(GROUPS):
        put(f"group_{g}", groups[:, j])
    put("n_groups", groups.sum(axis=1))

    # Training followed (history) or proposed (pathway).
    put("trained", has_prog)
    put("trained_occ_dist", p_dist)
    put("trained_rank", p_rank)
    put("trained_awards_required", p_awards)
    tr = city.trainings
    q, k = tr.expand(worker)
    done = tr["completed"][k] & (tr["end"][k] < day[q])
    d = np.where(done, occupation_distances(pr.occ[tr["programme"][k]], line_occ[q]), NO_OCC)
    d_done = _segment_reduce(np.minimum, d, _counts(tr, worker), NO_OCC)
    put("completed_training_dist", np.minimum(d_done, p_dist) if assume_completed else d_done)

    text, sim = space.similarities(worker, line, day) if similarity is None else similarity
    put("text_cosine", text)
    put("space_similarity", sim)

    # The line and its enterprise.
    put("log_headcount", np.log(ln.headcount[line]))
    put("order_training", ln.order_training[line])
    put("line_major_group", major)
    put("line_industry", space.line_industry[line])
    put("enterprise_size", space.line_size[line])
    put("high_risk", ln.high_risk[line])
    put("line_days", ln.end[line] - ln.start[line])
    put("days_since_line_start", day - ln.start[line])
    pt = w.prior
    q, k = pt.expand(worker)
    before = pt["year"][k] < year_of(day[q])
    put("prior_trainings", np.bincount(q[before], minlength=n))
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
