"""The matching view a process keeps current with the store, without a restart.

Triggers (migration 0008) write one row to `matching_changes` for every insert, update and delete of a table
matching reads, in the writing transaction, whatever wrote it (the API, an upload, an import, a script). A
process loads the city once; then it reads the rows of the log it has not applied yet and the changed rows
themselves in one consistent read of the store (`snapshot_scope`), merges them into a new city and
recommender (`merge_city`, `Recommender.updated`) and swaps that in whole. Every call matches on one
recommender, so on one state of the store.

Which log rows are new: on PostgreSQL a row carries its transaction's id, and a read sees every transaction
older than its snapshot's xmin; the next read looks only at rows of transactions from that xmin on (some
again: a row applied twice changes nothing). On SQLite writers take turns, so ids follow commit order and
the next read starts after the last id seen.

Two things keep a view current: in a serving process a thread polls every `MATCHER_REFRESH_SECONDS` (default
0.5) and applies what it finds; and every matching call looks first for log rows the view has not applied
(one indexed query). `current()` applies them before answering, so a call sees every change committed
before it began. `serving(key)`, which the API's answers go through, has them applied first only when the
answer kept for `key` rests on one of them (a line it was chosen among closed, a worker of it changed), when
it keeps none, or when the view last held every change more than `LAG` ago: a change that can only add to
a kept answer (a line posted that a worker may now be advised) counts within seconds, one that takes from
it (a line closed, a consent withdrawn) in the very next answer.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, bindparam, text
from sqlalchemy.orm import Session

from matcher.calendar import today
from matcher.config import settings
from matcher.model.artifacts import NO_MODEL, load_model
from matcher.model.recommend import Recommender
from matcher.model.snapshot import merge_city, read_city
from matcher.store import engine, snapshot_scope

log = logging.getLogger(__name__)

FULL_RELOAD = 20_000
"""More changed rows than this at once (a bulk import, a new sample city) read the whole city again."""
ANSWERS_REST_ON = {"workers", "demand_lines", "enterprises", "placements"}
"""The tables whose changes `Recommender.updated` can tell the answers they alter of; a change to any
other (the catalogue, enrolments and the seats they take) drops every kept answer. Referrals are not read
by an answer."""
LAG = timedelta(seconds=2)
"""A change that no kept answer rests on counts in the answers served within this (a change an answer
rests on, such as a line closed or a consent withdrawn, counts in the very next one)."""
FREEZE_EVERY = 5.0
"""Seconds between moves of a serving process's objects out of the collector's sight (`gc.freeze`): the
libraries, the city and the kept answers are long-lived, and a full collection that walked them held every
request for a quarter to half a second. A frozen object is still freed when its last reference goes; only
garbage in a reference cycle that was alive at a freeze stays (a few requests' worth)."""
KEEP_LOG = timedelta(days=1)
"""Log rows older than this are deleted; a process polls far more often."""

_XMIN = text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
_SINCE_TX = text("SELECT id, table_name, row_id, tx FROM matching_changes WHERE tx >= :c ORDER BY id")
_SINCE_ID = text("SELECT id, table_name, row_id, tx FROM matching_changes WHERE id > :c ORDER BY id")
_MAX_ID = text("SELECT coalesce(max(id), 0) FROM matching_changes")


@dataclass
class MatchingView:
    """The current recommender of one store and model, and where in the store's change log it stands."""

    url: str | None
    models_dir: Path
    rec: Recommender = field(init=False)
    cursor: int = field(init=False)  # PostgreSQL: the xmin of the last read; SQLite: the last id seen
    seen: set[int] = field(init=False)  # PostgreSQL: ids applied of transactions from `cursor` on
    refreshed_at: datetime = field(init=False)  # when the view last held every committed change
    lag: timedelta = LAG
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)
    _stop: threading.Event = field(init=False, default_factory=threading.Event)
    _poller: threading.Thread | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        model, manifest = load_model(self.models_dir)
        day = today(self.url).toordinal()
        with snapshot_scope(self.url) as s:
            cursor, rows = self._log(s, None)
            city = read_city(s, day)
        self.rec = Recommender(city, model, manifest)
        self._advance(cursor, rows)

    @property
    def _engine(self) -> Engine:
        return engine(self.url)

    @property
    def _postgres(self) -> bool:
        return self._engine.dialect.name == "postgresql"

    def _log(self, s: Session, since: int | None) -> tuple[int, list[Any]]:
        """In the snapshot `s`, as its first statement: the new cursor and the log rows from `since` on
        (None: the rows whose transactions the snapshot may not have seen whole)."""
        if self._postgres:
            cursor = int(s.scalar(_XMIN))  # type: ignore[arg-type]
            return cursor, list(s.execute(_SINCE_TX, {"c": cursor if since is None else since}))
        cursor = int(s.scalar(_MAX_ID))  # type: ignore[arg-type]
        return cursor, [] if since is None else list(s.execute(_SINCE_ID, {"c": since}))

    def _advance(self, cursor: int, rows: list[Any]) -> None:
        self.cursor = cursor
        self.seen = {r.id for r in rows if r.tx is not None and r.tx >= cursor} if self._postgres else set()
        self.refreshed_at = datetime.now(UTC)

    def pending(self, conn: Connection | None = None) -> list[tuple[str, int]]:
        """The changes (table, row id) committed to the store that this view has not applied (one indexed
        query, on `conn` when given)."""
        asked = datetime.now(UTC)
        query, params = (_SINCE_TX if self._postgres else _SINCE_ID), {"c": self.cursor}
        if conn is None:
            with self._engine.connect() as own:
                rows = list(own.execute(query, params))
        else:
            rows = list(conn.execute(query, params))
        changes = [(r.table_name, int(r.row_id)) for r in rows if r.id not in self.seen]
        if not changes:
            self.refreshed_at = max(self.refreshed_at, asked)
        return changes

    def behind(self) -> bool:
        """Whether the store holds a committed change this view has not applied."""
        return bool(self.pending())

    def current(self) -> Recommender:
        """The recommender holding every change committed before this call."""
        if self.behind():
            self.refresh()
        return self.rec

    def serving(self, key: tuple[Any, ...], conn: Connection | None = None) -> Recommender | None:
        """This view as it stands, to answer `key` (a key of `Recommender` answers) with, when no committed
        change is pending, or when it keeps an answer for `key` that no pending change rests on (such a change
        can only add to the answer; the poller merges it) and it held every committed change less than `lag`
        ago; None when the pending changes must be merged first (`current()`). `conn`: a connection to look
        at the change log on."""
        return self.serving_many([key], conn)[0]

    def serving_many(
        self, keys: list[tuple[Any, ...]], conn: Connection | None = None
    ) -> list[Recommender | None]:
        """`serving` for several keys, with one look at the change log."""
        pending = self.pending(conn)
        rec = self.rec  # read after: it holds at least every change `pending` does not list
        if not pending:
            return [rec] * len(keys)
        if datetime.now(UTC) - self.refreshed_at > self.lag:
            return [None] * len(keys)
        out: list[Recommender | None] = []
        for key in keys:
            kept = rec.kept(key)
            out.append(None if kept is None or kept.rests_on(pending, rec.city, ANSWERS_REST_ON) else rec)
        return out

    def refresh(self) -> int:
        """Apply the changes committed since the last read; how many log rows were new."""
        with self._lock:
            day = today(self.url).toordinal()
            with snapshot_scope(self.url) as s:
                cursor, rows = self._log(s, self.cursor)
                new = [r for r in rows if r.id not in self.seen]
                if new or day != self.rec.city.as_of:
                    self.rec = self._applied(s, new, day)
            self._advance(cursor, rows)
            return len(new)

    def _applied(self, s: Session, new: list[Any], day: int) -> Recommender:
        old = self.rec
        if len(new) > FULL_RELOAD or day != old.city.as_of:
            log.info("matching view: reading the whole city again (%d changes, day %d)", len(new), day)
            return Recommender(read_city(s, day), old.model, old.manifest)
        changed: dict[str, set[int]] = defaultdict(set)
        for r in new:
            changed[r.table_name].add(int(r.row_id))
        city = merge_city(old.city, s, changed, day)
        workers = np.fromiter(changed.get("workers", ()), np.int64)
        enrolments = np.fromiter(changed.get("enrolments", ()), np.int64)
        if len(enrolments):  # a certificate earned in a class changes the worker's profile
            owners = [
                c.workers.id[c.enrolments.worker[np.isin(c.enrolments.id, enrolments)]]
                for c in (old.city, city)
            ]
            workers = np.union1d(workers, np.concatenate(owners))
        lines = np.union1d(
            np.fromiter(changed.get("demand_lines", ()), np.int64),
            city.lines.id[
                np.isin(city.lines.enterprise_id, np.fromiter(changed.get("enterprises", ()), np.int64))
            ],
        )
        return old.updated(city, workers, lines, keep_answers=set(changed) <= ANSWERS_REST_ON)

    def start_polling(self, seconds: float | None = None) -> None:
        """Poll the store in a thread of this process until `stop_polling`, and prune the log now and then."""
        if self._poller is not None:
            return
        every = seconds if seconds is not None else settings().matcher_refresh_seconds
        self._stop.clear()
        self._poller = threading.Thread(target=self._poll, args=(every,), name="matching-view", daemon=True)
        self._poller.start()

    def stop_polling(self) -> None:
        self._stop.set()
        if self._poller is not None:
            self._poller.join()
            self._poller = None

    def _poll(self, every: float) -> None:
        pruned = datetime.min.replace(tzinfo=UTC)
        while not self._stop.wait(every):
            try:
                if self.behind():
                    self.refresh()
                if datetime.now(UTC) - pruned > timedelta(minutes=10):
                    prune_log(self.url)
                    pruned = datetime.now(UTC)
            except Exception:  # a passing database error: the next round tries again
                log.exception("matching view: refresh failed")


