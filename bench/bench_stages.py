"""The plan's stages in this checkout against a named baseline revision, on the same sample cities.

Usage: `python bench/bench_stages.py --baseline REV [--sizes 60000 5000] [--dir var/bench] [--repeats 1]`.

The baseline is the revision REV of this repository (`git archive`), unpacked into a temporary directory.
Each size is a sample city (seed 1) built into `--dir` on first use, planned with the model trained on the
first size's city (both as `bench_plan.py` makes them; not counted). Every plan runs in its own process
(`plan_city` with a budget of 3,000,000 yuan), the baseline and this checkout taking turns `--repeats`
times; the table shows each stage's least wall and CPU time for both and the ratio baseline / this. The
two plans' JSON must be equal but for their timings; the script says so, or names the parts that differ
(on a busy machine the Lagrangian solve may stop at its time limit after another number of iterations).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matcher.config import PROJECT_DIR  # noqa: E402

BUDGET = 3_000_000
PLAN = """
import json, sys
from pathlib import Path
from matcher.plan import PlanOptions, plan_city
url, models, out, budget = sys.argv[1:]
result = plan_city(PlanOptions(budget=float(budget)), url=url, models_dir=Path(models))
Path(out).write_text(json.dumps(result, ensure_ascii=False, sort_keys=True))
"""
"""One plan, run with `python -c` in the directory of the code planning (which it imports)."""


def plan_with(root: Path, url: str, models: Path, out: Path) -> dict[str, Any]:
    """The plan of the code under `root`, run in a process of its own."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    command = [sys.executable, "-c", PLAN, url, str(models), str(out), str(BUDGET)]
    subprocess.run(command, check=True, cwd=root, env=env, capture_output=True)
    return dict(json.loads(out.read_text()))


def least(runs: list[dict[str, Any]]) -> dict[str, tuple[float, float]]:
    """Each stage's least wall and least CPU seconds over the runs."""
    stages = [row["stage"] for row in runs[0]["timings"]]
    return {
        stage: (
            min(row["seconds"] for run in runs for row in run["timings"] if row["stage"] == stage),
            min(row["cpu_seconds"] for run in runs for row in run["timings"] if row["stage"] == stage),
        )
        for stage in stages
    }


def differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """The parts of two plans that differ, a part that is an object named down to its keys."""
    out: list[str] = []
    for part in sorted(a.keys() | b.keys()):
        x, y = a.get(part), b.get(part)
        if isinstance(x, dict) and isinstance(y, dict):
            out += [f"{part}.{key}" for key in sorted(x.keys() | y.keys()) if x.get(key) != y.get(key)]
        elif x != y:
            out.append(part)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, help="the revision to compare with, e.g. main")
    parser.add_argument("--sizes", type=int, nargs="+", default=[60_000, 5_000])
    parser.add_argument("--dir", type=Path, default=PROJECT_DIR / "var" / "bench")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    from bench_plan import extract_revision, prepare

    args.dir = args.dir.resolve()  # the baseline runs in its own folder
    args.dir.mkdir(parents=True, exist_ok=True)
    models = args.dir / f"models_{args.sizes[0]}"
    urls = {size: prepare(size, args.dir, models) for size in args.sizes}
    with tempfile.TemporaryDirectory() as tmp:
        base = extract_revision(args.baseline, Path(tmp))
        print(f"baseline {args.baseline} against this checkout, {args.repeats} run(s) each, taking turns")
        print("load average (1, 5, 15 min) at the start: " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
        for size, url in urls.items():
            runs: dict[str, list[dict[str, Any]]] = {"baseline": [], "this": []}
            for _ in range(args.repeats):
                for name, root in (("baseline", base), ("this", PROJECT_DIR)):
                    runs[name].append(plan_with(root, url, models, Path(tmp) / f"{name}.json"))
            old, new = least(runs["baseline"]), least(runs["this"])
            print(f"\n== {size:,} workers")
            print(
                f"{'stage':<12}{'baseline s':>11}{'CPU s':>8}{'this s':>9}{'CPU s':>8}{'ratio':>8}{'CPU ratio':>11}"
            )
            for stage, (wall, cpu) in old.items():
                w, c = new[stage]
                print(
                    f"{stage:<12}{wall:>11.2f}{cpu:>8.2f}{w:>9.2f}{c:>8.2f}{wall / w:>7.2f}x{cpu / c:>10.2f}x"
                )
            peaks = [run["timings"][-1]["peak_rss_mb"] for run in (runs["baseline"][-1], runs["this"][-1])]
            print(f"peak memory: baseline {peaks[0]:,.0f} MiB, this {peaks[1]:,.0f} MiB")
            a, b = ({k: v for k, v in r[-1].items() if k != "timings"} for r in runs.values())
            differ = differences(a, b)
            print(
                "the two plans are equal but for their timings"
                if not differ
                else f"the plans differ in {differ}"
            )


if __name__ == "__main__":
    main()
