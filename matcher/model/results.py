"""The shapes of the engine's answers for people: one worker's recommendations and one line's candidates.

The recommender fills them; the API serves them as they are and the CLI prints them as JSON.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from matcher.privacy import Personal


class Coded(BaseModel):
    code: str
    name: str


class Reason(BaseModel):
    """One reason for a score: what it is about, the sentence a person reads, and whether it counts for (+)
    or against (-)."""

    code: str
    text: str
    effect: Literal["+", "-"]


class SubsidyItem(BaseModel):
    item: str
    name: str
    amount: float
    payee: str
    article: str


class CostShares(BaseModel):
    """Who pays what of the class for this person (`matcher.policy.money`), in yuan."""

    cost: int
    subsidy: int = Field(description="the subsidy towards the cost")
    person_pays: int
    enterprise_pays: int
    allowance: int = Field(description="the living allowance, paid on top of the cost (十八)")
    advanced_by: str
    free: bool = Field(description="nothing is left for the person to pay")
    summary: str


class SubsidyOutlook(BaseModel):
    """The policy engine's decision for the proposed class under the pack in force on its first day.

    Outside every pack's period `in_force` is False and no amount is given; `message` says why. When the
    worker's record cannot be decided on, `in_force` and `eligible` are None and `message` says what to check.
    """

    pack: str | None = None
    in_force: bool | None
    eligible: bool | None
    amount: float | None = None
    items: list[SubsidyItem] = []
    denials: list[str] = []
    articles: list[str] = []
    message: str
    cost: CostShares


class Flags(BaseModel):
    """The feasibility rules checked one by one, and whether the job needs training first."""

    region: bool
    lawful: bool = Field(description="protective labour law allows the work (`law` says why not)")
    law: list[str] = Field(
        description="each rule of protective labour law against the work, with its article"
    )
    wage: bool
    certificates: Literal["held", "by_training", "unobtainable"]
    outbound: bool
    outside_province: bool
    feasible: bool
    needs_training: bool
    # the items and denials follow from the person's groups and past subsidies: sensitive
    subsidy: Annotated[SubsidyOutlook | None, Personal("sensitive")] = None


class LineSummary(BaseModel):
    line_id: int
    title: str
    enterprise_id: int
    occupation: Coded
    work_region: Coded
    wage_min: int
    wage_max: int
    start_date: date
    end_date: date


class JobOption(LineSummary):
    score: float = Field(description="the model's probability of being hired and staying six months")
    reasons: list[Reason]
    flags: Flags


class ClassSummary(BaseModel):
    """A scheduled class of the catalogue: what it certifies, where and when, seats left, travel."""

    programme_id: int
    code: str
    name: str
    institution: str
    certifies: str = Field(description="the certificate, occupation and level the class leads to")
    site: Coded
    travel_km: float = Field(description="from the worker's home to the class's site")
    class_start: date
    class_end: date
    days: int
    seats: int
    seats_left: int
    cost: int
    catalogue_subsidy: int


class PathwayOption(JobOption):
    programme: ClassSummary
    p_complete: float
    p_hired_after_training: float
    value: float = Field(
        description="score × the class's reach (1 in the worker's county, ½ for a class 100 km away): "
        "the order pathways are listed in"
    )


class ModelVersion(BaseModel):
    sha256: str | None
    trained_at: str | None


class Recommendations(BaseModel):
    worker_id: int
    as_of: date
    jobs: list[JobOption]
    outbound: list[JobOption]
    pathways: list[PathwayOption]
    model: ModelVersion

    def to_text(self) -> str:
        """The advice as a counselor reads it in a terminal: each option, its chance and its reasons."""
        lines = [f"劳动者 {self.worker_id} 的推荐（按 {self.as_of} 的情况）"]
        sections: list[tuple[str, list[JobOption]]] = [
            ("本地岗位", self.jobs),
            ("外出务工岗位", self.outbound),
            ("先培训、再就业", list(self.pathways)),
        ]
        for title, options in sections:
            lines += ["", f"【{title}】"]
            if not options:
                lines.append("  没有合适的选项")
            for i, o in enumerate(options, 1):
                lines.append(
                    f"{i}. {o.title}（岗位 {o.line_id}，{o.work_region.name}，月薪 {o.wage_min}–{o.wage_max} 元）"
                    f"  录用并稳定就业的可能性 {o.score:.0%}"
                )
                if isinstance(o, PathwayOption) and o.flags.subsidy is not None:
                    lines.append(f"   费用：{o.flags.subsidy.cost.summary}")
                lines += [f"   {'＋' if r.effect == '+' else '－'} {r.text}" for r in o.reasons]
        return "\n".join(lines)


class CandidateAdvice(BaseModel):
    """A worker proposed for a line: ready now, or through the named class (`programme`)."""

    worker_id: int
    score: float
    reasons: list[Reason]
    flags: Flags
    programme: ClassSummary | None = None


class LineCandidates(BaseModel):
    line: LineSummary
    as_of: date
    feasible_workers: int = Field(description="workers who may take the line now or through a class")
    candidates: list[CandidateAdvice]
    model: ModelVersion
