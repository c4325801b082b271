"""The one builder of policy cases: a worker taking one class of a catalogue programme.

Every caller (the counselor's recommendations, the planner, the claims ledger, the CLI) makes its case here,
from stored rows (`case_for`) or from the city's arrays (`CityCases`); both go through `person` and
`training`, so the same worker and class give the same case, and the same decision, everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from matcher.policy.case import Case, Person, PriorTraining, Training
from matcher.reference import level_of_rank
from matcher.store.tables import InstitutionRow, ProgrammeRow, WorkerRow

if TYPE_CHECKING:
    from matcher.model.snapshot import City

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


def person(
    *,
    birth_date: date,
    sex: str,
    hukou_region: str,
    residence_region: str,
    intended_regions: Sequence[str],
    hukou_type: str,
    employment_status: str,
    registered_unemployed_since: date | None,
    receives_pension: bool,
    groups: Iterable[str],
) -> dict[str, Any]:
    """The policy facts of a person; the region they seek work in is the first they named, if any."""
    return {
        "birth_date": birth_date,
        "sex": sex,
        "hukou_region": hukou_region,
        "residence_region": residence_region,
        "job_seek_region": intended_regions[0] if intended_regions else None,
        "hukou_type": hukou_type,
        "employment_status": employment_status,
        "registered_unemployed_since": registered_unemployed_since,
        "receives_pension": receives_pension,
        "groups": tuple(groups),
    }


def training(
    *,
    mode: str,
    tendered: bool,
    project_id: str,
    occupation_code: str,
    level: int | None,
    certificate: str | None,
    start: date,
    end: date,
    days: int,
    catalogue_subsidy: int,
) -> dict[str, Any]:
    """The policy facts of one class: its days are the programme's, at most the class's calendar days."""
    organised_by, advanced_by = organiser(mode, tendered)
    return {
        "kind": mode,
        "project_id": project_id,
        "occupation_code": occupation_code,
        "level": level,
        "certificate": certificate,
        "start_date": start,
        "end_date": end,
        "days": min(days, (end - start).days + 1),
        "organised_by": organised_by,
        "advanced_by": advanced_by,
        "catalogue_subsidy": catalogue_subsidy,
    }


def person_of(worker: WorkerRow) -> Person:
    """The policy facts of a stored worker."""
    return Person(
        **person(
            birth_date=worker.birth_date,
            sex=worker.sex,
            hukou_region=worker.hukou_region,
            residence_region=worker.residence_region,
            intended_regions=worker.intentions.get("regions") or [],
            hukou_type=worker.hukou_type,
            employment_status=worker.employment_status,
            registered_unemployed_since=worker.registered_unemployed_since,
            receives_pension=worker.receives_pension,
            groups=worker.groups,
        )
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
    facts = training(
        mode=programme.mode,
        tendered=institution.tendered,
        project_id=project_id or programme.code,
        occupation_code=programme.occupation_code,
        level=programme.target_level,
        certificate=programme.certificate if certified else None,
        start=start,
        end=end,
        days=programme.days,
        catalogue_subsidy=programme.catalogue_subsidy,
    )
    return Case(
        person=person_of(worker),
        training=Training(**facts),
        history=history_of(worker, extra_history),
        as_of=as_of,
    )


class CityCases:
    """Cases of a city's (worker row, programme row) pairs, each programme a class on its own dates."""

    def __init__(self, city: City) -> None:
        from matcher.model.codes import occupation_codes

        self.city = city
        self.occ = occupation_codes()
        self.groups = city.workers.groups.tocsr()

    def person(self, wr: int) -> dict[str, Any]:
        from matcher.model.codes import GROUPS
        from matcher.model.dates import NEVER

        w = self.city.workers
        since = int(w.unemployed_since[wr])
        regions = w.intent_region["code"][w.intent_region.offsets[wr] : w.intent_region.offsets[wr + 1]]
        return person(
            birth_date=date.fromordinal(int(w.birth[wr])),
            sex=str(w.sex[wr]),
            hukou_region=str(w.hukou_region[wr]),
            residence_region=str(w.residence[wr]),
            intended_regions=[str(c) for c in regions],
            hukou_type="rural" if w.hukou_rural[wr] else "urban",
            employment_status=str(w.status[wr]),
            registered_unemployed_since=None if since == NEVER else date.fromordinal(since),
            receives_pension=bool(w.pension[wr]),
            groups=(
                GROUPS[g] for g in self.groups.indices[self.groups.indptr[wr] : self.groups.indptr[wr + 1]]
            ),
        )

    def training(self, p: int) -> dict[str, Any]:
        pr = self.city.programmes
        return training(
            mode=str(pr.mode[p]),
            tendered=bool(pr.tendered[p]),
            project_id=str(pr.code[p]),
            occupation_code=self.occ[pr.occ[p]],
            level=level_of_rank(int(pr.rank[p])),
            certificate=str(pr.certificate[p]),
            start=date.fromordinal(int(pr.start[p])),
            end=date.fromordinal(int(pr.end[p])),
            days=int(pr.days[p]),
            catalogue_subsidy=int(pr.subsidy[p]),
        )

    def history(self, wr: int) -> tuple[dict[str, Any], ...]:
        prior = self.city.workers.prior
        sl = slice(prior.offsets[wr], prior.offsets[wr + 1])
        return tuple(
            {
                "year": int(y),
                "occupation_code": self.occ[o],
                "level": level_of_rank(int(r)),
                "project_id": str(pid),
            }
            for y, o, r, pid in zip(
                prior["year"][sl], prior["occ"][sl], prior["rank"][sl], prior["project"][sl]
            )
        )

    def case(self, wr: int, p: int) -> Case:
        """The validated case of a pair, as the engine decides it."""
        return Case.model_validate(
            {"person": self.person(wr), "training": self.training(p), "history": self.history(wr)}
        )
