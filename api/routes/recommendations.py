"""Matching for people: recommendations for one worker (counselors), candidates for one demand line
(its enterprise, masked). Both match on the store as it stands, every change committed before the request
included (`matcher.model.live`), and are audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from sqlalchemy import select

from api.deps import BureauOrCounselor, BureauOrEnterprise, ObjectId, SessionDep
from api.routes.enterprises import visible_line
from api.routes.workers import visible_worker
from api.schemas import Candidate, CandidateProfile, Candidates, Recommendations, WorkerPublic
from matcher.audit import record_reads
from matcher.ids import candidate_ref
from matcher.model import recommend_for_worker
from matcher.model.recommend import LineNotOpen, recommender
from matcher.model.snapshot import NotInSnapshot
from matcher.privacy import redact
from matcher.store.tables import WorkerRow

router = APIRouter(prefix="/v1", tags=["matching"])
HowMany = Annotated[int, Query(ge=1, le=50, description="how many of each kind")]


def _no_model(e: FileNotFoundError) -> HTTPException:
    return HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        f"还没有可用的匹配模型（{e.filename or e}）：请先运行 matcher train",
    )


@router.get("/workers/{worker_id:int}/recommendations", response_model=Recommendations)
def recommendations(
    worker_id: ObjectId, request: Request, session: SessionDep, principal: BureauOrCounselor, k: HowMany = 10
) -> Recommendations:
    """Top jobs, pathways and outbound options with scores, reasons and eligibility; the read is audited."""
    visible_worker(session, principal, worker_id)
    session.commit()  # hand the connection back while the model works
    try:
        result = recommend_for_worker(worker_id, request.app.state.database_url, k=k)
    except FileNotFoundError as e:
        raise _no_model(e) from None
    except NotInSnapshot:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"劳动者 {worker_id} 已不在库中，没有推荐",
        ) from None
    record_reads(session, principal, {worker_id: ["groups"]}, "counselling")
    session.commit()
    return result


@router.get("/demand-lines/{line_id:int}/candidates", response_model=Candidates)
def candidates(
    line_id: ObjectId, request: Request, session: SessionDep, principal: BureauOrEnterprise, k: HowMany = 10
) -> Candidates:
    """The workers best suited to an open line, among those who consented to be shown, with reasons.

    An enterprise sees its own lines' candidates with no identity and no sensitive field; every candidate
    shown is audited (purpose `recruitment`).
    """
    line = visible_line(session, principal, line_id)
    if line.status != "open":
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"岗位 {line_id} 已关闭（状态：{line.status}），没有候选人"
        )
    consented = WorkerRow.consent_to_share.is_(True)
    session.commit()  # hand the connection back while the model works
    try:
        # the matching view holds every consent given or withdrawn before this request
        result = recommender(request.app.state.database_url).candidates(line_id, k, consenting=True)
    except FileNotFoundError as e:
        raise _no_model(e) from None
    except NotInSnapshot:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"岗位 {line_id} 已不在库中，没有候选人",
        ) from None
    except LineNotOpen as e:
        raise HTTPException(status.HTTP_409_CONFLICT, str(e)) from None
    ids = [c.worker_id for c in result.candidates]
    rows = {r.id: r for r in session.scalars(select(WorkerRow).where(WorkerRow.id.in_(ids), consented))}
    items: list[Candidate] = []
    reads: dict[int, list[str]] = {}
    for c in result.candidates:
        row = rows.get(c.worker_id)
        if row is None:  # consent withdrawn since the candidates were chosen
            continue
        candidate = Candidate(
            rank=len(items) + 1,
            ref=candidate_ref(line_id, row.id),
            profile=CandidateProfile.of(row, result.as_of),
            worker=WorkerPublic.model_validate(row),
            score=c.score,
            needs_training=c.flags.needs_training,
            reasons=[r for r in c.reasons if r.code != "priority_group"],
            priority_reasons=[r for r in c.reasons if r.code == "priority_group"] or None,
            flags=c.flags,
            programme=c.programme,
        )
        shown, kept = redact(candidate, principal.role)
        items.append(shown)  # type: ignore[arg-type]
        reads[row.id] = kept or ["profile"]
    record_reads(session, principal, reads, "recruitment")
    session.commit()
    return Candidates(
        line=result.line,
        as_of=result.as_of,
        feasible_workers=result.feasible_workers,
        candidates=items,
        model=result.model,
    )
