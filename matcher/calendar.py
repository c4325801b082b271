"""The one day the engine advises for: every answer (counselor, enterprise, planner, CLI) is for this day.

`MATCHER_TODAY` (ISO date) sets it; otherwise the store's own `today` fact (a sample city stands on its
survey day); otherwise the calendar's today.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from matcher.config import settings
from matcher.store import session_scope
from matcher.store.tables import StoreFactRow

TODAY_FACT = "today"


def today(url: str | None = None) -> date:
    """The day the engine advises for on the store at `url` (default `DATABASE_URL`)."""
    fixed = settings().matcher_today
    if fixed is not None:
        return fixed
    with session_scope(url) as s:
        stored = s.scalar(select(StoreFactRow.value).where(StoreFactRow.key == TODAY_FACT))
    return date.fromisoformat(stored) if stored else date.today()
