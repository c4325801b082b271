"""Candidate retrieval: for every worker the top-K demand lines they could actually take.

A (worker, line) pair is FEASIBLE on the day of matching `as_of` when all of these hold:

- region: the line lies in the worker's own county (for a resident of the development zone, also in
  麒麟区 around it) or inside a region the worker named in their intentions (a county, 530300 for the
  whole of Qujing, a partner city) — except that a line outside Yunnan needs, and only needs, the
  worker's stated willingness to work outside the province (`intentions.outside_province`);
- the law: on the line's start date, or on `as_of` if the line has already started, the worker may do the
  work (`matcher.labour`: at least 16, not past the statutory retirement age, no work barred to women or to
  minors, special operations only from 18);
- wage: the line's top wage reaches the worker's minimum wage (`intentions.min_wage`);
- certificates: every special-operation item the line requires is held by `as_of`, or is awarded by an
  upcoming class of the catalogue with seats left (`available_programmes`) — then the pair needs training
  first and becomes a pathway (`matcher.model.pathways`).

Retrieval ranks the feasible lines of a worker by the weighted dot product of their rows in the shared
feature space (`ProfileVectorizer.column_weights`). Everything is computed per batch of workers as sparse
products and boolean masks over (batch × lines); batches go through `joblib.Parallel`, so running inside
`joblib.parallel_config(backend="dask")` spreads them over a Dask cluster unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from joblib import Parallel, delayed
from scipy import sparse

from matcher import labour
from matcher import reference as ref
from matcher.model.codes import special_operation_codes
from matcher.model.dates import NEVER
from matcher.model.features import ProfileVectorizer, line_profiles, worker_profiles
from matcher.model.geometry import place
from matcher.model.snapshot import City
from matcher.model.threads import one_native_thread

DEFAULT_K = 50
BATCH = 2048
PAIRS_AT_ONCE = 16_000_000
"""(Workers × lines) pairs retrieval holds in its dense matrices at once: about 0.6 GiB, whatever the
number of lines (a batch of 2,048 workers against the province's 100,000 lines a worker may reach would
otherwise take some 5 GiB)."""


@dataclass
class LineIndex:
    """Demand lines prepared for retrieval: weighted vectors and what the feasibility rules read."""

    rows: np.ndarray  # line rows in the city
    vectors_t: sparse.csr_matrix  # (features × lines), weighted for retrieval, without the text block
    text_t: sparse.csr_matrix  # (features × lines), the text block alone, unweighted
    text_weight: float  # the text block's retrieval weight
    start_on: np.ndarray  # the day work would start: the line's start, or `as_of` when it has begun
    hazards: np.ndarray  # `labour.Hazard` bits of the work
    cadre: np.ndarray  # a cadre-type post (the retirement age of women differs)
    wage_max: np.ndarray
    outside_province: np.ndarray
    chain_t: np.ndarray  # (regions × lines) 0/1: the line's region and every region containing it
    required_t: np.ndarray  # (items × lines) 0/1: required special-operation items
    unobtainable_t: np.ndarray  # (items × lines) 0/1: required items no available programme awards
    n_required: np.ndarray
    n_unobtainable: np.ndarray
    region_ids: dict[str, int]

    def __len__(self) -> int:
        return len(self.rows)

    def take(self, cols: np.ndarray) -> LineIndex:
        """The index of the lines at positions `cols` (ascending, so that ties still fall in line order),
        over the same regions."""
        return LineIndex(
            rows=self.rows[cols],
            vectors_t=self.vectors_t[:, cols],
            text_t=self.text_t[:, cols],
            text_weight=self.text_weight,
            start_on=self.start_on[cols],
            hazards=self.hazards[cols],
            cadre=self.cadre[cols],
            wage_max=self.wage_max[cols],
            outside_province=self.outside_province[cols],
            chain_t=self.chain_t[:, cols],
            required_t=self.required_t[:, cols],
            unobtainable_t=self.unobtainable_t[:, cols],
            n_required=self.n_required[cols],
            n_unobtainable=self.n_unobtainable[cols],
            region_ids=self.region_ids,
        )


@dataclass
class WorkerBatch:
    """A batch of workers as they stand on `as_of`, in the columns the feasibility rules read."""

    rows: np.ndarray
    vectors: sparse.csr_matrix  # (batch × features)
    sex: np.ndarray
    birth: np.ndarray
    min_wage: np.ndarray
    outside_province: np.ndarray
    intents: np.ndarray  # (batch × regions) 0/1: regions the worker accepts, home county and intentions
    held: np.ndarray  # (batch × items) 0/1: special-operation items held on `as_of`

    def __len__(self) -> int:
        return len(self.rows)

    def slice(self, start: int, stop: int) -> WorkerBatch:
        return WorkerBatch(
            self.rows[start:stop],
            self.vectors[start:stop],
            self.sex[start:stop],
            self.birth[start:stop],
            self.min_wage[start:stop],
            self.outside_province[start:stop],
            self.intents[start:stop],
            self.held[start:stop],
        )


def available_programmes(city: City, as_of: int) -> np.ndarray:
    """Rows of the catalogue's classes a person can still join on `as_of`: not begun, with seats left."""
    p = city.programmes
    return np.flatnonzero((p.start > as_of) & (p.seats - p.enrolled > 0))


