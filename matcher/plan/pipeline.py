"""The whole plan from the store: load, candidates and scores, subsidies, solve, report; timed by stage."""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, select

from matcher.distributed import on_dask
from matcher.model.artifacts import load_model
from matcher.model.snapshot import City, collector_paused, load_city
from matcher.plan.inputs import (
    CANDIDATES_PER_WORKER,
    PlanInputs,
    build_inputs,
    gather_arcs,
    planning_city,
    scope_rows,
)
from matcher.plan.network import SideConstraints
from matcher.plan.options import PlanOptions
from matcher.plan.report import Reads, assemble
from matcher.plan.solve import place_graduates, solve_plan
from matcher.plan.stable import stable_plan
from matcher.policy import pack_for
from matcher.store import session_scope
from matcher.store.tables import EnterpriseRow, WorkerRow


def peak_rss_mb() -> float:
    """The process's peak resident memory so far, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def workers_in_scope(url: str | None, counties: list[str] | None) -> int:
    """How many workers the store holds in the counties (all when None), counted before anything loads."""
    query = select(func.count()).select_from(WorkerRow)
    if counties is not None:
        query = query.where(WorkerRow.county.in_(counties))
    with session_scope(url) as s:
        return int(s.execute(query).scalar_one())


def report_reads(url: str | None, city: City, inputs: PlanInputs) -> Reads:
    """What the report shows from the store beyond the city: the names of the enterprises behind the plan's
    lines and classes."""
    ids = np.concatenate(
        [city.lines.enterprise_id[inputs.lines], city.programmes.enterprise_id[inputs.programmes]]
    )
    wanted = sorted({int(i) for i in ids.tolist() if i >= 0})
    with session_scope(url) as s:
        names = s.execute(select(EnterpriseRow.id, EnterpriseRow.name).where(EnterpriseRow.id.in_(wanted)))
        return Reads({int(i): n for i, n in names})


def policy_in_force(city: City, classes: np.ndarray) -> dict[str, Any]:
    """Which pack decides the plan's classes (the one in force on each class's first day), and a plain note
    when some classes start outside every pack's period and so carry no subsidy."""
    starts = sorted({date.fromordinal(int(d)) for d in city.programmes.start[classes].tolist()})
    packs = {pack.id: pack for pack in (pack_for(d) for d in starts)}
    outside = [d for d in starts if not any(p.in_force(d) for p in packs.values())]
    note = None
    if outside:
        periods = "；".join(f"{p.document}实施期{p.period[0]}至{p.period[1]}" for p in packs.values())
        note = f"有{len(outside)}个开班日期（{outside[0]}起）不在任何政策的实施期内（{periods}），这些培训班不计补贴"
    return {
        "pack": "、".join(packs) or pack_for(date.fromordinal(city.as_of)).id,
        "periods": {k: [str(p.period[0]), str(p.period[1])] for k, p in packs.items()},
        "note": note,
    }


class Stages:
    """Wall time, this process's CPU time (all its threads) and peak memory (so far) at the end of each stage
    of a run; CPU time well below wall time on one thread's work means the machine was busy elsewhere.

    Each stage runs with the cyclic garbage collector paused (`collector_paused`): the stages make millions
    of short-lived objects in no cycle (rows, cases, decisions, the report's entries), and collections on
    the way cost as much as the work itself; cycles left by a stage are collected after it."""

    def __init__(self, before: Callable[[str], None] | None = None) -> None:
        self.rows: list[dict[str, Any]] = []
        self.before = before

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if self.before is not None:
            self.before(name)  # a cancelled job stops here, between stages
        started, cpu = time.perf_counter(), time.process_time()
        with collector_paused():
            yield
        self.rows.append(
            {
                "stage": name,
                "seconds": round(time.perf_counter() - started, 3),
                "cpu_seconds": round(time.process_time() - cpu, 3),
                "peak_rss_mb": round(peak_rss_mb(), 1),
            }
        )


def plan_city(
    options: PlanOptions,
    url: str | None = None,
    models_dir: str | Path | None = None,
    progress: bool = False,
    k: int = CANDIDATES_PER_WORKER,
    before_stage: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The city plan for `options` on the store at `url` with the model saved in `models_dir`."""
    stages = Stages(before_stage)
    with stages.stage("load"):
        held = workers_in_scope(url, options.counties)
        if held > options.max_workers:
            raise ValueError(
                f"max_workers：规划范围内有 {held:,} 名劳动者，超过上限 max_workers = {options.max_workers:,}："
                "请用 counties（命令行 --county）只规划部分县，或提高 max_workers（命令行 --max-workers，最多 2,000,000）"
            )
        model, manifest = load_model(models_dir)
        city = planning_city(load_city(url), options)
        space = model.space(city)
        workers, lines, programmes = scope_rows(city, options)
    with stages.stage("candidates"):
        arcs = gather_arcs(city, model, space, workers, lines, k=k, progress=progress)
    with stages.stage("policy"):
        inputs = build_inputs(city, arcs, workers, lines, options, url)
    side = SideConstraints(budget=options.budget, min_class_size=options.min_class_size)
    with stages.stage("solve"):
        optimum = solution = solve_plan(inputs.network, side)
        if not options.stable:
            graduate_line = place_graduates(inputs, solution)
    if options.stable:
        with stages.stage("stable"):
            solution = stable_plan(inputs.network, side, optimum)
            graduate_line = place_graduates(inputs, solution)
    with stages.stage("report"):
        reads = report_reads(url, city, inputs)
        result = assemble(
            city,
            space,
            inputs,
            solution,
            graduate_line,
            reads,
            options.budget,
            optimum if options.stable else None,
        )
    net = inputs.network
    return {
        "options": options.model_dump(mode="json"),
        "as_of": date.fromordinal(city.as_of).isoformat(),
        "model": {"sha256": manifest.get("sha256"), "trained_at": manifest.get("trained_at")},
        "scope": {
            "workers": len(workers),
            "workers_with_arcs": int(len(set(net.direct_worker.tolist()) | set(net.train_worker.tolist()))),
            "open_lines": len(lines),
            "programmes_as_classes": len(programmes),
            "candidates_per_worker": k,
            "arcs": {
                "direct": len(net.direct_worker),
                "training": len(net.train_worker),
                "serve": len(net.serve_class),
            },
        },
        "policy": {
            **policy_in_force(city, inputs.programmes),
            "pairs_decided": inputs.pairs_decided,
            "engine_calls": inputs.decisions.engine_calls,
            "denials": dict(inputs.denials.most_common()),
        },
        **result,
        "timings": stages.rows,
    }


def run_plan(
    options: PlanOptions,
    url: str | None = None,
    progress: bool = False,
    before_stage: Callable[[str], None] | None = None,
    dask: str | None = None,
) -> dict[str, Any]:
    """The city plan as a JSON-ready dict, with the model saved in the project's `models/` directory;
    `before_stage` is called with each stage's name before it starts (and may raise to stop the plan).
    Candidates and scores run on the Dask cluster at `dask` (default `MATCHER_DASK`) when one is named; the
    plan then tells each Dask worker's peak memory under `dask`."""
    with on_dask(dask) as cluster:
        result = plan_city(options, url=url, progress=progress, before_stage=before_stage)
        if cluster is not None:
            result["dask"] = cluster.memory()
    return result
