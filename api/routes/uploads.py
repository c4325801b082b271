"""Bulk upload of ledger files, with the same all-or-nothing rule as `matcher import`."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request, UploadFile, status
from fastapi import File as FileParam
from pydantic import BaseModel
from sqlalchemy import select

from api.deps import BureauOrCounselor, BureauOrEnterprise, SessionDep
from matcher.ledger import Kind, LedgerError, import_ledger
from matcher.principals import Principal
from matcher.store.tables import EnterpriseRow

router = APIRouter(prefix="/v1", tags=["uploads"])
LedgerFile = Annotated[
    UploadFile, FileParam(description="an .xlsx or .csv ledger with the template's columns")
]


class EntityCounts(BaseModel):
    created: int
    updated: int
    unchanged: int


class ImportResult(BaseModel):
    kind: str
    counts: dict[str, EntityCounts]


def _import(request: Request, kind: Kind, upload: UploadFile, **scope: str | None) -> ImportResult:
    suffix = Path(upload.filename or "").suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "file: send an .xlsx or .csv ledger")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(upload.file.read())
        try:
            report = import_ledger(kind, path, request.app.state.database_url, **scope)
        except LedgerError as e:
            errors = [{"row": err.row, "field": err.column, "message": err.message} for err in e.errors]
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, errors) from None
        except ValueError as e:  # an unreadable file
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"file: {e}") from None
    counts = {
        name: EntityCounts(created=c.created, updated=c.updated, unchanged=c.unchanged)
        for name, c in report.counts.items()
    }
    return ImportResult(kind=kind, counts=counts)


def _credit_code(session, principal: Principal) -> str | None:  # type: ignore[no-untyped-def]
    if principal.role != "enterprise":
        return None
    return session.scalar(
        select(EnterpriseRow.credit_code).where(EnterpriseRow.id == principal.enterprise_id)
    )


@router.post("/demand-lines/upload", response_model=ImportResult)
def upload_demand(
    request: Request, file: LedgerFile, session: SessionDep, principal: BureauOrEnterprise
) -> ImportResult:
    """A demand ledger (企业用工需求台账); an enterprise's file may hold only its own lines."""
    return _import(request, "demand", file, enterprise=_credit_code(session, principal))


@router.post("/workers/upload", response_model=ImportResult)
def upload_workers(request: Request, file: LedgerFile, principal: BureauOrCounselor) -> ImportResult:
    """A survey sheet (劳动力摸底调查表); a counselor's file may hold only workers of their county."""
    return _import(
        request, "workers", file, county=principal.county if principal.role == "counselor" else None
    )
