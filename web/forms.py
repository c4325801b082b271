"""Forms: a submitted form read into the API's request models, and their errors put back at each field."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException
from pydantic import ValidationError
from starlette.datastructures import FormData

from api.deps import field_problems

Errors = dict[str, list[str]]


def text_fields(form: FormData, names: list[str]) -> dict[str, str]:
    """The named fields as trimmed text (missing ones as empty)."""
    out = {}
    for name in names:
        value = form.get(name)
        out[name] = value.strip() if isinstance(value, str) else ""
    return out


def values(
    form: FormData, names: list[str], lists: tuple[str, ...] = (), flags: tuple[str, ...] = ()
) -> dict:
    """A request body from a form: empty fields left out (so the model's default or the stored value holds),
    checkbox groups as lists, checkboxes as booleans."""
    body: dict[str, Any] = {k: v for k, v in text_fields(form, names).items() if v}
    for name in lists:
        body[name] = [v for v in form.getlist(name) if isinstance(v, str) and v]
    for name in flags:
        body[name] = form.get(name) == "on"
    return body


def _field(path: str, known: list[str], fallback: str) -> str:
    name = path.removeprefix("body.").split(".")[0]
    if name in known:
        return name
    return fallback


def _add(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def validation_errors(err: ValidationError, known: list[str], fallback: str) -> Errors:
    """A model's errors by form field, with the API's messages; an error about the whole record goes to the
    field it names first (e.g. wage_max), else to `fallback`."""
    errors: Errors = {}
    for problem in field_problems(err.errors()):
        field = _field(problem["field"], known, "")
        if not field:
            message = problem["message"]
            named = [k for k in known if message.startswith(k)] + [k for k in known if f" {k} " in message]
            field = named[0] if named else fallback
        _add(errors, field, problem["message"])
    return errors


def refusal_errors(exc: HTTPException, known: list[str], fallback: str) -> Errors:
    """An API refusal by form field: a list of problems field by field, or one sentence led by `field：`."""
    errors: Errors = {}
    if isinstance(exc.detail, list):
        for problem in exc.detail:
            _add(errors, _field(str(problem.get("field", "")), known, fallback), str(problem.get("message")))
        return errors
    text = str(exc.detail)
    head, sep, rest = text.partition("：")
    if sep and head in known:
        _add(errors, head, rest)
    else:
        _add(errors, fallback, text)
    return errors