def prune_log(url: str | None = None) -> int:
    """Delete change-log rows older than `KEEP_LOG`; how many."""
    with engine(url).begin() as conn:
        result = conn.execute(
            text("DELETE FROM matching_changes WHERE at < :t").bindparams(bindparam("t")),
            {"t": datetime.now(UTC) - KEEP_LOG},
        )
        return int(result.rowcount or 0)


def serve_matching(url: str | None = None) -> threading.Event:
    """In a serving process: load the view in the background and keep it current every
    `MATCHER_REFRESH_SECONDS` (none when 0) until the returned event is set."""
    stop = threading.Event()
    every = settings().matcher_refresh_seconds

    def run() -> None:
        try:
            view = matching_view(url)
            view.current().warm()
        except NO_MODEL as e:
            log.warning("matching view: no trained model (%s); matching answers 503", e)
            return
        view.start_polling(every)
        while not stop.wait(FREEZE_EVERY):
            gc.freeze()
        view.stop_polling()

    if every > 0:
        threading.Thread(target=run, name="matching-view-load", daemon=True).start()
    return stop


_VIEWS: dict[tuple[str | None, str], MatchingView] = {}
_VIEWS_LOCK = threading.Lock()


def matching_view(url: str | None = None, models_dir: str | Path | None = None) -> MatchingView:
    """The process's view of this store with this model directory (default `MATCHER_MODELS_DIR`), loaded on
    first use."""
    folder = Path(models_dir or settings().matcher_models_dir)
    key = (url, str(folder.resolve()))
    with _VIEWS_LOCK:
        if key not in _VIEWS:
            _VIEWS[key] = MatchingView(url, folder)
        return _VIEWS[key]
