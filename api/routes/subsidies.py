"""The subsidy decision contract of the policy engine (the same one the CLI and the planner use)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from api.deps import CurrentPrincipal
from matcher.policy import Case, CaseError, Decision, decide

router = APIRouter(prefix="/v1", tags=["subsidies"])


@router.post("/subsidies/decide", response_model=Decision)
def decide_subsidy(case: Case, _principal: CurrentPrincipal) -> Decision:
    """What one person's training brings: eligibility, items with payee and article, denials, trace."""
    try:
        return decide(case)
    except CaseError as e:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(e)) from None
