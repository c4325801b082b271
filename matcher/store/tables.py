"""The relational schema (SQLAlchemy 2 ORM). Changes go through an Alembic migration."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    TypeDecorator,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Timestamp(TypeDecorator[datetime]):
    """A point in time, read back aware and in UTC on every database (SQLite keeps no zone: it stores UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, _dialect: Dialect) -> Any:
        return value.astimezone(UTC) if value is not None and value.tzinfo else value

    def process_result_value(self, value: datetime | None, _dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


def _created() -> Mapped[datetime]:
    return mapped_column(Timestamp, server_default=func.now(), nullable=False)


class EnterpriseRow(Base):
    __tablename__ = "enterprises"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    industry: Mapped[str] = mapped_column(String(1))
    region: Mapped[str] = mapped_column(String(16), index=True)
    size: Mapped[str] = mapped_column(String(8))
    high_risk_sector: Mapped[str | None] = mapped_column(String(20))
    insured: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = _created()


class DemandLineRow(Base):
    __tablename__ = "demand_lines"
    __table_args__ = (UniqueConstraint("enterprise_id", "line_ref"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    line_ref: Mapped[str] = mapped_column(String(40))
    occupation_code: Mapped[str] = mapped_column(String(12), index=True)
    title: Mapped[str] = mapped_column(String(60))
    required_level: Mapped[int | None] = mapped_column(Integer)
    required_certificates: Mapped[list[str]] = mapped_column(JSON)
    headcount: Mapped[int] = mapped_column(Integer)
    wage_min: Mapped[int] = mapped_column(Integer)
    wage_max: Mapped[int] = mapped_column(Integer)
    work_region: Mapped[str] = mapped_column(String(16), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    accepts_order_training: Mapped[bool] = mapped_column(Boolean)
    description: Mapped[str] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(8), default="open")
    created_at: Mapped[datetime] = _created()


class WorkerRow(Base):
    __tablename__ = "workers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    id_masked: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(40))
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    hukou_region: Mapped[str] = mapped_column(String(16))
    hukou_type: Mapped[str] = mapped_column(String(5))
    residence_region: Mapped[str] = mapped_column(String(16))
    ethnicity: Mapped[str | None] = mapped_column(String(16))
    county: Mapped[str | None] = mapped_column(String(16), index=True)
    education: Mapped[str] = mapped_column(String(24))
    employment_status: Mapped[str] = mapped_column(String(24))
    registered_unemployed_since: Mapped[date | None] = mapped_column(Date)
    receives_pension: Mapped[bool] = mapped_column(Boolean)
    certificates: Mapped[list[dict]] = mapped_column(JSON)
    work_history: Mapped[list[dict]] = mapped_column(JSON)
    intentions: Mapped[dict] = mapped_column(JSON)
    groups: Mapped[list[str]] = mapped_column(JSON)
    subsidised_trainings: Mapped[list[dict]] = mapped_column(JSON)
    consent_to_share: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = _created()


class InstitutionRow(Base):
    __tablename__ = "institutions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))
    region: Mapped[str] = mapped_column(String(16))
    total_seats: Mapped[int] = mapped_column(Integer)
    tendered: Mapped[bool] = mapped_column(Boolean)


class ProgrammeRow(Base):
    __tablename__ = "programmes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    mode: Mapped[str] = mapped_column(String(20))
    occupation_code: Mapped[str] = mapped_column(String(12), index=True)
    target_level: Mapped[int | None] = mapped_column(Integer)
    certificate: Mapped[str] = mapped_column(String(24))
    special_operation: Mapped[str | None] = mapped_column(String(8))
    days: Mapped[int] = mapped_column(Integer)
    cost_per_person: Mapped[int] = mapped_column(Integer)
    catalogue_subsidy: Mapped[int] = mapped_column(Integer)
    seats: Mapped[int] = mapped_column(Integer)
    region: Mapped[str] = mapped_column(String(16), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))


class EnrolmentRow(Base):
    __tablename__ = "enrolments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    completed: Mapped[bool] = mapped_column(Boolean)
    certificate_date: Mapped[date | None] = mapped_column(Date)


class PlacementRow(Base):
    __tablename__ = "placements"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    demand_line_id: Mapped[int] = mapped_column(ForeignKey("demand_lines.id"), index=True)
    enrolment_id: Mapped[int | None] = mapped_column(ForeignKey("enrolments.id"))
    referred_on: Mapped[date] = mapped_column(Date, index=True)
    hired: Mapped[bool] = mapped_column(Boolean)
    retained_6m: Mapped[bool | None] = mapped_column(Boolean)


class SubsidyClaimRow(Base):
    __tablename__ = "subsidy_claims"
    __table_args__ = (
        UniqueConstraint("worker_id", "project_id", "item"),
        Index("ix_claims_county_year", "county", "year"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    enrolment_id: Mapped[int | None] = mapped_column(ForeignKey("enrolments.id"), index=True)
    project_id: Mapped[str] = mapped_column(String(60))
    item: Mapped[str] = mapped_column(String(40))
    amount: Mapped[int] = mapped_column(Integer)
    payee: Mapped[str] = mapped_column(String(100))
    article: Mapped[str] = mapped_column(String(8))
    year: Mapped[int] = mapped_column(Integer)
    county: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = _created()


class SynthTruthRow(Base):
    """The sample-city generator's true outcome probability per referral; only evaluation reads it."""

    __tablename__ = "synth_truth"
    placement_id: Mapped[int] = mapped_column(ForeignKey("placements.id"), primary_key=True)
    p_true: Mapped[float] = mapped_column(Float)


class StoreFactRow(Base):
    """A fact about the store as a whole, e.g. `today`: the day its records stand on (a sample city's survey
    day); the engine advises for that day unless `MATCHER_TODAY` says otherwise."""

    __tablename__ = "store_facts"
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class PrincipalRow(Base):
    """A person or system that calls the API, with one role; the bearer token is kept only as a hash."""

    __tablename__ = "principals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(12))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    county: Mapped[str | None] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = _created()
    expires_at: Mapped[datetime | None] = mapped_column(Timestamp)  # a token without one is refused
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp)


class AuditRow(Base):
    """One read of a worker's personal data by a person: who, as what, when, whose, which fields, why."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    principal_id: Mapped[int] = mapped_column(ForeignKey("principals.id"), index=True)
    role: Mapped[str] = mapped_column(String(12))
    at: Mapped[datetime] = _created()
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    fields: Mapped[list[str]] = mapped_column(JSON)
    purpose: Mapped[str] = mapped_column(String(60))


class IdempotencyRow(Base):
    """The first result of a creating request, replayed for the same key and body."""

    __tablename__ = "idempotency_keys"
    principal_id: Mapped[int] = mapped_column(ForeignKey("principals.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = _created()


class PlanJobRow(Base):
    """A city plan run in the background: its options, state, the plan's figures and, apart and loaded only
    when asked for, its per-worker assignments (tens of MB for a city)."""

    __tablename__ = "plan_jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    principal_id: Mapped[int] = mapped_column(ForeignKey("principals.id"))
    status: Mapped[str] = mapped_column(String(10))  # queued | running | done | failed | cancelled
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    options: Mapped[dict] = mapped_column(JSON)
    result: Mapped[dict | None] = mapped_column(JSON)  # the plan without its workers
    workers: Mapped[list | None] = mapped_column(JSON, deferred=True)
    error: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = _created()
    finished_at: Mapped[datetime | None] = mapped_column(Timestamp)
    claimed_by: Mapped[str | None] = mapped_column(String(80))  # the process running it, host:pid
    heartbeat_at: Mapped[datetime | None] = mapped_column(Timestamp)  # that process's last sign of life


class MatchingChangeRow(Base):
    """One insert, update or delete of a row matching reads, written by a trigger in the same transaction;
    serving processes read these to keep their matching view current (`matcher.model.live`)."""

    __tablename__ = "matching_changes"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    table_name: Mapped[str] = mapped_column(String(20))
    row_id: Mapped[int] = mapped_column(Integer)
    tx: Mapped[int | None] = mapped_column(BigInteger)  # PostgreSQL: the writing transaction's id
    at: Mapped[datetime] = _created()


class ReferralRow(Base):
    """A referral letter (推荐介绍信) a counselor gave a worker for a job or a class, and later its outcome."""

    __tablename__ = "referrals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    county: Mapped[str | None] = mapped_column(String(16), index=True)
    principal_id: Mapped[int] = mapped_column(ForeignKey("principals.id"))
    demand_line_id: Mapped[int | None] = mapped_column(ForeignKey("demand_lines.id"), index=True)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programmes.id"))
    issued_on: Mapped[date] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(12))  # hired | not_hired | no_show
    outcome_by: Mapped[int | None] = mapped_column(ForeignKey("principals.id"))
    outcome_at: Mapped[datetime | None] = mapped_column(Timestamp)
    created_at: Mapped[datetime] = _created()


class ShortlistRow(Base):
    """A candidate an enterprise shortlisted for its line; `requested_at` once it asked the bureau to refer."""

    __tablename__ = "shortlists"
    __table_args__ = (UniqueConstraint("demand_line_id", "worker_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    demand_line_id: Mapped[int] = mapped_column(ForeignKey("demand_lines.id"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    principal_id: Mapped[int] = mapped_column(ForeignKey("principals.id"))
    requested_at: Mapped[datetime | None] = mapped_column(Timestamp)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"))
    created_at: Mapped[datetime] = _created()