def obtainable_items(city: City, as_of: int) -> np.ndarray:
    """Which special-operation items an available programme (`available_programmes`) awards."""
    so = city.programmes.so[available_programmes(city, as_of)]
    out = np.zeros(len(special_operation_codes()), bool)
    out[so[so >= 0]] = True
    return out


def build_line_index(
    city: City,
    vectorizer: ProfileVectorizer,
    rows: np.ndarray,
    as_of: int,
    vectors: sparse.csr_matrix | None = None,
) -> LineIndex:
    """The lines `rows` of the city ready for retrieval on day `as_of` (`vectors`: theirs, when known)."""
    ln = city.lines
    rows = np.asarray(rows, dtype=np.int64)
    if vectors is None:
        vectors = vectorizer.transform(line_profiles(city, rows))
    weights = vectorizer.column_weights()
    text_only = np.zeros(vectorizer.n_features_out_, np.float32)
    text_only[vectorizer.blocks_["text"]] = 1.0
    text_weights = np.unique(weights[text_only > 0])
    if len(text_weights) > 1:
        raise ValueError("retrieval needs one weight for the whole text block")
    weighted = vectors.multiply((weights * (1 - text_only))[None, :]).tocsr()
    start_on = np.maximum(ln.start[rows], as_of)
    region_ids: dict[str, int] = {}
    c_rows, c_cols = [], []
    for i, code in enumerate(ln.region[rows].tolist()):
        for c in place(code).chain:
            c_rows.append(i)
            c_cols.append(region_ids.setdefault(c, len(region_ids)))
    chain = np.zeros((len(region_ids), len(rows)), np.float32)
    chain[c_cols, c_rows] = 1.0
    required = ln.required[rows].toarray().astype(np.float32)
    unobtainable = required * ~obtainable_items(city, as_of)[None, :]
    return LineIndex(
        rows=rows,
        vectors_t=_pruned(weighted.T),
        text_t=_pruned(vectors.multiply(text_only[None, :]).T),
        text_weight=float(text_weights[0]) if len(text_weights) else 0.0,
        start_on=start_on,
        hazards=ln.hazards[rows],
        cadre=ln.cadre[rows],
        wage_max=ln.wage_max[rows],
        outside_province=ln.province[rows] != ref.YUNNAN_CODE,
        chain_t=chain,
        required_t=np.ascontiguousarray(required.T),
        unobtainable_t=np.ascontiguousarray(unobtainable.T),
        n_required=required.sum(axis=1).astype(np.int32),
        n_unobtainable=unobtainable.sum(axis=1).astype(np.int32),
        region_ids=region_ids,
    )


def _pruned(m: sparse.spmatrix) -> sparse.csr_matrix:
    """CSR without stored zeros (multiplying by zero weights leaves them, and they cost in products)."""
    out = sparse.csr_matrix(m)
    out.eliminate_zeros()
    return out


def held_items(city: City, rows: np.ndarray, as_of: int) -> np.ndarray:
    """(rows × items) 0/1: special-operation items each worker holds a certificate for before `as_of`."""
    cr = city.credentials
    q, k = cr.expand(rows)
    keep = (cr["so"][k] >= 0) & (cr["date"][k] < as_of) & (cr["date"][k] != NEVER)
    held = np.zeros((len(rows), len(special_operation_codes())), np.float32)
    held[q[keep], cr["so"][k][keep]] = 1.0
    return held


