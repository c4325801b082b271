"""The options of a city plan, as the `matcher plan` verb and the API pass them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from matcher import reference as ref
from matcher.domain import PriorityGroup

MAX_PRIORITY_WEIGHT = 10.0


def plan_counties() -> dict[str, str]:
    """The county-level units a plan can be limited to: Qujing's nine and the development zone."""
    out = {r.code: r.name for r in ref.qujing_counties()}
    out[ref.ETDZ_CODE] = ref.region(ref.ETDZ_CODE).name
    return out


class PlanOptions(BaseModel):
    """What the bureau asks of a plan; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")

    budget: float | None = Field(
        None,
        ge=0,
        allow_inf_nan=False,
        description="subsidy budget in yuan for the plan's classes; None: no limit",
    )
    min_class_size: int = Field(
        10, ge=1, le=1000, description="a class opens only with at least this many trainees"
    )
    priority_weights: dict[PriorityGroup, float] | None = Field(
        None,
        description="weight of a priority group's expected placements in the objective (1 to 10; a worker in "
        "several groups counts with the largest weight; everyone else with 1); left out: the weights of the "
        "policy pack in force, each citing the article that names the group; {} weighs nobody",
    )
    stable: bool = Field(False, description="assign by deferred acceptance (stable) instead of the optimum")
    counties: list[str] | None = Field(
        None,
        description="plan only for workers living in these county-level units (codes), with the demand "
        "lines there and outside Qujing and the classes held there",
    )
    max_workers: int = Field(
        250_000, ge=1, le=2_000_000, description="refuse to plan for more workers than this (memory safety)"
    )

    @field_validator("priority_weights")
    @classmethod
    def _weights(cls, v: dict[PriorityGroup, float] | None) -> dict[PriorityGroup, float] | None:
        for group, weight in (v or {}).items():
            if not 1.0 <= weight <= MAX_PRIORITY_WEIGHT:
                raise ValueError(
                    f"priority_weights[{group.value}] 为 {weight}：优先权重须在 1 到 {MAX_PRIORITY_WEIGHT:g} 之间"
                    "（优先只能提高一个人群的次序）；请改正"
                )
        return v

    @field_validator("counties")
    @classmethod
    def _counties(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        if not v:
            raise ValueError("counties 至少须列出一个县（市、区）；为全市编制计划时不填此项")
        valid = plan_counties()
        for i, code in enumerate(v):
            if code not in valid:
                listing = "、".join(f"{c} {n}" for c, n in valid.items())
                raise ValueError(
                    f"counties 第 {i + 1} 项 {code!r} 不是曲靖的县（市、区）：请填写以下之一：{listing}"
                )
        if len(set(v)) != len(v):
            raise ValueError("counties 中有县（市、区）重复：请删去重复的一项")
        return v
