"""solve_bipartite (OR-Tools min-cost flow) against networkx network simplex and SciPy HiGHS.

Two random instances shaped like a city's workers (rows, capacity 1) and vacancies (columns, capacity
1..15) with float match scores: a small one that networkx solves in seconds, and a large one
(60,000 x 8,000, 30 arcs per row by default) on which networkx is skipped. Every solver must reach the same
objective (networkx exactly, HiGHS within its tolerance, both within `max_gap`); the table prints wall time,
peak resident memory added during the call, and each baseline's time as a multiple of ours.

    python bench/bench_assign.py [--arcs N] [--small-arcs N] [--networkx-limit N] [--seed S]
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import NamedTuple, TypeVar

import numpy as np

from matcher.assign import solve_bipartite
from matcher.assign.baselines import highs_solve, networkx_solve

STATUS = Path("/proc/self/status")
T = TypeVar("T")


def _kib(field: str) -> int:
    return int(re.search(rf"{field}:\s+(\d+) kB", STATUS.read_text()).group(1))  # type: ignore[union-attr]


def measure(call: Callable[[], T]) -> tuple[T, float, float]:
    """Result, seconds, and peak resident memory (MiB) above the level before the call.

    Resetting the kernel's high-water mark first (clear_refs 5) lets the peak include the solvers' C++
    allocations, which tracemalloc would not see.
    """
    Path("/proc/self/clear_refs").write_text("5")
    before = _kib("VmRSS")
    start = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - start
    return result, seconds, (_kib("VmHWM") - before) / 1024


class Instance(NamedTuple):
    rows: np.ndarray
    cols: np.ndarray
    weights: np.ndarray
    row_capacity: np.ndarray
    col_capacity: np.ndarray


def instance(n_rows: int, n_cols: int, per_row: int, seed: int) -> Instance:
    """Each row gets `per_row` distinct random columns with scores in (0, 1]; vacancies hold 1..15."""
    rng = np.random.default_rng(seed)
    rows = np.repeat(np.arange(n_rows), per_row)
    cols = rng.integers(0, n_cols, n_rows * per_row)
    keys = np.unique(rows * n_cols + cols)
    return Instance(
        rows=keys // n_cols,
        cols=keys % n_cols,
        weights=1.0 - rng.random(len(keys)),
        row_capacity=np.ones(n_rows, dtype=np.int64),
        col_capacity=rng.integers(1, 16, n_cols),
    )


def shape_for(arcs: int, per_row: int = 30) -> tuple[int, int, int]:
    """Rows, columns and arcs per row for about `arcs` arcs, keeping the 60,000 : 8,000 proportion."""
    per_row = min(per_row, max(1, arcs // 200))
    n_rows = max(1, arcs // per_row)
    return n_rows, max(per_row, n_rows * 2 // 15), per_row


def run(name: str, inst: Instance, with_networkx: bool) -> list[tuple]:
    ours, our_seconds, our_mib = measure(partial(solve_bipartite, *inst))
    lines = [(name, "ortools min-cost flow (ours)", our_seconds, our_mib, ours.objective, 0.0, 1.0)]
    baselines: list[tuple[str, Callable[..., tuple[float, np.ndarray]]]] = [
        ("scipy HiGHS linprog", highs_solve)
    ]
    if with_networkx:
        baselines.insert(0, ("networkx network_simplex", networkx_solve))
    for label, solve in baselines:
        (objective, _), seconds, mib = measure(partial(solve, *inst))
        tolerance = ours.max_gap + (1e-6 * max(1.0, abs(objective)) if "HiGHS" in label else 1e-9)
        if abs(objective - ours.objective) > tolerance:
            raise SystemExit(f"{name}: {label} reached {objective!r}, ours {ours.objective!r}")
        lines.append(
            (name, label, seconds, mib, objective, objective - ours.objective, seconds / our_seconds)
        )
    print(
        f"{name}: {len(inst.row_capacity):,} rows, {len(inst.col_capacity):,} columns, "
        f"{len(inst.rows):,} arcs, {int(ours.flow.sum()):,} units assigned, "
        f"max_gap {ours.max_gap:.2e}"
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arcs", type=int, default=1_800_000, help="arcs in the large instance")
    parser.add_argument("--small-arcs", type=int, default=20_000, help="arcs in the small instance")
    parser.add_argument(
        "--networkx-limit", type=int, default=50_000, help="run networkx up to this many arcs"
    )
    parser.add_argument("--seed", type=int, default=112)
    args = parser.parse_args()

    table = []
    for name, arcs in (("small", args.small_arcs), ("large", args.arcs)):
        inst = instance(*shape_for(arcs), seed=args.seed)
        table += run(name, inst, with_networkx=len(inst.rows) <= args.networkx_limit)

    print()
    header = f"{'instance':<9}{'solver':<31}{'seconds':>10}{'peak MiB':>10}{'objective':>18}{'- ours':>11}{'x ours':>9}"
    print(header)
    print("-" * len(header))
    for name, label, seconds, mib, objective, diff, ratio in table:
        print(f"{name:<9}{label:<31}{seconds:>10.3f}{mib:>10.1f}{objective:>18.6f}{diff:>11.1e}{ratio:>9.1f}")
    print(
        "\n'- ours': objective minus ours (within max_gap, plus HiGHS's tolerance);"
        " 'x ours': time divided by ours on the same instance."
    )


if __name__ == "__main__":
    main()
