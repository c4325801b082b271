"""Benchmark of the plan's candidate stage (`gather_arcs`) against the same stage at an earlier commit.

Usage: `python bench/bench_candidates.py [--workers 60000] [--baseline COMMIT] [--rounds 2] [--dir var/bench]`.

The sample city of `--workers` workers (seed 1) is built into `--dir` on first use; the model is the project's
(`MATCHER_MODELS_DIR`, default `models/`). The baseline is the code of `--baseline` (a commit, default
`main`), exported by `git archive` into a temporary directory. Each round runs the stage once with the
baseline's code and once with this checkout's, each in a process of its own, in turn; a run prints wall and
CPU seconds (both threads of the stage) and saves its arcs. The least time of each side counts; the ratio is
baseline ÷ this checkout. Then the arcs are compared: the same arrays, or which workers' arcs differ.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matcher.config import PROJECT_DIR  # noqa: E402

ARC_FIELDS = ("direct_worker", "direct_line", "direct_p", "path_worker", "path_line", "path_programme", "path_p")


def single(url: str, out: str) -> None:
    """The candidate stage of the city at `url` with the code importable here; its times as JSON on stdout."""
    import numpy as np

    from matcher.model.artifacts import load_model
    from matcher.model.snapshot import load_city
    from matcher.plan import PlanOptions
    from matcher.plan.inputs import gather_arcs, planning_city, scope_rows

    options = PlanOptions()
    model, _ = load_model(os.environ.get("MATCHER_MODELS_DIR"))
    city = planning_city(load_city(url), options)
    space = model.space(city)
    workers, lines, _ = scope_rows(city, options)
    wall, cpu = time.perf_counter(), time.process_time()
    arcs = gather_arcs(city, model, space, workers, lines)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    np.savez(out, **{name: getattr(arcs, name) for name in ARC_FIELDS})
    print(json.dumps({"wall": wall, "cpu": cpu, "load_average": os.getloadavg()[0]}))


def run(code: Path, url: str, out: Path) -> dict[str, float]:
    """One run of the stage with the code under `code`, through this script's copy there (which imports it)."""
    script = code / "bench" / Path(__file__).name
    if not script.exists():
        script.parent.mkdir(exist_ok=True)
        script.write_text(Path(__file__).read_text())
    env = {**os.environ, "PYTHONPATH": str(code)}
    env.setdefault("MATCHER_MODELS_DIR", str(PROJECT_DIR / "models"))
    command = [sys.executable, str(script), "--single", url, "--out", str(out)]
    done = subprocess.run(command, check=True, capture_output=True, text=True, env=env, cwd=code)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def compare(baseline: Path, current: Path) -> str:
    import numpy as np

    a, b = np.load(baseline), np.load(current)
    if all(np.array_equal(a[name], b[name]) for name in ARC_FIELDS):
        return f"the same arcs ({len(b['direct_worker']):,} direct, {len(b['path_worker']):,} pathways)"
    old = set(zip(a["direct_worker"].tolist(), a["direct_line"].tolist()))
    new = set(zip(b["direct_worker"].tolist(), b["direct_line"].tolist()))
    workers = len({w for w, _ in old ^ new})
    return (
        f"other arcs: direct {len(old):,} → {len(new):,} ({len(old - new):,} left, {len(new - old):,} new, "
        f"for {workers:,} workers); pathways {len(a['path_worker']):,} → {len(b['path_worker']):,}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=60_000)
    parser.add_argument("--baseline", default="main", help="the commit whose candidate stage is the baseline")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--dir", type=Path, default=PROJECT_DIR / "var" / "bench")
    parser.add_argument("--single", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.single:
        single(args.single, args.out)
        return

    from bench_plan import extract_revision

    from matcher.synth import build_city

    args.dir = args.dir.resolve()  # the baseline runs in its own folder
    args.dir.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{args.dir / f'city_{args.workers}.db'}"
    if not (args.dir / f"city_{args.workers}.done").exists():
        build_city(args.workers, seed=1, url=url, progress=False, replace=True)
        (args.dir / f"city_{args.workers}.done").touch()
    with tempfile.TemporaryDirectory() as tmp:
        base_code = extract_revision(args.baseline, Path(tmp))
        sides = {"baseline": base_code, "this checkout": PROJECT_DIR}
        best: dict[str, dict[str, float]] = {}
        for r in range(args.rounds):
            for name, code in sides.items():
                got = run(code, url, Path(tmp) / f"{name.replace(' ', '_')}.npz")
                print(
                    f"round {r + 1}, {name}: {got['wall']:.1f} s wall, {got['cpu']:.1f} s CPU "
                    f"(load average {got['load_average']:.1f})",
                    flush=True,
                )
                if name not in best or got["wall"] < best[name]["wall"]:
                    best[name] = got
        base, now = best["baseline"], best["this checkout"]
        print(
            f"\n{args.workers:,} workers, candidate stage, baseline {args.baseline} ÷ this checkout (least of "
            f"{args.rounds}): {base['wall'] / now['wall']:.2f}x wall ({base['wall']:.1f} s → {now['wall']:.1f} s), "
            f"{base['cpu'] / now['cpu']:.2f}x CPU ({base['cpu']:.1f} s → {now['cpu']:.1f} s)"
        )
        print(compare(Path(tmp) / "baseline.npz", Path(tmp) / "this_checkout.npz"))


if __name__ == "__main__":
    main()
