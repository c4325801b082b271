"""Read-only listings of the public ledgers: open demand lines and the training catalogue."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Generic, TypeVar

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select

from api.deps import PageDep, SessionDep
from matcher import reference as ref
from matcher.store.tables import DemandLineRow, EnterpriseRow, InstitutionRow, ProgrammeRow

router = APIRouter(prefix="/v1", tags=["listings"])
T = TypeVar("T")


class PageOf(BaseModel, Generic[T]):
    total: int
    offset: int
    limit: int
    items: list[T]


class RegionPublic(BaseModel):
    code: str
    name: str
    population_2020: int | None


class DemandLinePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    enterprise_name: str
    occupation_code: str
    occupation_name: str
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


class ProgrammePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    institution_name: str
    mode: str
    occupation_code: str
    target_level: int | None
    certificate: str
    days: int
    cost_per_person: int
    catalogue_subsidy: int
    seats: int
    region: str
    start_date: date
    end_date: date


@router.get("/regions", response_model=list[RegionPublic])
def qujing_regions() -> list[RegionPublic]:
    """Qujing's nine county-level units and the development zone."""
    units = [*ref.qujing_counties(), ref.region(ref.ETDZ_CODE)]
    return [RegionPublic(code=r.code, name=r.name, population_2020=r.population) for r in units]


@router.get("/demand-lines", response_model=PageOf[DemandLinePublic])
def open_demand_lines(
    session: SessionDep,
    page: PageDep,
    occupation: Annotated[str | None, Query(max_length=12, description="occupation code or group prefix")] = None,
    region: Annotated[str | None, Query(max_length=16, description="work region code")] = None,
) -> PageOf[DemandLinePublic]:
    """Open demand lines, newest first."""
    where = [DemandLineRow.status == "open"]
    if occupation:
        where.append(DemandLineRow.occupation_code.startswith(occupation))
    if region:
        where.append(DemandLineRow.work_region == region)
    total = session.scalar(select(func.count()).select_from(DemandLineRow).where(*where)) or 0
    rows = session.execute(
        select(DemandLineRow, EnterpriseRow.name)
        .join(EnterpriseRow, EnterpriseRow.id == DemandLineRow.enterprise_id)
        .where(*where)
        .order_by(DemandLineRow.start_date.desc(), DemandLineRow.id)
        .offset(page.offset)
        .limit(page.limit)
    ).all()
    items = [
        DemandLinePublic.model_validate(
            {**_columns(line), "enterprise_name": name, "occupation_name": ref.occupation(line.occupation_code).name}
        )
        for line, name in rows
    ]
    return PageOf(total=total, offset=page.offset, limit=page.limit, items=items)


@router.get("/programmes", response_model=PageOf[ProgrammePublic])
def programmes(
    session: SessionDep,
    page: PageDep,
    county: Annotated[str | None, Query(max_length=16, description="county code of the training site")] = None,
) -> PageOf[ProgrammePublic]:
    """The training catalogue (目录清单, article 十五), optionally for one county."""
    where = [ProgrammeRow.region == county] if county else []
    total = session.scalar(select(func.count()).select_from(ProgrammeRow).where(*where)) or 0
    rows = session.execute(
        select(ProgrammeRow, InstitutionRow.name)
        .join(InstitutionRow, InstitutionRow.id == ProgrammeRow.institution_id)
        .where(*where)
        .order_by(ProgrammeRow.code)
        .offset(page.offset)
        .limit(page.limit)
    ).all()
    items = [ProgrammePublic.model_validate({**_columns(p), "institution_name": name}) for p, name in rows]
    return PageOf(total=total, offset=page.offset, limit=page.limit, items=items)


def _columns(row: object) -> dict[str, object]:
    table = row.__table__  # type: ignore[attr-defined]
    return {c.key: getattr(row, c.key) for c in table.columns}
