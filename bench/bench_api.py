"""Load benchmark of the served API: one worker's recommendations (or one line's candidates, `--route
candidates`) over HTTP under concurrent clients.

Usage: `python bench/bench_api.py [--route recommendations|candidates] [--clients 50] [--requests 2000]
[--single-requests 200] [--sample 500] [--server-workers 1] [--json PATH]`.

The app (`api.app:create_app`) is served by uvicorn in its own process on a free loopback port, over the
store at `DATABASE_URL` (default var/matcher.db, the sample city of `make city`). A bureau principal named
`bench_api` is created for the run and deactivated at its end. Closed-loop clients (httpx, asyncio) ask
`GET /v1/workers/{id}/recommendations?k=10` for a seeded sample of workers (or
`GET /v1/demand-lines/{id}/candidates?k=10` for a sample of the open lines), each sending its next request
as soon as the previous one answers: once with `--clients` clients, once with a single client to show the
per-request overhead alone. Warm-up requests (the first loads the city and the model) are not timed.
Like production, every served request authenticates its token, checks the worker and commits one audit row.

Baseline, measured in the same run: `matcher.model.recommend.recommend_for_worker` (or the recommender's
`candidates` of the consenting workers) called in this process, warm and sequentially, over the same ids. The ratios served / in-process show what the service adds:
HTTP, JSON, the database round trips and, with many clients, queueing. Aim: p99 under 100 ms at
`--clients` clients (reported, not asserted). Server CPU is the server processes' CPU seconds over the
run's wall seconds (1.0 = one core busy throughout); a request that fails or answers other than 200 is
an error, and any error, in the warm-up too, makes the exit status 1.
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
    cold_s: float,
    pids: list[int],
) -> dict[str, Any]:
    """Warm the connections (until no request is half as slow as a cold one), then time `n` requests."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=120) as client:
        warm_errors: dict[str, int] = {}
        for _ in range(10):
            warm, errors = await closed_loop(client, path, ids[::-1], clients, max(20, 2 * clients), k)
            warm_errors.update({e: warm_errors.get(e, 0) + c for e, c in errors.items()})
            if max(warm) < cold_s / 2:
                break
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


def in_process(route: str, ids: list[int], url: str, k: int) -> dict[str, Any]:
    """`recommend_for_worker` (or the consenting candidates) over the sample, sequentially, warm."""

    def call(i: int) -> None:
        if route == "candidates":
            recommender(url).candidates(i, k, consenting=True)
        else:
            recommend_for_worker(i, url, k=k)

    for i in ids[:10]:
        call(i)
    latencies = []
    t0 = time.perf_counter()
    for i in ids:
        t = time.perf_counter()
        call(i)
        latencies.append(time.perf_counter() - t)
    return figures(latencies, time.perf_counter() - t0)


# --- the benchmark --------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--route", choices=sorted(PATHS), default="recommendations")
    ap.add_argument("--clients", type=int, default=50, help="concurrent closed-loop clients")
    ap.add_argument("--requests", type=int, default=2000, help="timed requests at --clients clients")
    ap.add_argument("--single-requests", type=int, default=200, help="timed requests at 1 client (0: skip)")
    ap.add_argument("--sample", type=int, default=500, help="workers asked for, a seeded random sample")
    ap.add_argument("--server-workers", type=int, default=1, help="uvicorn worker processes")
    ap.add_argument("--k", type=int, default=10, help="recommendations per list")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--start-timeout", type=float, default=60, help="seconds to wait for /health")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args()
    url = settings().database_url
    started = time.perf_counter()

    with session_scope(url) as s:
        if args.route == "candidates":
            live = (DemandLineRow.status == "open") & (DemandLineRow.end_date >= today(url))
            all_ids = list(s.scalars(select(DemandLineRow.id).where(live).order_by(DemandLineRow.id)))
        else:
            all_ids = list(s.scalars(select(WorkerRow.id).order_by(WorkerRow.id)))
        if not all_ids:
            sys.exit(f"no workers in {url}: build the sample city first (`make city`)")
        principal, token = create_principal(s, "bureau", name="bench_api")
    ids = random.Random(args.seed).sample(all_ids, min(args.sample, len(all_ids)))

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(url, port, args.server_workers)
    try:
        print(
            f"serving {url} on {base} with {args.server_workers} uvicorn worker(s); "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
            flush=True,
        )
        t = time.perf_counter()
        in_process(args.route, ids[:1], url, args.k)
        print(f"in-process recommender loaded in {time.perf_counter() - t:.1f} s", flush=True)
        wait_healthy(base, server, args.start_timeout)
        base_figs = in_process(args.route, ids, url, args.k)
        print(f"in-process baseline: {len(ids)} calls in {base_figs['wall_s']:.1f} s", flush=True)

        t = time.perf_counter()
        cold = httpx.get(
            base + PATHS[args.route].format(ids[0]),
            params={"k": args.k},
            headers={"Authorization": f"Bearer {token}"},
            timeout=300,
        )
        cold_s = time.perf_counter() - t
        cold.raise_for_status()
        print(f"first served request (city and model loaded): {cold_s:.1f} s", flush=True)
        pids = server_pids(server.pid)

        runs: dict[str, dict[str, Any]] = {}
        for clients, n in ((args.clients, args.requests), (1, args.single_requests)):
            name = f"served, {clients} client{'s' * (clients > 1)}"
            if n > 0 and name not in runs:
                runs[name] = asyncio.run(
                    served_run(base, token, PATHS[args.route], ids, clients, n, args.k, cold_s, pids)
                )
        memory = {pid: rss_mb(pid) for pid in server_pids(server.pid)}
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
        with session_scope(url) as s:
            s.execute(update(PrincipalRow).where(PrincipalRow.id == principal.id).values(active=False))
    runs[f"in-process {args.route}"] = base_figs
    report(args, runs, memory, cold_s, time.perf_counter() - started)
    sys.exit(1 if any(r.get("errors") or r.get("warmup_errors") for r in runs.values()) else 0)