def worker_states(
    city: City,
    vectorizer: ProfileVectorizer,
    index: LineIndex,
    rows: np.ndarray,
    as_of: int,
    vectors: sparse.csr_matrix | None = None,
) -> WorkerBatch:
    """The workers `rows` as they stand on `as_of`, vectorized in the index's feature space (or given
    their `vectors`, one row per worker of `rows`, when a caller keeps them)."""
    w = city.workers
    rows = np.asarray(rows, dtype=np.int64)
    return WorkerBatch(
        rows=rows,
        vectors=vectorizer.transform(worker_profiles(city, rows, as_of)) if vectors is None else vectors,
        sex=w.sex[rows],
        birth=w.birth[rows],
        min_wage=w.min_wage[rows],
        outside_province=w.outside_province[rows],
        intents=accepted_regions(city, index, rows),
        held=held_items(city, rows, as_of),
    )


def accepted_regions(city: City, index: LineIndex, rows: np.ndarray) -> np.ndarray:
    """(rows × the index's regions) 0/1: the regions each worker accepts, their home county and places and
    the regions they named."""
    q, k = city.workers.intent_region.expand(rows)
    # the index's column of each region of the city's region ids (regions on no line of the index: -1)
    column = np.full(len(city.region_index) + 1, -1, np.int64)
    for code, col in index.region_ids.items():
        column[city.region_index[code]] = col
    q = np.concatenate([q, np.repeat(np.arange(len(rows)), 2)])
    cols = column[np.concatenate([city.intent_region_id[k], city.home_region_id[rows].ravel()])]
    keep = cols >= 0
    intents = np.zeros((len(rows), len(index.region_ids)), np.float32)
    intents[q[keep], cols[keep]] = 1.0
    return intents


def reach_groups(
    city: City, index: LineIndex, rows: np.ndarray, chunk: int = 65_536
) -> tuple[np.ndarray, np.ndarray]:
    """The workers `rows` grouped by the lines of the index the region rule of `feasibility` lets them
    reach: (each worker's group, (groups × lines) which lines each group reaches).

    No other line can be feasible for a worker of the group, so retrieval against the group's lines alone
    finds the same candidates. Lines with the same region are reached together, so the groups are few
    (home county × whole city named × willing to leave the province, about forty in Qujing) whatever the
    number of workers.
    """
    rows = np.asarray(rows, dtype=np.int64)
    chains, kind = np.unique(index.chain_t.T, axis=0, return_inverse=True)
    kind = kind.ravel()
    kind_outside = np.zeros(len(chains), bool)
    kind_outside[kind] = index.outside_province
    reaches = []
    for s in range(0, len(rows), chunk):
        part = rows[s : s + chunk]
        accepted = (accepted_regions(city, index, part) @ chains.T) > 0
        reaches.append(
            np.where(kind_outside[None, :], city.workers.outside_province[part][:, None], accepted)
        )
    reach = np.concatenate(reaches) if reaches else np.zeros((0, len(chains)), bool)
    groups, group = np.unique(reach, axis=0, return_inverse=True)
    return group.ravel(), groups[:, kind]


def in_reach(city: City, rows: np.ndarray, line: int) -> np.ndarray:
    """Which workers of `rows` the region rule of `feasibility` admits for the line `line`, without building
    their states: a line outside Yunnan, those willing to work outside the province; any other, those whose
    own county or a region they named lies on the line's region chain."""
    w = city.workers
    if city.lines.province[line] != ref.YUNNAN_CODE:
        return w.outside_province[rows]
    chain = city.line_chain[line][city.line_chain[line] >= 0]
    named = np.zeros(len(w), bool)
    named[w.intent_region.owner()[np.isin(city.intent_region_id, chain)]] = True
    return np.isin(city.home_region_id[rows], chain).any(axis=1) | named[rows]


def feasibility(batch: WorkerBatch, index: LineIndex) -> tuple[np.ndarray, np.ndarray]:
    """(batch × lines) feasibility mask and the number of required items each worker lacks.

    Regions and items are few, so their incidence products are small dense matrix products.
    """
    accepted = (batch.intents @ index.chain_t) > 0
    outside = index.outside_province[None, :]
    region = np.where(outside, batch.outside_province[:, None], accepted)
    lawful = ~labour.barred(
        batch.sex[:, None],
        batch.birth[:, None],
        index.start_on[None, :],
        index.hazards[None, :],
        index.cadre[None, :],
    )
    wage = index.wage_max[None, :] >= batch.min_wage[:, None]
    # items are counted only on the lines that require some
    feasible = region & lawful & wage
    unobtainable = np.flatnonzero(index.n_unobtainable)
    feasible[:, unobtainable] &= (
        batch.held @ index.unobtainable_t[:, unobtainable] >= index.n_unobtainable[None, unobtainable]
    )
    missing = np.zeros(feasible.shape, np.int8)
    required = np.flatnonzero(index.n_required)
    missing[:, required] = index.n_required[None, required] - batch.held @ index.required_t[:, required]
    return feasible, missing


