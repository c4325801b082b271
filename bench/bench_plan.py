"""Benchmark of the city plan: the sample city planned end to end, its solve against a bare min-cost flow.

Usage: `python bench/bench_plan.py [--sizes 60000 200000] [--budget 3000000] [--dir var/bench] [--no-lp]`.

Each size is a sample city (seed 1) built into `--dir` on first use; one model, trained on the first
size's city (not counted), plans every size. Each plan runs in its own process so that its peak memory
is its own: the table shows wall time and peak resident memory at the end of each stage of `plan_city`
(load, candidates and scores, policy decisions, solve, report), with the plan's solver, objective, bound
and gap.

Then, in another process per size, the plan's network is built again and its solve (`solve_plan` with the
plan's budget and minimum class size) is timed against the named baseline: one bare OR-Tools min-cost
flow (`SimpleMinCostFlow`) on the same graph without the side constraints, each run three times in turn
in the same process (the least time counts); the ratio is printed, with the solve's objective, bound,
gap, dual evaluations and notes (on a city, one flow on the whole network and the evaluations on a core). On the first size the pure flow is
also checked against HiGHS's LP of the same instance (`scipy.optimize.linprog`): the same optimum.

Targets: 60,000 workers end to end within 30 s and 200,000 within 90 s on 2 cores; the solve within
1.2× the bare min-cost flow.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matcher.config import PROJECT_DIR  # noqa: E402

if TYPE_CHECKING:
    from matcher.plan.network import Network


TARGETS = {60_000: 30.0, 200_000: 90.0}
SOLVE_TARGET = 1.2
REPEATS = 3


def extract_revision(revision: str, into: Path) -> Path:
    """The project's files at git `revision`, extracted into the new folder `into/baseline`."""
    code = into / "baseline"
    code.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(PROJECT_DIR), "archive", revision], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(code)], input=archive, check=True)
    return code


def prepare(size: int, base: Path, models: Path) -> str:
    """The URL of a sample city of `size` workers under `base`, built (and the model trained) when missing."""
    from matcher.model import train_model
    from matcher.synth import build_city

    url = f"sqlite:///{base / f'city_{size}.db'}"
    done = base / f"city_{size}.done"
    if not done.exists():
        started = time.perf_counter()
        build_city(size, seed=1, url=url, progress=False, replace=True)
        done.touch()
        print(f"built the {size:,}-worker city in {time.perf_counter() - started:.0f} s", flush=True)
    if not (models / "manifest.json").exists():
        started = time.perf_counter()
        train_model(url, out_dir=models)
        print(f"trained the model on it in {time.perf_counter() - started:.0f} s", flush=True)
    return url


def single(url: str, models: Path, budget: float | None) -> None:
    """One plan in this process; its result's figures as one JSON line on stdout."""
    from matcher.plan import PlanOptions, plan_city

    started = time.perf_counter()
    result = plan_city(PlanOptions(budget=budget), url=url, models_dir=models)
    print(
        json.dumps(
            {
                "total": time.perf_counter() - started,
                "timings": result["timings"],
                "solution": result["solution"],
                "scope": result["scope"],
                "totals": {k: v for k, v in result["totals"].items() if k != "priority_groups"},
                "policy": {k: result["policy"][k] for k in ("pairs_decided", "engine_calls")},
            }
        )
    )


