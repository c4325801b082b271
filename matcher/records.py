"""Writing validated domain records to the store: one place that maps a model to its row and upserts it.

The ledger import, the API and the sample city all go through these functions, so a record is stored the
same way whichever door it came in by.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher import reference as ref
from matcher.domain import DemandLine, Enterprise, TrainingInstitution, TrainingProgramme, WorkerProfile
from matcher.store.tables import Base, DemandLineRow, EnterpriseRow, InstitutionRow, ProgrammeRow, WorkerRow

Outcome = Literal["created", "updated", "unchanged"]


def enterprise_values(e: Enterprise) -> dict[str, Any]:
    return {**e.model_dump(mode="json", exclude={"high_risk_sector"}), "high_risk_sector": e.high_risk_sector}


def demand_line_values(line: DemandLine, enterprise_id: int) -> dict[str, Any]:
    values = line.model_dump(exclude={"enterprise_code"})
    return {**values, "enterprise_id": enterprise_id}


def worker_values(w: WorkerProfile) -> dict[str, Any]:
    """The stored form of a worker: the ID number becomes a keyed hash and a masked copy."""
    id_hash, id_masked, birth_date, sex = w.identity()
    dumped = w.model_dump(mode="json", exclude={"id_number"})
    return {
        **dumped,
        "registered_unemployed_since": w.registered_unemployed_since,
        "id_hash": id_hash,
        "id_masked": id_masked,
        "birth_date": birth_date,
        "sex": sex.value,
        "county": ref.county_of(w.residence_region),
    }


def institution_values(i: TrainingInstitution) -> dict[str, Any]:
    return i.model_dump(mode="json")


def programme_values(p: TrainingProgramme, institution_id: int, enterprise_id: int | None) -> dict[str, Any]:
    values = p.model_dump(exclude={"institution_code", "enterprise_code"})
    return {
        **values,
        "mode": p.mode.value,
        "certificate": p.certificate.value,
        "institution_id": institution_id,
        "enterprise_id": enterprise_id,
    }


def upsert(
    session: Session, table: type[Base], key: dict[str, Any], values: dict[str, Any]
) -> tuple[Any, Outcome]:
    """Insert the row with this natural key, or update it where a value differs; say which happened."""
    row = session.scalar(select(table).filter_by(**key))
    if row is None:
        row = table(**key, **values)
        session.add(row)
        session.flush()
        return row, "created"
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    if changed:
        session.flush()
    return row, "updated" if changed else "unchanged"


def save_enterprise(session: Session, e: Enterprise) -> tuple[EnterpriseRow, Outcome]:
    values = enterprise_values(e)
    return upsert(session, EnterpriseRow, {"credit_code": values.pop("credit_code")}, values)


class NotInStore(KeyError):
    """A record names an enterprise or institution the store does not hold (the message names the field)."""

    def __str__(self) -> str:
        return str(self.args[0])


def save_demand_line(session: Session, line: DemandLine) -> tuple[DemandLineRow, Outcome]:
    """Store a line of an enterprise already in the store; `NotInStore` if it is not."""
    enterprise_id = session.scalar(
        select(EnterpriseRow.id).where(EnterpriseRow.credit_code == line.enterprise_code)
    )
    if enterprise_id is None:
        raise NotInStore(f"enterprise_code：企业 {line.enterprise_code} 未登记；请先登记该企业")
    values = demand_line_values(line, enterprise_id)
    key = {"enterprise_id": values.pop("enterprise_id"), "line_ref": values.pop("line_ref")}
    return upsert(session, DemandLineRow, key, values)


def save_worker(session: Session, w: WorkerProfile) -> tuple[WorkerRow, Outcome]:
    values = worker_values(w)
    return upsert(session, WorkerRow, {"id_hash": values.pop("id_hash")}, values)


def save_institution(session: Session, i: TrainingInstitution) -> tuple[InstitutionRow, Outcome]:
    values = institution_values(i)
    return upsert(session, InstitutionRow, {"code": values.pop("code")}, values)


def save_programme(session: Session, p: TrainingProgramme) -> tuple[ProgrammeRow, Outcome]:
    """Store a catalogue entry whose institution (and ordering enterprise) are in the store."""
    institution_id = session.scalar(
        select(InstitutionRow.id).where(InstitutionRow.code == p.institution_code)
    )
    if institution_id is None:
        raise NotInStore(f"institution_code：培训机构 {p.institution_code} 未登记；请先登记该机构")
    enterprise_id = None
    if p.enterprise_code:
        enterprise_id = session.scalar(
            select(EnterpriseRow.id).where(EnterpriseRow.credit_code == p.enterprise_code)
        )
        if enterprise_id is None:
            raise NotInStore(f"enterprise_code：订单企业 {p.enterprise_code} 未登记；请先登记该企业")
    values = programme_values(p, institution_id, enterprise_id)
    return upsert(session, ProgrammeRow, {"code": values.pop("code")}, values)
