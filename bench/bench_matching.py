"""Benchmark of matching on the sample city: vectorize, retrieve and score every worker's candidates,
one worker's recommendations warm, and a brute-force dense scoring of the same workers as the baseline.

Usage: `python bench/bench_matching.py [--workers 60000] [--dense-sample 300] [--n-jobs 1] [--k 50]`.
The store is `DATABASE_URL` when set and holding a city, else a sample city (seed 1) built into a
temporary SQLite file. The model is the one saved in models/ when its sha256 checks out, else one trained
here (not counted in the total).

Targets: vectorize + retrieve + score under 60 s on 2 cores; one worker's recommendations under 50 ms
warm (p50/p99 over 200 workers). Times are wall clock; the CPU column is this process's CPU time, which
stays meaningful when other jobs share the machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matcher.model.artifacts import ArtifactError, load_model  # noqa: E402
from matcher.model.candidates import build_line_index, feasibility, retrieve, worker_states  # noqa: E402
from matcher.model.recommend import Recommender  # noqa: E402
from matcher.model.scoring import FeatureSpace, score_pairs  # noqa: E402
from matcher.model.snapshot import load_city  # noqa: E402
from matcher.model.training import fit_match_model, fit_vectorizer, history  # noqa: E402


class Table:
    """Rows of (stage, wall seconds, CPU seconds, note), timed by `stage`."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float, str]] = []

    @contextmanager
    def stage(self, name: str, note: str = "") -> Iterator[dict[str, str]]:
        extra = {"note": note}
        wall, cpu = time.perf_counter(), time.process_time()
        yield extra
        self.rows.append((name, time.perf_counter() - wall, time.process_time() - cpu, extra["note"]))

    def seconds(self, name: str) -> float:
        return next(r[1] for r in self.rows if r[0] == name)

    def print(self) -> None:
        print(f"{'stage':<46}{'wall s':>9}{'cpu s':>9}  note")
        print("-" * 100)
        for name, wall, cpu, note in self.rows:
            print(f"{name:<46}{wall:>9.2f}{cpu:>9.2f}  {note}")
        print("-" * 100)


@contextmanager
def _store(workers: int) -> Iterator[str]:
    """`DATABASE_URL` when it holds a city, else a sample city in a temporary file removed afterwards."""
    url = os.environ.get("DATABASE_URL")
    if url:
        from matcher.store.stats import entity_counts

        if entity_counts(url)["workers"]:
            yield url
            return
    from matcher.store import engine
    from matcher.synth import build_city

    with tempfile.TemporaryDirectory(prefix="bench_matching_") as tmp:
        url = f"sqlite:///{Path(tmp) / 'city.db'}"
        t = time.perf_counter()
        build_city(n_workers=workers, seed=1, url=url, progress=False)
        print(f"built a {workers:,}-worker sample city (seed 1) in {time.perf_counter() - t:.1f} s")
        try:
            yield url
        finally:
            engine(url).dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--workers", type=int, default=60_000, help="workers of the city to build if none is given"
    )
    ap.add_argument("--dense-sample", type=int, default=300, help="workers scored densely for the baseline")
    ap.add_argument("--n-jobs", type=int, default=1, help="joblib workers for retrieval and scoring")
    ap.add_argument("--k", type=int, default=50, help="candidates per worker")
    args = ap.parse_args()
    with _store(args.workers) as url:
        run(url, args)


