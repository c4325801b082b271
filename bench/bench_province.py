"""Benchmark of the province: a million workers loaded by COPY and planned on a Dask cluster.

Usage: `python bench/bench_province.py [--workers 1000000] [--dask local:2] [--server URL] [--budget Y]`.

The province is the sample population of `--workers` workers (seed 1) written into PostgreSQL by COPY FROM
STDIN (`matcher synth --copy`) in the schema `province_<workers>` of `--server` (default: the local test
database), built on first use and timed. Then the plan runs twice, each in a process of its own so that
peak memory is its own: in one process (candidate batches in two threads, the named baseline) and with the
candidate stage on the Dask cluster `--dask` (default a LocalCluster of two worker processes; give a
scheduler's address to use a real cluster), the Dask run first. Each prints wall time and peak memory per stage, the Dask
workers' own peaks, and the two plans' objectives, which must agree; the ratio is one process ÷ Dask.
The model is the project's (`MATCHER_MODELS_DIR`, default `models/`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def province_url(server: str, workers: int) -> str:
    """The URL of the province's own schema on `server`."""
    sep = "&" if "?" in server else "?"
    return f"{server}{sep}options=-csearch_path%3Dprovince_{workers}"


def prepare(server: str, workers: int) -> str:
    """The province of `workers` workers in its schema, written by COPY when the schema holds none."""
    from matcher.store import migrate
    from matcher.store.stats import entity_counts
    from matcher.synth import build_city

    admin = create_engine(server)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "province_{workers}"'))
    admin.dispose()
    url = province_url(server, workers)
    migrate(url)
    if entity_counts(url)["workers"] != workers:
        started = time.perf_counter()
        build_city(workers, seed=1, url=url, progress=False, replace=True, copy=True)
        print(f"province of {workers:,} workers written by COPY in {time.perf_counter() - started:.0f} s")
    return url


def single(url: str, dask: str | None, budget: float | None, workers: int) -> dict[str, Any]:
    """One plan in this process, on the Dask cluster `dask` when given; its figures."""
    from matcher.distributed import on_dask
    from matcher.plan import PlanOptions, plan_city
    from matcher.plan.pipeline import peak_rss_mb

    options = PlanOptions.model_validate({"budget": budget, "max_workers": workers})
    started = time.perf_counter()
    with on_dask(dask) as cluster:
        up = time.perf_counter() - started
        started = time.perf_counter()
        result = plan_city(options, url=url)
        total = time.perf_counter() - started
        dask_memory = cluster.memory() if cluster is not None else None
    return {
        "cluster_start": up,
        "load_average": os.getloadavg()[1],
        "total": total,
        "timings": result["timings"],
        "peak_rss_mb": peak_rss_mb(),
        "dask": dask_memory,
        "solution": result["solution"],
        "scope": result["scope"],
        "assigned": result["totals"]["assigned"],
    }


def run(args: argparse.Namespace, url: str, dask: str | None) -> dict[str, Any]:
    command = [sys.executable, __file__, "--single", url, "--workers", str(args.workers)]
    command += ["--budget", str(args.budget)] + (["--dask", dask] if dask else [])
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def show(name: str, r: dict[str, Any]) -> None:
    print(f"\n== {name} (machine's load average over the last 5 minutes at its end: {r['load_average']:.1f})")
    print(f"{'stage':<14}{'wall s':>9}{'CPU s':>9}{'peak MiB':>10}   (CPU: the planning process's own)")
    for stage in r["timings"]:
        print(
            f"{stage['stage']:<14}{stage['seconds']:>9.1f}{stage['cpu_seconds']:>9.1f}{stage['peak_rss_mb']:>10.0f}"
        )
    print(f"{'total':<14}{r['total']:>9.1f}{'':>9}{r['peak_rss_mb']:>10.0f}")
    if r["dask"]:
        peaks = ", ".join(f"{mb:,.0f}" for mb in r["dask"]["peak_rss_mb"].values())
        print(
            f"Dask cluster {r['dask']['address']}: started in {r['cluster_start']:.1f} s (not counted); "
            f"{r['dask']['workers']} workers, peak MiB each: {peaks}"
        )
    s = r["solution"]
    print(
        f"{r['scope']['workers']:,} workers, {r['scope']['arcs']['direct']:,} direct and "
        f"{r['scope']['arcs']['training']:,} training arcs; assigned {r['assigned']:,}; "
        f"objective {s['objective']:.2f} ({s['method']}{'; ' if s.get('notes') else ''}{'; '.join(s.get('notes', []))})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1_000_000)
    parser.add_argument("--dask", default="local:2", help="scheduler address, or local:N")
    parser.add_argument("--server", default=SERVER, help="PostgreSQL database holding the province's schema")
    parser.add_argument("--budget", type=float, default=15_000_000, help="subsidy budget in yuan")
    parser.add_argument("--single", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.single:
        print(
            json.dumps(
                single(args.single, args.dask if args.dask != "none" else None, args.budget, args.workers)
            )
        )
        return

    url = prepare(args.server, args.workers)
    spread = run(args, url, args.dask)  # first, so that a province too big for one process still shows it
    show(f"candidates on Dask {args.dask}", spread)
    try:
        alone = run(args, url, "none")
    except subprocess.CalledProcessError as e:
        print(f"\none process (baseline) failed with exit status {e.returncode}:\n{e.stderr[-2000:]}")
        return
    show("one process (baseline)", alone)
    same_arcs = alone["scope"] == spread["scope"]
    same_plan = abs(alone["solution"]["objective"] - spread["solution"]["objective"]) <= 1e-6 * max(
        1.0, abs(alone["solution"]["objective"])
    )
    print(
        f"\nratio one process / Dask: {alone['total'] / spread['total']:.2f}x end to end, "
        f"candidates {stage(alone, 'candidates') / stage(spread, 'candidates'):.2f}x; "
        f"same candidate arcs: {'yes' if same_arcs else 'NO'}; same plan: {'yes' if same_plan else 'no'}"
        + (
            ""
            if same_plan
            else " (the Lagrangian search stops at its time limit, so its plan depends on the wall time)"
        )
    )


def stage(r: dict[str, Any], name: str) -> float:
    return float(next(s["seconds"] for s in r["timings"] if s["stage"] == name))


if __name__ == "__main__":
    main()
