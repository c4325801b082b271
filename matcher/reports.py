"""Progress towards the plan's targets (article 二) and the periodic figures of article 二十一, by county."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any, Literal

import numpy as np
from sqlalchemy import select

from matcher import reference as ref
from matcher.calendar import today
from matcher.store import session_scope
from matcher.store.tables import EnrolmentRow, PlacementRow, WorkerRow

Period = Literal["month", "quarter", "year"]

TARGETS = {
    "subsidised_trainings_2019_2021": 180_000,
    "subsidised_trainings_2019": 60_000,
    "skilled_share_of_employed": 0.25,
    "high_skilled_share_of_skilled": 0.30,
}
"""Article 二: 18万人次 over 2019–2021 (6万 in 2019); skilled ≥ 25 % of the employed; high-skilled ≥ 30 % of them."""

EMPLOYED_STATUSES = {"employed", "self_employed"}
SKILL_CERTIFICATES = {"qualification", "skill_level"}
HIGH_SKILL_LEVELS = {1, 2, 3}  # 高级技师, 技师, 高级工


def period_of(day: date, period: Period) -> str:
    """The label of the reporting period containing `day`: 2020, 2020-Q3 or 2020-07."""
    if period == "year":
        return f"{day.year}"
    if period == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


def skill_flags(
    workers: Sequence[tuple[str, list[dict[str, Any]]]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per worker, from (employment status, certificates) as recorded: employed (`EMPLOYED_STATUSES`),
    holds a skill certificate (`SKILL_CERTIFICATES`), holds one at a high level (`HIGH_SKILL_LEVELS`)."""
    employed = np.array([status in EMPLOYED_STATUSES for status, _ in workers], bool)
    levels = [[c.get("level") for c in cs if c.get("kind") in SKILL_CERTIFICATES] for _, cs in workers]
    skilled = np.array([bool(lv) for lv in levels], bool)
    high = np.array([any(v in HIGH_SKILL_LEVELS for v in lv) for lv in levels], bool)
    return employed, skilled, high


def skill_shares(employed: np.ndarray, skilled: np.ndarray, high: np.ndarray) -> dict[str, Any]:
    """Skilled share of the employed and high-skilled share of the skilled, from per-worker flags
    (`skill_flags`)."""
    employed_count = int(employed.sum())
    skilled_count = int((employed & skilled).sum())
    high_count = int((employed & skilled & high).sum())
    return {
        "employed": employed_count,
        "skilled": skilled_count,
        "high_skilled": high_count,
        "skilled_share_of_employed": skilled_count / employed_count if employed_count else 0.0,
        "high_skilled_share_of_skilled": high_count / skilled_count if skilled_count else 0.0,
    }


class ScopeError(ValueError):
    """A progress report asked for a period or county the plan does not report by."""


def progress_report(
    url: str | None = None, period: Period = "year", county: str | None = None
) -> dict[str, Any]:
    """Targets and achievement, plus trainings and placements per period and county (article 二十一), as they
    stand on the engine's day (`matcher.calendar.today`): a class not yet begun is not counted."""
    if period not in ("month", "quarter", "year"):
        raise ScopeError(f"period：统计周期须为 month、quarter 或 year，收到的是 {period!r}")
    valid = {r.code for r in ref.qujing_counties()} | {ref.ETDZ_CODE}
    if county is not None and county not in valid:
        raise ScopeError(
            f"county：{county!r} 不是曲靖的县（市、区）代码；请填写以下之一：{'、'.join(sorted(valid))}"
        )
    scope = [WorkerRow.county == county] if county else []
    day = today(url)
    with session_scope(url) as s:
        enrolments = s.execute(
            select(
                EnrolmentRow.start_date,
                EnrolmentRow.completed,
                EnrolmentRow.certificate_date,
                WorkerRow.county,
            )
            .join(WorkerRow, WorkerRow.id == EnrolmentRow.worker_id)
            .where(EnrolmentRow.start_date <= day, *scope)
        ).all()
        hires = s.execute(
            select(PlacementRow.referred_on, PlacementRow.retained_6m, WorkerRow.county)
            .join(WorkerRow, WorkerRow.id == PlacementRow.worker_id)
            .where(PlacementRow.hired, PlacementRow.referred_on <= day, *scope)
        ).all()
        workers = s.execute(select(WorkerRow.employment_status, WorkerRow.certificates).where(*scope)).all()

    figures: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for start, completed, certified, where in enrolments:
        c = figures[(period_of(start, period), where or "unknown")]
        c["trainings"] += 1
        c["completed"] += bool(completed)
        c["certified"] += certified is not None
    for referred, retained, where in hires:
        c = figures[(period_of(referred, period), where or "unknown")]
        c["placed"] += 1
        c["retained_6m"] += bool(retained)

    by_year = Counter(start.year for start, *_ in enrolments)
    trained_2019_2021 = sum(by_year[y] for y in (2019, 2020, 2021))
    shares = skill_shares(*skill_flags([(st, certs) for st, certs in workers]))
    return {
        "county": county,
        "period": period,
        "as_of": day.isoformat(),
        "targets": {
            "subsidised_trainings_2019_2021": {
                "target": TARGETS["subsidised_trainings_2019_2021"],
                "achieved": trained_2019_2021,
                "share": trained_2019_2021 / TARGETS["subsidised_trainings_2019_2021"],
                "article": "二",
            },
            "subsidised_trainings_2019": {
                "target": TARGETS["subsidised_trainings_2019"],
                "achieved": by_year[2019],
                "share": by_year[2019] / TARGETS["subsidised_trainings_2019"],
                "article": "二",
            },
            "skilled_share_of_employed": {
                "target": TARGETS["skilled_share_of_employed"],
                "achieved": shares["skilled_share_of_employed"],
                "met": shares["skilled_share_of_employed"] >= TARGETS["skilled_share_of_employed"],
                "article": "二",
            },
            "high_skilled_share_of_skilled": {
                "target": TARGETS["high_skilled_share_of_skilled"],
                "achieved": shares["high_skilled_share_of_skilled"],
                "met": shares["high_skilled_share_of_skilled"] >= TARGETS["high_skilled_share_of_skilled"],
                "article": "二",
            },
        },
        "workforce": shares,
        "figures": [
            {
                "period": p,
                "county": where,
                **{k: counts[k] for k in ("trainings", "completed", "certified", "placed", "retained_6m")},
            }
            for (p, where), counts in sorted(figures.items())
        ],
    }
