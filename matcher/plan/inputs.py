"""From the store to the planning network: scope, candidate arcs with their scores, subsidies, capacities.

For every worker in scope the model retrieves the top candidate lines of the open ledger, scores each pair
(P(hired and still employed six months on)) and finds the training pathways that close a pair's gap
(`matcher.model`). A feasible pair the worker needs no certificate for is a direct arc (an outbound one
when the line lies outside Qujing). A pathway through a programme the bureau runs as classes (order-based,
targeted, project-based) gives a training arc worker → class, valued at the worker's best pathway
through that class, and a serve arc class → line for each line its pathways lead to. The policy engine
then decides each training pair; pairs it denies are dropped, with the denials counted.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from sqlalchemy import select
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from matcher.model.candidates import (
    LineIndex,
    build_line_index,
    reach_groups,
    retrieve_batch,
    worker_states,
)
from matcher.model.codes import GROUPS
from matcher.model.pathways import find_pathways, gaps
from matcher.model.scoring import FEATURES, FeatureSpace, MatchModel, pair_features
from matcher.model.snapshot import City
from matcher.plan.network import Network
from matcher.plan.options import PlanOptions
from matcher.plan.subsidy import PairDecisions, decide_pairs
from matcher.policy import pack_for
from matcher.store import session_scope
from matcher.store.tables import InstitutionRow, ProgrammeRow

CANDIDATES_PER_WORKER = 20
"""Lines retrieved per worker (the arcs a worker may take, direct or through training)."""
PATHWAY_PAIRS_PER_WORKER = 3
"""Candidate pairs with a gap per worker for which training pathways are sought (best retrieved first)."""
BATCH_WORKERS = 2048
THREADS = 2
"""Batches scored side by side (the machine the plan is sized for has two cores)."""
CLASS_MODES = ("order_based", "targeted", "project_based")
"""Programme modes the bureau opens as classes tied to demand; the others are employers' own staff
training, entrepreneurship or a person's own choice."""
_MISSING = FEATURES.index("missing_certificates")


@dataclass
class Arcs:
    """Candidate arcs over city rows, before the policy engine and before indexing into a network."""

    direct_worker: np.ndarray
    direct_line: np.ndarray
    direct_p: np.ndarray
    path_worker: np.ndarray
    path_line: np.ndarray
    path_programme: np.ndarray
    path_p: np.ndarray  # P(complete) × P(hired and retained after the class)
    path_complete: np.ndarray


@dataclass
class PlanInputs:
    """The network of a plan and the maps from its indices back to the city's rows."""

    network: Network
    workers: np.ndarray  # worker row of each network worker
    lines: np.ndarray  # line row of each network line
    programmes: np.ndarray  # programme row of each network class
    class_start: np.ndarray  # ordinal per class
    class_end: np.ndarray
    train_complete: np.ndarray  # P(complete) per training arc
    train_line: np.ndarray  # line row of the worker's best pathway through the class, per training arc
    decisions: PairDecisions  # per training arc
    priority_weights: dict[str, dict[str, Any]]  # group → weight, article, whence (`priority_weights`)
    denials: Counter[str] = field(default_factory=Counter)
    pairs_decided: int = 0


def planning_city(city: City, options: PlanOptions) -> City:
    """The city as the plan sees it: only the classes the plan may fill (`CLASS_MODES`, held in the plan's
    counties) keep their seats, so that the model's pathways go through nothing else."""
    pr = city.programmes
    offered = np.isin(pr.mode, CLASS_MODES)
    if options.counties is not None:
        offered &= np.isin(pr.county, np.array(options.counties, object))
    programmes = dataclasses.replace(pr, seats=np.where(offered, pr.seats, 0))
    return dataclasses.replace(city, programmes=programmes)


