"""Matching for people: recommendations for one worker (counselors), candidates for one demand line
(its enterprise, masked). Both match on the store as it stands, every change committed before the request
included (`matcher.model.live`), and are audited.

Answers already kept (`Stored.rendered`) are served in batches (`KeptAnswers`): the calls that arrive while
one batch is at the database go together in the next, with one read of their tokens, of the records they
ask about and of the change log, and one write of their audit rows, before any of them is answered. A call
whose answer is not kept, or that is refused, goes the ordinary way, one at a time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any
from weakref import WeakKeyDictionary

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel
from sqlalchemy import Connection, Select, select
from sqlalchemy.orm import Session

from api.access import sees_line, sees_worker
from api.deps import Credentials, ObjectId, SessionDep, admit, current_principal
from api.routes.enterprises import visible_line_status
from api.routes.workers import check_visible_worker
from api.schemas import Candidate, CandidateProfile, Candidates, Recommendations, WorkerPublic
from matcher.audit import audit_rows, record_reads, write_audit
from matcher.ids import candidate_ref
from matcher.model.artifacts import NO_MODEL
from matcher.model.live import matching_view
from matcher.model.recommend import (
    LineNotOpen,
    Stored,
    candidates_key,
    recommendations_key,
    served_candidates,
    served_recommendations,
)
from matcher.model.results import LineCandidates
from matcher.model.snapshot import NotInSnapshot
from matcher.principals import Principal, authenticate_many
from matcher.privacy import redact
from matcher.store import autocommit, engine
from matcher.store.tables import DemandLineRow, WorkerRow

log = logging.getLogger(__name__)
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


def _no_model(e: Exception) -> HTTPException:
    log.warning("matching model unavailable: %s", e)
    return HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        "还没有可用的匹配模型（或模型文件不完整）：请管理员运行 matcher train 训练模型后再试",
    )


@router.get("/workers/{worker_id:int}/recommendations", response_model=Recommendations)
async def get_recommendations(
    worker_id: ObjectId, request: Request, session: SessionDep, credentials: Credentials, k: HowMany = 10
) -> Response:
    """Top jobs, pathways and outbound options with scores, reasons and eligibility; the read is audited."""
    ask = _Ask(WORKER, worker_id, k, _token(credentials))
    return await _answer(ask, request, session, credentials, COUNSELLING, _recommendations)


def recommendations(
    worker_id: int, request: Request, session: Session, principal: Principal, k: int = 10
) -> Recommendations:
    """`get_recommendations` as a model, for the pages."""
    return _recommendations(worker_id, request, session, principal, k).model  # type: ignore[return-value]


def _recommendations(
    worker_id: int, request: Request, session: Session, principal: Principal, k: int
) -> Shown:
    check_visible_worker(session, principal, worker_id)
    try:
        stored = served_recommendations(worker_id, request.app.state.database_url, k, session)
    except NO_MODEL as e:
        raise _no_model(e) from None
    except NotInSnapshot:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"劳动者 {worker_id} 已不在库中，没有推荐",
        ) from None
    shown = stored.rendered.get(COUNSELLING_AUDIENCE)
    if shown is None:
        shown = stored.rendered.setdefault(
            COUNSELLING_AUDIENCE, Shown.of(stored.answer, {worker_id: ["groups"]})
        )
    record_reads(session, principal, shown.reads, "counselling")
    session.commit()
    return shown


@router.get("/demand-lines/{line_id:int}/candidates", response_model=Candidates)
async def get_candidates(
    line_id: ObjectId, request: Request, session: SessionDep, credentials: Credentials, k: HowMany = 10
) -> Response:
    """The workers best suited to an open line, among those who consented to be shown, with reasons.

    An enterprise sees its own lines' candidates with no identity and no sensitive field; every candidate
    shown is audited (purpose `recruitment`).
    """
    ask = _Ask(LINE, line_id, k, _token(credentials))
    return await _answer(ask, request, session, credentials, RECRUITMENT, _candidates)


def candidates(
    line_id: int, request: Request, session: Session, principal: Principal, k: int = 10
) -> Candidates:
    """`get_candidates` as a model, for the pages."""
    return _candidates(line_id, request, session, principal, k).model  # type: ignore[return-value]


def _candidates(line_id: int, request: Request, session: Session, principal: Principal, k: int) -> Shown:
    line_status = visible_line_status(session, principal, line_id)
    if line_status != "open":
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"岗位 {line_id} 已关闭（状态：{line_status}），没有候选人"
        )
    try:
        # the matching view holds every consent given or withdrawn before this request
        stored = served_candidates(line_id, request.app.state.database_url, k, session)
    except NO_MODEL as e:
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


WORKER, LINE = "worker", "line"
COUNSELLING, RECRUITMENT = ("bureau", "counselor"), ("bureau", "enterprise")
BATCH = 256
"""Calls answered together at most: one statement's parameters stay well within every database's limit."""
COUNSELLING_AUDIENCE = "counselling"
"""Recommendations read the same for the bureau and a counselor; candidates are kept per role."""


async def _answer(
    ask: _Ask,
    request: Request,
    session: Session,
    credentials: HTTPAuthorizationCredentials | None,
    roles: tuple[str, ...],
    ordinary: Callable[[int, Request, Session, Principal, int], Shown],
) -> Response:
    """The kept answer served in a batch, else the `ordinary` way for a principal of one of `roles`."""
    shown = await kept_answers(request).served(ask)
    if shown is None:
        principal = await run_in_threadpool(current_principal, request, credentials)
        admit(principal, roles)
        shown = await run_in_threadpool(ordinary, ask.ident, request, session, principal, ask.k)
    return shown.response()


def _token(credentials: HTTPAuthorizationCredentials | None) -> str | None:
    return None if credentials is None else credentials.credentials


@dataclass(frozen=True)
class _Ask:
    """One call for a kept answer: a worker's recommendations or a line's candidates."""

    kind: str  # WORKER or LINE
    ident: int
    k: int
    token: str | None

    @property
    def key(self) -> tuple[Any, ...]:
        if self.kind == WORKER:
            return recommendations_key(self.ident, self.k)
        return candidates_key(self.ident, self.k, True)


@dataclass
class _Queue:
    """The calls waiting on one event loop, and whether a batch of them is at the database."""

    waiting: list[tuple[_Ask, asyncio.Future[Shown | None]]] = field(default_factory=list)
    draining: asyncio.Task[None] | None = None  # the task answering them, while one is


class KeptAnswers:
    """The batches of one service process (see the module's docstring): on each event loop (a process serves
    on one; a test client may run several), one batch at the database at a time."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self._queues: WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue] = WeakKeyDictionary()

    async def served(self, ask: _Ask) -> Shown | None:
        """The kept answer for `ask` as its caller may see it, its reads audited; None when the call must
        go the ordinary way (refused, not kept, or the batch failed)."""
        if ask.token is None:
            return None
        loop = asyncio.get_running_loop()
        queue = self._queues.setdefault(loop, _Queue())
        future: asyncio.Future[Shown | None] = loop.create_future()
        queue.waiting.append((ask, future))
        if queue.draining is None:
            queue.draining = loop.create_task(self._drain(queue))
        return await future

    async def _drain(self, queue: _Queue) -> None:
        try:
            while queue.waiting:
                batch, queue.waiting = queue.waiting[:BATCH], queue.waiting[BATCH:]
                try:
                    answers = await run_in_threadpool(self._serve, [ask for ask, _ in batch])
                except Exception:  # each call then goes the ordinary way, which answers its own error
                    log.warning("a batch of kept answers failed; its calls are answered one by one")
                    answers = [None] * len(batch)
                for (_, future), shown in zip(batch, answers):
                    if not future.done():
                        future.set_result(shown)
        finally:
            queue.draining = None

    def _serve(self, asks: list[_Ask]) -> list[Shown | None]:
        try:
            view = matching_view(self.url)
        except NO_MODEL:  # the ordinary way says so
            return [None] * len(asks)
        with autocommit(self.url) as conn:
            principals = authenticate_many(conn, {a.token for a in asks if a.token is not None})
            workers = _ids_of(asks, WORKER)
            lines = _ids_of(asks, LINE)
            workers_read = _by_id(conn, select(WorkerRow.id, WorkerRow.county), workers)
            county = {ident: row.county for ident, row in workers_read.items()}
            line_of = _by_id(
                conn, select(DemandLineRow.id, DemandLineRow.enterprise_id, DemandLineRow.status), lines
            )
            recs = view.serving_many([a.key for a in asks], conn)
            answers: list[Shown | None] = []
            audit: list[dict[str, Any]] = []
            for ask, rec in zip(asks, recs):
                principal = principals.get(ask.token) if ask.token is not None else None
                kept = None if rec is None or principal is None else rec.kept(ask.key)
                shown = None
                if kept is not None and principal is not None:
                    if ask.kind == WORKER and _counsels(principal, county.get(ask.ident)):
                        shown = kept.rendered.get(COUNSELLING_AUDIENCE)
                    elif ask.kind == LINE and _recruits(principal, line_of.get(ask.ident)):
                        shown = kept.rendered.get(principal.role)
                if shown is not None and principal is not None:
                    purpose = "counselling" if ask.kind == WORKER else "recruitment"
                    audit += audit_rows(principal, shown.reads, purpose)
                answers.append(shown)
        if audit:
            with engine(self.url).begin() as tx:  # one transaction, one commit, for the batch
                write_audit(tx, audit)
        return answers


