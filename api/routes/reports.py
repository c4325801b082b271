"""Progress towards the plan's targets and the periodic figures of article 二十一."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request, status

from api.deps import CurrentPrincipal
from api.schemas import ProgressReport
from matcher.reports import ScopeError, progress_report

router = APIRouter(prefix="/v1", tags=["reports"])


@router.get("/reports/progress", response_model=ProgressReport)
def progress(
    request: Request,
    principal: CurrentPrincipal,
    period: Annotated[
        Literal["month", "quarter", "year"], Query(description="reporting period (article 二十一)")
    ] = "year",
    county: Annotated[
        str | None, Query(max_length=16, description="one county; counselors get their own")
    ] = None,
) -> ProgressReport:
    """Targets of article 二 and trainings/placements per period and county; enterprises have no access."""
    if principal.role == "enterprise":
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "Authorization：此路由只对 bureau、counselor 角色开放；请用相应角色的令牌",
        )
    if principal.role == "counselor":
        if county not in (None, principal.county):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                "county：就业指导员只能查看本县的数据；请去掉 county 或填写本县代码",
            )
        county = principal.county
    try:
        return ProgressReport.model_validate(
            progress_report(request.app.state.database_url, period=period, county=county)
        )
    except ScopeError as e:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(e)) from None