@dataclass
class Candidates:
    """Retrieved pairs, grouped by worker (in the order asked) and best first within a worker."""

    worker: np.ndarray  # worker rows
    line: np.ndarray  # line rows
    similarity: np.ndarray  # the retrieval similarity (weighted dot product in the shared space)
    text: np.ndarray  # the TF-IDF cosine of the worker's and the line's text
    missing: np.ndarray  # required special-operation items the worker lacks (obtainable by training)

    def __len__(self) -> int:
        return len(self.worker)

    @classmethod
    def concat(cls, parts: list[Candidates]) -> Candidates:
        names = ("worker", "line", "similarity", "text", "missing")
        if not parts:
            return cls(*(np.zeros(0, t) for t in (np.int64, np.int64, np.float32, np.float32, np.int8)))
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in names))


def retrieve_batch(batch: WorkerBatch, index: LineIndex, k: int) -> Candidates:
    """The top-`k` feasible lines of each worker of the batch (fewer when fewer are feasible), a slice of
    workers at a time so that the dense (workers × lines) matrices stay within `PAIRS_AT_ONCE` pairs."""
    rows = max(1, PAIRS_AT_ONCE // max(len(index), 1))
    with one_native_thread():
        return Candidates.concat(
            [_retrieve_batch(batch.slice(i, i + rows), index, k) for i in range(0, len(batch), rows)]
        )


def _retrieve_batch(batch: WorkerBatch, index: LineIndex, k: int) -> Candidates:
    mask, missing = feasibility(batch, index)
    # The text block is multiplied apart so that its cosine comes out too: the similarity is the other
    # blocks' weighted product plus the text block's weight times the cosine.
    text_all = _dense_product(batch.vectors, index.text_t)
    sims = _dense_product(batch.vectors, index.vectors_t) + index.text_weight * text_all
    sims[~mask] = -np.inf
    kk = min(k, len(index))
    if kk == 0:
        return Candidates.concat([])
    # The k best, then sorted by similarity with ties in line order: the same row gives the same list
    # whatever batch it comes in, and whatever other lines the index holds.
    top = np.argpartition(-sims, kk - 1, axis=1)[:, :kk]
    top_s = np.take_along_axis(sims, top, axis=1)
    # argpartition keeps any of the lines tied at the k-th place: keep the first ones in line order
    kth = top_s.min(axis=1)
    for tied in np.flatnonzero(np.isfinite(kth) & ((sims >= kth[:, None]).sum(axis=1) > kk)).tolist():
        cols = np.flatnonzero(sims[tied] >= kth[tied])
        top[tied] = cols[np.lexsort((cols, -sims[tied, cols]))][:kk]
    top_s = np.take_along_axis(sims, top, axis=1)
    order = np.lexsort((top, -top_s), axis=1)
    top = np.take_along_axis(top, order, axis=1)
    top_s = np.take_along_axis(top_s, order, axis=1)
    keep = np.isfinite(top_s)
    rows = np.repeat(np.arange(len(batch)), kk).reshape(len(batch), kk)
    r, c = rows[keep], top[keep]
    text = text_all[r, c]
    return Candidates(
        worker=batch.rows[r],
        line=index.rows[c],
        similarity=top_s[keep],
        text=text,
        missing=missing[r, c],
    )


def _dense_product(a: sparse.csr_matrix, b: sparse.csr_matrix) -> np.ndarray:
    """`(a @ b).toarray()`, the same numbers (each sum taken over `a`'s row in the same order), computed
    as a sparse × dense product over the features both use: the product is dense, and building it
    sparse first costs several times more."""
    used = np.unique(a.indices)
    used = used[np.diff(b.indptr)[used] > 0]
    return np.asarray(a[:, used] @ b[used].toarray())


def retrieve(
    index: LineIndex,
    workers: WorkerBatch,
    k: int = DEFAULT_K,
    batch_size: int = BATCH,
    n_jobs: int | None = None,
) -> Candidates:
    """Top-`k` feasible lines for each worker, batch by batch through `joblib.Parallel`."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    spans = range(0, len(workers), batch_size)
    parts = Parallel(n_jobs=n_jobs)(
        delayed(retrieve_batch)(workers.slice(i, i + batch_size), index, k) for i in spans
    )
    return Candidates.concat(list(parts))