def _ids_of(asks: list[_Ask], kind: str) -> list[int]:
    return sorted({a.ident for a in asks if a.kind == kind})


def _by_id(conn: Connection, query: Select[*tuple[Any, ...]], ids: list[int]) -> dict[int, Any]:
    """The rows of `query` whose first column, the id, is among `ids`, by id; no read when there are none."""
    if not ids:
        return {}
    return {row[0]: row for row in conn.execute(query.where(query.selected_columns[0].in_(ids)))}


def _counsels(principal: Principal, county: str | None) -> bool:
    """Whether `principal` may be shown the recommendations of a worker living in `county` (None: no such
    worker), as `check_visible_worker` and `admit(COUNSELLING)` decide."""
    return county is not None and principal.role in COUNSELLING and sees_worker(principal, county)


def _recruits(principal: Principal, line: Any) -> bool:
    """Whether `principal` may be shown the candidates of `line` (None: no such line) now, as
    `visible_line_status` and `admit(RECRUITMENT)` decide."""
    return (
        line is not None
        and line.status == "open"
        and principal.role in RECRUITMENT
        and sees_line(principal, line.enterprise_id)
    )


def kept_answers(request: Request) -> KeptAnswers:
    """This process's batches of kept answers for the store the app serves."""
    state = request.app.state
    if getattr(state, "kept_answers", None) is None:
        state.kept_answers = KeptAnswers(state.database_url)
    return state.kept_answers  # type: ignore[no-any-return]
