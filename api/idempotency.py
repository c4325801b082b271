"""Idempotent creation: the first result for an `Idempotency-Key` is stored and replayed.

The key row is inserted in the same transaction as the object it creates, so that concurrent requests
with the same key serialise on its primary key: exactly one creates, the others replay its result.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from fastapi import HTTPException, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matcher.principals import Principal
from matcher.store.tables import IdempotencyRow

MAX_KEY = 100
RACE_ATTEMPTS = 3


def _fingerprint(body: Any) -> str:
    return hashlib.sha256(
        json.dumps(jsonable_encoder(body), sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()


def create_once(
    session: Session,
    principal: Principal,
    key: str | None,
    body: Any,
    create: Callable[[], Any],
    status_code: int = status.HTTP_201_CREATED,
    replay: Callable[[Any], Any] | None = None,
) -> JSONResponse:
    """Run `create` and commit, or replay the stored result of the same key; 422 if the key's body differs.

    With `replay`, only the created object's id is kept with the key, and a replay answers `replay(id)`
    (which reads the object again, checking that it is still visible, and commits any audit it writes):
    an answer showing personal data is never stored.

    A create that loses a race to a concurrent one (a unique key violated at commit) is run again once,
    so that it replays the winner's result or answers its own 409 ("exists"), never a 500.
    """
    if key is not None and not 1 <= len(key) <= MAX_KEY:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"Idempotency-Key：须为 1 到 {MAX_KEY} 个字符；请换一个长度合适的键",
        )
    fingerprint = _fingerprint(body)
    for _ in range(RACE_ATTEMPTS):
        stored = None if key is None else _stored(session, principal, key)
        if stored is not None:
            if stored.request_hash != fingerprint:
                raise HTTPException(
                    status.HTTP_422_UNPROCESSABLE_CONTENT,
                    "Idempotency-Key：此键已用于另一个请求体；新请求请用新的键",
                )
            if replay is None:
                body = stored.response["body"]
            else:
                body = jsonable_encoder(replay(stored.response["id"]))
                session.commit()
            return JSONResponse(body, status_code=stored.status_code, headers={"Idempotent-Replay": "true"})
        try:
            if key is not None:
                session.add(
                    IdempotencyRow(
                        principal_id=principal.id,
                        key=key,
                        request_hash=fingerprint,
                        status_code=status_code,
                        response={},
                    )
                )
                session.flush()
            result = jsonable_encoder(create())
            if key is not None:
                kept = {"body": result} if replay is None else {"id": result["id"]}
                session.get_one(IdempotencyRow, (principal.id, key)).response = kept
            session.commit()
            return JSONResponse(result, status_code=status_code)
        except IntegrityError:
            session.rollback()
    raise HTTPException(
        status.HTTP_409_CONFLICT, "另一个同时到达的请求刚写入了相同的记录；请查询它，或稍后重试"
    )


def _stored(session: Session, principal: Principal, key: str) -> IdempotencyRow | None:
    return session.scalar(
        select(IdempotencyRow).where(IdempotencyRow.principal_id == principal.id, IdempotencyRow.key == key)
    )
