"""Policy cases built from stored records: a worker taking one class of a catalogue programme.

The planner, the recommender and the claims ledger all ask the engine through this one mapping, so a
programme's mode decides who organises and who advances the cost in the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from matcher.policy.case import Case, Person, PriorTraining, Training
from matcher.store.tables import InstitutionRow, ProgrammeRow, WorkerRow

ENTERPRISE_MODES = {"apprenticeship", "pre_job", "on_job_safety", "job_transfer"}
"""Trainings an employer organises for its staff and pays for (article 十六)."""
PUBLIC_MODES = {"order_based", "targeted", "project_based"}
"""Classes the public service may buy by public tender (articles 十五, 十七)."""


def organiser(mode: str, tendered: bool) -> tuple[str, str]:
    """Who organises a class of a programme of this mode and who advances its cost (谁垫付，谁申领, 十六).

    Self-selected training is the worker's own choice and outlay; employer trainings are the employer's.
    Order-based, targeted and project classes at an institution chosen by public tender are organised by
    the public service and advanced by the institution (十五, 十七); otherwise an order-based class is the
    ordering enterprise's, and any other class the institution's own.
    """
    if mode == "self_selected":
        return "self", "person"
    if mode in ENTERPRISE_MODES:
        return "enterprise", "enterprise"
    if tendered and mode in PUBLIC_MODES:
        return "public_tender", "institution"
    if mode == "order_based":
        return "enterprise", "enterprise"
    return "institution", "institution"


def person_of(worker: WorkerRow) -> Person:
    """The policy facts of a stored worker."""
    regions = worker.intentions.get("regions") or []
    return Person(
        birth_date=worker.birth_date,
        sex=worker.sex,
        hukou_region=worker.hukou_region,
        residence_region=worker.residence_region,
        job_seek_region=regions[0] if regions else None,
        hukou_type=worker.hukou_type,
        employment_status=worker.employment_status,
        registered_unemployed_since=worker.registered_unemployed_since,
        receives_pension=worker.receives_pension,
        groups=tuple(worker.groups),
    )


def history_of(worker: WorkerRow, extra: Iterable[PriorTraining] = ()) -> tuple[PriorTraining, ...]:
    """The worker's subsidised trainings, plus any the caller knows of (e.g. already planned)."""
    return (*(PriorTraining(**t) for t in worker.subsidised_trainings), *extra)


def case_for(
    worker: WorkerRow,
    programme: ProgrammeRow,
    institution: InstitutionRow,
    start: date,
    end: date,
    *,
    project_id: str | None = None,
    certified: bool = True,
    extra_history: Iterable[PriorTraining] = (),
    as_of: date | None = None,
) -> Case:
    """The case of `worker` taking a class of `programme` from `start` to `end`.

    `certified` says whether the programme's certificate was obtained (a plan assumes it will be);
    `as_of` is the date the worker's stored facts describe (default: the start of the class).
    """
    organised_by, advanced_by = organiser(programme.mode, institution.tendered)
    training = Training(
        kind=programme.mode,
        project_id=project_id or programme.code,
        occupation_code=programme.occupation_code,
        level=programme.target_level,
        certificate=programme.certificate if certified else None,
        start_date=start,
        end_date=end,
        days=min(programme.days, (end - start).days + 1),
        organised_by=organised_by,
        advanced_by=advanced_by,
        catalogue_subsidy=programme.catalogue_subsidy,
    )
    return Case(
        person=person_of(worker), training=training, history=history_of(worker, extra_history), as_of=as_of
    )