def scope_rows(city: City, options: PlanOptions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Worker, open-line and class-programme rows in the plan's scope (see `PlanOptions.counties`)."""
    w, ln, pr = city.workers, city.lines, city.programmes
    open_lines = ln.open & (ln.end >= city.as_of)
    classes = np.flatnonzero(pr.seats > 0)
    if options.counties is None:
        return np.arange(len(w)), np.flatnonzero(open_lines), classes
    chosen = np.array(options.counties, object)
    workers = np.flatnonzero(np.isin(w.county, chosen))
    return workers, np.flatnonzero(open_lines & (np.isin(ln.county, chosen) | ~ln.in_qujing)), classes


def _batch_arcs(
    model: MatchModel,
    space: FeatureSpace,
    index: LineIndex,
    rows: np.ndarray,
    reach: np.ndarray,
    k: int,
    pathway_pairs: int,
) -> dict[str, np.ndarray]:
    """The arcs of one batch of workers, retrieved among the lines of the index at positions `reach`
    (see `gather_arcs`). The city is the space's: on a Dask cluster it travels once, inside the space."""
    city = space.city
    as_of = city.as_of
    index = index.take(reach)
    # Batches run side by side in threads; more OpenMP threads inside each would only fight for the cores.
    with threadpool_limits(limits=1, user_api="openmp"):
        batch = worker_states(city, model.vectorizer, index, rows, as_of)
        cand = retrieve_batch(batch, index, k)
        space = space.knowing(batch.rows, batch.vectors)
        X = pair_features(space, cand.worker, cand.line, np.full(len(cand), as_of))
        p = model.predict(X)
        direct = X[:, _MISSING] == 0
        g = gaps(X)
        gap = np.flatnonzero(g["certificate"] | g["level"] | g["occupation"])
        # candidates come grouped by worker, best first: keep each worker's first few pairs with a gap
        owner = cand.worker[gap]
        first = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]]) if len(gap) else np.zeros(0, np.int64)
        rank = np.arange(len(gap)) - np.repeat(first, np.diff(np.r_[first, len(gap)]))
        gap = gap[rank < pathway_pairs]
        paths = find_pathways(model, space, cand.worker[gap], cand.line[gap], X[gap], as_of)
    return {
        "direct_worker": cand.worker[direct],
        "direct_line": cand.line[direct],
        "direct_p": p[direct],
        "path_worker": paths.worker,
        "path_line": paths.line,
        "path_programme": paths.programme,
        "path_p": paths.p_success,
        "path_complete": paths.p_complete,
    }


def gather_arcs(
    city: City,
    model: MatchModel,
    space: FeatureSpace,
    workers: np.ndarray,
    lines: np.ndarray,
    k: int = CANDIDATES_PER_WORKER,
    pathway_pairs: int = PATHWAY_PAIRS_PER_WORKER,
    progress: bool = False,
    threads: int = THREADS,
) -> Arcs:
    """Direct arcs and pathways of `workers` to `lines`, batch by batch (see the module docstring).

    Pathways are sought for each worker's first `pathway_pairs` candidate pairs with a gap: scoring a
    pathway costs a pair's features and two predictions for every programme that closes the gap.
    Each worker is retrieved only among the lines within their reach (`reach_groups`: the lines the
    region rule lets them take), so a worker's work follows the lines of their own county and the regions
    they accept, not those of the whole province; batches hold workers of one reach group. The arcs come
    back in the order of `workers`, each worker's best first, as if retrieved against every line.
    Batches go through `joblib.Parallel`: in `threads` threads (the trees' predictions and most array work
    release the GIL), or on a Dask cluster inside `matcher.distributed.on_dask`.
    """
    if space.city is not city:
        raise ValueError("gather_arcs needs the feature space of the city it plans (model.space(city))")
    workers = np.asarray(workers, dtype=np.int64)
    index = build_line_index(city, model.vectorizer, lines, city.as_of)
    group, reach = reach_groups(city, index, workers)
    by_group = np.argsort(group, kind="stable")
    starts = np.searchsorted(group[by_group], np.arange(len(reach) + 1))
    spans = [
        (members[i : i + BATCH_WORKERS], np.flatnonzero(reach[g]))
        for g, members in enumerate(np.split(workers[by_group], starts[1:-1]))
        for i in range(0, len(members), BATCH_WORKERS)
    ]
    jobs = Parallel(n_jobs=threads, prefer="threads", return_as="generator")(
        delayed(_batch_arcs)(model, space, index, rows, cols, k, pathway_pairs) for rows, cols in spans
    )
    parts = list(tqdm(jobs, total=len(spans), desc="生成候选", unit="批", disable=not progress))
    fields = [f.name for f in dataclasses.fields(Arcs)]
    out = {name: np.concatenate([part[name] for part in parts]) if parts else np.zeros(0) for name in fields}
    for name in (
        "direct_worker",
        "direct_line",
        "path_worker",
        "path_line",
        "path_programme",
    ):
        out[name] = out[name].astype(np.int64)
    # back to the order of `workers`: each worker's arcs are together and in order within a batch
    position = np.zeros(len(city.workers), np.int64)
    position[workers] = np.arange(len(workers))
    for prefix in ("direct_", "path_"):
        order = np.argsort(position[out[f"{prefix}worker"]], kind="stable")
        for name in fields:
            if name.startswith(prefix):
                out[name] = out[name][order]
    return Arcs(**out)


def priority_weights(city: City, options: PlanOptions) -> dict[str, dict[str, Any]]:
    """Each weighted group's weight: the planner's, or by default the pack in force on the plan's day, each
    with the article that names the group."""
    pack = pack_for(date.fromordinal(city.as_of))
    if options.priority_weights is None:
        return {
            g: {"weight": p.weight, "article": p.article, "whence": pack.id} for g, p in pack.priority.items()
        }
    return {
        g.value: {
            "weight": w,
            "article": pack.priority[g.value].article if g.value in pack.priority else None,
            "whence": "planner",
        }
        for g, w in options.priority_weights.items()
    }


