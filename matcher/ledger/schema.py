"""Columns of a ledger and how a row becomes a validated domain model, with faults named by column."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from matcher.ledger.cells import Raw, is_blank, read_text
from matcher.ledger.report import RowError
from matcher.ledger.table import Sheet

M = TypeVar("M", bound=BaseModel)


def _same(value: Any) -> Raw:
    return value


@dataclass(frozen=True)
class Column:
    """A ledger column: its Chinese header, the model (`part`) and field path it fills, how to read and show it.

    `show` turns the model's value back into the cell that `read` reads as that value. `required` columns
    must be in the header row; other columns may be left out, and then their fields take their defaults.
    """

    header: str
    part: str
    path: tuple[str, ...]
    read: Callable[[Raw], Any] = read_text
    show: Callable[[Any], Raw] = _same
    required: bool = False
    text: bool = False
    """Written as a text cell, so that Excel keeps codes and numbers with leading zeros whole."""

    def cell(self, value: Any) -> Raw:
        return "" if value is None or value == [] else self.show(value)


def column(header: str, part: str, path: str, **kwargs: Any) -> Column:
    return Column(header, part, tuple(path.split(".")), **kwargs)


def check_headers(sheet: Sheet, columns: Sequence[Column], kind: str) -> tuple[list[RowError], set[str]]:
    """Faults of the header row (unknown, repeated or missing columns), and the headers that are missing."""
    known = {c.header for c in columns}
    errors = []
    seen: set[str] = set()
    for header in sheet.headers:
        if not header:
            continue
        if header in seen:
            errors.append(RowError(1, header, "the column appears twice"))
        seen.add(header)
        if header not in known:
            errors.append(
                RowError(
                    1,
                    header,
                    f"unknown column; the {kind} ledger's columns are "
                    + "、".join(c.header for c in columns),
                )
            )
    for letter, row in sheet.stray.items():
        errors.append(RowError(row, f"列 {letter}", "this column holds data but has no header"))
    missing = {c.header for c in columns if c.header not in seen}
    errors += [
        RowError(1, c.header, "this required column is missing")
        for c in columns
        if c.required and c.header in missing
    ]
    return errors, missing


def read_row(
    columns: Sequence[Column], cells: dict[str, Raw]
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """The row's values per part (as model input) and the cells that could not be read (header → message)."""
    data: dict[str, dict[str, Any]] = {c.part: {} for c in columns}
    bad: dict[str, str] = {}
    for col in columns:
        raw = cells.get(col.header)
        if is_blank(raw):
            continue
        try:
            value = col.read(raw)
        except ValueError as e:
            bad[col.header] = str(e)
            continue
        if value is None:
            continue
        target = data[col.part]
        for key in col.path[:-1]:
            target = target.setdefault(key, {})
        target[col.path[-1]] = value
    return data, bad


@dataclass(frozen=True)
class Fields:
    """Where a model's errors go: field paths to headers, and the header for errors no field is named in."""

    headers: dict[tuple[str, ...], str]
    fallback: Callable[[str], str]
    words: dict[str, str]
    """Values the model's messages quote as stored, and how the ledger writes them ('unemployed' → '失业')."""

    @classmethod
    def of(
        cls,
        columns: Sequence[Column],
        part: str,
        extra: dict[str, str] | None = None,
        fallback: Callable[[str], str] | None = None,
        words: dict[str, str] | None = None,
    ) -> Fields:
        headers = {c.path: c.header for c in columns if c.part == part}
        headers.update({tuple(k.split(".")): v for k, v in (extra or {}).items()})
        first = next(iter(headers.values()))
        return cls(headers, fallback or (lambda _message: first), words or {})

    def locate(self, loc: tuple[int | str, ...], message: str) -> tuple[str, str]:
        """The header a pydantic error belongs to, and its message with field names put as headers."""
        for n in range(len(loc), 0, -1):
            header = self.headers.get(tuple(str(p) for p in loc[:n]))
            if header is not None:
                rest = loc[n:]
                if rest and isinstance(rest[0], int):
                    kind = "entry" if len(rest) > 1 else "item"
                    message = f"{kind} {rest[0] + 1}: {message}"
                return header, message
        named = self._named(message)
        header = self.headers[named[0]] if named else self.fallback(message)
        for path in named:
            message = re.sub(rf"\b{path[-1]}\b", self.headers[path], message)
        for word, written in self.words.items():
            message = message.replace(word, written)
        return header, message

    def _named(self, message: str) -> list[tuple[str, ...]]:
        """The fields a model-level message names, in the order it names them."""
        hits = [
            (m.start(), path)
            for path in self.headers
            if len(path) == 1
            for m in [re.search(rf"\b{path[0]}\b", message)]
            if m
        ]
        return [path for _, path in sorted(hits)]


