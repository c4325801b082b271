"""Shared request dependencies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query
from sqlalchemy.orm import Session

from matcher.store import session_scope


def get_session() -> Iterator[Session]:
    with session_scope() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
PAGE_CAP = 100


class Page:
    """`offset`/`limit` query parameters, with the limit capped at 100."""

    def __init__(
        self,
        offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
        limit: Annotated[int, Query(ge=1, le=PAGE_CAP)] = 50,
    ) -> None:
        self.offset = offset
        self.limit = limit


PageDep = Annotated[Page, Depends()]
