"""Evaluation: the ranking and calibration measures on hand-made cases, and the model against its
baselines and the oracle on the held-out year of a small sample city."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from matcher.model.evaluate import (
    evaluate_model,
    evaluation_text,
    expected_calibration_error,
    ranking_metrics,
    title_coding_accuracy,
)
from tests.test_model_city import small_city


def test_ranking_metrics_by_hand():
    # worker 1: the only positive ranked second; worker 2: positives first and third; worker 3: none.
    groups = np.array([1, 1, 1, 2, 2, 2, 3, 3])
    scores = np.array([0.9, 0.8, 0.1, 0.7, 0.5, 0.6, 0.3, 0.2])
    relevant = np.array([0, 1, 0, 1, 1, 0, 0, 0], bool)
    out = ranking_metrics(groups, scores, relevant, ks=(1, 10))
    ndcg_1 = 1 / math.log2(3)
    ndcg_2 = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert out["ndcg@10"] == pytest.approx((ndcg_1 + ndcg_2) / 2)
    assert out["recall@1"] == pytest.approx((0 + 0.5) / 2)
    assert out["recall@10"] == 1.0
    assert out["workers"] == 2  # worker 3 has no positive and is left out


def test_ties_are_broken_the_same_way_for_every_scorer():
    groups = np.zeros(6, int)
    relevant = np.array([1, 0, 0, 0, 0, 0], bool)
    flat = ranking_metrics(groups, np.zeros(6), relevant, ks=(1,))
    again = ranking_metrics(groups, np.zeros(6), relevant, ks=(1,))
    assert flat == again


def test_expected_calibration_error():
    rng = np.random.default_rng(0)
    p = rng.random(200_000)
    y = rng.random(200_000) < p
    assert expected_calibration_error(p, y) < 0.01
    assert expected_calibration_error(np.full(10, 0.5), np.ones(10)) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="probabilities in"):
        expected_calibration_error(np.array([1.5]), np.array([1]))


def test_character_ngrams_code_titles_better_than_jieba_words():
    char, jieba = title_coding_accuracy("char"), title_coding_accuracy("jieba")
    assert char["titles"] == jieba["titles"] > 300
    assert char["occupation"] > jieba["occupation"]


def test_the_model_beats_every_baseline_and_nears_the_oracle(tmp_path_factory):
    result = evaluate_model(small_city(tmp_path_factory))
    assert result["train_years"] == [2018, 2019] and result["test_year"] == 2020
    scorers = result["scorers"]
    assert set(scorers) == {"model", "random", "counselor", "tfidf", "oracle"}
    for s in scorers.values():
        assert {"auc", "ndcg@10", "recall@10", "recall@50", "ece", "workers"} <= set(s)
        assert 0 <= s["ndcg@10"] <= 1 and 0 <= s["recall@10"] <= s["recall@50"] <= 1
    model = scorers["model"]
    for name in ("random", "counselor", "tfidf"):
        assert model["ndcg@10"] > scorers[name]["ndcg@10"], name
    assert result["beats_baselines"] is True
    assert model["ndcg@10"] >= 0.9 * scorers["oracle"]["ndcg@10"]
    assert model["auc"] > scorers["counselor"]["auc"]
    assert model["ece"] < 0.05 and scorers["random"]["ece"] > model["ece"]
    assert scorers["counselor"]["ece"] is None  # a rule's score is not a probability
    fairness = result["fairness"]
    assert fairness["outcomes"] == ["recommended", "hit"]
    assert {r["dimension"] for r in fairness["rows"]} == {
        "sex",
        "age_band",
        "ethnicity",
        "county",
        "priority_group",
    }
    sexes = [r for r in fairness["rows"] if r["dimension"] == "sex"]
    assert sum(r["population"] for r in sexes) == fairness["population"] >= scorers["model"]["workers"]
    text = evaluation_text(result)  # what `matcher evaluate` prints
    assert re.search(rf"匹配模型 +{model['ndcg@10']:.4f}", text) and "理想排序（上限）" in text
    assert "匹配模型优于全部基线：是" in text and "公平性审计" in text and "【性别】" in text
    analyzers = result["text_analyzers"]
    assert set(analyzers) == {"char", "jieba"}
    assert all(0 < a["tfidf_ndcg@10"] <= 1 and a["title_coding"]["titles"] > 300 for a in analyzers.values())