def worker_weights(city: City, rows: np.ndarray, weights: dict[str, float]) -> np.ndarray:
    """Each worker's priority weight: the largest weight among their groups, 1 when none is weighted."""
    out = np.ones(len(rows))
    groups = city.workers.groups[rows].tocsc()
    for g, name in enumerate(GROUPS):
        if name in weights:
            members = groups.indices[groups.indptr[g] : groups.indptr[g + 1]]
            out[members] = np.maximum(out[members], weights[name])
    return out


def institution_seats(url: str | None, programme_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(institution index per programme, each institution's total seats) for the given programmes."""
    with session_scope(url) as s:
        inst_of = dict(s.execute(select(ProgrammeRow.id, ProgrammeRow.institution_id)).all())
        seats = dict(s.execute(select(InstitutionRow.id, InstitutionRow.total_seats)).all())
    ids = np.array([inst_of[int(p)] for p in programme_ids.tolist()], np.int64)
    uniq, index = np.unique(ids, return_inverse=True)
    return index.astype(np.int64), np.array([seats[int(i)] for i in uniq.tolist()], np.int64)


def line_capacity(city: City, rows: np.ndarray) -> np.ndarray:
    """Headcount still open on each line: the ledger's headcount less the hires already recorded on it."""
    hired = np.bincount(city.placements.line[city.placements.hired], minlength=len(city.lines))
    return np.maximum(city.lines.headcount[rows] - hired[rows], 0)


def build_inputs(
    city: City, arcs: Arcs, workers: np.ndarray, lines: np.ndarray, options: PlanOptions, url: str | None
) -> PlanInputs:
    """The network of the plan: arcs indexed, training pairs decided by the policy engine."""
    w_pos = np.full(len(city.workers), -1)
    w_pos[workers] = np.arange(len(workers))
    l_pos = np.full(len(city.lines), -1)
    l_pos[lines] = np.arange(len(lines))

    # a worker's training arc to a class: their best pathway through it
    order = np.lexsort((-arcs.path_p, arcs.path_programme, arcs.path_worker))
    pw, pp = arcs.path_worker[order], arcs.path_programme[order]
    first = order[np.r_[True, (pw[1:] != pw[:-1]) | (pp[1:] != pp[:-1])]] if len(order) else order
    t_worker, t_prog = arcs.path_worker[first], arcs.path_programme[first]
    programmes, t_class = np.unique(t_prog, return_inverse=True)
    decisions = decide_pairs(city, t_worker, t_prog)
    weights = priority_weights(city, options)
    eligible = decisions.eligible()
    denials: Counter[str] = Counter()
    for d in np.unique(decisions.decision[~eligible]).tolist():
        count = int((decisions.decision == d).sum())
        for denial in decisions.decisions[d].denials:
            denials[f"{denial.name}（{denial.article}）"] += count
    keep = first[eligible]
    t_class = t_class[eligible]
    decisions = PairDecisions(decisions.decision[eligible], decisions.decisions, decisions.engine_calls)

    # serve arcs: each class to every line one of its pathways leads to
    of_class = np.isin(arcs.path_programme, programmes)
    n_l = max(len(lines), 1)
    serve_key = np.unique(
        np.searchsorted(programmes, arcs.path_programme[of_class]) * n_l + l_pos[arcs.path_line[of_class]]
    )
    inst_index, inst_seats = institution_seats(url, city.programmes.id[programmes])
    pr = city.programmes
    net = Network(
        n_workers=len(workers),
        line_capacity=line_capacity(city, lines),
        class_seats=pr.seats[programmes],
        class_institution=inst_index,
        institution_seats=inst_seats,
        direct_worker=w_pos[arcs.direct_worker],
        direct_line=l_pos[arcs.direct_line],
        direct_value=arcs.direct_p,
        train_worker=w_pos[arcs.path_worker[keep]],
        train_class=t_class,
        train_value=arcs.path_p[keep],
        train_subsidy=decisions.total(),
        serve_class=serve_key // n_l,
        serve_line=serve_key % n_l,
        worker_weight=worker_weights(city, workers, {g: w["weight"] for g, w in weights.items()}),
    )
    return PlanInputs(
        network=net,
        priority_weights=weights,
        workers=workers,
        lines=lines,
        programmes=programmes,
        class_start=city.programmes.start[programmes],
        class_end=city.programmes.end[programmes],
        train_complete=arcs.path_complete[keep],
        train_line=arcs.path_line[keep],
        decisions=decisions,
        denials=denials,
        pairs_decided=len(first),
    )
