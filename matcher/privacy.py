"""Personal data: fields are tagged once in the schemas, and what each role sees follows from the tags.

Tags: `identity` (masked ID number, name, birth date) and `sensitive` (poverty, disability, household and
other priority-group status, pension, unemployment registration). Enterprises see neither; bureau planners
and counselors see both. Every read of tagged fields by a person is audited (`matcher.audit`). Log records
never hold an ID number (`install_log_scrubber`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import unquote

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
        if isinstance(value, BaseModel) and name not in changes:
            inner, inner_kept = redact(value, role)
            changes[name] = inner
            kept += [f"{name}.{k}" for k in inner_kept]
    return record.model_copy(update=changes), kept


ID_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"
)


def scrub(text: str) -> str:
    """Text with anything shaped like a resident ID number masked (also when percent-encoded in a URL)."""
    clean = ID_NUMBER.sub(lambda m: m.group(0)[:4] + "*" * 10 + m.group(0)[-4:], text)
    if "%" in clean:
        decoded = unquote(clean)
        if ID_NUMBER.search(decoded):
            return scrub(decoded)
    return clean


def _scrub_arg(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if value is None or isinstance(value, int | float):
        return value
    try:
        text = str(value)
    except Exception:
        return value
    clean = scrub(text)
    return value if clean == text else clean


def scrub_record(record: logging.LogRecord) -> None:
    """Mask ID numbers in a log record: its message, each of its arguments (their number and kinds stay, so
    uvicorn's access formatter still finds client, method, path with query, version and status), its
    traceback and stack."""
    if isinstance(record.msg, str):
        record.msg = scrub(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(_scrub_arg(a) for a in record.args)
    elif isinstance(record.args, Mapping):
        record.args = {k: _scrub_arg(v) for k, v in record.args.items()}
    if record.exc_info and not record.exc_text:
        record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = scrub(record.stack_info)
    if record.name != "uvicorn.access" and record.args:
        try:
            message = record.getMessage()
        except Exception:
            return
        if ID_NUMBER.search(message):  # an ID number made of two arguments: keep the masked text only
            record.msg, record.args = scrub(message), ()


def install_log_scrubber() -> None:
    """Mask ID numbers in every log record of the process, whichever logger or handler it goes to: the
    record factory scrubs each record as it is made (a logger's filter would miss records its children
    propagate to its handlers)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "scrubs_id_numbers", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        scrub_record(record)
        return record

    factory.scrubs_id_numbers = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
