"""The claims ledger: subsidy claims decided by the policy engine and stored once, fraud signals, the special account.

A claim is filed for one completed enrolment. The engine decides it from the worker's stored facts and
history, which includes every claim already stored, so a second claim for the same class (二十三) and a
fourth subsidised training in a year (十六) are refused with their articles. Nothing is stored for a refusal.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher import reference as ref
from matcher.policy import Decision, PriorTraining, decide
from matcher.policy.cases import case_for
from matcher.store.tables import EnrolmentRow, InstitutionRow, ProgrammeRow, SubsidyClaimRow, WorkerRow


def project_id(programme_code: str, start: date) -> str:
    """A class is a programme run from a start date; claims are counted per class (二十三)."""
    return f"{programme_code}/{start:%Y%m%d}"


@dataclass
class ClaimResult:
    enrolment_id: int
    project_id: str
    decision: Decision
    stored: list[int] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return bool(self.stored)


def _claimed(session: Session, worker_id: int) -> list[PriorTraining]:
    """The worker's classes already claimed, as the engine's history."""
    rows = session.execute(
        select(
            SubsidyClaimRow.project_id,
            SubsidyClaimRow.year,
            ProgrammeRow.occupation_code,
            ProgrammeRow.target_level,
        )
        .join(EnrolmentRow, EnrolmentRow.id == SubsidyClaimRow.enrolment_id)
        .join(ProgrammeRow, ProgrammeRow.id == EnrolmentRow.programme_id)
        .where(SubsidyClaimRow.worker_id == worker_id)
        .distinct()
    ).all()
    return [PriorTraining(year=y, occupation_code=o, level=lv, project_id=p) for p, y, o, lv in rows]


def file_claim(session: Session, enrolment_id: int, as_of: date | None = None) -> ClaimResult:
    """Decide and store the subsidy claims of one enrolment; a refusal stores nothing and says why.

    `as_of` is the date the worker's stored facts describe (default: the end of the class).
    """
    enrolment = session.get(EnrolmentRow, enrolment_id)
    if enrolment is None:
        raise KeyError(f"no enrolment {enrolment_id}")
    worker = session.get_one(WorkerRow, enrolment.worker_id)
    programme = session.get_one(ProgrammeRow, enrolment.programme_id)
    institution = session.get_one(InstitutionRow, programme.institution_id)
    project = project_id(programme.code, enrolment.start_date)
    known = {t["project_id"] for t in worker.subsidised_trainings}
    claimed = [t for t in _claimed(session, worker.id) if t.project_id not in known]
    case = case_for(
        worker,
        programme,
        institution,
        enrolment.start_date,
        enrolment.end_date,
        project_id=project,
        certified=enrolment.certificate_date is not None,
        extra_history=claimed,
        as_of=as_of or enrolment.end_date,
    )
    decision = decide(case)
    result = ClaimResult(enrolment_id, project, decision)
    if not decision.eligible:
        return result
    county = ref.county_of(programme.region) or programme.region
    for item in decision.items:
        if item.part_of:  # an advance paid out of another item (二十), not a claim of its own
            continue
        row = SubsidyClaimRow(
            worker_id=worker.id,
            enrolment_id=enrolment.id,
            project_id=project,
            item=item.item,
            amount=round(item.amount),
            payee=item.payee,
            article=item.article,
            year=enrolment.end_date.year,
            county=county,
        )
        session.add(row)
        session.flush()
        result.stored.append(row.id)
    return result


@dataclass(frozen=True)
class Signal:
    """A pattern an auditor should look at, with the records it concerns."""

    kind: str
    article: str
    message: str
    records: dict[str, Any]


def fraud_signals(session: Session) -> list[Signal]:
    """Overlapping classes of one person, classes over their seats, certificates dated before the class began."""
    out: list[Signal] = []
    rows = session.execute(
        select(
            EnrolmentRow.id,
            EnrolmentRow.worker_id,
            EnrolmentRow.programme_id,
            EnrolmentRow.start_date,
            EnrolmentRow.end_date,
            EnrolmentRow.certificate_date,
        ).order_by(EnrolmentRow.worker_id, EnrolmentRow.start_date)
    ).all()
    last: dict[int, tuple[int, date]] = {}
    classes: dict[tuple[int, date], list[int]] = defaultdict(list)
    for eid, wid, pid, start, end, cert in rows:
        if wid in last and start <= last[wid][1]:
            out.append(
                Signal(
                    "overlapping_classes",
                    "二十三",
                    f"worker {wid} is enrolled in two classes whose dates overlap",
                    {"worker_id": wid, "enrolments": [last[wid][0], eid]},
                )
            )
        if wid not in last or end > last[wid][1]:
            last[wid] = (eid, end)
        classes[(pid, start)].append(eid)
        if cert is not None and cert < start:
            out.append(
                Signal(
                    "certificate_before_training",
                    "二十三",
                    f"enrolment {eid}: certificate dated {cert}, before the class began on {start}",
                    {"enrolment_id": eid, "worker_id": wid},
                )
            )
    seats = dict(session.execute(select(ProgrammeRow.id, ProgrammeRow.seats)).all())
    for (pid, start), members in sorted(classes.items()):
        if len(members) > seats[pid]:
            out.append(
                Signal(
                    "class_over_seats",
                    "二十三",
                    f"programme {pid}, class of {start}: {len(members)} trainees for {seats[pid]} seats",
                    {"programme_id": pid, "start_date": str(start), "trainees": len(members)},
                )
            )
    return out


def special_account(session: Session, year: int | None = None) -> list[dict[str, Any]]:
    """Claims charged to the special account (职业技能提升行动专账, 二十三), by county and article."""
    query = select(
        SubsidyClaimRow.county, SubsidyClaimRow.article, func.count(), func.sum(SubsidyClaimRow.amount)
    )
    if year is not None:
        query = query.where(SubsidyClaimRow.year == year)
    rows = session.execute(
        query.group_by(SubsidyClaimRow.county, SubsidyClaimRow.article).order_by(
            SubsidyClaimRow.county, SubsidyClaimRow.article
        )
    ).all()
    return [
        {"county": c, "county_name": ref.region(c).name, "article": a, "claims": n, "amount": int(total or 0)}
        for c, a, n, total in rows
    ]
