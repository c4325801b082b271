"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text

from api.deps import SessionDep

router = APIRouter()


class Health(BaseModel):
    status: str
    database: str


@router.get("/health", response_model=Health)
def health(session: SessionDep) -> Health:
    """Answers when the service and its database are up."""
    session.execute(text("SELECT 1"))
    return Health(status="ok", database=session.get_bind().dialect.name)
