"""A province: the sample city written by PostgreSQL's COPY, and a plan spread over a Dask cluster."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import JSON, Text, cast, select

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
