"""Personal data: fields are tagged once in the schemas, and what each role sees follows from the tags.

Tags: `identity` (masked ID number, name, birth date) and `sensitive` (poverty, disability, household and
other priority-group status, pension, unemployment registration). Enterprises see neither; bureau planners
and counselors see both. Every read of tagged fields by a person is audited (`matcher.audit`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

Tag = Literal["identity", "sensitive"]
Role = Literal["bureau", "enterprise", "counselor"]


@dataclass(frozen=True)
class Personal:
    """Annotation metadata marking a schema field as personal data of the given kind."""

    tag: Tag


VISIBLE: dict[str, frozenset[str]] = {
    "bureau": frozenset({"identity", "sensitive"}),
    "counselor": frozenset({"identity", "sensitive"}),
    "enterprise": frozenset(),
}


def personal_fields(model: type[BaseModel]) -> dict[str, Tag]:
    """The tagged fields of a schema and their tags."""
    out: dict[str, Tag] = {}
    for name, info in model.model_fields.items():
        for meta in info.metadata:
            if isinstance(meta, Personal):
                out[name] = meta.tag
    return out


def redact(record: BaseModel, role: str) -> tuple[BaseModel, list[str]]:
    """A copy of `record` with the personal fields `role` may not see set to None, and the ones kept.

    Nested schemas are redacted too; the kept list names them with dots (e.g. `candidate.name`).
    """
    allowed = VISIBLE[role]
    changes: dict[str, Any] = {}
    kept: list[str] = []
    for name, tag in personal_fields(type(record)).items():
        if getattr(record, name) is None:
            continue
        if tag in allowed:
            kept.append(name)
        else:
            changes[name] = None
    for name in type(record).model_fields:
        value = getattr(record, name)
        if isinstance(value, BaseModel):
            inner, inner_kept = redact(value, role)
            changes[name] = inner
            kept += [f"{name}.{k}" for k in inner_kept]
    return record.model_copy(update=changes), kept


ID_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"
)


def scrub(text: str) -> str:
    """Text with anything shaped like a resident ID number masked."""
    return ID_NUMBER.sub(lambda m: m.group(0)[:4] + "*" * 10 + m.group(0)[-4:], text)


class ScrubIdNumbers(logging.Filter):
    """A logging filter that masks ID numbers in every record, so that logs never hold one."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def install_log_scrubber() -> None:
    """Mask ID numbers in the records of every handler of the root and server loggers."""
    for name in ("", "uvicorn", "uvicorn.access", "uvicorn.error", "fastapi"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, ScrubIdNumbers) for f in logger.filters):
            logger.addFilter(ScrubIdNumbers())
