"""The plan's candidates and scores spread over a Dask cluster through joblib's Dask backend.

The cluster is named by `matcher plan --dask ADDRESS` or `MATCHER_DASK`: a scheduler's address
(`tcp://10.0.0.5:8786`), or `local` / `local:N` for a LocalCluster of N worker processes on this machine
(default: one per core). Inside `on_dask` every `joblib.Parallel` of the plan (the candidate stage's batches
of workers, `matcher.plan.inputs.gather_arcs`) runs its batches on the cluster's workers. The model, its
feature space (which holds the city) and the line index go to the cluster once per plan and are shared by the
batches: joblib's Dask backend scatters an argument Dask sizes above a kilobyte, and `sizeof` is taught here
to count the arrays these objects hold. A batch's own joblib calls (scikit-learn's transformers) run inside the batch
on its worker: joblib's Dask backend would otherwise send each back to the scheduler as tasks of their own,
with their arrays, while every worker is busy with a batch (`InPlaceNestedCalls`).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import joblib
from dask.distributed import Client, LocalCluster, Worker, WorkerPlugin
from dask.sizeof import sizeof

from matcher.config import settings
from matcher.model.candidates import LineIndex
from matcher.model.scoring import FeatureSpace, MatchModel
from matcher.model.snapshot import City

CONNECT_TIMEOUT = "20s"


def _deep_size(obj: Any) -> int:
    """Bytes held by a dataclass's fields, nested dataclasses included (Dask's own sizes for arrays)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return sum(_deep_size(getattr(obj, f.name)) for f in dataclasses.fields(obj))
    return int(sizeof(obj))


for _kind in (City, MatchModel, FeatureSpace, LineIndex):
    sizeof.register(_kind)(_deep_size)


class InPlaceNestedCalls(WorkerPlugin):
    """A Dask worker plugin: on the worker, joblib's "dask" backend runs calls one after the other in the
    calling task (each batch is already a task of the cluster)."""

    name = "matcher-joblib-in-place"

    def setup(self, worker: Worker) -> None:  # noqa: ARG002  (Dask passes the worker by this name)
        from joblib.parallel import SequentialBackend, register_parallel_backend

        register_parallel_backend("dask", SequentialBackend)


@dataclass
class Cluster:
    """The client of the cluster the plan runs on, and the address it was named by."""

    client: Client
    address: str

    def memory(self) -> dict[str, Any]:
        """Each Dask worker process's peak resident memory (MiB) since it started."""
        from matcher.plan.pipeline import peak_rss_mb

        peaks = self.client.run(peak_rss_mb)
        return {
            "address": self.address,
            "workers": len(peaks),
            "peak_rss_mb": {name: round(mb, 1) for name, mb in sorted(peaks.items())},
        }


def local_workers(address: str) -> int | None:
    """N for `local:N` (one per core for `local`), None for a scheduler's address."""
    name, _, n = address.partition(":")
    if name != "local":
        return None
    if not n:
        return os.cpu_count() or 1
    if not n.isdigit() or int(n) < 1:
        raise ValueError(
            f"Dask 集群地址 {address!r} 写法不对：本机集群写 local 或 local:进程数（如 local:2）"
        )
    return int(n)


@contextmanager
def on_dask(address: str | None = None) -> Iterator[Cluster | None]:
    """joblib's Dask backend over the cluster at `address` (default `MATCHER_DASK`) for the block; with
    neither, nothing changes and the block gets None."""
    address = address or settings().matcher_dask
    if not address:
        yield None
        return
    n_local = local_workers(address)
    with ExitStack() as stack:
        if n_local is not None:
            cluster = stack.enter_context(
                LocalCluster(n_workers=n_local, threads_per_worker=1, processes=True, dashboard_address=None)
            )
            client = stack.enter_context(Client(cluster))
        else:
            try:
                client = stack.enter_context(Client(address, timeout=CONNECT_TIMEOUT))
            except OSError as e:
                raise ValueError(
                    f"连接不上 Dask 调度器 {address}（{e}）：请检查 --dask 或 MATCHER_DASK 的地址和端口、"
                    "调度器是否已启动，或写 local 在本机起集群"
                ) from e
        client.register_plugin(InPlaceNestedCalls())
        stack.enter_context(joblib.parallel_config(backend="dask"))
        yield Cluster(client, address)
