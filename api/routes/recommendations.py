"""Recommendations for one worker: jobs now, outbound options and training pathways, with reasons."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, status

from api.deps import BureauOrCounselor, SessionDep
from api.routes.workers import visible_worker
from matcher.audit import record_reads
from matcher.model import recommend_for_worker

router = APIRouter(prefix="/v1", tags=["recommendations"])


@router.get("/workers/{worker_id}/recommendations")
def recommendations(
    worker_id: int,
    request: Request,
    session: SessionDep,
    principal: BureauOrCounselor,
    k: Annotated[int, Query(ge=1, le=50)] = 10,
) -> dict[str, Any]:
    """Top jobs, pathways and outbound options with scores, reasons and eligibility; the read is audited."""
    visible_worker(session, principal, worker_id)
    try:
        result = recommend_for_worker(worker_id, request.app.state.database_url, k=k)
    except FileNotFoundError as e:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, f"no trained model: {e}") from None
    except KeyError:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"worker {worker_id} is not in the matching snapshot"
        ) from None
    record_reads(session, principal, {worker_id: ["groups"]}, "counselling")
    session.commit()
    return result