def run(url: str, args: argparse.Namespace) -> None:
    """Time every stage on the store at `url` and print the table."""
    table = Table()
    with table.stage("load the city from the store") as s:
        city = load_city(url)
        s["note"] = f"{len(city.workers):,} workers, {len(city.lines):,} lines"
    try:
        model, manifest = load_model()
        source = f"models/ (sha256 {manifest['sha256'][:12]}…)"
    except ArtifactError as e:
        print(f"no usable saved model ({e}); training one on this city")
        with table.stage("train a model (not in the total)"):
            model = fit_match_model(city, fit_vectorizer(city), history(city))
        manifest, source = {}, "trained in this run"

    as_of = city.as_of
    open_rows = np.flatnonzero(city.lines.open & (city.lines.end >= as_of))
    with table.stage(
        "vectorize workers and open lines", f"{len(city.workers):,} workers × {len(open_rows):,} lines"
    ):
        index = build_line_index(city, model.vectorizer, open_rows, as_of)
        space = FeatureSpace(city, model.vectorizer)
        states = worker_states(city, model.vectorizer, index, np.arange(len(city.workers)), as_of)
    with table.stage("retrieve the feasible top k") as s:
        cands = retrieve(index, states, k=args.k, n_jobs=args.n_jobs)
        s["note"] = f"{len(cands):,} pairs (k={args.k})"
    with table.stage("score the candidates") as s:
        scores = score_pairs(
            model, space, cands.worker, cands.line, as_of, (cands.text, cands.similarity), n_jobs=args.n_jobs
        )
        s["note"] = f"mean P(hired and retained) {scores.mean():.3f}"
    total = sum(
        table.seconds(n)
        for n in ("vectorize workers and open lines", "retrieve the feasible top k", "score the candidates")
    )

    # The baseline: every open line for a sample of workers, scored without retrieval or masks.
    rng = np.random.default_rng(0)
    sample = np.sort(
        rng.choice(len(city.workers), size=min(args.dense_sample, len(city.workers)), replace=False)
    )
    w, ln = np.repeat(sample, len(open_rows)), np.tile(open_rows, len(sample))
    with table.stage(f"brute force: {len(sample)} workers × every line", f"{len(w):,} pairs"):
        dense = score_pairs(model, space, w, ln, as_of, n_jobs=args.n_jobs)
    brute = (
        table.seconds(f"brute force: {len(sample)} workers × every line") * len(city.workers) / len(sample)
    )

    # How much of the brute force's ten best feasible lines per worker the retrieved top k keeps.
    mask, _ = feasibility(worker_states(city, model.vectorizer, index, sample, as_of), index)
    dense_m = np.where(mask, dense.reshape(len(sample), -1), -np.inf)
    retrieved: dict[int, set[int]] = {}
    for wr, lr in zip(cands.worker.tolist(), cands.line.tolist()):
        retrieved.setdefault(wr, set()).add(lr)
    kept = []
    for i, wr in enumerate(sample.tolist()):
        best = [int(open_rows[j]) for j in np.argsort(-dense_m[i])[:10] if np.isfinite(dense_m[i, j])]
        if best:
            kept.append(np.mean([b in retrieved.get(wr, ()) for b in best]))

    # One worker, warm: the recommender a process keeps.
    rec = Recommender(city, model, manifest)
    probe = rng.choice(city.workers.id, size=min(200, len(city.workers)), replace=False)
    for wid in probe[:10]:
        rec.recommend(int(wid))
    times = []
    for wid in probe:
        t = time.perf_counter()
        rec.recommend(int(wid))
        times.append(time.perf_counter() - t)
    p50, p99 = np.percentile(times, 50) * 1000, np.percentile(times, 99) * 1000

    load = os.getloadavg()[0]
    print(
        f"\nmatching benchmark — {len(city.workers):,} workers, {len(city.lines):,} demand lines "
        f"({len(open_rows):,} open), model {source}, n_jobs={args.n_jobs}, {os.cpu_count()} cores, "
        f"load average {load:.1f}\n"
    )
    table.print()
    print(f"{'TOTAL vectorize + retrieve + score':<46}{total:>9.2f}{'':>9}  target < 60 s")
    print(
        f"{'brute force extrapolated to every worker':<46}{brute:>9.2f}{'':>9}  estimate ({len(sample)} → "
        f"{len(city.workers):,} workers)"
    )
    print(f"{'one worker recommendations warm, p50 (ms)':<46}{p50:>9.1f}{'':>9}  target < 50 ms")
    print(f"{'one worker recommendations warm, p99 (ms)':<46}{p99:>9.1f}")
    print(
        f"\nbrute-force dense scoring / (vectorize + retrieve + score): {brute / total:.0f}× slower "
        f"(brute force extrapolated from {len(sample)} workers)"
    )
    print(
        f"retrieval keeps {np.mean(kept):.1%} of the brute force's 10 best feasible lines per worker "
        f"({len(kept)} sampled workers)"
    )


if __name__ == "__main__":
    main()