def bare_flow(net: Network) -> float:
    """The network without side constraints as one bare OR-Tools min-cost flow; its optimal value."""
    from ortools.graph.python.min_cost_flow import SimpleMinCostFlow

    from matcher.plan.flow import cost_scale

    n_w, n_c, n_l = net.n_workers, net.n_classes, net.n_lines
    n_nodes = 2 + n_w + 2 * n_c + n_l
    scale = cost_scale(
        max(float(net.direct_coef.max(initial=0)), float(net.train_coef.max(initial=0))), n_nodes
    )
    worker, class_in, line = 2, 2 + n_w, 2 + n_w + 2 * n_c
    arcs = [
        (np.zeros(n_w), worker + np.arange(n_w), np.ones(n_w), np.zeros(n_w)),
        (
            worker + net.direct_worker,
            line + net.direct_line,
            np.ones(len(net.direct_worker)),
            -net.direct_coef,
        ),
        (
            worker + net.train_worker,
            class_in + net.train_class,
            np.ones(len(net.train_worker)),
            -net.train_coef,
        ),
        (class_in + np.arange(n_c), class_in + n_c + np.arange(n_c), net.class_seats, np.zeros(n_c)),
        (
            class_in + n_c + net.serve_class,
            line + net.serve_line,
            np.minimum(net.class_seats[net.serve_class], net.line_capacity[net.serve_line]),
            np.zeros(len(net.serve_class)),
        ),
        (line + np.arange(n_l), np.ones(n_l), net.line_capacity, np.zeros(n_l)),
        (np.zeros(1), np.ones(1), np.array([n_w]), np.zeros(1)),
    ]
    tails, heads, capacity = (np.concatenate([a[k] for a in arcs]).astype(np.int64) for k in range(3))
    cost = np.round(np.concatenate([a[3] for a in arcs]) * scale).astype(np.int64)
    mcf = SimpleMinCostFlow()
    mcf.add_arcs_with_capacity_and_unit_cost(tails, heads, capacity, cost)
    supplies = np.zeros(n_nodes, np.int64)
    supplies[0], supplies[1] = n_w, -n_w
    mcf.set_nodes_supplies(np.arange(n_nodes), supplies)
    if mcf.solve() != mcf.OPTIMAL:
        raise RuntimeError("the bare min-cost flow found no optimum")
    return -mcf.optimal_cost() / scale