def report(
    args: argparse.Namespace,
    runs: dict[str, dict[str, Any]],
    memory: dict[int, float],
    cold_s: float,
    total_s: float,
) -> None:
    print(
        f"\nAPI benchmark — GET {PATHS[args.route].format('{id}')}?k={args.k}, {args.sample} sampled ids, "
        f"{args.server_workers} uvicorn worker(s) "
        f"({', '.join(f'{mb:.0f} MB' for mb in memory.values())} resident), "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}\n"
    )
    head = f"{'run':<34}{'calls':>7}{'errors':>7}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}"
    print(head + f"{'per s':>9}{'server CPU':>12}{'client CPU':>12}")
    print("-" * 117)
    for name, r in runs.items():
        cpu = [f"{r[c]:>12.2f}" if c in r else f"{'':>12}" for c in ("server_cpu_cores", "client_cpu_cores")]
        print(
            f"{name:<34}{r['requests']:>7}{r.get('errors', 0):>7}{r['p50_ms']:>9.1f}{r['p90_ms']:>9.1f}"
            f"{r['p99_ms']:>9.1f}{r['max_ms']:>9.1f}{r['per_s']:>9.1f}{''.join(cpu)}"
        )
    print("-" * 117)
    base = runs[f"in-process {args.route}"]
    ratios = {}
    for name, r in runs.items():
        if name.startswith("served"):
            ratios[name] = {m: r[m] / base[m] for m in ("p50_ms", "p99_ms", "per_s")}
            print(
                f"{name}: served p50 / in-process p50 {ratios[name]['p50_ms']:.1f}×, "
                f"served p99 / in-process p99 {ratios[name]['p99_ms']:.1f}×, "
                f"served req/s / in-process calls/s {ratios[name]['per_s']:.2f}×"
            )
    many = runs.get(f"served, {args.clients} client{'s' * (args.clients > 1)}")
    if many:
        met = "met" if many["p99_ms"] < AIM_P99_MS else "missed"
        print(
            f"aim: p99 under {AIM_P99_MS:.0f} ms at {args.clients} clients — {met} ({many['p99_ms']:.1f} ms)"
        )
    for name, r in runs.items():
        if r.get("errors"):
            print(f"ERRORS in {name}: {r['errors_by_kind']}")
        if r.get("warmup_errors"):
            print(f"ERRORS in the warm-up of {name} (not in the table): {r['warmup_errors']}")
    print(f"first served request {cold_s:.1f} s; benchmark took {total_s:.0f} s")
    if args.json:
        out = {
            "route": f"{PATHS[args.route].format('{id}')}?k={args.k}",
            "clients": args.clients,
            "server_workers": args.server_workers,
            "server_rss_mb": list(memory.values()),
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "first_request_s": cold_s,
            "runs": runs,
            "ratios_to_in_process": ratios,
            "aim_p99_ms": AIM_P99_MS,
            "total_s": total_s,
        }
        args.json.write_text(json.dumps(out, indent=2, default=float))
        print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
