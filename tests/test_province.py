"""A province: the sample city written by PostgreSQL's COPY, and a plan spread over a Dask cluster."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from dask.distributed import get_task_stream
from sqlalchemy import JSON, Text, cast, select

from matcher.distributed import on_dask
from matcher.model import train_model
from matcher.model.artifacts import load_model
from matcher.model.candidates import build_line_index
from matcher.model.snapshot import load_city
from matcher.plan import PlanOptions, inputs
from matcher.plan.pipeline import plan_city
from matcher.store import engine
from matcher.store.tables import Base, StoreFactRow
from matcher.synth import build_city
from matcher.synth.build import _TABLES


def _content(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the generator writes, table by table in key order, JSON as the text stored, without the
    time each row was written."""
    out = {}
    row_types: list[type[Base]] = [*_TABLES, StoreFactRow]
    with engine(url).connect() as conn:
        for row_type in row_types:
            table = Base.metadata.tables[row_type.__tablename__]
            columns = [
                cast(c, Text) if isinstance(c.type, JSON) else c
                for c in table.columns
                if c.name != "created_at"
            ]
            query = select(*columns).order_by(*table.primary_key.columns)
            out[table.name] = [tuple(r) for r in conn.execute(query)]
    return out


def test_bulk_copy_writes_the_same_store_as_inserts(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        with pytest.raises(ValueError, match="PostgreSQL"):
            build_city(300, seed=3, url=db_url, progress=False, copy=True)
        return
    counts = build_city(300, seed=3, url=db_url, progress=False)
    inserted = _content(db_url)
    assert build_city(300, seed=3, url=db_url, progress=False, replace=True, copy=True) == counts
    copied = _content(db_url)
    assert copied == inserted
    assert len(copied["workers"]) == 300 and copied["placements"] and copied["demand_lines"]


@pytest.fixture(scope="module")
def small_city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A city of 300 workers and a model trained on it."""
    base = tmp_path_factory.mktemp("province")
    url, models = f"sqlite:///{base / 'city.db'}", base / "models"
    build_city(300, seed=5, url=url, progress=False)
    train_model(url, out_dir=models)
    yield url, models
    engine(url).dispose()


def test_a_plan_on_a_dask_cluster_is_the_plan_of_one_process(
    small_city: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, models = small_city
    monkeypatch.setattr(inputs, "BATCH_WORKERS", 40)  # eight batches, so that both processes get some
    options = PlanOptions.model_validate({"budget": 50_000, "min_class_size": 2})
    alone = plan_city(options, url=url, models_dir=models)
    with on_dask("local:2") as cluster:
        assert cluster is not None
        with get_task_stream(cluster.client) as stream:
            spread = plan_city(options, url=url, models_dir=models)
        memory = cluster.memory()
    batches = [task for task in stream.data if "_batch_arcs" in str(task["key"])]
    assert len({task["worker"] for task in batches}) == 2
    assert len(batches) == len(stream.data)  # a batch's own joblib calls ran inside it
    assert memory["workers"] == 2 and all(mb > 0 for mb in memory["peak_rss_mb"].values())
    assert spread["scope"] == alone["scope"] and alone["scope"]["arcs"]["direct"] > 0
    assert spread["workers"] == alone["workers"] and alone["workers"]
    assert spread["classes"] == alone["classes"]
    assert spread["solution"]["objective"] == pytest.approx(alone["solution"]["objective"])


def test_plan_candidates_within_reach_are_those_retrieved_against_every_line(
    small_city: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, models = small_city
    monkeypatch.setattr(inputs, "BATCH_WORKERS", 16)  # groups split into several batches
    model, _ = load_model(models)
    city = inputs.planning_city(load_city(url), PlanOptions())
    space = model.space(city)
    workers, lines, _ = inputs.scope_rows(city, PlanOptions())
    workers = workers[::-1]  # any order of workers comes back in that order
    arcs = inputs.gather_arcs(city, model, space, workers, lines)
    index = build_line_index(city, model.vectorizer, lines, city.as_of)
    every = np.arange(len(index))
    whole = inputs._batch_arcs(  # one batch, every line
        model, space, index, workers, every, inputs.CANDIDATES_PER_WORKER, inputs.PATHWAY_PAIRS_PER_WORKER
    )
    assert len(arcs.direct_worker) > len(workers) and len(arcs.path_worker) > 0
    for name, values in whole.items():
        assert np.array_equal(getattr(arcs, name), values), name
