"""The store on SQLite and PostgreSQL: schema by migration, constraints enforced, all-or-nothing sessions."""

from datetime import date

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from matcher.store import engine, migrate, session_scope
from matcher.store.stats import entity_counts
from matcher.store.tables import DemandLineRow, EnterpriseRow


def enterprise(code: str = "91530300MA6K1234XF") -> EnterpriseRow:
    return EnterpriseRow(
        credit_code=code,
        name="曲靖某公司",
        industry="C",
        region="530302",
        size="small",
        high_risk_sector=None,
        insured=True,
    )


def line(enterprise_id: int, ref: str = "1") -> DemandLineRow:
    return DemandLineRow(
        enterprise_id=enterprise_id,
        line_ref=ref,
        occupation_code="6-18-02-04",
        title="焊工",
        required_level=None,
        required_certificates=["2.1"],
        headcount=2,
        wage_min=3000,
        wage_max=4000,
        work_region="530302",
        start_date=date(2022, 1, 1),
        end_date=date(2022, 6, 30),
        accepts_order_training=True,
        description="",
    )


def test_migration_creates_every_table_and_is_repeatable(db_url):
    migrate(db_url)  # a second run is a no-op
    names = set(inspect(engine(db_url)).get_table_names())
    assert {
        "enterprises",
        "demand_lines",
        "workers",
        "institutions",
        "programmes",
        "enrolments",
        "placements",
        "subsidy_claims",
        "synth_truth",
        "alembic_version",
    } <= names
    assert entity_counts(db_url) == dict.fromkeys(entity_counts(db_url), 0)


def test_rows_round_trip_with_json(db_url):
    with session_scope(db_url) as s:
        e = enterprise()
        s.add(e)
        s.flush()
        s.add(line(e.id))
    with session_scope(db_url) as s:
        got = s.scalars(select(DemandLineRow)).one()
        assert got.required_certificates == ["2.1"] and got.status == "open"
    assert entity_counts(db_url)["demand_lines"] == 1


def test_unique_and_foreign_keys_are_enforced(db_url):
    with session_scope(db_url) as s:
        s.add(enterprise())
    with pytest.raises(IntegrityError), session_scope(db_url) as s:
        s.add(enterprise())
    with pytest.raises(IntegrityError), session_scope(db_url) as s:
        s.add(line(enterprise_id=999))
    assert entity_counts(db_url)["enterprises"] == 1
    assert entity_counts(db_url)["demand_lines"] == 0


def test_failed_session_writes_nothing(db_url):
    with pytest.raises(RuntimeError), session_scope(db_url) as s:
        s.add(enterprise())
        s.flush()
        raise RuntimeError("stop half-way")
    assert entity_counts(db_url)["enterprises"] == 0


def test_sqlite_is_durable(tmp_path):
    url = f"sqlite:///{tmp_path / 'd.db'}"
    migrate(url)
    with engine(url).connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine(url).dispose()
