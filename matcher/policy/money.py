"""Who pays for a class: what the subsidy covers of its cost, and what is left to the trainee or the employer.

The plan's subsidies either meet the cost of the training (the fee items) or are paid on top of it (the
living allowance of 十八); advances (二十) are part of another item. Whatever the fee items leave of the
cost falls on whoever advances it (谁垫付，谁申领, 十六): the employer for its own and its ordered classes,
otherwise the trainee — so a class is free to a person only when that leaves them nothing to pay.
"""

from __future__ import annotations

from dataclasses import dataclass

from matcher.policy.decision import Decision

ALLOWANCES = frozenset({"living_allowance"})
"""Items paid on top of the training's cost, not towards it."""


@dataclass(frozen=True)
class CostShares:
    """One trainee's class in yuan: its cost, the subsidy towards it, and who pays the rest."""

    cost: int
    subsidy: int  # the fee items granted, at most the cost
    person_pays: int
    enterprise_pays: int
    allowance: int  # the living allowance, paid on top (十八)
    advanced_by: str  # person, enterprise or institution

    @property
    def free(self) -> bool:
        """Free to the trainee: nothing left for them to pay."""
        return self.person_pays == 0

    def summary(self) -> str:
        """The sentence a counselor reads out."""
        parts = [f"培训费{self.cost}元"]
        parts.append(f"补贴{self.subsidy}元" if self.subsidy else "没有培训补贴")
        if self.enterprise_pays:
            parts.append(f"其余{self.enterprise_pays}元由用人单位承担")
        if self.person_pays:
            parts.append(f"本人须自付{self.person_pays}元")
        elif self.subsidy >= self.cost:
            parts.append("本人免费")
        else:
            parts.append("本人不需付费")
        if self.advanced_by == "person" and self.subsidy:
            parts.append(f"本人先垫付{self.cost}元，取证后申领补贴")
        if self.allowance:
            parts.append(f"另有培训期间生活费补贴{self.allowance}元")
        return "，".join(parts)

    def as_dict(self) -> dict[str, int | bool | str]:
        return {
            "cost": self.cost,
            "subsidy": self.subsidy,
            "person_pays": self.person_pays,
            "enterprise_pays": self.enterprise_pays,
            "allowance": self.allowance,
            "advanced_by": self.advanced_by,
            "free": self.free,
            "summary": self.summary(),
        }


def cost_shares(cost: int, advanced_by: str, decision: Decision | None) -> CostShares:
    """The shares of a class costing `cost` whose cost `advanced_by` advances, under `decision` (None, or a
    decision not in force: no subsidy)."""
    granted = decision.items if decision is not None and decision.in_force else []
    fee = sum(i.amount for i in granted if i.part_of is None and i.item not in ALLOWANCES)
    allowance = sum(i.amount for i in granted if i.item in ALLOWANCES)
    subsidy = int(round(min(fee, cost)))
    rest = cost - subsidy
    employer = advanced_by == "enterprise"
    return CostShares(
        cost=int(cost),
        subsidy=subsidy,
        person_pays=0 if employer else rest,
        enterprise_pays=rest if employer else 0,
        allowance=int(round(allowance)),
        advanced_by=advanced_by,
    )
