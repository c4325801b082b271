"""Columns of a ledger and how a row becomes a validated domain model, with faults named by column."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from matcher.ledger.cells import (
    Raw,
    is_blank,
    noting,
    read_credit_code,
    read_id_number,
    read_text,
    refuse_id_number,
    vocabulary,
)
from matcher.ledger.report import RowError
from matcher.ledger.table import Layout, Sheet, spans

PARTS = {"enterprise": "企业", "institution": "培训机构"}
CODE_READERS = (read_id_number, read_credit_code)
"""Columns that hold an ID number or a code shaped like one, and so are not searched for ID numbers."""

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


def layout(kind: str, columns: Sequence[Column]) -> Layout:
    """What the reader needs to find this kind's sheet and header."""
    return Layout(kind, tuple(c.header for c in columns), frozenset(c.header for c in columns if c.required))


def check_headers(sheet: Sheet, columns: Sequence[Column]) -> tuple[list[RowError], set[str]]:
    """Faults of the header rows and the sheet's shape (each once), and the headers that are missing."""
    present = set(sheet.headers)
    return list(sheet.problems), {c.header for c in columns if c.header not in present}


@cache
def blank_words() -> frozenset[str]:
    """Words meaning "nothing" in an optional column (无, 不限, /)."""
    return frozenset(written for written, _, _ in vocabulary().get("blank", ()))


def read_row(
    columns: Sequence[Column], cells: dict[str, Raw], notes: dict[str, list[int]] | None = None, row: int = 0
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """The row's values per part (as model input) and the cells that could not be read (header → message).

    What a reader read differently from how it is written goes to `notes` (column: note → rows).
    """
    data: dict[str, dict[str, Any]] = {c.part: {} for c in columns}
    bad: dict[str, str] = {}
    for col in columns:
        raw = cells.get(col.header)
        if is_blank(raw):
            continue
        try:
            if isinstance(raw, str) and col.read not in CODE_READERS:
                refuse_id_number(raw)
            value, said = noting(col.read, raw)
        except ValueError as e:
            if not col.required and isinstance(raw, str) and raw.strip() in blank_words():
                continue
            bad[col.header] = str(e)
            continue
        if notes is not None:
            for text in said:
                notes.setdefault(f"{col.header}：{text}", []).append(row)
        if value is None:
            continue
        target = data[col.part]
        for key in col.path[:-1]:
            target = target.setdefault(key, {})
        target[col.path[-1]] = value
    return data, bad


def noted(notes: dict[str, list[int]]) -> list[str]:
    """The notes of `read_row`, each once with the rows it concerns."""
    return [f"第 {spans(rows)} 行 {text}" for text, rows in notes.items()]


# Pydantic's error types and the domain models' own messages, as an officer reads them.
MESSAGES = {
    "missing": "必填，但单元格是空的；请填写",
    "string_too_long": "最多 {max_length} 个字符；请缩短",
    "string_too_short": "至少 {min_length} 个字符；请补全",
    "too_long": "最多 {max_length} 项；请删去多余的",
    "greater_than": "须大于 {gt}",
    "greater_than_equal": "须不小于 {ge}",
    "less_than": "须小于 {lt}",
    "less_than_equal": "须不大于 {le}",
    "enum": "须为 {expected} 之一；请改正",
}
TRANSLATIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), text)
    for pattern, text in (
        (r"^(\S+) (\d+) 低于 (\S+) (\d+)：.*$", r"\1 \2 低于\3 \4；请核对这两列"),
        (r"^(\S+) (\S+) 早于 (\S+) (\S+)：.*$", r"\1 \2 早于\3 \4；请核对这两列"),
        (r"不是已知的区划代码", "不是已知的区划代码；请填写地区名称或 6 位区划代码"),
        (
            r"不是 2022 版职业分类中的职业",
            "不是 2022 版职业分类中的职业（细类）；请核对职业代码，如 6-18-02-04",
        ),
        (r"不是特种作业目录中的项目", "不是特种作业目录中的项目；请填写如 2.1"),
        (r"^(\S+) 已填，但 (\S+) 不是 '(\S+)'：.*$", r"填了\1，但\2不是“\3”；请删去\1或改正\2"),
        (
            r"证书为特种作业操作证书时须填特种作业项目",
            "证书类型为特种作业操作证书时须填特种作业项目，否则不填；请改正",
        ),
        (r"订单培训须填订单企业", "订单培训须填订单企业信用代码；请补上"),
        (r"特种作业操作证书须写明特种作业项目", "特种作业操作证书须写明特种作业项目"),
        (r"须写明职业代码", "证书须写明职业代码"),
    )
)


def translate(error: Any) -> str:
    """A pydantic error as an officer reads it, in Chinese."""
    template = MESSAGES.get(error["type"])
    if template is not None:
        try:
            return template.format(**error.get("ctx", {}))
        except (KeyError, IndexError):
            return template
    message = str(error["msg"]).removeprefix("Value error, ")
    for pattern, text in TRANSLATIONS:
        if pattern.search(message):
            return pattern.sub(text, message) if "\\" in text else text
    return message


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
                    kind = "条" if len(rest) > 1 else "项"
                    message = f"第 {rest[0] + 1} {kind}：{message}"
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
        for err in exc.errors(include_url=False, include_input=False):
            header, message = fields.locate(tuple(err["loc"]), str(err["msg"]).removeprefix("Value error, "))
            message = translate({**err, "msg": message})
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
                f"与第 {first} 行（同一{PARTS[self.part]}）不一致；同一{PARTS[self.part]}各行的这些列须相同",
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
                f"库中没有这个{PARTS[self.part]}，本文件也没有填写它的信息；请在这一行填上{PARTS[self.part]}的各列",
            )
            for key, row in wanted.items()
            if key not in in_store
        ]
