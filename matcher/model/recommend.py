"""Recommendations for one worker (jobs now, outbound options and training pathways) and candidates for
one demand line, each explained.

`Recommender.load(url)` reads the city and the saved model once and prepares the open lines; it matches on
the store as it was then. `recommender(url)` is the process's current one, kept up to date with the store
(`matcher.model.live`).

Answers are kept (`Stored`) and served again until a change could alter them: `Recommender.updated` carries
over to the next state of the store every kept answer that no changed worker or line can touch (see
`_untouched`), and drops the others before the new state answers anything.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Set
from dataclasses import InitVar, dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sqlalchemy.orm import Session

from matcher import reference as ref
from matcher.model.artifacts import load_model
from matcher.model.candidates import (
    DEFAULT_K,
    Candidates,
    LineIndex,
    build_line_index,
    in_reach,
    retrieve_batch,
    worker_states,
)
from matcher.model.codes import occupation_codes
from matcher.model.explain import (
    certifies,
    explained,
    feasibility_flags,
    place_name,
    reasons_for,
    subsidy_outlook,
    training_reason,
)
from matcher.model.features import line_profiles, worker_profiles
from matcher.model.pathways import Pathways, find_pathways
from matcher.model.results import LineCandidates, Recommendations
from matcher.model.scoring import FEATURES, FeatureSpace, MatchModel, pair_features
from matcher.model.snapshot import City, load_city
from matcher.model.threads import one_native_thread

CANDIDATE_SHORTLIST = 200
"""Workers per line re-scored by the model at least, the best by retrieval similarity."""
STORED_MAX = 20_000
"""Answers kept at most per recommender; the oldest go first."""
_MARGIN = 1e-4
"""Similarities within this of a kept answer's floor count as reaching it (scores are kept as float32)."""
_COL = {name: i for i, name in enumerate(FEATURES)}


def _day(ordinal: int) -> str:
    return date.fromordinal(int(ordinal)).isoformat()


def ready(X: np.ndarray) -> np.ndarray:
    """Pairs the worker can take now: every required certificate held and the required level reached."""
    return (X[:, _COL["missing_certificates"]] == 0) & (X[:, _COL["level_gap"]] == 0)


