"""City plans run in the background, one at a time, with their state kept in `plan_jobs`.

A plan takes tens of seconds to minutes and much memory, so the service runs them one after another on a
single worker thread; a request only queues a job and answers at once. A job that was queued or running
when the service stopped is marked failed at the next start, so no job stays "running" for ever.

A job is cancelled at once while queued; a running one is asked to stop (`cancel_requested`) and stops
before its next stage (load, candidates, policy, solve, report), ending "cancelled".
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy import select, update

from matcher.plan import PlanOptions, run_plan
from matcher.store import session_scope
from matcher.store.tables import PlanJobRow

log = logging.getLogger(__name__)

INTERRUPTED = "服务在此计划完成前停止了；请重新提交"
CANCELLED = "已按请求取消"


class Cancelled(Exception):
    """Raised between a plan's stages when its job was asked to stop."""


class PlanRunner:
    """Runs queued plan jobs on one thread against the store at `url`."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="plan")
        self.queued: list[Future[None]] = []

    def fail_interrupted(self, before: datetime) -> int:
        """Mark the jobs created before `before` (this process's start) and left queued or running by an
        earlier process as failed; how many there were. Jobs a sibling process queued since are left alone."""
        with session_scope(self.url) as s:
            result = s.execute(
                update(PlanJobRow)
                .where(PlanJobRow.status.in_(("queued", "running")), PlanJobRow.created_at < before)
                .values(status="failed", error=INTERRUPTED, finished_at=datetime.now(UTC))
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def submit(self, job_id: int) -> None:
        self.queued = [f for f in self.queued if not f.done()]
        self.queued.append(self.pool.submit(self.run, job_id))

    def run(self, job_id: int) -> None:
        """Run one job and store its result, or its error as a message a planner can act on. A job cancelled
        while queued is skipped; one cancelled while running stops before its next stage."""
        with session_scope(self.url) as s:
            started = s.execute(
                update(PlanJobRow)
                .where(PlanJobRow.id == job_id, PlanJobRow.status == "queued")
                .values(status="running")
            )
            if not started.rowcount:  # type: ignore[attr-defined]
                return
            options = PlanOptions.model_validate(s.get_one(PlanJobRow, job_id).options)
        try:
            result = run_plan(options, self.url, before_stage=lambda _: self._stop_if_asked(job_id))
            status, error = "done", None
        except Cancelled:
            result, status, error = None, "cancelled", CANCELLED
        except (ValueError, FileNotFoundError) as e:
            result, status, error = None, "failed", str(e)
        except Exception as e:  # the job must end failed, never stay running
            log.exception("plan job %d failed", job_id)
            result, status, error = (
                None,
                "failed",
                f"计划运行出错（{type(e).__name__}）；请告知管理员后重新提交",
            )
        with session_scope(self.url) as s:
            job = s.get_one(PlanJobRow, job_id)
            if status == "done" and job.cancel_requested:
                result, status, error = None, "cancelled", CANCELLED
            job.status = status
            if result is not None:
                job.workers = result.pop("workers")
            job.result = result
            job.error = None if error is None else error[:2000]
            job.finished_at = datetime.now(UTC)

    def _stop_if_asked(self, job_id: int) -> None:
        with session_scope(self.url) as s:
            if s.scalar(select(PlanJobRow.cancel_requested).where(PlanJobRow.id == job_id)):
                raise Cancelled

    def shutdown(self) -> None:
        """Drop the queued jobs (they are marked failed at the next start); a running one finishes."""
        for future in self.queued:
            future.cancel()
