"""Recommendations for one worker (jobs now, outbound options and training pathways) and candidates for
one demand line, each explained.

`Recommender.load(url)` reads the city and the saved model once and prepares the open lines; a process
(the API, the CLI) keeps one and asks it for as many workers as it likes. The snapshot is the store as it
was at load time: load again after the ledgers change.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from matcher import reference as ref
from matcher.config import PROJECT_DIR
from matcher.model.artifacts import load_model
from matcher.model.candidates import (
    DEFAULT_K,
    Candidates,
    LineIndex,
    build_line_index,
    retrieve_batch,
    worker_states,
)
from matcher.model.explain import (
    explained,
    feasibility_flags,
    place_name,
    reasons_for,
    subsidy_decision,
    training_reason,
)
from matcher.model.features import worker_profiles
from matcher.model.pathways import find_pathways
from matcher.model.scoring import FEATURES, FeatureSpace, MatchModel, pair_features
from matcher.model.snapshot import City, load_city, occupation_codes, one_native_thread

MODELS_DIR = PROJECT_DIR / "models"
CANDIDATE_SHORTLIST = 200
"""Workers per line re-scored by the model at least, the best by retrieval similarity."""
_MISSING = FEATURES.index("missing_certificates")


def _day(ordinal: int) -> str:
    return date.fromordinal(int(ordinal)).isoformat()


@dataclass
class Recommender:
    """The city, the model and the open lines ready for retrieval, held for the life of a process."""

    city: City
    model: MatchModel
    manifest: dict[str, Any]
    space: FeatureSpace = field(init=False)
    local: LineIndex = field(init=False)
    away: LineIndex = field(init=False)
    _worker_vectors: sparse.csr_matrix | None = field(init=False, default=None)
    # One call computes at a time: concurrent ones fight over the interpreter and the process-wide native
    # thread limit, and all finish later (a served benchmark at 50 clients ran at 16 instead of 25 per second).
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        """Index the open lines twice, in Qujing and outside it, so that outbound options are looked for
        apart and never crowded out of a worker's candidates by local ones (or the other way round)."""
        city, vec = self.city, self.model.vectorizer
        self.space = FeatureSpace(city, vec)
        live = city.lines.open & (city.lines.end >= city.as_of)
        self.local = build_line_index(city, vec, np.flatnonzero(live & city.lines.in_qujing), city.as_of)
        self.away = build_line_index(city, vec, np.flatnonzero(live & ~city.lines.in_qujing), city.as_of)

    @classmethod
    def load(cls, url: str | None = None, models_dir: str | Path = MODELS_DIR) -> Recommender:
        """The store at `url` (default `DATABASE_URL`) with the model saved in `models_dir` (sha256-checked)."""
        model, manifest = load_model(models_dir)
        return cls(load_city(url), model, manifest)

    def recommend(self, worker_id: int, k: int = 10) -> dict[str, Any]:
        """The worker's best `k` jobs in reach now, `k` outbound options and `k` training pathways."""
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        with self._lock, one_native_thread():
            return self._recommend(worker_id, k)

    def _recommend(self, worker_id: int, k: int) -> dict[str, Any]:
        city, as_of = self.city, self.city.as_of
        rows = city.worker_rows([worker_id])
        row = int(rows[0])
        k_retrieve = max(DEFAULT_K, 3 * k)
        vec = self.model.vectorizer
        vectors = vec.transform(worker_profiles(city, rows, as_of))
        cands = Candidates.concat(
            [
                retrieve_batch(worker_states(city, vec, index, rows, as_of, vectors), index, k_retrieve)
                for index in (self.local, self.away)
            ]
        )
        w, ln = cands.worker, cands.line
        X = pair_features(
            self.space, w, ln, np.full(len(w), as_of), similarity=(cands.text, cands.similarity)
        )
        p = self.model.scorer.predict_proba(X)[:, 1] if len(w) else np.zeros(0)
        direct = X[:, _MISSING] == 0
        local = city.lines.in_qujing[ln]
        order = np.argsort(-p, kind="stable")
        jobs = [i for i in order if direct[i] and local[i]][:k]
        outbound = [i for i in order if direct[i] and not local[i]][:k]
        paths = find_pathways(self.model, self.space, w, ln, X, as_of)
        better = paths.p_success > np.where(direct[paths.pair], p[paths.pair], 0.0)
        path_order = [i for i in np.argsort(-paths.p_success, kind="stable") if better[i]][:k]
        return {
            "worker_id": int(worker_id),
            "as_of": _day(as_of),
            "jobs": [self._job(row, int(ln[i]), X[i], float(p[i])) for i in jobs],
            "outbound": [self._job(row, int(ln[i]), X[i], float(p[i])) for i in outbound],
            "pathways": [self._pathway(row, paths, int(i), X[paths.pair[i]]) for i in path_order],
            "model": {"sha256": self.manifest.get("sha256"), "trained_at": self.manifest.get("trained_at")},
        }

    def candidates(self, line_id: int, k: int = 10, pool: Iterable[int] | None = None) -> dict[str, Any]:
        """The `k` workers of `pool` (worker ids; everyone when None) best suited to the open line `line_id`.

        The workers for whom the line is feasible are ranked by retrieval similarity and the best
        `max(200, 20 k)` scored by the model; one who lacks a certificate the line requires, but can obtain
        it by training, is flagged `needs_training` (a candidate for an order-based class).
        """
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        with self._lock, one_native_thread():
            return self._candidates(line_id, k, pool)

    def warm(self) -> None:
        """Compute now what the first call for candidates would (every worker's vector)."""
        with self._lock, one_native_thread():
            self._all_worker_vectors()

    def _all_worker_vectors(self) -> sparse.csr_matrix:
        """Every worker of the snapshot vectorized as on its day, computed on first use and kept."""
        if self._worker_vectors is None:
            rows = np.arange(len(self.city.workers))
            profiles = worker_profiles(self.city, rows, self.city.as_of)
            self._worker_vectors = self.model.vectorizer.transform(profiles).tocsr()
        return self._worker_vectors

    def _candidates(self, line_id: int, k: int, pool: Iterable[int] | None) -> dict[str, Any]:
        city, as_of = self.city, self.city.as_of
        line = int(city.line_rows([line_id])[0])
        if not (city.lines.open[line] and city.lines.end[line] >= as_of):
            raise ValueError(f"demand line {line_id} is not open on {_day(as_of)}")
        everyone = np.arange(len(city.workers))
        rows = everyone if pool is None else everyone[np.isin(city.workers.id, np.fromiter(pool, np.int64))]
        index = build_line_index(city, self.model.vectorizer, np.array([line]), as_of)
        batch = worker_states(
            city, self.model.vectorizer, index, rows, as_of, self._all_worker_vectors()[rows]
        )
        found = retrieve_batch(batch, index, 1) if len(rows) else Candidates.concat([])
        short = np.argsort(-found.similarity, kind="stable")[: max(CANDIDATE_SHORTLIST, 20 * k)]
        w, ln = found.worker[short], found.line[short]
        X = pair_features(
            self.space, w, ln, np.full(len(w), as_of), similarity=(found.text[short], found.similarity[short])
        )
        p = self.model.scorer.predict_proba(X)[:, 1] if len(w) else np.zeros(0)
        best = np.argsort(-p, kind="stable")[:k]
        return {
            "line": self._line(line),
            "as_of": _day(as_of),
            "feasible_workers": len(found),
            "candidates": [self._candidate(int(w[i]), line, X[i], float(p[i])) for i in best],
            "model": {"sha256": self.manifest.get("sha256"), "trained_at": self.manifest.get("trained_at")},
        }

    def _candidate(self, worker: int, line: int, x: np.ndarray, score: float) -> dict[str, Any]:
        as_of = self.city.as_of
        flags = feasibility_flags(self.city, worker, line, as_of)
        flags["needs_training"] = flags["certificates"] != "held"
        reasons = reasons_for(self.city, worker, line, x, as_of)
        return {"worker_id": int(self.city.workers.id[worker]), **explained(score, reasons, flags)}

    def _line(self, line: int) -> dict[str, Any]:
        ln = self.city.lines
        code = occupation_codes()[ln.occ[line]]
        return {
            "line_id": int(ln.id[line]),
            "title": str(ln.title[line]),
            "enterprise_id": int(ln.enterprise_id[line]),
            "occupation": {"code": code, "name": ref.occupation(code).name},
            "work_region": {"code": str(ln.region[line]), "name": place_name(str(ln.region[line]))},
            "wage_min": int(ln.wage_min[line]),
            "wage_max": int(ln.wage_max[line]),
            "start_date": _day(ln.start[line]),
            "end_date": _day(ln.end[line]),
        }

    def _job(self, worker: int, line: int, x: np.ndarray, score: float) -> dict[str, Any]:
        as_of = self.city.as_of
        flags = feasibility_flags(self.city, worker, line, as_of)
        flags["needs_training"] = False
        return {**self._line(line), **explained(score, reasons_for(self.city, worker, line, x, as_of), flags)}

    def _pathway(self, worker: int, paths: Any, i: int, x: np.ndarray) -> dict[str, Any]:
        city, as_of = self.city, self.city.as_of
        pr = city.programmes
        line, prog = int(paths.line[i]), int(paths.programme[i])
        flags = feasibility_flags(city, worker, line, as_of)
        flags["needs_training"] = True
        start, end = int(paths.start[i]), int(paths.end[i])
        flags["subsidy"] = subsidy_decision(city, worker, prog, start, end)
        reasons = [
            training_reason(city, prog, start, float(paths.p_complete[i])),
            *reasons_for(city, worker, line, x, as_of, prog),
        ]
        return {
            **self._line(line),
            "programme": {
                "programme_id": int(pr.id[prog]),
                "code": str(pr.code[prog]),
                "name": str(pr.name[prog]),
                "institution": str(pr.institution[prog]),
                "class_start": _day(start),
                "class_end": _day(end),
                "days": int(pr.days[prog]),
                "cost": int(pr.cost[prog]),
                "catalogue_subsidy": int(pr.subsidy[prog]),
            },
            "p_complete": round(float(paths.p_complete[i]), 4),
            "p_hired_after_training": round(float(paths.p_hired[i]), 4),
            **explained(float(paths.p_success[i]), reasons, flags),
        }


_CACHE: dict[tuple[str | None, str], Recommender] = {}
_LOCK = threading.Lock()


def recommender(url: str | None = None, models_dir: str | Path = MODELS_DIR) -> Recommender:
    """The process's recommender for this store and model directory, loaded on first use."""
    key = (url, str(Path(models_dir).resolve()))
    with _LOCK:
        if key not in _CACHE:
            _CACHE[key] = Recommender.load(url, models_dir)
        return _CACHE[key]


def recommend_for_worker(worker_id: int, url: str | None = None, k: int = 10) -> dict[str, Any]:
    """JSON-ready recommendations for one worker (jobs, outbound, pathways), from the cached recommender."""
    return recommender(url).recommend(worker_id, k)
