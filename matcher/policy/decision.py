"""The output of a subsidy decision: what is granted, what is denied and why, and the full trace.

Additions to the contract: `Decision.pack`, `Decision.as_of` and `Decision.total` (the sum of the items
that are not part of another item); `Item.name`/`Denial.name` (the rule's Chinese name); `Item.part_of`
(set on an advance payment, 二十, which is paid out of another item rather than on top of it);
`TraceEntry.see_also` (other articles a rule rests on), `TraceEntry.reason` (also why a rule did not apply)
and `TraceEntry.blocked_by` (the failed checks that kept an item from being evaluated).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from matcher.domain import Party

Status = Literal["passed", "failed", "not_applicable"]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True)


class Item(_Out):
    """A subsidy granted: how much, to whom, under which article and why."""

    item: str
    name: str
    amount: float
    payee: Party
    article: str
    reason: str
    part_of: str | None = None


class Denial(_Out):
    """A rule the case failed, with the reason to tell the applicant."""

    rule: str
    name: str
    article: str
    reason: str


class Ground(_Out):
    id: str
    reason: str


class DerivedFact(_Out):
    """A status the plan defines from other facts (e.g. 就业困难人员, 四) and the grounds that hold."""

    value: bool
    name: str
    article: str
    grounds: list[Ground]


class TraceEntry(_Out):
    """One rule as evaluated: its outcome and every value it looked at."""

    rule: str
    stage: Literal["derived", "check", "item"]
    article: str
    see_also: list[str] = Field(default_factory=list)
    status: Status
    values: dict[str, Any]
    reason: str | None = None
    amount: float | None = None
    blocked_by: list[str] = Field(default_factory=list)


class Decision(_Out):
    """The answer for one case under one pack."""

    pack: str
    in_force: bool = Field(
        description="the training starts within the pack's period; if not, no amount is due"
    )
    as_of: date
    eligible: bool
    total: float
    items: list[Item]
    denials: list[Denial]
    derived: dict[str, DerivedFact]
    trace: list[TraceEntry]
