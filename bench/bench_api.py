"""Load benchmark of the served API: one worker's recommendations and one line's candidates over HTTP
under concurrent clients, against the same answers computed in this process.

Usage: `python bench/bench_api.py [--route recommendations|candidates|both] [--clients 50] [--requests 2000]
[--single-requests 200] [--sample 500] [--changes-per-s 0.5] [--server-workers 1] [--json PATH]`.

The app (`api.app:create_app`) is served by uvicorn in its own process(es) on a free loopback port, over the
store at `DATABASE_URL` (default var/matcher.db, the sample city of `make city`). A bureau principal named
`bench_api` is created for the run and deactivated at its end. Closed-loop clients (httpx, asyncio) ask
`GET /v1/workers/{id}/recommendations?k=10` for a seeded sample of workers and
`GET /v1/demand-lines/{id}/candidates?k=10` for a sample of the open lines, each sending its next request
as soon as the previous one answers. Per route, with `--clients` clients:

- *first ask*: every id of the sample once, so every answer is computed (the server keeps none yet);
- *kept*: `--requests` requests over the same ids, answered from the answers the server keeps;
- *kept, changes*: the same while this process commits `--changes-per-s` changes a second to the store (a
  worker's pension flag, a line's top wage, each put back later), so that the server drops the answers a
  change could alter and computes them again; every answer still holds every change committed before it;

and *kept* once more with a single client. Like production, every served request authenticates its token,
checks the worker or line, looks for changes committed to the store and commits one audit row.

Baseline, measured in the same run: the recommender of this process (`recommend_for_worker`, or its
`candidates` of the consenting workers) asked for each id of the sample once, sequentially, warm, each
answer computed (*in-process computed*); and asked again (*in-process kept*). The ratios served /
in-process computed show what serving kept answers saves and what HTTP, JSON, the database round trips and
queueing add. Aim: p99 at most 100 ms at `--clients` clients and p50 at most 10 ms at one (reported, not
asserted). Server CPU is the server processes' CPU seconds over the run's wall seconds (1.0 = one core busy
throughout); a request that fails or answers other than 200 is an error, and any error, in the warm-up
too, makes the exit status 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlalchemy import select, update

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matcher.calendar import today  # noqa: E402
from matcher.config import PROJECT_DIR, settings  # noqa: E402
from matcher.model.recommend import recommend_for_worker, recommender  # noqa: E402
from matcher.principals import create_principal  # noqa: E402
from matcher.store import session_scope  # noqa: E402
from matcher.store.tables import DemandLineRow, PrincipalRow, WorkerRow  # noqa: E402

PATHS = {"recommendations": "/v1/workers/{}/recommendations", "candidates": "/v1/demand-lines/{}/candidates"}

AIM_P99_MS = 100.0
AIM_P50_MS = 10.0
TICK = os.sysconf("SC_CLK_TCK")


# --- the server process ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    """uvicorn serving the app factory as `matcher serve` does, in its own process."""
    cmd = [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--log-level", "warning", "--workers", str(workers)]
    cmd += ["--timeout-keep-alive", "60"]  # clients keep their connections between runs
    return subprocess.Popen(cmd, cwd=PROJECT_DIR, env={**os.environ, "DATABASE_URL": url})


def wait_healthy(base: str, server: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with status {server.returncode}")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer /health within {timeout:.0f} s")


def server_pids(pid: int) -> list[int]:
    """The processes serving requests: uvicorn's spawned workers, or uvicorn itself when it has none."""
    kids = []
    for p in Path("/proc").glob("[0-9]*"):
        try:
            ppid = int((p / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid == pid and b"spawn_main" in (p / "cmdline").read_bytes():
                kids.append(int(p.name))
        except (OSError, IndexError, ValueError):
            continue
    return kids or [pid]


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


def rss_mb(pid: int) -> float:
    line = next(s for s in Path(f"/proc/{pid}/status").read_text().splitlines() if s.startswith("VmRSS"))
    return int(line.split()[1]) / 1024


# --- the load -------------------------------------------------------------------------------------


async def closed_loop(
    client: httpx.AsyncClient, path: str, ids: list[int], clients: int, n: int, k: int, label: str = ""
) -> tuple[list[float], dict[str, int]]:
    """`n` requests from `clients` closed-loop clients: latencies in seconds and errors by kind."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    issued = 0

    async def one_client() -> None:
        nonlocal issued
        while issued < n:
            wid = ids[issued % len(ids)]
            issued += 1
            t = time.perf_counter()
            try:
                r = await client.get(path.format(wid), params={"k": k})
                kind = None if r.status_code == 200 else f"HTTP {r.status_code}"
            except httpx.HTTPError as e:
                kind = type(e).__name__
            latencies.append(time.perf_counter() - t)
            if kind:
                errors[kind] = errors.get(kind, 0) + 1

    async def progress() -> None:
        while True:
            await asyncio.sleep(5)
            print(f"  {label}: {len(latencies):,}/{n:,} requests, {sum(errors.values())} errors", flush=True)

    ticker = asyncio.create_task(progress()) if label else None
    await asyncio.gather(*(one_client() for _ in range(min(clients, n))))
    if ticker:
        ticker.cancel()
    return latencies, errors


async def served_run(
    base: str,
    token: str,
    path: str,
    ids: list[int],
    clients: int,
    n: int,
    k: int,
    pids: list[int],
    warm: bool,
) -> dict[str, Any]:
    """Time `n` requests (with `warm`, after asking the sample once, untimed)."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=120) as client:
        _, warm_errors = await closed_loop(client, path, ids[::-1], clients, len(ids) if warm else 0, k)
        label = f"{clients} client{'s' * (clients > 1)}"
        cpu, client_cpu, t = cpu_seconds(pids), time.process_time(), time.perf_counter()
        latencies, errors = await closed_loop(client, path, ids, clients, n, k, label)
        wall = time.perf_counter() - t
        server_cpu, client_cpu = cpu_seconds(pids) - cpu, time.process_time() - client_cpu
    return {
        **figures(latencies, wall),
        "errors": sum(errors.values()),
        "errors_by_kind": errors,
        "warmup_errors": warm_errors,
        "server_cpu_cores": server_cpu / wall,
        "client_cpu_cores": client_cpu / wall,
    }


def figures(latencies: list[float], wall: float) -> dict[str, Any]:
    ms = np.asarray(latencies) * 1e3
    p50, p90, p99 = np.percentile(ms, [50, 90, 99])
    return {
        "requests": len(ms),
        "wall_s": wall,
        "p50_ms": p50,
        "p90_ms": p90,
        "p99_ms": p99,
        "max_ms": ms.max(),
        "per_s": len(ms) / wall,
    }


def in_process(route: str, ids: list[int], url: str, k: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """This process's recommender over the sample, sequentially: each answer computed, then kept."""

    def call(i: int) -> None:
        if route == "candidates":
            recommender(url).candidates(i, k, consenting=True)
        else:
            recommend_for_worker(i, url, k=k)

    recommender(url).warm()  # the city and the model loaded, every worker vectorized
    runs = []
    for _ in range(2):
        latencies = []
        t0 = time.perf_counter()
        for i in ids:
            t = time.perf_counter()
            call(i)
            latencies.append(time.perf_counter() - t)
        runs.append(figures(latencies, time.perf_counter() - t0))
    return runs[0], runs[1]


class Changes:
    """Commits changes to the store from a thread, `per_s` a second, until stopped, then puts them back."""

    def __init__(self, url: str, per_s: float, seed: int) -> None:
        self.url, self.per_s, self.random = url, per_s, random.Random(seed)
        with session_scope(url) as s:
            self.workers = list(s.scalars(select(WorkerRow.id)))
            live = (DemandLineRow.status == "open") & (DemandLineRow.end_date >= today(url))
            self.lines = list(s.scalars(select(DemandLineRow.id).where(live)))
        self.changed: list[tuple[str, int]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Changes:
        if self.per_s > 0:
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join()
        for kind, ident in self.changed:  # put every change back
            self._change(kind, ident, -1)

    def _run(self) -> None:
        while not self.stop.wait(1 / self.per_s):
            kind = self.random.choice(("worker", "line"))
            ident = self.random.choice(self.workers if kind == "worker" else self.lines)
            self._change(kind, ident, +1)
            self.changed.append((kind, ident))

    def _change(self, kind: str, ident: int, sign: int) -> None:
        with session_scope(self.url) as s:
            if kind == "worker":
                s.execute(
                    update(WorkerRow)
                    .where(WorkerRow.id == ident)
                    .values(receives_pension=~WorkerRow.receives_pension)
                )
            else:
                s.execute(
                    update(DemandLineRow)
                    .where(DemandLineRow.id == ident)
                    .values(wage_max=DemandLineRow.wage_max + sign)
                )


# --- the benchmark --------------------------------------------------------------------------------


def sample_ids(url: str, route: str, n: int, seed: int) -> list[int]:
    """A seeded sample of the workers (or the open lines) of the store."""
    with session_scope(url) as s:
        if route == "candidates":
            live = (DemandLineRow.status == "open") & (DemandLineRow.end_date >= today(url))
            all_ids = list(s.scalars(select(DemandLineRow.id).where(live).order_by(DemandLineRow.id)))
        else:
            all_ids = list(s.scalars(select(WorkerRow.id).order_by(WorkerRow.id)))
    if not all_ids:
        sys.exit(f"no workers or open lines in {url}: build the sample city first (`make city`)")
    return random.Random(seed).sample(all_ids, min(n, len(all_ids)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--route", choices=[*sorted(PATHS), "both"], default="both")
    ap.add_argument("--clients", type=int, default=50, help="concurrent closed-loop clients")
    ap.add_argument("--requests", type=int, default=2000, help="timed requests per run at --clients clients")
    ap.add_argument("--single-requests", type=int, default=200, help="timed requests at 1 client (0: skip)")
    ap.add_argument("--sample", type=int, default=500, help="ids asked for, a seeded random sample")
    ap.add_argument("--changes-per-s", type=float, default=0.5, help="changes committed a second (0: none)")
    ap.add_argument("--server-workers", type=int, default=1, help="uvicorn worker processes")
    ap.add_argument("--k", type=int, default=10, help="recommendations per list")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--start-timeout", type=float, default=60, help="seconds to wait for /health")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args()
    url = settings().database_url
    started = time.perf_counter()
    routes = sorted(PATHS) if args.route == "both" else [args.route]
    ids = {route: sample_ids(url, route, args.sample, args.seed) for route in routes}
    with session_scope(url) as s:
        principal, token = create_principal(s, "bureau", name="bench_api")

    runs: dict[str, dict[str, dict[str, Any]]] = {route: {} for route in routes}
    for route in routes:  # before the server starts, so that neither slows the other
        t = time.perf_counter()
        computed, kept = in_process(route, ids[route], url, args.k)
        runs[route]["in-process computed"], runs[route]["in-process kept"] = computed, kept
        print(f"in-process {route}: {len(ids[route])} ids in {time.perf_counter() - t:.1f} s", flush=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(url, port, args.server_workers)
    try:
        print(
            f"serving {url} on {base} with {args.server_workers} uvicorn worker(s); "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
            flush=True,
        )
        wait_healthy(base, server, args.start_timeout)
        t = time.perf_counter()
        cold = httpx.get(
            base + PATHS[routes[0]].format(ids[routes[0]][0]),
            params={"k": args.k},
            headers={"Authorization": f"Bearer {token}"},
            timeout=300,
        )
        cold_s = time.perf_counter() - t
        cold.raise_for_status()
        print(f"first served request (city and model loaded): {cold_s:.1f} s", flush=True)
        pids = server_pids(server.pid)

        many = f"{args.clients} client{'s' * (args.clients > 1)}"
        for route in routes:
            sample, path = ids[route], PATHS[route]
            plan = [
                (f"served, {many}, first ask", args.clients, len(sample), 0.0),
                (f"served, {many}, kept", args.clients, args.requests, 0.0),
                (f"served, {many}, kept, changes", args.clients, args.requests, args.changes_per_s),
                ("served, 1 client, kept", 1, args.single_requests, 0.0),
            ]
            for name, clients, n, per_s in plan:
                if n <= 0 or (per_s == 0 and "changes" in name):
                    continue
                with Changes(url, per_s, args.seed) as changes:
                    runs[route][name] = asyncio.run(
                        served_run(
                            base, token, path, sample, clients, n, args.k, pids, warm=name[-5:] != " ask"
                        )
                    )
                runs[route][name]["changes"] = len(changes.changed)
        memory = {pid: rss_mb(pid) for pid in server_pids(server.pid)}
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
        with session_scope(url) as s:
            s.execute(update(PrincipalRow).where(PrincipalRow.id == principal.id).values(active=False))
    report(args, runs, memory, cold_s, time.perf_counter() - started)
    failed = any(r.get("errors") or r.get("warmup_errors") for by in runs.values() for r in by.values())
    sys.exit(1 if failed else 0)


def report(
    args: argparse.Namespace,
    runs: dict[str, dict[str, dict[str, Any]]],
    memory: dict[int, float],
    cold_s: float,
    total_s: float,
) -> None:
    print(
        f"\nAPI benchmark — k={args.k}, {args.sample} sampled ids per route, {args.server_workers} uvicorn "
        f"worker(s) ({', '.join(f'{mb:.0f} MB' for mb in memory.values())} resident), {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}"
    )
    head = f"{'run':<38}{'calls':>7}{'errors':>7}{'changes':>8}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}"
    ratios: dict[str, dict[str, dict[str, float]]] = {}
    for route, by in runs.items():
        print(f"\nGET {PATHS[route].format('{id}')}?k={args.k}")
        print(head + f"{'max ms':>9}{'per s':>9}{'server CPU':>12}{'client CPU':>12}")
        print("-" * 123)
        for name, r in by.items():
            cpu = [
                f"{r[c]:>12.2f}" if c in r else f"{'':>12}" for c in ("server_cpu_cores", "client_cpu_cores")
            ]
            changes = f"{r['changes']:>8}" if "changes" in r else f"{'':>8}"
            print(
                f"{name:<38}{r['requests']:>7}{r.get('errors', 0):>7}{changes}{r['p50_ms']:>9.1f}"
                f"{r['p90_ms']:>9.1f}{r['p99_ms']:>9.1f}{r['max_ms']:>9.1f}{r['per_s']:>9.1f}{''.join(cpu)}"
            )
        print("-" * 123)
        base = by["in-process computed"]
        ratios[route] = {}
        for name, r in by.items():
            if name.startswith("served"):
                ratios[route][name] = {m: r[m] / base[m] for m in ("p50_ms", "p99_ms", "per_s")}
                q = ratios[route][name]
                print(
                    f"{name}: ÷ in-process computed — p50 {q['p50_ms']:.2f}×, p99 {q['p99_ms']:.2f}×, "
                    f"rate {q['per_s']:.2f}×"
                )
        for name, r in by.items():
            if f"{args.clients} clients" in name and "first ask" not in name:
                met = "met" if r["p99_ms"] <= AIM_P99_MS else "missed"
                print(f"aim p99 ≤ {AIM_P99_MS:.0f} ms — {name}: {met} ({r['p99_ms']:.1f} ms)")
            if name == "served, 1 client, kept":
                met = "met" if r["p50_ms"] <= AIM_P50_MS else "missed"
                print(f"aim p50 ≤ {AIM_P50_MS:.0f} ms — {name}: {met} ({r['p50_ms']:.1f} ms)")
            if r.get("errors"):
                print(f"ERRORS in {name}: {r['errors_by_kind']}")
            if r.get("warmup_errors"):
                print(f"ERRORS in the warm-up of {name} (not in the table): {r['warmup_errors']}")
    print(f"\nfirst served request {cold_s:.1f} s; benchmark took {total_s:.0f} s")
    if args.json:
        out = {
            "routes": {route: f"{PATHS[route].format('{id}')}?k={args.k}" for route in runs},
            "clients": args.clients,
            "server_workers": args.server_workers,
            "server_rss_mb": list(memory.values()),
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "first_request_s": cold_s,
            "runs": runs,
            "ratios_to_in_process_computed": ratios,
            "aim_p99_ms": AIM_P99_MS,
            "aim_p50_ms": AIM_P50_MS,
            "total_s": total_s,
        }
        args.json.write_text(json.dumps(out, indent=2, default=float))
        print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
