"""Bulk upload of ledger files, with the same all-or-nothing rule and the same reader as `matcher import`."""

from __future__ import annotations

import logging
import re
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request, UploadFile, status
from fastapi import File as FileParam
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.deps import Bureau, BureauOrCounselor, BureauOrEnterprise, SessionDep
from api.limits import check_upload
from matcher.ledger import FileRefused, Kind, LedgerError, import_ledger
from matcher.ledger.guard import SUFFIXES
from matcher.ledger.report import MAX_SHOWN
from matcher.principals import Principal
from matcher.store.tables import EnterpriseRow

router = APIRouter(prefix="/v1", tags=["uploads"])
log = logging.getLogger(__name__)
IMPORT_ATTEMPTS = 3
LedgerFile = Annotated[
    UploadFile, FileParam(description="an .xlsx, .xls, .ods or .csv ledger with the template's columns")
]


class EntityCounts(BaseModel):
    created: int
    updated: int
    unchanged: int


class CodedTitle(BaseModel):
    """An occupation code the coder chose for a job title, for the uploader to check."""

    row: int
    title: str
    code: str
    name: str
    confidence: float


class ImportResult(BaseModel):
    kind: str
    sheet: str
    counts: dict[str, EntityCounts]
    notes: list[str]
    """What the reader passed over or read differently (a title line, a 合计 row, an old place name)."""
    coded: list[CodedTitle]


def _errors(e: LedgerError) -> list[dict[str, Any]]:
    """The faults as the 422 lists them, capped, with the rest counted in a last entry."""
    out: list[dict[str, Any]] = [
        {"sheet": e.sheet, "row": err.row, "field": err.column, "message": err.message}
        for err in e.errors[:MAX_SHOWN]
    ]
    if len(e.errors) > MAX_SHOWN:
        rest = len(e.errors) - MAX_SHOWN
        out.append(
            {
                "sheet": e.sheet,
                "row": None,
                "field": "",
                "message": f"另有 {rest} 处错误未列出；请先改正以上各处后再上传",
            }
        )
    return out


def _import(request: Request, kind: Kind, upload: UploadFile, **scope: str | None) -> ImportResult:
    suffix = Path(upload.filename or "").suffix.lower()
    if suffix not in SUFFIXES:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "file：请上传 .xlsx、.xls 或 .csv 台账（模板见 data/templates/）",
        )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / (re.sub(r"[^\w\-.]", "_", Path(upload.filename or "").stem)[:80] + suffix)
        path.write_bytes(upload.file.read())
        check_upload(path)
        for attempt in range(IMPORT_ATTEMPTS):
            try:
                report = import_ledger(kind, path, request.app.state.database_url, **scope)
                break
            except FileRefused as e:
                code = (
                    status.HTTP_413_CONTENT_TOO_LARGE
                    if e.too_large
                    else status.HTTP_422_UNPROCESSABLE_CONTENT
                )
                raise HTTPException(code, f"file：{e.errors[0].message}") from None
            except LedgerError as e:
                raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, _errors(e)) from None
            except IntegrityError:  # a concurrent upload wrote the same rows first: read them again
                if attempt == IMPORT_ATTEMPTS - 1:
                    raise HTTPException(
                        status.HTTP_409_CONFLICT, "file：另一个上传正在写入相同的记录；请稍后重新上传"
                    ) from None
    counts = {
        name: EntityCounts(created=c.created, updated=c.updated, unchanged=c.unchanged)
        for name, c in report.counts.items()
    }
    coded = [
        CodedTitle(row=c.row, title=c.title, code=c.code, name=c.name, confidence=c.confidence)
        for c in report.coded
    ]
    return ImportResult(kind=kind, sheet=report.sheet, counts=counts, notes=list(report.notes), coded=coded)


def _credit_code(session: Session, principal: Principal) -> str | None:
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


@router.post("/programmes/upload", response_model=ImportResult)
def upload_programmes(request: Request, file: LedgerFile, _principal: Bureau) -> ImportResult:
    """The county training catalogue (培训项目目录清单, article 十五); the bureau's alone."""
    return _import(request, "programmes", file)