def validate(
    model: type[M], data: dict[str, Any], fields: Fields, skip: set[str]
) -> tuple[M | None, list[tuple[str, str]]]:
    """The model, or the faults as (header, message); faults in `skip` columns (already reported) are left out."""
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        faults = []
        for err in exc.errors(include_url=False, include_input=False, include_context=False):
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] == "missing":
                message = "is required but the cell is blank"
            header, message = fields.locate(tuple(err["loc"]), message)
            if header not in skip:
                faults.append((header, message))
        return None, faults


def existing(session: Session, key: InstrumentedAttribute[str], values: Iterable[str]) -> set[str]:
    """Which of `values` the store already holds in the column `key`."""
    wanted, found = sorted(set(values)), set[str]()
    for i in range(0, len(wanted), 500):
        found.update(session.scalars(select(key).where(key.in_(wanted[i : i + 500]))))
    return found


class Parents(Generic[M]):
    """The records a file's rows hang under (enterprises, institutions): described in full, or referred to by key.

    A row whose parent columns, but for the key, are all blank refers to a parent described by another row
    or already in the store; rows describing the same parent must agree.
    """

    def __init__(self, model: type[M], columns: Sequence[Column], part: str, key: str) -> None:
        self.model, self.part, self.key = model, part, key
        self.columns = [c for c in columns if c.part == part]
        self.fields = Fields.of(columns, part)
        self.described: dict[str, M] = {}
        self.referenced: set[str] = set()
        self._rows: dict[str, int] = {}
        self._referring: dict[str, int] = {}

    def take(
        self, row: int, cells: dict[str, Raw], data: dict[str, Any], skip: set[str]
    ) -> list[tuple[str, str]]:
        """Record the row's parent; its faults as (header, message)."""
        key = data.get(self.key)
        if all(is_blank(cells.get(c.header)) for c in self.columns if c.path != (self.key,)):
            if key:
                self._referring.setdefault(key, row)
            return []
        parent, faults = validate(self.model, data, self.fields, skip)
        if parent is None:
            return faults
        key = getattr(parent, self.key)
        first = self._rows.setdefault(key, row)
        if first == row:
            self.described[key] = parent
            return []
        earlier = self.described[key]
        return [
            (
                c.header,
                f"differs from row {first}, which describes the same {self.part}: its columns must agree",
            )
            for c in self.columns
            if getattr(parent, c.path[0]) != getattr(earlier, c.path[0])
        ]

    def resolve(self, session: Session, stored: InstrumentedAttribute[str], header: str) -> list[RowError]:
        """Check that every parent referred to by key alone is described in the file or in the store."""
        wanted = {k: row for k, row in self._referring.items() if k not in self.described}
        in_store = existing(session, stored, wanted)
        self.referenced = set(wanted) & in_store
        return [
            RowError(
                row,
                header,
                f"no row of this file describes this {self.part} and it is not in the store: "
                f"fill in the {self.part}'s columns",
            )
            for key, row in wanted.items()
            if key not in in_store
        ]
