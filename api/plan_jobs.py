"""City plans run in the background, with their state kept in `plan_jobs`: one queue in the store, shared by
every process serving it.

A plan takes tens of seconds to minutes and much memory, so a request only queues a job and answers at once.
Each serving process runs one plan at a time on a thread of its own, which claims the oldest queued job: on
PostgreSQL with `SELECT … FOR UPDATE SKIP LOCKED`, so that processes never wait on each other's claims; on
SQLite (one writer at a time) by a conditional update. Either way a job is claimed once. The claiming process
writes its name (host:pid) and, while the plan runs, a heartbeat; a running job whose heartbeat stops for
`STALE` (its process was killed) is marked failed by any process, so no job stays "running" for ever.

A job is cancelled at once while queued; a running one is asked to stop (`cancel_requested`) and stops
before its next stage (load, candidates, policy, solve, report), ending "cancelled".
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from matcher.model.artifacts import NO_MODEL
from matcher.plan import PlanOptions, run_plan
from matcher.store import session_scope
from matcher.store.tables import PlanJobRow

log = logging.getLogger(__name__)

INTERRUPTED = "服务在此计划完成前停止了；请重新提交"
CANCELLED = "已按请求取消"
HEARTBEAT = timedelta(seconds=10)
STALE = timedelta(seconds=60)
POLL_SECONDS = 2.0


class Cancelled(Exception):
    """Raised between a plan's stages when its job was asked to stop."""


def _alive(claimed_by: str | None, heartbeat_at: datetime | None, now: datetime) -> bool:
    """Whether the process that claimed a running job may still be running it."""
    if claimed_by is None or heartbeat_at is None or now - heartbeat_at > STALE:
        return False
    host, _, pid = claimed_by.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine's process: its heartbeat says
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class PlanRunner:
    """Claims queued plan jobs of the store at `url` and runs them, one at a time, on one thread."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self.name = f"{socket.gethostname()}:{os.getpid()}"[:80]
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def fail_interrupted(self, before: datetime | None = None) -> int:
        """Mark as failed the running jobs whose process has stopped: one of this host that no longer exists,
        or any whose heartbeat is older than `STALE`; how many there were. `before`: only jobs created before
        it. Queued jobs stay queued: a process will run them."""
        now = datetime.now(UTC)
        where = [PlanJobRow.status == "running"]
        if before is not None:
            where.append(PlanJobRow.created_at < before)
        with session_scope(self.url) as s:
            running = s.execute(
                select(PlanJobRow.id, PlanJobRow.claimed_by, PlanJobRow.heartbeat_at).where(*where)
            )
            dead = [r.id for r in running if not _alive(r.claimed_by, r.heartbeat_at, now)]
            if not dead:
                return 0
            result = s.execute(
                update(PlanJobRow)
                .where(PlanJobRow.id.in_(dead), PlanJobRow.status == "running")
                .values(status="failed", error=INTERRUPTED, finished_at=now)
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def start(self) -> None:
        """Start claiming and running queued jobs on a thread of this process."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="plan", daemon=True)
            self._thread.start()

    def submit(self) -> None:
        """A job was queued: look for it now rather than at the next poll (another process may take it)."""
        self.start()
        self._wake.set()

    def claim(self) -> int | None:
        """Take the oldest queued job for this process: its id, or None when there is none to take."""
        now = datetime.now(UTC)
        with session_scope(self.url) as s:
            job_id = s.scalar(
                select(PlanJobRow.id)
                .where(PlanJobRow.status == "queued")
                .order_by(PlanJobRow.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if job_id is None:
                return None
            taken = s.execute(
                update(PlanJobRow)
                .where(PlanJobRow.id == job_id, PlanJobRow.status == "queued")
                .values(status="running", claimed_by=self.name, heartbeat_at=now)
            )
            return job_id if taken.rowcount else None  # type: ignore[attr-defined]

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self.fail_interrupted()
                job_id = self.claim()
            except Exception as e:  # a passing database error: the next round tries again
                log.warning("plan queue: claiming failed (%s); trying again", type(e).__name__)
                job_id = None
            if job_id is None:
                self._wake.wait(POLL_SECONDS)
            else:
                self.run(job_id)

    def run(self, job_id: int) -> None:
        """Run one claimed job and store its result, or its error as a message a planner can act on; one
        cancelled while running stops before its next stage."""
        beating = threading.Event()
        heart = threading.Thread(
            target=self._beat, args=(job_id, beating), name="plan-heartbeat", daemon=True
        )
        heart.start()
        try:
            self._run(job_id)
        finally:
            beating.set()
            heart.join()

    def _beat(self, job_id: int, stop: threading.Event) -> None:
        while not stop.wait(HEARTBEAT.total_seconds()):
            try:
                with session_scope(self.url) as s:
                    s.execute(
                        update(PlanJobRow)
                        .where(PlanJobRow.id == job_id)
                        .values(heartbeat_at=datetime.now(UTC))
                    )
            except Exception:
                log.exception("plan job %d: heartbeat failed", job_id)

    def _run(self, job_id: int) -> None:
        try:
            with session_scope(self.url) as s:
                options = PlanOptions.model_validate(s.get_one(PlanJobRow, job_id).options)
            result = run_plan(options, self.url, before_stage=lambda _: self._stop_if_asked(job_id))
            status, error = "done", None
        except Cancelled:
            result, status, error = None, "cancelled", CANCELLED
        except (ValueError, *NO_MODEL) as e:
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

    def shutdown(self, wait: float = 0.0) -> None:
        """Claim no more jobs; queued ones stay for the other processes or the next start. A running one is
        cut off with the process, and marked failed once its heartbeat is stale. `wait`: seconds to wait for
        the thread to end (it ends at once between jobs)."""
        self._stop.set()
        self._wake.set()
        if wait > 0 and self._thread is not None:
            self._thread.join(wait)
