"""Row counts per entity, for `matcher stats` and the health check."""

from __future__ import annotations

from sqlalchemy import func, select

from matcher.store import session_scope
from matcher.store.tables import (
    DemandLineRow,
    EnrolmentRow,
    EnterpriseRow,
    InstitutionRow,
    PlacementRow,
    ProgrammeRow,
    SubsidyClaimRow,
    WorkerRow,
)

ENTITIES = {
    "enterprises": EnterpriseRow,
    "demand_lines": DemandLineRow,
    "workers": WorkerRow,
    "institutions": InstitutionRow,
    "programmes": ProgrammeRow,
    "enrolments": EnrolmentRow,
    "placements": PlacementRow,
    "subsidy_claims": SubsidyClaimRow,
}


def entity_counts(url: str | None = None) -> dict[str, int]:
    """How many rows each entity has."""
    with session_scope(url) as s:
        return {
            name: s.scalar(select(func.count()).select_from(table)) or 0 for name, table in ENTITIES.items()
        }
