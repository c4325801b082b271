"""Fitting the model on the city's history: the feature space, the scorer and the completion model.

The referrals of every year but the last train; the last year is held out for evaluation
(`matcher.model.evaluate`); `matcher.model.release` then refits on all years and saves the model.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from matcher.model.dates import year_of
from matcher.model.features import (
    TEXT_ANALYZER,
    ProfileVectorizer,
    line_profiles,
    programme_profiles,
    worker_profiles,
)
from matcher.model.scoring import (
    FeatureSpace,
    MatchModel,
    completion_features,
    fit_calibrated,
    make_classifier,
    make_completion_classifier,
    pair_features,
)
from matcher.model.snapshot import City, fingerprint_parts
from matcher.model.threads import one_native_thread

MIN_REFERRALS = 200
"""Fewer referrals than this in the training years cannot fit a model worth saving."""


@dataclass
class History:
    """Every referral of the city with what the model needs: pair, day, training followed, outcome, year."""

    worker: np.ndarray
    line: np.ndarray
    day: np.ndarray
    programme: np.ndarray  # the programme of the referral's enrolment, -1 none
    label: np.ndarray
    year: np.ndarray
    placement_id: np.ndarray

    def subset(self, mask: np.ndarray) -> History:
        return History(*(getattr(self, f)[mask] for f in History.__dataclass_fields__))

    def __len__(self) -> int:
        return len(self.worker)


def history(city: City) -> History:
    """Every referral of the city, with the programme of the training it followed (-1 none)."""
    p, e = city.placements, city.enrolments
    programme = np.where(p.enrolment >= 0, e.programme[np.maximum(p.enrolment, 0)] if len(e) else -1, -1)
    return History(
        p.worker, p.line, p.referred, programme.astype(np.int64), p.label, year_of(p.referred), p.id
    )


def holdout_year(city: City) -> int:
    """The last year with referrals: the year evaluation holds out."""
    if not len(city.placements):
        raise ValueError("the store holds no referrals (placements): there is no history to learn from")
    return int(year_of(city.placements.referred).max())


def fit_vectorizer(city: City, text_analyzer: str = TEXT_ANALYZER) -> ProfileVectorizer:
    """The shared feature space, fitted on every worker (as of the matching day), line and programme."""
    profiles = worker_profiles(city, np.arange(len(city.workers)), city.as_of)
    return ProfileVectorizer(text_analyzer).fit(profiles + line_profiles(city) + programme_profiles(city))


def fit_match_model(
    city: City, vectorizer: ProfileVectorizer, train: History, random_state: int = 0
) -> MatchModel:
    """Fit the scorer on the referrals `train` and the completion model on enrolments begun in their years."""
    if len(train) < MIN_REFERRALS:
        raise ValueError(f"only {len(train)} referrals to train on; at least {MIN_REFERRALS} are needed")
    X = pair_features(FeatureSpace(city, vectorizer), train.worker, train.line, train.day, train.programme)
    with one_native_thread():
        scorer = fit_calibrated(
            X, train.label, train.worker, make_classifier(random_state), "isotonic", random_state
        )
    e = city.enrolments
    years = set(np.unique(train.year).tolist())
    mask = np.isin(year_of(e.start), list(years)) if len(e) else np.zeros(0, bool)
    if mask.sum() < 50 or len(np.unique(e.completed[mask])) < 2:
        raise ValueError(
            f"only {int(mask.sum())} enrolments in {sorted(years)} (or all with one outcome): "
            "cannot learn how often trainings are completed"
        )
    Xc = completion_features(city, e.worker[mask], e.programme[mask], e.start[mask])
    # Enrolments are few next to referrals: a two-parameter sigmoid calibrates them without overfitting.
    with one_native_thread():
        completion = fit_calibrated(
            Xc,
            e.completed[mask],
            e.worker[mask],
            make_completion_classifier(random_state),
            "sigmoid",
            random_state,
        )
    return MatchModel(vectorizer, scorer, completion)


def data_fingerprint(city: City) -> dict[str, Any]:
    """Counts of the city and a hash of every referral's ids, date and outcome."""
    p = city.placements
    h = hashlib.sha256()
    for arr in (p.id, city.workers.id[p.worker], city.lines.id[p.line], p.referred, p.hired, p.retained):
        h.update(np.ascontiguousarray(arr).astype(np.int64).tobytes())
    parts = fingerprint_parts(city)
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True).encode() + h.digest()).hexdigest()
    return {"sha256": digest, "referrals_sha256": h.hexdigest(), **parts}
