"""Matching for people: recommendations for one worker (counselors), candidates for one demand line
(its enterprise, masked). Both match on the store as it stands, every change committed before the request
included (`matcher.model.live`), and are audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import BureauOrCounselor, BureauOrEnterprise, ObjectId, SessionDep
from api.routes.enterprises import visible_line
from api.routes.workers import visible_worker
from api.schemas import Candidate, CandidateProfile, Candidates, Recommendations, WorkerPublic
from matcher.audit import record_reads
from matcher.ids import candidate_ref
from matcher.model.recommend import LineNotOpen, Stored, served_candidates, served_recommendations
from matcher.model.results import LineCandidates
from matcher.model.snapshot import NotInSnapshot
from matcher.principals import Principal
from matcher.privacy import redact
from matcher.store.tables import WorkerRow

router = APIRouter(prefix="/v1", tags=["matching"])
HowMany = Annotated[int, Query(ge=1, le=50, description="how many of each kind")]


@dataclass(frozen=True)
class Shown:
    """An answer as one audience sees it, its JSON, and the reads of personal data it audits; kept with the
    answer (`Stored.rendered`) and served again while the answer is."""

    model: BaseModel
    body: bytes
    reads: dict[int, list[str]]

    @classmethod
    def of(cls, model: BaseModel, reads: dict[int, list[str]]) -> Shown:
        return cls(model, model.model_dump_json().encode(), reads)

    def response(self) -> Response:
        return Response(self.body, media_type="application/json")


def _no_model(e: FileNotFoundError) -> HTTPException:
    return HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        f"还没有可用的匹配模型（{e.filename or e}）：请先运行 matcher train",
    )


@router.get("/workers/{worker_id:int}/recommendations", response_model=Recommendations)
def get_recommendations(
    worker_id: ObjectId, request: Request, session: SessionDep, principal: BureauOrCounselor, k: HowMany = 10
) -> Response:
    """Top jobs, pathways and outbound options with scores, reasons and eligibility; the read is audited."""
    return _recommendations(worker_id, request, session, principal, k).response()


def recommendations(
    worker_id: int, request: Request, session: Session, principal: Principal, k: int = 10
) -> Recommendations:
    """`get_recommendations` as a model, for the pages."""
    return _recommendations(worker_id, request, session, principal, k).model  # type: ignore[return-value]


def _recommendations(
    worker_id: int, request: Request, session: Session, principal: Principal, k: int
) -> Shown:
    visible_worker(session, principal, worker_id)
    try:
        stored = served_recommendations(worker_id, request.app.state.database_url, k, session)
    except FileNotFoundError as e:
        raise _no_model(e) from None
    except NotInSnapshot:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"劳动者 {worker_id} 已不在库中，没有推荐",
        ) from None
    shown = stored.rendered.get("counselling")
    if shown is None:
        shown = stored.rendered.setdefault("counselling", Shown.of(stored.answer, {worker_id: ["groups"]}))
    record_reads(session, principal, shown.reads, "counselling")
    session.commit()
    return shown


@router.get("/demand-lines/{line_id:int}/candidates", response_model=Candidates)
def get_candidates(
    line_id: ObjectId, request: Request, session: SessionDep, principal: BureauOrEnterprise, k: HowMany = 10
) -> Response:
    """The workers best suited to an open line, among those who consented to be shown, with reasons.

    An enterprise sees its own lines' candidates with no identity and no sensitive field; every candidate
    shown is audited (purpose `recruitment`).
    """
    return _candidates(line_id, request, session, principal, k).response()


def candidates(
    line_id: int, request: Request, session: Session, principal: Principal, k: int = 10
) -> Candidates:
    """`get_candidates` as a model, for the pages."""
    return _candidates(line_id, request, session, principal, k).model  # type: ignore[return-value]


def _candidates(line_id: int, request: Request, session: Session, principal: Principal, k: int) -> Shown:
    line = visible_line(session, principal, line_id)
    if line.status != "open":
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"岗位 {line_id} 已关闭（状态：{line.status}），没有候选人"
        )
    try:
        # the matching view holds every consent given or withdrawn before this request
        stored = served_candidates(line_id, request.app.state.database_url, k, session)
    except FileNotFoundError as e:
        raise _no_model(e) from None
    except NotInSnapshot:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"岗位 {line_id} 已不在库中，没有候选人",
        ) from None
    except LineNotOpen as e:
        raise HTTPException(status.HTTP_409_CONFLICT, str(e)) from None
    shown = stored.rendered.get(principal.role)
    if shown is None:
        shown = stored.rendered.setdefault(
            principal.role, _shown_candidates(session, principal, line_id, stored)
        )
    record_reads(session, principal, shown.reads, "recruitment")
    session.commit()
    return shown


def _shown_candidates(session: Session, principal: Principal, line_id: int, stored: Stored) -> Shown:
    """The candidates of `stored` as `principal`'s role may see them, read from their records."""
    result = stored.answer
    assert isinstance(result, LineCandidates)
    ids = [c.worker_id for c in result.candidates]
    consented = WorkerRow.consent_to_share.is_(True)
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
        masked, kept = redact(candidate, principal.role)
        items.append(masked)  # type: ignore[arg-type]
        reads[row.id] = kept or ["profile"]
    shown = Candidates(
        line=result.line,
        as_of=result.as_of,
        feasible_workers=result.feasible_workers,
        candidates=items,
        model=result.model,
    )
    return Shown.of(shown, reads)
