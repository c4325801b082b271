"""Evaluation on the held-out year: the model against baselines measured in the same run.

Every scorer ranks each worker's referrals of the held-out year (the last year of history); relevance is
"hired and still employed six months on". Per worker with at least one positive: NDCG@10, Recall@10 and
Recall@50, averaged over those workers; over all referrals: AUC, and for scorers whose scores are
probabilities the expected calibration error (ECE, 10 equal-width bins).

Scorers: the model (trained on the earlier years only); `random`; `counselor` — a counselor's rule of
thumb: lines in the worker's own occupation first, then in the same 小类, each tier with lines in the
worker's own county first, by top wage within; `tfidf` — the TF-IDF cosine between the worker's
occupations and certificates and the line's title and description; and the `oracle`, the generator's
true probability (read from synth_truth, by evaluation only).
"""

from __future__ import annotations

import csv
import dataclasses
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score
from sqlalchemy import select

from matcher.fairness import FairnessReport, city_fairness
from matcher.model.features import Profile, ProfileVectorizer, TextEncoder
from matcher.model.scoring import FEATURES, FeatureSpace, MatchModel, pair_features
from matcher.model.snapshot import City, load_city
from matcher.model.threads import one_native_thread
from matcher.model.training import History, fit_match_model, fit_vectorizer, history, holdout_year
from matcher.store import session_scope
from matcher.store.tables import SynthTruthRow
from matcher.text import table_lines

ORACLE_MARGIN = 0.10
"""The model's NDCG@10 must come within this share of the oracle's."""


def _grouped_order(groups: np.ndarray, scores: np.ndarray, tiebreak: np.ndarray) -> np.ndarray:
    """Indices sorted by group, then score descending, then `tiebreak` (a fixed random order)."""
    return np.lexsort((tiebreak, -scores, groups))


def ranking_metrics(
    groups: np.ndarray,
    scores: np.ndarray,
    relevant: np.ndarray,
    ks: tuple[int, ...] = (10, 50),
    seed: int = 0,
) -> dict[str, float]:
    """NDCG@10 and Recall@k per group, averaged over groups with at least one relevant item.

    Ties are broken by one fixed random order, the same for every scorer, so that a scorer with many ties
    (a rule) is neither favoured nor penalised by the order rows happen to be stored in.
    """
    groups, scores, relevant = np.asarray(groups), np.asarray(scores, np.float64), np.asarray(relevant, bool)
    tiebreak = np.random.default_rng(seed).permutation(len(groups))
    order = _grouped_order(groups, scores, tiebreak)
    g, rel = groups[order], relevant[order].astype(np.float64)
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    sizes = np.diff(np.r_[starts, len(g)])
    pos = np.arange(len(g)) - np.repeat(starts, sizes)  # rank within the group, 0-based
    n_rel = np.add.reduceat(rel, starts)
    keep = n_rel > 0
    out: dict[str, float] = {}
    gain = rel / np.log2(pos + 2)
    dcg = np.add.reduceat(np.where(pos < 10, gain, 0.0), starts)
    ideal_pos = np.arange(10)
    discounts = 1 / np.log2(ideal_pos + 2)
    idcg = np.array([discounts[: int(min(n, 10))].sum() for n in n_rel])
    out["ndcg@10"] = float(np.mean(dcg[keep] / idcg[keep])) if keep.any() else float("nan")
    for k in ks:
        hits = np.add.reduceat(np.where(pos < k, rel, 0.0), starts)
        out[f"recall@{k}"] = float(np.mean(hits[keep] / n_rel[keep])) if keep.any() else float("nan")
    out["workers"] = int(keep.sum())
    return out


