"""The occupation coder: everyday job titles to 2022 classification codes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel

from api.deps import CurrentPrincipal
from matcher.occupations import TitleError, code_occupation

router = APIRouter(prefix="/v1", tags=["occupations"])


class OccupationMatchPublic(BaseModel):
    code: str
    name: str
    score: float


@router.get("/occupations/search", response_model=list[OccupationMatchPublic])
def search_occupations(
    _principal: CurrentPrincipal,
    q: Annotated[
        str, Query(min_length=1, max_length=60, pattern=r"\S", description="a job title, e.g. 叉车司机")
    ],
    top: Annotated[int, Query(ge=1, le=50)] = 5,
) -> list[OccupationMatchPublic]:
    """The most likely codes for a title, best first."""
    try:
        matches = code_occupation(q, top=top)
    except TitleError as e:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"q: {e}") from None
    return [OccupationMatchPublic(**m.to_dict()) for m in matches]