def fastest(runs: dict[str, Callable[[], Any]]) -> dict[str, tuple[float, Any]]:
    """Each run's least wall time of `REPEATS`, with its last result; the runs take turns, so that a change
    in the machine's load falls on all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    results: dict[str, Any] = {}
    for _ in range(REPEATS):
        for name, run in runs.items():
            started = time.perf_counter()
            results[name] = run()
            times[name].append(time.perf_counter() - started)
    return {name: (min(times[name]), results[name]) for name in runs}


def solve_against_bare(url: str, models: Path, budget: float | None, with_lp: bool) -> None:
    """Time the plan's solve against one bare min-cost flow on the same network (and HiGHS's LP)."""
    from matcher.model.artifacts import load_model
    from matcher.model.snapshot import load_city
    from matcher.plan import PlanOptions, lp_bound, solve_flow, solve_plan
    from matcher.plan.inputs import build_inputs, gather_arcs, planning_city, scope_rows
    from matcher.plan.network import SideConstraints, objective

    model, _ = load_model(models)
    options = PlanOptions(budget=budget)
    city = planning_city(load_city(url), options)
    workers, lines, _ = scope_rows(city, options)
    net = build_inputs(
        city, gather_arcs(city, model, model.space(city), workers, lines), workers, lines, options, url
    ).network
    side = SideConstraints(budget=options.budget, min_class_size=options.min_class_size)
    timed = fastest({"bare": lambda: bare_flow(net), "plan": lambda: solve_plan(net, side)})
    (bare, bare_value), (planned, sol) = timed["bare"], timed["plan"]
    print(
        f"\nsolve on the plan's network: {net.n_workers:,} workers, {net.n_lines:,} lines, "
        f"{net.n_classes:,} classes, {net.n_arcs:,} arcs (least of {REPEATS} runs each, taking turns)"
    )
    print(
        f"{'bare OR-Tools min-cost flow, baseline':<40}{bare:>9.2f} s   optimum {bare_value:.4f} (no side constraints)"
    )
    print(
        f"{'plan solve (' + sol.method + ')':<40}{planned:>9.2f} s   objective {sol.objective:.4f}, "
        f"bound {sol.bound:.4f}, gap {sol.gap:.3%}, {sol.iterations} dual evaluations"
    )
    for note in sol.notes:
        print(f"  {note}")
    print(f"ratio plan solve / bare min-cost flow: {planned / bare:.2f}x  (target {SOLVE_TARGET}x)")
    if with_lp:
        flow = solve_flow(net)
        started = time.perf_counter()
        lp, _ = lp_bound(net, SideConstraints(), pure=True)
        highs = time.perf_counter() - started
        value = objective(net, flow.direct, flow.train)
        print(f"{'HiGHS LP (linprog) of the pure flow':<40}{highs:>9.2f} s   optimum {lp:.4f}")
        print(
            f"pure flow and LP optima differ by {abs(lp - value):.2e}; HiGHS / bare flow {highs / bare:.1f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[60_000, 200_000])
    parser.add_argument("--budget", type=float, default=3_000_000, help="subsidy budget in yuan")
    parser.add_argument("--dir", type=Path, default=PROJECT_DIR / "var" / "bench")
    parser.add_argument("--single", help=argparse.SUPPRESS)
    parser.add_argument("--models", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--no-lp", action="store_true", help="leave out the HiGHS LP check")
    parser.add_argument("--solve-vs-bare", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.single:
        single(args.single, args.models, args.budget)
        return
    if args.solve_vs_bare:
        solve_against_bare(args.solve_vs_bare, args.models, args.budget, not args.no_lp)
        return

    args.dir.mkdir(parents=True, exist_ok=True)
    models = args.dir / f"models_{args.sizes[0]}"
    urls = {size: prepare(size, args.dir, models) for size in args.sizes}
    print(f"\nplans with a budget of {args.budget:,.0f} yuan and the default options (min class size 10)")
    print("load average (1, 5, 15 min) at the start: " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
    for size, url in urls.items():
        out = (
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--single",
                    url,
                    "--models",
                    str(models),
                    "--budget",
                    str(args.budget),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        r = json.loads(out)
        print(
            f"\n== {size:,} workers: {r['scope']['arcs']['direct']:,} direct, {r['scope']['arcs']['training']:,} "
            f"training, {r['scope']['arcs']['serve']:,} serve arcs; {r['policy']['engine_calls']:,} policy decisions "
            f"for {r['policy']['pairs_decided']:,} pairs"
        )
        print(f"{'stage':<14}{'wall s':>9}{'CPU s':>9}{'peak MiB':>10}")
        for stage in r["timings"]:
            print(
                f"{stage['stage']:<14}{stage['seconds']:>9.2f}{stage['cpu_seconds']:>9.2f}{stage['peak_rss_mb']:>10.0f}"
            )
        target = TARGETS.get(size)
        cpu = sum(stage["cpu_seconds"] for stage in r["timings"])
        print(
            f"{'total':<14}{r['total']:>9.2f}{cpu:>9.2f}" + (f"   (target {target:.0f} s)" if target else "")
        )
        s, t = r["solution"], r["totals"]
        print(
            f"solver {s['method']}: objective {s['objective']:.2f}, bound {s['bound']:.2f} ({s['bound_method']}), "
            f"gap {s['gap']:.3%}, {s['iterations']} dual evaluations"
        )
        print(
            f"assigned {t['assigned']:,} of {t['workers_in_scope']:,} (trainees {t['trainees']:,} in {t['classes']} "
            f"classes); subsidies {t['subsidies']:,.0f} yuan"
        )
    for i, url in enumerate(urls.values()):
        lp = [] if i == 0 and not args.no_lp else ["--no-lp"]
        command = [sys.executable, __file__, "--solve-vs-bare", url, "--models", str(models)]
        subprocess.run([*command, "--budget", str(args.budget), *lp], check=True)


if __name__ == "__main__":
    main()