def ranked(score: np.ndarray, X: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Positions by score; ties by what a reason states: more years in the trade, then the shorter way to
    work, then the lower id (the earlier registration or posting)."""
    return np.lexsort((ids, X[:, _COL["distance_km"]], -X[:, _COL["years_near"]], -np.round(score, 4)))


class LineNotOpen(ValueError):
    """Candidates were asked for a line that is closed or past its end on the matching day."""


@dataclass
class Stored:
    """An answer kept for the calls that follow, and what it rests on: the lines and workers it was chosen
    among, and the retrieval similarity a line (for a worker's recommendations: in Qujing, outside it) or a
    worker (for a line's candidates) has to reach to be among them (-inf: every feasible one was)."""

    answer: Recommendations | LineCandidates
    lines: np.ndarray
    workers: np.ndarray
    floor: tuple[float, ...]
    rendered: dict[str, Any] = field(default_factory=dict)
    """What a service made of the answer for an audience (its JSON, the reads it audits), kept with it."""

    def rests_on(self, changes: Iterable[tuple[str, int]], city: City, tables: Set[str]) -> bool:
        """Whether one of `changes` (table, row id) touches what the answer rests on: its worker or line, a
        line or worker it was chosen among (a line through its enterprise too), or anything of a table not
        among `tables` (those whose changes can otherwise only add to an answer)."""
        changed: dict[str, list[int]] = defaultdict(list)
        for table, ident in changes:
            changed[table].append(ident)
        if changed.keys() - tables:
            return True
        lines = np.union1d(
            changed["demand_lines"], city.lines.id[np.isin(city.lines.enterprise_id, changed["enterprises"])]
        )
        return bool(np.isin(self.workers, changed["workers"]).any() or np.isin(self.lines, lines).any())


@dataclass
class _Ask:
    """One call for recommendations, waiting for its answer."""

    row: int
    worker_id: int
    k: int
    done: threading.Event = field(default_factory=threading.Event)
    result: Recommendations | None = None
    stored: Stored | None = None
    error: Exception | None = None


@dataclass
class Advice:
    """Retrieved pairs of one or more workers, their features and scores, and their pathways."""

    worker: np.ndarray
    line: np.ndarray
    X: np.ndarray
    p: np.ndarray
    paths: Pathways

    def of(self, row: int) -> Advice:
        """The advice of the worker `row` alone."""
        pairs = np.flatnonzero(self.worker == row)
        renumber = np.full(len(self.worker), -1)
        renumber[pairs] = np.arange(len(pairs))
        mine = np.flatnonzero(np.isin(self.paths.pair, pairs))
        paths = Pathways(
            **{f.name: getattr(self.paths, f.name)[mine] for f in fields(Pathways) if f.name != "pair"},
            pair=renumber[self.paths.pair[mine]],
        )
        return Advice(self.worker[pairs], self.line[pairs], self.X[pairs], self.p[pairs], paths)

    def floor(self, city: City, k_retrieve: int) -> tuple[float, float]:
        """For one worker's advice: the lowest similarity retrieved in Qujing and outside it, -inf where
        fewer than `k_retrieve` lines were feasible (any feasible line would have been taken)."""
        sim = self.X[:, _COL["space_similarity"]]
        local = city.lines.in_qujing[self.line]
        return tuple(  # type: ignore[return-value]
            float(sim[part].min()) if part.sum() == k_retrieve else -np.inf for part in (local, ~local)
        )

    def chosen(self, city: City, k: int) -> tuple[list[int], list[int], list[int]]:
        """Per call for one worker: the pairs shown as jobs, as outbound options, and the pathways shown
        (those likelier to succeed than taking the line directly), best value first."""
        direct = ready(self.X)
        local = city.lines.in_qujing[self.line]
        order = ranked(self.p, self.X, city.lines.id[self.line])
        jobs = [int(i) for i in order if direct[i] and local[i]][:k]
        outbound = [int(i) for i in order if direct[i] and not local[i]][:k]
        paths = self.paths
        better = paths.p_success > np.where(direct[paths.pair], self.p[paths.pair], 0.0)
        path_order = [int(i) for i in np.argsort(-paths.value, kind="stable") if better[i]][:k]
        return jobs, outbound, path_order


@dataclass
class Recommender:
    """The city, the model and the open lines ready for retrieval, held for the life of a process."""

    city: City
    model: MatchModel
    manifest: dict[str, Any]
    line_vectors: InitVar[sparse.csr_matrix | None] = None
    space: FeatureSpace = field(init=False)
    local: LineIndex = field(init=False)
    away: LineIndex = field(init=False)
    _worker_vectors: sparse.csr_matrix | None = field(init=False, default=None)
    # One call computes at a time: concurrent ones fight over the interpreter and the process-wide native
    # thread limit, and all finish later (a served benchmark at 50 clients ran at 16 instead of 25 per second).
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)
    _waiting: list[_Ask] = field(init=False, default_factory=list)  # calls for recommendations not yet served
    _waiting_lock: threading.Lock = field(init=False, default_factory=threading.Lock)
    _stored: dict[tuple[Any, ...], Stored] = field(init=False, default_factory=dict)
    _stored_lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self, line_vectors: sparse.csr_matrix | None) -> None:
        """Index the open lines twice, in Qujing and outside it, so that outbound options are looked for
        apart and never crowded out of a worker's candidates by local ones (or the other way round).
        `line_vectors`: every line's vector, when known."""
        city, vec = self.city, self.model.vectorizer
        self.space = FeatureSpace(city, vec, line_vectors)
        lv = self.space.line_vectors
        live = city.lines.open & (city.lines.end >= city.as_of)
        local, away = (
            np.flatnonzero(live & city.lines.in_qujing),
            np.flatnonzero(live & ~city.lines.in_qujing),
        )
        self.local = build_line_index(city, vec, local, city.as_of, lv[local])
        self.away = build_line_index(city, vec, away, city.as_of, lv[away])

    def updated(
        self, city: City, changed_workers: np.ndarray, changed_lines: np.ndarray, keep_answers: bool = True
    ) -> Recommender:
        """This recommender over `city`, a later state of the same store on the same day, in which the
        workers and lines with the ids given changed (or came or went): the vectors of the others are kept,
        and, with `keep_answers` (nothing else changed, such as the catalogue), the answers they cannot alter."""
        line_vectors = _carried(
            self.space.line_vectors,
            self.city.lines.id,
            city.lines.id,
            changed_lines,
            lambda rows: self.model.vectorizer.transform(line_profiles(city, rows)),
        )
        rec = Recommender(city, self.model, self.manifest, line_vectors)
        if self._worker_vectors is not None:
            rec._worker_vectors = _carried(
                self._worker_vectors,
                self.city.workers.id,
                city.workers.id,
                changed_workers,
                lambda rows: self.model.vectorizer.transform(worker_profiles(city, rows, city.as_of)),
            )
        if keep_answers and self._stored:
            kept = dict(self._stored)
            for key in _touched(self, rec, kept, changed_workers, changed_lines):
                del kept[key]
            rec._stored = kept
        return rec

    @classmethod
    def load(cls, url: str | None = None, models_dir: str | Path | None = None) -> Recommender:
        """The store at `url` (default `DATABASE_URL`) with the model saved in `models_dir` (sha256-checked)."""
        model, manifest = load_model(models_dir)
        return cls(load_city(url), model, manifest)

    def recommend(self, worker_id: int, k: int = 10) -> Recommendations:
        """The worker's best `k` jobs in reach now, `k` outbound options and `k` training pathways.

        Calls that arrive while another computes are answered together: whichever call gets to compute
        next takes every waiting one and retrieves and scores their workers in one batch (a worker costs a
        fraction in a batch of what it costs alone); each answer is the one the call would get alone.
        """
        return self.stored_recommendations(worker_id, k).answer  # type: ignore[return-value]

    def stored_recommendations(self, worker_id: int, k: int = 10) -> Stored:
        """`recommend`'s answer, kept: served again until a change could alter it."""
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        kept = self._stored.get(recommendations_key(worker_id, k))
        if kept is not None:
            return kept
        ask = _Ask(int(self.city.worker_rows([worker_id])[0]), int(worker_id), k)
        with self._waiting_lock:
            self._waiting.append(ask)
        with self._lock:
            if not ask.done.is_set():
                with self._waiting_lock:
                    batch, self._waiting = self._waiting, []
                with one_native_thread():
                    self._answer(batch)
        if ask.error is not None:
            raise ask.error
        assert ask.stored is not None
        return ask.stored

    def _answer(self, batch: list[_Ask]) -> None:
        """Answer every call of `batch`, one advice per `k` asked."""
        for k in sorted({a.k for a in batch}):
            asks = [a for a in batch if a.k == k]
            try:
                advice = self.advice(np.unique([a.row for a in asks]), k)
            except Exception as e:  # every call of the batch fails as it would alone
                for a in asks:
                    a.error = e
                    a.done.set()
                continue
            for a in asks:
                try:
                    mine = advice.of(a.row)
                    a.stored = self._keep(
                        recommendations_key(a.worker_id, k),
                        Stored(
                            self._recommendations(a.worker_id, a.row, mine, k),
                            self.city.lines.id[mine.line],
                            np.array([a.worker_id]),
                            mine.floor(self.city, max(DEFAULT_K, 3 * k)),
                        ),
                    )
                    a.result = a.stored.answer  # type: ignore[assignment]
                except Exception as e:
                    a.error = e
                a.done.set()

    def kept(self, key: tuple[Any, ...]) -> Stored | None:
        """The answer kept for `key` (`recommendations_key`, `candidates_key`), if any."""
        return self._stored.get(key)

    def _keep(self, key: tuple[Any, ...], stored: Stored) -> Stored:
        with self._stored_lock:
            self._stored[key] = stored
            while len(self._stored) > STORED_MAX:
                del self._stored[next(iter(self._stored))]
        return stored

    def advice(self, rows: np.ndarray, k: int) -> Advice:
        """The arrays behind the recommendations of the workers `rows` (any number, one batch)."""
        city, as_of = self.city, self.city.as_of
        vec = self.model.vectorizer
        vectors = vec.transform(worker_profiles(city, rows, as_of))
        k_retrieve = max(DEFAULT_K, 3 * k)
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
        p = self.model.predict(X)
        paths = find_pathways(self.model, self.space, w, ln, X, as_of)
        return Advice(w, ln, X, p, paths)

    def _recommendations(self, worker_id: int, row: int, advice: Advice, k: int) -> Recommendations:
        city, as_of = self.city, self.city.as_of
        ln, X, p, paths = advice.line, advice.X, advice.p, advice.paths
        jobs, outbound, path_order = advice.chosen(city, k)
        return Recommendations.model_validate(
            {
                "worker_id": int(worker_id),
                "as_of": _day(as_of),
                "jobs": [self._job(row, int(ln[i]), X[i], float(p[i])) for i in jobs],
                "outbound": [self._job(row, int(ln[i]), X[i], float(p[i])) for i in outbound],
                "pathways": [self._pathway(row, paths, int(i), X[paths.pair[i]]) for i in path_order],
                "model": self._version(),
            }
        )

    def _version(self) -> dict[str, Any]:
        return {"sha256": self.manifest.get("sha256"), "trained_at": self.manifest.get("trained_at")}

    def candidates(
        self, line_id: int, k: int = 10, pool: Iterable[int] | None = None, consenting: bool = False
    ) -> LineCandidates:
        """The `k` workers of `pool` (worker ids; everyone when None), only those who consented to be shown
        when `consenting`, best suited to the open line `line_id`.

        The workers for whom the line is feasible are ranked by retrieval similarity and the best
        `max(200, 20 k)` scored by the model; one who lacks a certificate the line requires, but can obtain
        it by training, is flagged `needs_training` (a candidate for an order-based class).
        """
        if pool is not None:
            if k < 1:
                raise ValueError(f"k must be at least 1, got {k}")
            with self._lock, one_native_thread():
                return self._candidates(line_id, k, pool, consenting).answer  # type: ignore[return-value]
        return self.stored_candidates(line_id, k, consenting).answer  # type: ignore[return-value]

    def stored_candidates(self, line_id: int, k: int = 10, consenting: bool = False) -> Stored:
        """`candidates` among every worker, kept: served again until a change could alter it."""
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        key = candidates_key(line_id, k, consenting)
        kept = self._stored.get(key)
        if kept is not None:
            return kept
        with self._lock, one_native_thread():
            return self._keep(key, self._candidates(line_id, k, None, consenting))

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

    def _candidates(self, line_id: int, k: int, pool: Iterable[int] | None, consenting: bool) -> Stored:
        city, as_of = self.city, self.city.as_of
        line = int(city.line_rows([line_id])[0])
        if not (city.lines.open[line] and city.lines.end[line] >= as_of):
            raise LineNotOpen(f"岗位 {line_id} 在{_day(as_of)}不在招（已关闭或已过截止日期），没有候选人")
        everyone = np.arange(len(city.workers))
        rows = everyone if pool is None else everyone[np.isin(city.workers.id, np.fromiter(pool, np.int64))]
        if consenting:
            rows = rows[city.workers.consent[rows]]
        rows = rows[in_reach(city, rows, line)]  # the others are out of the line's region
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
        p = self.model.predict(X)
        # a worker who lacks the level or a certificate the line asks for is a candidate only through a class
        paths = find_pathways(self.model, self.space, w, ln, X, as_of)
        through = np.full(len(w), -1)
        through[paths.pair] = np.arange(len(paths))
        keep = ready(X) | (through >= 0)
        score = np.where(ready(X), p, 0.0)
        score[through >= 0] = paths.p_success[through[through >= 0]]
        order = [i for i in ranked(score, X, city.workers.id[w]) if keep[i]][:k]
        answer = LineCandidates.model_validate(
            {
                "line": self._line(line),
                "as_of": _day(as_of),
                "feasible_workers": int(keep.sum()),
                "candidates": [
                    self._candidate(int(w[i]), line, X[i], float(score[i]), paths, int(through[i]))
                    for i in order
                ],
                "model": self._version(),
            }
        )
        floor = float(found.similarity[short[-1]]) if len(found) > len(short) else -np.inf
        return Stored(answer, np.array([line_id]), city.workers.id[w], (floor,))

    def _candidate(
        self, worker: int, line: int, x: np.ndarray, score: float, paths: Pathways, path: int
    ) -> dict[str, Any]:
        """A candidate for the line; one who needs a class first names it (`path`, -1 for none)."""
        city, as_of = self.city, self.city.as_of
        flags = feasibility_flags(city, worker, line, as_of)
        flags["needs_training"] = path >= 0
        prog = int(paths.programme[path]) if path >= 0 else None
        reasons = reasons_for(city, worker, line, x, as_of, prog)
        out = {"worker_id": int(city.workers.id[worker]), **explained(score, reasons, flags)}
        if prog is not None:
            out["programme"] = self._programme(prog, float(paths.travel_km[path]))
            reasons.insert(
                0,
                training_reason(
                    city, worker, prog, line, float(paths.p_complete[path]), float(paths.travel_km[path])
                ),
            )
        return out

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

    def _programme(self, prog: int, travel_km: float) -> dict[str, Any]:
        pr = self.city.programmes
        return {
            "programme_id": int(pr.id[prog]),
            "code": str(pr.code[prog]),
            "name": str(pr.name[prog]),
            "institution": str(pr.institution[prog]),
            "certifies": certifies(self.city, prog),
            "site": {"code": str(pr.region[prog]), "name": place_name(str(pr.region[prog]))},
            "travel_km": round(travel_km, 1),
            "class_start": _day(pr.start[prog]),
            "class_end": _day(pr.end[prog]),
            "days": int(pr.days[prog]),
            "seats": int(pr.seats[prog]),
            "seats_left": int(pr.seats[prog] - pr.enrolled[prog]),
            "cost": int(pr.cost[prog]),
            "catalogue_subsidy": int(pr.subsidy[prog]),
        }

    def _pathway(self, worker: int, paths: Pathways, i: int, x: np.ndarray) -> dict[str, Any]:
        city, as_of = self.city, self.city.as_of
        line, prog = int(paths.line[i]), int(paths.programme[i])
        flags = feasibility_flags(city, worker, line, as_of)
        flags["needs_training"] = True
        flags["subsidy"] = subsidy_outlook(city, worker, prog)
        travel = float(paths.travel_km[i])
        reasons = [
            training_reason(city, worker, prog, line, float(paths.p_complete[i]), travel),
            *reasons_for(city, worker, line, x, as_of, prog),
        ]
        return {
            **self._line(line),
            "programme": self._programme(prog, travel),
            "p_complete": round(float(paths.p_complete[i]), 4),
            "p_hired_after_training": round(float(paths.p_hired[i]), 4),
            "value": round(float(paths.value[i]), 4),
            **explained(float(paths.p_success[i]), reasons, flags),
        }


def _carried(
    old: sparse.csr_matrix,
    old_ids: np.ndarray,
    new_ids: np.ndarray,
    changed: np.ndarray,
    compute: Callable[[np.ndarray], sparse.spmatrix],
) -> sparse.csr_matrix:
    """Rows for `new_ids`: those of `old` (rows for `old_ids`, both sorted) where the id is there and did
    not change, the others computed from their new rows."""
    pos = np.minimum(np.searchsorted(old_ids, new_ids), max(len(old_ids) - 1, 0))
    kept = (
        (old_ids[pos] == new_ids) & ~np.isin(new_ids, changed)
        if len(old_ids)
        else np.zeros(len(new_ids), bool)
    )
    fresh = np.flatnonzero(~kept)
    stacked = sparse.vstack([old[pos[kept]], *([compute(fresh)] if len(fresh) else [])], format="csr")
    order = np.empty(len(new_ids), np.int64)
    order[np.flatnonzero(kept)] = np.arange(int(kept.sum()))
    order[fresh] = kept.sum() + np.arange(len(fresh))
    return stacked[order]


def _touched(
    old: Recommender,
    new: Recommender,
    kept: dict[tuple[Any, ...], Stored],
    workers: np.ndarray,
    lines: np.ndarray,
) -> set[tuple[Any, ...]]:
    """The keys of the answers of `kept` (made by `old`) that the change from `old` to `new`, in which the
    workers and lines with the ids given changed, could alter; every other answer `new` would give alike.

    An answer rests on its own worker or line, on the lines or workers it was chosen among, and on the
    catalogue (a catalogue change keeps no answer). A worker's recommendations are touched when the
    worker or a line retrieved changed, or when a changed line, as it was or as it is, is feasible for the
    worker at a similarity reaching the floor of its part (in Qujing, outside). A line's candidates are
    touched when the line or a worker of its shortlist changed, or when a changed worker (consenting, when
    only those are asked) is now feasible for it at a similarity reaching the shortlist's floor.
    """
    keys = list(kept)
    touched = {keys[i] for i in np.flatnonzero(_any_in([kept[k].workers for k in keys], workers))}
    touched.update(keys[i] for i in np.flatnonzero(_any_in([kept[k].lines for k in keys], lines)))
    advised: dict[int, list[tuple[Any, ...]]] = {}
    wanted: dict[int, list[tuple[Any, ...]]] = {}
    for key in kept.keys() - touched:
        (advised if key[0] == "worker" else wanted).setdefault(key[1], []).append(key)
    if advised and len(lines):
        for rec in (old, new):
            for part, index in enumerate((rec.local, rec.away)):
                rows = index.rows[np.isin(rec.city.lines.id[index.rows], lines)]
                if len(rows):
                    ids = np.fromiter(advised, np.int64)
                    found = _feasible(rec, ids, rows)
                    for w, sim in zip(
                        rec.city.workers.id[found.worker].tolist(), found.similarity, strict=True
                    ):
                        touched.update(key for key in advised[w] if sim >= kept[key].floor[part] - _MARGIN)
    present = workers[np.isin(workers, new.city.workers.id)]
    if wanted and len(present):
        found = _feasible(new, present, new.city.line_rows(np.fromiter(wanted, np.int64)))
        consent = new.city.workers.consent[found.worker]
        for ln, sim, ok in zip(
            new.city.lines.id[found.line].tolist(), found.similarity, consent, strict=True
        ):
            touched.update(
                key for key in wanted[ln] if (ok or not key[3]) and sim >= kept[key].floor[0] - _MARGIN
            )
    return touched


def _any_in(arrays: list[np.ndarray], ids: np.ndarray) -> np.ndarray:
    """For each array, whether it holds one of `ids`."""
    if not arrays or not len(ids):
        return np.zeros(len(arrays), bool)
    owner = np.repeat(np.arange(len(arrays)), [len(a) for a in arrays])
    hit = np.isin(np.concatenate(arrays), ids)
    return np.bincount(owner[hit], minlength=len(arrays)) > 0


def _feasible(rec: Recommender, worker_ids: np.ndarray, line_rows: np.ndarray) -> Candidates:
    """Every feasible pair of the workers `worker_ids` and the lines `line_rows` of `rec`, with its
    retrieval similarity."""
    city, vec = rec.city, rec.model.vectorizer
    rows = city.worker_rows(worker_ids)
    index = build_line_index(city, vec, line_rows, city.as_of, rec.space.line_vectors[line_rows])
    vectors = None if rec._worker_vectors is None else rec._worker_vectors[rows]
    return retrieve_batch(worker_states(city, vec, index, rows, city.as_of, vectors), index, len(index))


def recommendations_key(worker_id: int, k: int) -> tuple[Any, ...]:
    return ("worker", int(worker_id), k)


def candidates_key(line_id: int, k: int, consenting: bool) -> tuple[Any, ...]:
    return ("line", int(line_id), k, consenting)


def served_recommendations(
    worker_id: int, url: str | None = None, k: int = 10, session: Session | None = None
) -> Stored:
    """`recommend_for_worker`, kept, from the process's view of the store (`MatchingView.serving`): every
    change committed before the call that touches the answer's worker or lines is in it. `session`: the
    caller's, to look at the change log with; committed before an answer is computed."""
    return _served(
        recommendations_key(worker_id, k), url, session, lambda rec: rec.stored_recommendations(worker_id, k)
    )


def served_candidates(
    line_id: int, url: str | None = None, k: int = 10, session: Session | None = None
) -> Stored:
    """The candidates among the consenting workers, kept, from the process's view of the store
    (`MatchingView.serving`): every change committed before the call to the line or a worker it was chosen
    among is in it. `session` as for `served_recommendations`."""
    return _served(
        candidates_key(line_id, k, True), url, session, lambda rec: rec.stored_candidates(line_id, k, True)
    )


def _served(
    key: tuple[Any, ...], url: str | None, session: Session | None, answer: Callable[[Recommender], Stored]
) -> Stored:
    from matcher.model.live import matching_view

    view = matching_view(url)
    rec = view.serving(key, None if session is None else session.connection())
    kept = None if rec is None else rec.kept(key)
    if kept is not None:
        return kept
    if session is not None:
        session.commit()  # hand the connection back while changes are merged or the model works
    return answer(rec or view.current())


def recommender(url: str | None = None, models_dir: str | Path | None = None) -> Recommender:
    """The process's recommender for this store and model directory, loaded on first use and current: it
    holds every change committed to the store before the call (`matcher.model.live`)."""
    from matcher.model.live import matching_view

    return matching_view(url, models_dir).current()


def recommend_for_worker(worker_id: int, url: str | None = None, k: int = 10) -> Recommendations:
    """Recommendations for one worker (jobs, outbound, pathways), from the cached recommender."""
    return recommender(url).recommend(worker_id, k)
