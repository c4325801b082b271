"""The training catalogue (目录清单, article 十五): institutions and programmes, per county."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import JSONResponse
from sqlalchemy import or_, select

from api.deps import Bureau, CurrentPrincipal, IdempotencyKey, PageDep, SessionDep, each, paged
from api.idempotency import create_once
from api.schemas import InstitutionPublic, PageOf, ProgrammePublic, RegionPublic
from matcher import reference as ref
from matcher.domain import TrainingInstitution, TrainingProgramme
from matcher.records import NotInStore, save_institution, save_programme
from matcher.store.tables import InstitutionRow, ProgrammeRow

router = APIRouter(prefix="/v1", tags=["catalogue"])


@router.get("/regions", response_model=list[RegionPublic])
def qujing_regions(_principal: CurrentPrincipal) -> list[RegionPublic]:
    """Qujing's nine county-level units and the development zone."""
    units = [*ref.qujing_counties(), ref.region(ref.ETDZ_CODE)]
    return [RegionPublic(code=r.code, name=r.name, population_2020=r.population) for r in units]


@router.get("/institutions", response_model=PageOf[InstitutionPublic])
def list_institutions(
    session: SessionDep,
    _principal: CurrentPrincipal,
    page: PageDep,
    county: Annotated[str | None, Query(max_length=16)] = None,
) -> PageOf[InstitutionPublic]:
    where = [InstitutionRow.region == county] if county else []
    return paged(session, InstitutionRow, where, [InstitutionRow.code], page, each(InstitutionPublic))


@router.post("/institutions", response_model=InstitutionPublic, status_code=201)
def create_institution(
    body: TrainingInstitution, session: SessionDep, principal: Bureau, key: IdempotencyKey = None
) -> JSONResponse:
    def create() -> InstitutionPublic:
        if session.scalar(select(InstitutionRow.id).where(InstitutionRow.code == body.code)):
            raise HTTPException(status.HTTP_409_CONFLICT, f"code：培训机构 {body.code} 已登记；请换一个编号")
        return InstitutionPublic.model_validate(save_institution(session, body)[0])

    return create_once(session, principal, key, body, create)


@router.get("/programmes", response_model=PageOf[ProgrammePublic])
def list_programmes(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageDep,
    county: Annotated[
        str | None, Query(max_length=16, description="county code of the training site")
    ] = None,
) -> PageOf[ProgrammePublic]:
    """The catalogue, optionally for one county. An enterprise sees the open classes and its own orders,
    not which other enterprises ordered classes."""
    where = [ProgrammeRow.region == county] if county else []
    if principal.role == "enterprise":
        mine = ProgrammeRow.enterprise_id == principal.enterprise_id
        where.append(or_(ProgrammeRow.enterprise_id.is_(None), mine))
    return paged(session, ProgrammeRow, where, [ProgrammeRow.code], page, each(ProgrammePublic))


@router.post("/programmes", response_model=ProgrammePublic, status_code=201)
def create_programme(
    body: TrainingProgramme, session: SessionDep, principal: Bureau, key: IdempotencyKey = None
) -> JSONResponse:
    """Add a catalogue entry (bureau)."""

    def create() -> ProgrammePublic:
        if session.scalar(select(ProgrammeRow.id).where(ProgrammeRow.code == body.code)):
            raise HTTPException(status.HTTP_409_CONFLICT, f"code：培训项目 {body.code} 已登记；请换一个编号")
        try:
            row, _ = save_programme(session, body)
        except NotInStore as e:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(e)) from None
        return ProgrammePublic.model_validate(row)

    return create_once(session, principal, key, body, create)
