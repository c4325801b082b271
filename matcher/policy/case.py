"""The input of a subsidy decision: a person, one training, and the person's earlier subsidised trainings.

Field names are the decision contract shared by the CLI, the API and the planner. Every model forbids
unknown fields, and the cross-field checks below reject inconsistent cases instead of deciding them.

Additions to the contract, all optional:
- `training.employer_insured`: whether the employer pays social insurance; needed only to decide
  以工代训 for people with employment difficulty or from zero-employment families (十九).
- `as_of`: the date at which ages and the length of unemployment are measured; default the training's
  `start_date`.

Conventions: `employment_status` is the person's status when entering the training; for schemes in which
an employer takes the person on (以工代训, 岗前培训) it is the status before being taken on.
`job_seek_region` is where the person seeks work or, if employed, works.
`catalogue_subsidy` is the per-person standard of the programme's catalogue entry (for free tendered
training, the per-person price paid to the institution). `history` lists the person's earlier subsidised
trainings, each dated by the year it ended (the year it was subsidised).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from matcher.domain import (
    CertificateType,
    EmploymentStatus,
    HukouType,
    Organiser,
    Party,
    PriorityGroup,
    Sex,
    TrainingMode,
)
from matcher.reference import is_occupation, is_region, region

WorkForTraining = Literal["work_for_training"]
"""以工代训 (十九): an employer takes the person on and is paid on wages; not a catalogue mode."""
TrainingKind = TrainingMode | WorkForTraining
Level = Annotated[int, Field(ge=1, le=5)]

GROUPS: tuple[str, ...] = tuple(g.value for g in PriorityGroup)
TRAINING_KINDS: tuple[str, ...] = (*(m.value for m in TrainingMode), *get_args(WorkForTraining))
CERTIFICATES: tuple[str, ...] = tuple(c.value for c in CertificateType)
ORGANISERS: tuple[str, ...] = tuple(o.value for o in Organiser)
ADVANCERS: tuple[str, ...] = tuple(p.value for p in Party)
EMPLOYMENT_STATUSES: tuple[str, ...] = tuple(s.value for s in EmploymentStatus)

MIN_AGE, MAX_AGE = 14, 100
"""Plausibility bounds on a trainee's age; an age outside them is a data-entry error, not a policy matter."""


def full_years(since: date, on: date) -> int:
    """Whole years from `since` to `on` (an age, or a length of unemployment)."""
    return on.year - since.year - ((on.month, on.day) < (since.month, since.day))


def _region_code(code: str | None) -> str | None:
    if code is not None and not is_region(code):
        raise ValueError(
            f"{code!r} 不是已知的区划代码：请填写 GB/T 2260 的省、市、县代码或曲靖的乡镇（街道）代码，如 530302"
        )
    return code


def _occupation_code(code: str) -> str:
    if not is_occupation(code):
        raise ValueError(f"{code!r} 不是 2022 版职业分类中的职业（细类）：请填写细类代码，如 6-18-02-04")
    return code


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)


class Person(_Model):
    """The worker: identity, where they belong, and the groups the plan names."""

    birth_date: date
    sex: Sex
    hukou_region: str
    residence_region: str | None = None
    job_seek_region: str | None = None
    hukou_type: HukouType
    employment_status: EmploymentStatus
    registered_unemployed_since: date | None = None
    receives_pension: bool
    groups: tuple[PriorityGroup, ...] = ()

    _codes = field_validator("hukou_region", "residence_region", "job_seek_region")(_region_code)

    @model_validator(mode="after")
    def _consistent(self) -> Person:
        if self.registered_unemployed_since is not None and self.employment_status != "unemployed":
            raise ValueError(
                f"registered_unemployed_since 为 {self.registered_unemployed_since}，但 employment_status 是 "
                f"'{self.employment_status}'：失业登记随就业而终止；请把 employment_status 改为 'unemployed'，"
                "或删去 registered_unemployed_since"
            )
        return self


class Training(_Model):
    """The training applied for, with what the programme catalogue says it is worth."""

    kind: TrainingKind
    project_id: Annotated[str, Field(min_length=1)]
    occupation_code: str
    level: Level | None = None
    certificate: CertificateType | None = None
    start_date: date
    end_date: date
    days: Annotated[int, Field(ge=1)] | None = None
    organised_by: Organiser
    advanced_by: Party
    catalogue_subsidy: Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)] | None = None
    monthly_wage: Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)] | None = None
    months: Annotated[int, Field(ge=1)] | None = None
    employer_insured: bool | None = None

    _occupation = field_validator("occupation_code")(_occupation_code)

    @model_validator(mode="after")
    def _consistent(self) -> Training:
        if self.end_date < self.start_date:
            raise ValueError(
                f"end_date {self.end_date} 早于 start_date {self.start_date}：结束日期须不早于开始日期，请改正"
            )
        span = (self.end_date - self.start_date).days + 1
        if self.days is not None and self.days > span:
            raise ValueError(
                f"days 为 {self.days}，但 start_date {self.start_date} 到 end_date {self.end_date} "
                f"只有 {span} 天：请改正培训天数或起止日期"
            )
        if self.kind == "work_for_training":
            for name in ("monthly_wage", "months"):
                if getattr(self, name) is None:
                    raise ValueError(f"{name} 必填：以工代训（work_for_training）按工资发放补贴；请补上")
            assert self.months is not None
            span_months = (
                (self.end_date.year - self.start_date.year) * 12
                + self.end_date.month
                - self.start_date.month
                + 1
            )
            if self.months > span_months:
                raise ValueError(
                    f"months 为 {self.months}，但 start_date {self.start_date} 到 end_date {self.end_date} "
                    f"只涉及 {span_months} 个自然月：请改正月数或起止日期"
                )
        else:
            for name in ("monthly_wage", "months"):
                if getattr(self, name) is not None:
                    raise ValueError(
                        f"{name} 只用于以工代训（work_for_training），{self.kind} 不填此项：请删去"
                    )
        return self


class PriorTraining(_Model):
    """A subsidised training the person already had; `year` is the year it was subsidised (its end year)."""

    year: Annotated[int, Field(ge=1990, le=2100)]
    occupation_code: str
    level: Level | None = None
    project_id: Annotated[str, Field(min_length=1)]

    _occupation = field_validator("occupation_code")(_occupation_code)


class Case(_Model):
    """One person applying for one training, with their history of subsidised trainings."""

    person: Person
    training: Training
    history: tuple[PriorTraining, ...] = ()
    as_of: date | None = None

    @property
    def on(self) -> date:
        """The date ages and unemployment are measured at."""
        return self.as_of or self.training.start_date

    @model_validator(mode="after")
    def _consistent(self) -> Case:
        on, person = self.on, self.person
        age = full_years(person.birth_date, on)
        if not MIN_AGE <= age <= MAX_AGE:
            raise ValueError(
                f"person.birth_date {person.birth_date} 到 {on} 为 {age} 岁：培训对象须在 {MIN_AGE} 到 {MAX_AGE} 岁之间；"
                "请核对出生日期"
            )
        since = person.registered_unemployed_since
        if since is not None and since > on:
            raise ValueError(
                f"person.registered_unemployed_since {since} 晚于判定日期 {on}：请核对失业登记日期"
            )
        return self


def region_label(code: str) -> str:
    """A region code with its name, e.g. ``530302（麒麟区）``."""
    return f"{code}（{region(code).name}）"
