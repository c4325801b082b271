"""Served recommendations and candidates under a native load generator (wrk), against the in-process call.

`bench_api.py` drives the server from Python, whose own client threads share the 2 cores and the GIL; here
wrk (Debian package `wrk`) sends the requests, so the figures are the server's. Each sampled worker's
answer is asked once first (computed and kept), wrk asks at 50 connections for 5 s so that every serving
process keeps every answer, then wrk asks the sample round-robin for `--seconds` at 1 and at 50 connections;
once per number of serving processes (`--processes`, default 1 and 2). The baseline, measured in the same
run: this process's recommender computing each answer, and serving it kept.

    DATABASE_URL=postgresql+psycopg://…/city python bench/bench_api_wrk.py [--route candidates]
        [--sample 200] [--seconds 15] [--processes 1 2]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
from sqlalchemy import update

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_api import (  # noqa: E402
    AIM_P50_MS,
    AIM_P99_MS,
    PATHS,
    free_port,
    in_process,
    sample_ids,
    start_server,
    wait_healthy,
)

from matcher.config import settings  # noqa: E402
from matcher.principals import create_principal  # noqa: E402
from matcher.store import session_scope  # noqa: E402
from matcher.store.tables import PrincipalRow  # noqa: E402

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
ROTATE = """
local paths = {%s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""


def wrk(base: str, token: str, script: Path, connections: int, seconds: int) -> dict[str, float]:
    """p50 and p99 in ms and answers a second, as wrk measures them."""
    threads = min(2, connections)
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script)]
    out = subprocess.run(
        [*cmd, "-H", f"Authorization: Bearer {token}", base], capture_output=True, text=True, check=True
    ).stdout
    if "Non-2xx" in out:
        sys.exit(f"wrk saw refused requests:\n{out}")

    def ms(label: str) -> float:
        value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", out).groups()  # type: ignore[union-attr]
        return float(value) * UNITS[unit]

    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    return {"p50_ms": ms("50%"), "p99_ms": ms("99%"), "per_s": rate}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--sample", type=int, default=200, help="workers (or lines) asked for, a seeded random sample"
    )
    ap.add_argument("--seconds", type=int, default=15, help="length of each timed wrk run")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--route", choices=sorted(PATHS), default="recommendations")
    ap.add_argument(
        "--processes", type=int, nargs="+", default=[1, 2], help="serving processes, one run each"
    )
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    url = settings().database_url
    ids = sample_ids(url, args.route, args.sample, 0)
    computed, kept = in_process(args.route, ids, url, args.k)
    with session_scope(url) as s:
        principal, token = create_principal(s, "bureau", name="bench_api_wrk")
    paths = [PATHS[args.route].format(i) + f"?k={args.k}" for i in ids]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(ROTATE % ", ".join(f'"{p}"' for p in paths))
    served: dict[tuple[int, int], dict[str, float]] = {}
    try:
        for processes in args.processes:
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            server = start_server(url, port, processes)
            try:
                wait_healthy(base, server, 120)
                with httpx.Client(
                    base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=300
                ) as http:
                    for path in paths:  # each answer computed once and kept (by one process)
                        http.get(path).raise_for_status()
                wrk(base, token, Path(f.name), 50, 5)  # not counted: every process keeps every answer
                for n in (1, 50):
                    served[processes, n] = wrk(base, token, Path(f.name), n, args.seconds)
            finally:
                server.terminate()
                server.wait(15)
    finally:
        os.unlink(f.name)
        with session_scope(url) as s:
            s.execute(update(PrincipalRow).where(PrincipalRow.id == principal.id).values(active=False))
    print(
        f"\nGET {PATHS[args.route].format('{id}')}?k={args.k}: {len(ids)} asked round-robin, "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(f"{'':40}{'p50 ms':>9}{'p99 ms':>9}{'per s':>9}")
    base_p50 = computed["p50_ms"]
    rows = [("in-process, computed (baseline)", computed), ("in-process, kept", kept)]
    rows += [
        (f"served by wrk, {p} process{'es' * (p > 1)}, {n} connection{'s' * (n > 1)}", served[p, n])
        for p in args.processes
        for n in (1, 50)
    ]
    for name, r in rows:
        print(
            f"{name:40}{r['p50_ms']:9.1f}{r['p99_ms']:9.1f}{r['per_s']:9.1f}  p50 {r['p50_ms'] / base_p50:.2f}× baseline"
        )
    for p in args.processes:
        one, many = served[p, 1], served[p, 50]
        print(
            f"aims with {p} process{'es' * (p > 1)}: 1 connection p50 ≤ {AIM_P50_MS:g} ms: "
            f"{'met' if one['p50_ms'] <= AIM_P50_MS else 'missed'}; 50 connections p99 ≤ {AIM_P99_MS:g} ms: "
            f"{'met' if many['p99_ms'] <= AIM_P99_MS else 'missed'}"
        )


if __name__ == "__main__":
    main()