def expected_calibration_error(prob: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Σ over equal-width bins of (share of rows) × |mean predicted − observed rate|."""
    prob, y = np.asarray(prob, np.float64), np.asarray(y, np.float64)
    if prob.min() < 0 or prob.max() > 1:
        raise ValueError("calibration error needs probabilities in [0, 1]")
    idx = np.minimum((prob * bins).astype(int), bins - 1)
    total = np.bincount(idx, minlength=bins)
    p_sum = np.bincount(idx, weights=prob, minlength=bins)
    y_sum = np.bincount(idx, weights=y, minlength=bins)
    used = total > 0
    return float(np.sum(np.abs(p_sum[used] - y_sum[used])) / len(prob))


def score_report(
    groups: np.ndarray, scores: np.ndarray, y: np.ndarray, probabilistic: bool
) -> dict[str, Any]:
    out: dict[str, Any] = {"auc": float(roc_auc_score(y, scores)) if len(np.unique(y)) == 2 else None}
    out.update(ranking_metrics(groups, scores, y))
    out["ece"] = expected_calibration_error(scores, y) if probabilistic else None
    return out


def has_oracle(url: str | None) -> bool:
    """Whether the store holds the generator's true probabilities (a sample city does)."""
    with session_scope(url) as s:
        return s.scalar(select(SynthTruthRow.placement_id).limit(1)) is not None


def oracle_probabilities(url: str | None, placement_ids: np.ndarray) -> np.ndarray | None:
    """The generator's true P(hired and retained) per referral, or None when the store has none."""
    with session_scope(url) as s:
        rows: dict[int, float] = dict(
            s.execute(select(SynthTruthRow.placement_id, SynthTruthRow.p_true)).all()
        )
    if not rows:
        return None
    missing = [int(i) for i in placement_ids if int(i) not in rows]
    if missing:
        raise ValueError(
            f"synth_truth has no p_true for referral (placement) {missing[0]} of the held-out year"
        )
    return np.array([rows[int(i)] for i in placement_ids], np.float64)


class Scorer(ABC):
    """A way to rank the held-out referrals: the model or a baseline, behind one interface (as `implicit`'s
    recommenders share `fit` and `recommend`), so evaluation swaps one for another.

    `fit` learns from the earlier years' referrals (baselines learn nothing); `score` gives one score per
    held-out pair, whose pair features `X` are computed once for every scorer.
    """

    probabilistic = False
    """Whether the scores are probabilities (their calibration error is then measured)."""

    def fit(self, _city: City, _train: History) -> Scorer:
        return self

    @abstractmethod
    def score(self, city: City, test: History, X: np.ndarray) -> np.ndarray: ...


@dataclass
class ModelScorer(Scorer):
    """The learned scorer, trained on the earlier years only."""

    vectorizer: ProfileVectorizer
    seed: int = 0
    probabilistic = True
    model: MatchModel | None = None

    def fit(self, city: City, train: History) -> Scorer:
        self.model = fit_match_model(city, self.vectorizer, train, random_state=self.seed)
        return self

    def score(self, _city: City, _test: History, X: np.ndarray) -> np.ndarray:
        if self.model is None:
            raise ValueError("the model scorer scores only after fit")
        with one_native_thread():
            return self.model.predict(X)


@dataclass
class RandomScorer(Scorer):
    """Referrals in a random order."""

    seed: int
    probabilistic = True

    def score(self, _city: City, test: History, _X: np.ndarray) -> np.ndarray:
        return np.random.default_rng(self.seed).random(len(test))


class CounselorScorer(Scorer):
    """A counselor's rule of thumb: own occupation, then same 小类, then the rest; own county first within a
    tier; top wage within."""

    def score(self, city: City, test: History, X: np.ndarray) -> np.ndarray:
        best = X[:, FEATURES.index("occ_dist_best")]
        tier = np.select([best == 0, best == 1], [2, 1], 0)
        county = X[:, FEATURES.index("same_county")]
        return (tier * 2 + county) * 1e6 + city.lines.wage_max[test.line]


class TfidfScorer(Scorer):
    """The TF-IDF cosine between the worker's occupations and certificates and the line's text."""

    def score(self, _city: City, _test: History, X: np.ndarray) -> np.ndarray:
        return X[:, FEATURES.index("text_cosine")].astype(np.float64)


@dataclass
class OracleScorer(Scorer):
    """The generator's true probability of each referral, read from the store (evaluation only)."""

    url: str | None
    probabilistic = True

    def score(self, _city: City, test: History, _X: np.ndarray) -> np.ndarray:
        truth = oracle_probabilities(self.url, test.placement_id)
        if truth is None:
            raise ValueError("the store holds no true probabilities (synth_truth) to score with")
        return truth


def held_out_fairness(
    city: City, worker: np.ndarray, score: np.ndarray, y: np.ndarray, day: np.ndarray
) -> FairnessReport:
    """Who the model serves well in the held-out year, per referred worker: `recommended`, some referral
    scored in the top tenth of all; `hit`, the worker's best-scored referral was a lasting hire."""
    people, first = np.unique(worker, return_inverse=True)
    top = np.zeros(len(people), bool)
    np.logical_or.at(top, first, score >= np.quantile(score, 0.9))
    order = np.lexsort((-score, first))
    best = order[np.r_[True, first[order][1:] != first[order][:-1]]]
    hit = np.zeros(len(people), bool)
    hit[first[best]] = y[best].astype(bool)
    as_of = dataclasses.replace(city, as_of=int(day.max()))
    return city_fairness(as_of, people, {"recommended": top, "hit": hit})


def evaluate_city(
    city: City, vectorizer: ProfileVectorizer, url: str | None, seed: int = 0
) -> dict[str, Any]:
    """Train on every year but the last, score the last, and measure every scorer on it.

    `url` is the store `city` was loaded from; the oracle's probabilities are read from it.
    """
    test_year = holdout_year(city)
    hist = history(city)
    train, test = hist.subset(hist.year < test_year), hist.subset(hist.year == test_year)
    if not len(test) or not len(train):
        raise ValueError(f"evaluation needs referrals both before and in {test_year}")
    space = FeatureSpace(city, vectorizer)
    X = pair_features(space, test.worker, test.line, test.day, test.programme)
    y = test.label
    scorers: dict[str, Scorer] = {
        "model": ModelScorer(vectorizer, seed),
        "random": RandomScorer(seed + 1),
        "counselor": CounselorScorer(),
        "tfidf": TfidfScorer(),
    }
    if has_oracle(url):
        scorers["oracle"] = OracleScorer(url)
    scores = {name: scorer.fit(city, train).score(city, test, X) for name, scorer in scorers.items()}
    results = {
        name: score_report(test.worker, scores[name], y, s.probabilistic) for name, s in scorers.items()
    }
    out: dict[str, Any] = {
        "train_years": sorted(np.unique(train.year).tolist()),
        "test_year": test_year,
        "train_referrals": len(train),
        "test_referrals": len(test),
        "test_positive_rate": float(y.mean()),
        "scorers": results,
    }
    out["fairness"] = held_out_fairness(city, test.worker, scores["model"], y, test.day).to_dict()
    ndcg = results["model"]["ndcg@10"]
    out["beats_baselines"] = all(ndcg > results[b]["ndcg@10"] for b in ("random", "counselor", "tfidf"))
    if "oracle" in results:
        out["share_of_oracle_ndcg@10"] = ndcg / results["oracle"]["ndcg@10"]
        out["within_oracle_margin"] = ndcg >= (1 - ORACLE_MARGIN) * results["oracle"]["ndcg@10"]
    return out


def evaluate_model(url: str | None = None) -> dict[str, Any]:
    """Evaluate the engine on the store at `url` (default `DATABASE_URL`): see the module docstring."""
    city = load_city(url)
    vectorizer = fit_vectorizer(city)
    out = evaluate_city(city, vectorizer, url)
    out["text_analyzers"] = compare_text_analyzers(city, hist=history(city))
    return out


SCORER_LABELS = {
    "model": "匹配模型",
    "random": "随机排序",
    "counselor": "专员经验规则",
    "tfidf": "TF-IDF 文本相似",
    "oracle": "理想排序（上限）",
}


def evaluation_text(report: dict[str, Any]) -> str:
    """`evaluate_model`'s report as Chinese tables: the scorers side by side, then the fairness table."""
    years = "、".join(str(y) for y in report["train_years"])
    lines = [
        f"以 {years} 年的 {report['train_referrals']:,} 条推荐记录训练，"
        f"在 {report['test_year']} 年的 {report['test_referrals']:,} 条推荐上检验"
        f"（录用并稳定就业的占 {report['test_positive_rate']:.1%}）",
        "",
    ]
    header = ["排序方法", "NDCG@10", "AUC", "召回@10", "校准误差 ECE"]
    table = [header]
    for name, m in report["scorers"].items():
        ece = "—" if m["ece"] is None else f"{m['ece']:.4f}"
        table.append(
            [SCORER_LABELS.get(name, name), f"{m['ndcg@10']:.4f}", f"{m['auc']:.3f}", f"{m['recall@10']:.3f}", ece]
        )
    lines += table_lines(table)
    if "share_of_oracle_ndcg@10" in report:
        lines.append(f"匹配模型的 NDCG@10 达到理想排序的 {report['share_of_oracle_ndcg@10']:.1%}")
    lines.append("匹配模型优于全部基线：" + ("是" if report["beats_baselines"] else "否"))
    lines += ["", FairnessReport.from_dict(report["fairness"]).to_text()]
    return "\n".join(lines)


# --- text analysers -----------------------------------------------------------------------------


def title_coding_accuracy(analyzer: str) -> dict[str, float]:
    """Code the evaluation titles (data/eval/occupation_titles.csv) to the nearest occupation name by TF-IDF.

    Accuracy at the occupation and at the 小类; a plain nearest-name coder, to compare tokenisations.
    """
    from matcher import reference as ref
    from matcher.reference import DATA_DIR

    leaves = ref.leaf_occupations()
    enc = TextEncoder(analyzer).fit([Profile("line", text=o.name) for o in leaves])
    names = enc.transform([Profile("line", text=o.name) for o in leaves])
    with open(DATA_DIR / "eval" / "occupation_titles.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    titles = enc.transform([Profile("line", text=r["title"]) for r in rows])
    best = np.asarray((titles @ names.T).argmax(axis=1)).ravel()
    got = [leaves[i].code for i in best]
    want = [r["code"] for r in rows]
    return {
        "occupation": float(np.mean([g == w for g, w in zip(got, want)])),
        "minor_group": float(
            np.mean([g.rsplit("-", 1)[0] == w.rsplit("-", 1)[0] for g, w in zip(got, want)])
        ),
        "titles": len(rows),
    }


def compare_text_analyzers(city: City | None = None, hist: History | None = None) -> dict[str, Any]:
    """Character n-grams against jieba words: title-coding accuracy, and (given a city) the NDCG@10 of the
    TF-IDF cosine ranking of the held-out year's referrals."""
    out: dict[str, Any] = {}
    for analyzer in ("char", "jieba"):
        res: dict[str, Any] = {"title_coding": title_coding_accuracy(analyzer)}
        if city is not None and hist is not None:
            test = hist.subset(hist.year == holdout_year(city))
            space = FeatureSpace(city, fit_vectorizer(city, analyzer))
            text, _ = space.similarities(test.worker, test.line, test.day)
            res["tfidf_ndcg@10"] = ranking_metrics(test.worker, text, test.label)["ndcg@10"]
        out[analyzer] = res
    return out
