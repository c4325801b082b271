"""The learned scorer: features as of the referral date, calibrated probabilities, and a saved model that
refuses to load when its file does not match the manifest."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from matcher.config import PROJECT_DIR
from matcher.model.artifacts import ARTIFACT, MANIFEST, ArtifactError, load_model
from matcher.model.ragged import Ragged
from matcher.model.scoring import FEATURE_GROUPS, FEATURES, FeatureSpace, _pairs, pair_features, score_pairs
from matcher.model.snapshot import load_city
from matcher.model.training import data_fingerprint, history
from tests.test_model_city import small_city, small_models

CUTOFF = date(2020, 7, 1).toordinal()
SCORES = Path(__file__).parent / "fixtures" / "model" / "small_city_scores.json"
"""Pairs of the small city and the scores the model in models/ gave them, written before the feature code
was reorganised."""


@pytest.fixture(scope="module")
def trained(tmp_path_factory):  # type: ignore[no-untyped-def]
    url = small_city(tmp_path_factory)
    models = small_models(tmp_path_factory, url)
    model, manifest = load_model(models)
    return url, load_city(url), model, manifest, models


def _before(r: Ragged, column: str, cutoff: int) -> Ragged:
    keep = r[column] < cutoff
    owners = r.owner()[keep]
    return Ragged.build(
        len(r.offsets) - 1,
        owners,
        {k: v[keep] for k, v in r.columns.items()},
        {k: v.dtype for k, v in r.columns.items()},
    )


def test_features_see_only_what_was_known_on_the_referral_date(trained):  # type: ignore[no-untyped-def]
    """Erasing every credential, spell and training dated from the cut-off on changes no feature of a
    referral made before it."""
    _, city, model, _, _ = trained
    hist = history(city)
    early = hist.subset(hist.day <= CUTOFF)
    assert len(early) > 1_000
    cut = copy.copy(city)
    cut.workers = copy.copy(city.workers)
    cut.credentials = _before(city.credentials, "date", CUTOFF)
    cut.workers.spells = _before(city.workers.spells, "start", CUTOFF)
    cut.trainings = _before(city.trainings, "end", CUTOFF)
    assert len(cut.credentials["date"]) < len(city.credentials["date"])  # something was erased
    args = (early.worker, early.line, early.day, early.programme)
    full = pair_features(FeatureSpace(city, model.vectorizer), *args)
    erased = pair_features(FeatureSpace(cut, model.vectorizer), *args)
    assert np.array_equal(full, erased, equal_nan=True)
    # ... while on a later day the erased records do count.
    late = np.full(len(early), CUTOFF + 400)
    assert not np.array_equal(
        pair_features(FeatureSpace(city, model.vectorizer), early.worker, early.line, late),
        pair_features(FeatureSpace(cut, model.vectorizer), early.worker, early.line, late),
        equal_nan=True,
    )


def test_the_scorer_never_reads_sex_and_gives_calibrated_probabilities(trained):  # type: ignore[no-untyped-def]
    _, city, model, _, _ = trained
    assert not any("sex" in f or "gender" in f for f in FEATURES)
    hist = history(city)
    p = model.score(model.space(city), hist.worker, hist.line, hist.day, hist.programme)
    assert ((p >= 0) & (p <= 1)).all()
    assert abs(p.mean() - hist.label.mean()) < 0.02
    low, high = p < np.quantile(p, 0.2), p > np.quantile(p, 0.8)
    assert hist.label[high].mean() > 2 * hist.label[low].mean()


def test_a_pathway_counts_the_programmes_certificate_as_held(trained):  # type: ignore[no-untyped-def]
    _, city, model, _, _ = trained
    ln, pr = city.lines, city.programmes
    line = int(np.flatnonzero(np.diff(ln.required.indptr) == 1)[0])
    item = int(ln.required.indices[ln.required.indptr[line]])
    prog = int(np.flatnonzero(pr.so == item)[0])
    holders = set(city.credentials.owner()[city.credentials["so"] == item].tolist())
    worker = next(w for w in range(len(city.workers)) if w not in holders)
    space = model.space(city)
    args = (np.array([worker]), np.array([line]), np.array([city.as_of]))
    before = pair_features(space, *args)
    after = pair_features(space, *args, programme=np.array([prog]), assume_completed=True)
    col = FEATURES.index("missing_certificates")
    assert before[0, col] == 1 and after[0, col] == 0
    assert after[0, FEATURES.index("trained_awards_required")] == 1


def test_scores_do_not_depend_on_the_batch_size(trained):  # type: ignore[no-untyped-def]
    _, city, model, _, _ = trained
    hist = history(city).subset(np.arange(len(history(city))) < 3_000)
    order = np.argsort(hist.worker, kind="stable")
    w, ln = hist.worker[order], hist.line[order]
    space = model.space(city)
    whole = score_pairs(model, space, w, ln, city.as_of, batch_size=10_000)
    small = score_pairs(model, space, w, ln, city.as_of, batch_size=97)
    assert np.array_equal(whole, small)


def test_the_manifest_vouches_for_the_artifact(trained):  # type: ignore[no-untyped-def]
    _, city, _, manifest, models = trained
    assert manifest["artifact"] == ARTIFACT and len(manifest["sha256"]) == 64
    assert manifest["data"]["workers"] == len(city.workers)
    assert manifest["data"]["placements"] == len(city.placements)
    assert {"numpy", "scikit-learn", "scipy", "joblib"} <= set(manifest["libraries"])
    assert manifest["training"]["years"] == [2018, 2019, 2020]
    assert manifest["metrics"]["test_year"] == 2020 and manifest["metrics"]["train_years"] == [2018, 2019]
    assert manifest["trained_at"]
    assert json.loads((models / MANIFEST).read_text(encoding="utf-8")) == manifest


def test_a_corrupted_artifact_is_refused_with_a_clear_message(trained, tmp_path):  # type: ignore[no-untyped-def]
    _, _, _, _, models = trained
    for name in (ARTIFACT, MANIFEST):
        (tmp_path / name).write_bytes((models / name).read_bytes())
    load_model(tmp_path)  # an intact copy loads
    data = bytearray((tmp_path / ARTIFACT).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / ARTIFACT).write_bytes(bytes(data))
    with pytest.raises(ArtifactError, match=r"match_model\.joblib：sha256 与模型清单不符.*拒绝使用"):
        load_model(tmp_path)
    (tmp_path / MANIFEST).unlink()
    with pytest.raises(ArtifactError, match="没有模型清单，请先训练模型"):
        load_model(tmp_path)


def test_every_feature_column_is_filled_on_a_small_city(trained):  # type: ignore[no-untyped-def]
    """No column stays unknown for every pair: a forgotten column would train on a constant."""
    _, city, model, _, _ = trained
    hist = history(city)
    space = model.space(city)
    for X in (
        pair_features(space, hist.worker, hist.line, hist.day, hist.programme),
        pair_features(space, hist.worker, hist.line, hist.day, hist.programme, assume_completed=True),
    ):
        empty = [name for name, column in zip(FEATURES, X.T) if np.isnan(column).all()]
        assert not empty
        assert X.shape == (len(hist), len(FEATURES))


def test_each_feature_is_filled_by_exactly_one_group(trained):  # type: ignore[no-untyped-def]
    _, city, model, _, _ = trained
    one = (np.array([0]), np.array([0]), np.array([city.as_of]))
    pairs = _pairs(model.space(city), *one, programme=None, assume_completed=False, similarity=None)
    names = [name for group in FEATURE_GROUPS for name in group(pairs)]
    assert len(names) == len(set(names))
    assert sorted([*names, "occ_dist_best"]) == sorted(FEATURES)


def test_the_saved_model_gives_the_scores_it_gave_before(trained):  # type: ignore[no-untyped-def]
    """The model in models/ scores pairs of the small city as it did when the fixture was written: the
    features are computed and ordered as the model was trained on them."""
    url, city, _, _, _ = trained
    want = json.loads(SCORES.read_text(encoding="utf-8"))
    assert data_fingerprint(city)["sha256"] == want["city_sha256"], (
        "the sample city changed: rewrite the fixture"
    )
    model, _ = load_model(PROJECT_DIR / "models")
    worker_row = {int(i): r for r, i in enumerate(city.workers.id)}
    line_row = {int(i): r for r, i in enumerate(city.lines.id)}
    programme_row = {int(i): r for r, i in enumerate(city.programmes.id)}
    w = np.array([worker_row[i] for i in want["worker_id"]])
    ln = np.array([line_row[i] for i in want["line_id"]])
    day = np.array(want["day"])

    def rows(ids: list[int | None]) -> np.ndarray:
        return np.array([-1 if i is None else programme_row[i] for i in ids])

    space = model.space(city)
    np.testing.assert_allclose(
        model.score(space, w, ln, day, rows(want["programme_id"])), want["score"], rtol=1e-9
    )
    completed = model.score(space, w, ln, day, rows(want["proposed_programme_id"]), assume_completed=True)
    np.testing.assert_allclose(completed, want["score_completed"], rtol=1e-9)
