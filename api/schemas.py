"""Response schemas. Personal fields carry a `Personal` tag once, here; masking and auditing follow from it."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from matcher.model.results import (
    ClassSummary,
    Flags,
    LineSummary,
    ModelVersion,
    Reason,
    Recommendations,
)
from matcher.privacy import Personal

__all__ = ["Recommendations"]  # served as the library gives it

T = TypeVar("T")

Identity = Personal("identity")
Sensitive = Personal("sensitive")


class Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PageOf(BaseModel, Generic[T]):
    total: int
    offset: int
    limit: int
    items: list[T]


class EnterprisePublic(Public):
    id: int
    credit_code: str
    name: str
    industry: str
    region: str
    size: str
    high_risk_sector: str | None
    insured: bool


class EnterpriseUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=2, max_length=100)
    industry: str | None = None
    region: str | None = None
    size: str | None = None
    high_risk_sector: str | None = None
    insured: bool | None = None


class DemandLinePublic(Public):
    id: int
    enterprise_id: int
    line_ref: str
    occupation_code: str
    title: str
    required_level: int | None
    required_certificates: list[str]
    headcount: int
    wage_min: int
    wage_max: int
    work_region: str
    start_date: date
    end_date: date
    accepts_order_training: bool
    description: str
    status: str


class DemandLineUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    occupation_code: str | None = None
    title: str | None = Field(None, min_length=1, max_length=60)
    required_level: int | None = Field(None, ge=1, le=5)
    required_certificates: list[str] | None = None
    headcount: int | None = Field(None, gt=0, le=10_000)
    wage_min: int | None = Field(None, ge=0, le=10_000_000)
    wage_max: int | None = Field(None, ge=0, le=10_000_000)
    work_region: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    accepts_order_training: bool | None = None
    description: str | None = Field(None, max_length=2000)


class WorkerPublic(Public):
    id: int
    id_masked: Annotated[str | None, Identity] = None
    name: Annotated[str | None, Identity] = None
    birth_date: Annotated[date | None, Identity] = None
    sex: str
    county: str | None
    residence_region: str
    hukou_region: Annotated[str | None, Sensitive] = None
    hukou_type: Annotated[str | None, Sensitive] = None
    education: str
    employment_status: str
    registered_unemployed_since: Annotated[date | None, Sensitive] = None
    receives_pension: Annotated[bool | None, Sensitive] = None
    groups: Annotated[list[str] | None, Sensitive] = None
    certificates: list[dict[str, Any]]
    work_history: list[dict[str, Any]]
    intentions: dict[str, Any]
    subsidised_trainings: list[dict[str, Any]]
    consent_to_share: bool


class InstitutionPublic(Public):
    id: int
    code: str
    name: str
    kind: str
    region: str
    total_seats: int
    tendered: bool


class ProgrammePublic(Public):
    id: int
    code: str
    name: str
    institution_id: int
    mode: str
    occupation_code: str
    target_level: int | None
    certificate: str
    special_operation: str | None
    days: int
    cost_per_person: int
    catalogue_subsidy: int
    seats: int
    region: str
    start_date: date
    end_date: date
    enterprise_id: int | None


class FieldProblem(BaseModel):
    field: str = Field(
        description="where: body, query, path or header and the field's path; or a file's column"
    )
    message: str
    row: int | None = Field(None, description="the row of an uploaded file")


class Problem(BaseModel):
    """Every error answer: a sentence saying what to do, or one entry per field at fault."""

    detail: str | list[FieldProblem]


class RegionPublic(BaseModel):
    code: str
    name: str
    population_2020: int | None


class TargetProgress(BaseModel):
    target: float
    achieved: float
    article: str
    share: float | None = None
    met: bool | None = None


class Workforce(BaseModel):
    employed: int
    skilled: int
    high_skilled: int
    skilled_share_of_employed: float
    high_skilled_share_of_skilled: float


class PeriodFigures(BaseModel):
    period: str
    county: str
    trainings: int
    completed: int
    certified: int
    placed: int
    retained_6m: int


class ProgressReport(BaseModel):
    county: str | None
    period: str
    as_of: date = Field(description="the day the figures stand on; classes not yet begun are not counted")
    targets: dict[str, TargetProgress]
    workforce: Workforce
    figures: list[PeriodFigures]


class HeldQualification(BaseModel):
    kind: str
    occupation_code: str | None = None
    level: int | None = None
    special_operation: str | None = None


class Experience(BaseModel):
    occupation_code: str
    years: float = Field(description="years worked in the occupation up to today, to the half year")


class CandidateProfile(BaseModel):
    """What recruiting needs to know of a candidate: no identity, sex, township, dates or employers."""

    county: str | None = Field(description="county of residence")
    education: str
    certificates: list[HeldQualification]
    experience: list[Experience]
    wanted_occupations: list[str]
    min_wage: int

    @classmethod
    def of(cls, row: Any, today: date) -> CandidateProfile:
        years: dict[str, float] = {}
        for spell in row.work_history:
            end = min(date.fromisoformat(spell["end"]) if spell.get("end") else today, today)
            days = (end - date.fromisoformat(spell["start"])).days
            years[spell["occupation_code"]] = years.get(spell["occupation_code"], 0.0) + max(days, 0) / 365.25
        held = {
            (c["kind"], c.get("occupation_code"), c.get("level"), c.get("special_operation"))
            for c in row.certificates
        }
        return cls(
            county=row.county,
            education=row.education,
            certificates=[
                HeldQualification(kind=k, occupation_code=o, level=lv, special_operation=op)
                for k, o, lv, op in sorted(held, key=str)
            ],
            experience=[
                Experience(occupation_code=o, years=round(y * 2) / 2)
                for o, y in sorted(years.items(), key=lambda kv: -kv[1])
            ],
            wanted_occupations=list(row.intentions.get("occupations", [])),
            min_wage=int(row.intentions.get("min_wage", 0)),
        )


class Candidate(BaseModel):
    """A worker proposed for a demand line. An enterprise knows the person by `ref`, a reference valid for
    this line only, and by `profile`; the bureau sees the record too. Reasons naming a priority group are
    kept apart, as sensitive."""

    rank: int
    ref: str = Field(description="the candidate's reference on this line (to shortlist or ask a referral)")
    profile: CandidateProfile
    worker: Annotated[WorkerPublic | None, Identity] = None
    score: float = Field(description="the model's probability of being hired and staying six months")
    needs_training: bool = Field(
        description="lacks a level or certificate the line asks for; `programme` brings it"
    )
    reasons: list[Reason]
    priority_reasons: Annotated[list[Reason] | None, Sensitive] = None
    flags: Flags
    programme: ClassSummary | None = None


class Candidates(BaseModel):
    line: LineSummary
    as_of: date
    feasible_workers: int = Field(
        description="consenting workers who may take the line now or through a class"
    )
    candidates: list[Candidate]
    model: ModelVersion
