"""Bulk upload of ledger files, with the same all-or-nothing rule as `matcher import`."""

from __future__ import annotations

import csv
import logging
import tempfile
import zipfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request, UploadFile, status
from fastapi import File as FileParam
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.deps import BureauOrCounselor, BureauOrEnterprise, SessionDep
from api.limits import check_upload
from matcher.ledger import Kind, LedgerError, import_ledger
from matcher.principals import Principal
from matcher.store.tables import EnterpriseRow

router = APIRouter(prefix="/v1", tags=["uploads"])
log = logging.getLogger(__name__)
IMPORT_ATTEMPTS = 3
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
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "file：请上传 .xlsx 或 .csv 台账",
        )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(upload.file.read())
        check_upload(path)
        for attempt in range(IMPORT_ATTEMPTS):
            try:
                report = import_ledger(kind, path, request.app.state.database_url, **scope)
                break
            except LedgerError as e:
                errors = [{"row": err.row, "field": err.column, "message": err.message} for err in e.errors]
                raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, errors) from None
            except (ValueError, csv.Error, zipfile.BadZipFile, zipfile.LargeZipFile, KeyError) as e:
                log.info("unreadable %s upload refused: %s", kind, type(e).__name__)
                raise HTTPException(
                    status.HTTP_422_UNPROCESSABLE_CONTENT,
                    f"file：文件无法按台账读取（{type(e).__name__}）；请用模板（data/templates/）的列重新保存后上传",
                ) from None
            except IntegrityError:  # a concurrent upload wrote the same rows first: read them again
                if attempt == IMPORT_ATTEMPTS - 1:
                    raise HTTPException(
                        status.HTTP_409_CONFLICT, "file：另一个上传正在写入相同的记录；请稍后重新上传"
                    ) from None
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
