"""Benchmark of the city plan: the sample city planned end to end, and the inner solver against HiGHS.

Usage: `python bench/bench_plan.py [--sizes 60000 200000] [--budget 3000000] [--dir var/bench]`.

Each size is a sample city (seed 1) built into `--dir` on first use; one model, trained on the first
size's city (not counted), plans every size. Each plan runs in its own process so that its peak memory
is its own: the table shows wall time and peak resident memory at the end of each stage of `plan_city`
(load, candidates and scores, policy decisions, solve, report), with the plan's solver, objective, bound
and gap. Then, on the first size's network without side constraints, the min-cost flow
(`matcher.plan.solve_flow`, OR-Tools) is timed against the LP of the same instance solved by HiGHS
(`scipy.optimize.linprog`), the named baseline; both must reach the same optimum.

Targets: 60,000 workers end to end under 60 s on 2 cores with the solve under 10 s; 200,000 workers
under 3 minutes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matcher.config import PROJECT_DIR  # noqa: E402

TARGETS = {60_000: 60.0, 200_000: 180.0}


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


def flow_against_lp(url: str, models: Path) -> None:
    """Time the min-cost flow and HiGHS's LP on the plan network without side constraints."""
    from matcher.model.artifacts import load_model
    from matcher.model.snapshot import load_city
    from matcher.plan import PlanOptions, lp_bound, solve_flow
    from matcher.plan.inputs import build_inputs, gather_arcs, planning_city, scope_rows
    from matcher.plan.network import SideConstraints, objective

    model, _ = load_model(models)
    options = PlanOptions()
    city = planning_city(load_city(url), options)
    workers, lines, _ = scope_rows(city, options)
    net = build_inputs(
        city, gather_arcs(city, model, model.space(city), workers, lines), workers, lines, options, url
    ).network
    started = time.perf_counter()
    flow = solve_flow(net)
    mcf = time.perf_counter() - started
    started = time.perf_counter()
    lp, _ = lp_bound(net, SideConstraints(), pure=True)
    highs = time.perf_counter() - started
    value = objective(net, flow.direct, flow.train)
    print(
        f"\npure-flow instance: {net.n_workers:,} workers, {net.n_lines:,} lines, {net.n_classes:,} classes, "
        f"{net.n_arcs:,} arcs"
    )
    print(f"{'min-cost flow (OR-Tools)':<34}{mcf:>9.2f} s   optimum {value:.4f}")
    print(f"{'HiGHS LP (linprog), baseline':<34}{highs:>9.2f} s   optimum {lp:.4f}")
    print(f"ratio HiGHS LP / min-cost flow: {highs / mcf:.1f}x  (optima differ by {abs(lp - value):.2e})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[60_000, 200_000])
    parser.add_argument("--budget", type=float, default=3_000_000, help="subsidy budget in yuan")
    parser.add_argument("--dir", type=Path, default=PROJECT_DIR / "var" / "bench")
    parser.add_argument("--single", help=argparse.SUPPRESS)
    parser.add_argument("--models", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--flow-vs-lp", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.single:
        single(args.single, args.models, args.budget)
        return
    if args.flow_vs_lp:
        flow_against_lp(args.flow_vs_lp, args.models)
        return

    args.dir.mkdir(parents=True, exist_ok=True)
    models = args.dir / f"models_{args.sizes[0]}"
    urls = {size: prepare(size, args.dir, models) for size in args.sizes}
    print(f"\nplans with a budget of {args.budget:,.0f} yuan and the default options (min class size 10)")
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
        print(f"{'stage':<14}{'wall s':>9}{'peak MiB':>10}")
        for stage in r["timings"]:
            print(f"{stage['stage']:<14}{stage['seconds']:>9.2f}{stage['peak_rss_mb']:>10.0f}")
        target = TARGETS.get(size)
        print(f"{'total':<14}{r['total']:>9.2f}" + (f"   (target {target:.0f} s)" if target else ""))
        s, t = r["solution"], r["totals"]
        print(
            f"solver {s['method']}: objective {s['objective']:.2f}, bound {s['bound']:.2f} ({s['bound_method']}), "
            f"gap {s['gap']:.3%}, {s['iterations']} dual evaluations"
        )
        print(
            f"assigned {t['assigned']:,} of {t['workers_in_scope']:,} (trainees {t['trainees']:,} in {t['classes']} "
            f"classes); subsidies {t['subsidies']:,.0f} yuan"
        )
    subprocess.run(
        [sys.executable, __file__, "--flow-vs-lp", urls[args.sizes[0]], "--models", str(models)], check=True
    )


if __name__ == "__main__":
    main()
