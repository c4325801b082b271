"""Ledger files as tables: the first sheet of an .xlsx workbook or a .csv file, header in row 1."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import openpyxl
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from matcher.ledger.cells import Raw, is_blank
from matcher.ledger.report import LedgerError, RowError
from matcher.text import csv_text, from_csv_text, sheet_cell

SUFFIXES = (".xlsx", ".csv")


@dataclass
class Sheet:
    """The header (as written, trimmed) and the non-blank rows, each with its Excel row number."""

    headers: list[str]
    rows: list[tuple[int, dict[str, Raw]]] = field(default_factory=list)
    stray: dict[str, int] = field(default_factory=dict)
    """Columns without a header that hold data: column letter → first row with data there."""


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise LedgerError(
            str(path),
            [
                RowError(
                    None,
                    "",
                    f"a ledger is an .xlsx or .csv file, got {path.name!r}"
                    " (save an .xls workbook as .xlsx first)",
                )
            ],
        )
    return suffix


def normalise_header(text: Raw) -> str:
    """A header as written, without surrounding spaces or a trailing required-marker '*'."""
    return "" if is_blank(text) else str(text).replace("\u3000", " ").strip().rstrip("*＊").strip()


def read_sheet(path: Path) -> Sheet:
    """Read a ledger file; LedgerError when it cannot be read as a table at all."""
    rows = _xlsx_rows(path) if _suffix(path) == ".xlsx" else _csv_rows(path)
    if not rows or all(is_blank(c) for c in rows[0]):
        raise LedgerError(
            str(path), [RowError(1, "", "the first row must hold the column headers; it is empty")]
        )
    headers = [normalise_header(h) for h in rows[0]]
    sheet = Sheet(headers)
    for number, values in enumerate(rows[1:], start=2):
        if all(is_blank(v) for v in values):
            continue
        cells: dict[str, Raw] = {}
        for i, value in enumerate(values):
            header = headers[i] if i < len(headers) else ""
            if header:
                cells[header] = value
            elif not is_blank(value):
                sheet.stray.setdefault(get_column_letter(i + 1), number)
        sheet.rows.append((number, cells))
    return sheet


def _xlsx_rows(path: Path) -> list[tuple[Raw, ...]]:
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as e:
        raise LedgerError(
            str(path), [RowError(None, "", f"cannot be read as an .xlsx workbook ({e})")]
        ) from None
    try:
        return [tuple(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()


def _csv_rows(path: Path) -> list[tuple[Raw, ...]]:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise LedgerError(str(path), [RowError(None, "", f"cannot be read ({e.strerror})")]) from None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise LedgerError(str(path), [RowError(None, "", "the file is neither UTF-8 nor GB18030 text")])
    return [
        tuple(from_csv_text(v) if v.strip() else None for v in row)
        for row in csv.reader(io.StringIO(text, newline=""))
    ]


def write_sheet(
    path: Path,
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Raw]],
    text_headers: frozenset[str] = frozenset(),
) -> None:
    """Write a table as .xlsx (text columns formatted as text so Excel keeps codes whole) or UTF-8 .csv with BOM.

    Text is never written as a formula (`matcher.text`): the file imports again to the same data.
    """
    if _suffix(path) == ".csv":
        with open(path, "w", encoding="utf-8-sig", newline="") as f:
            out = csv.writer(f)
            out.writerow(headers)
            out.writerows([_csv_cell(v) for v in row] for row in rows)
        return
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            if value is not None and value != "":
                sheet_cell(sheet.cell(r, c), value)
    for i, header in enumerate(headers, start=1):
        letter = get_column_letter(i)
        dimension = sheet.column_dimensions[letter]
        dimension.width = max(10, min(40, 2.2 * len(header) + 2))
        if header in text_headers:
            dimension.number_format = "@"
            for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = "@"
        else:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                if isinstance(cell.value, date):
                    cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    workbook.save(path)


def _csv_cell(value: Raw) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return csv_text(value)
    return "" if value is None else str(value)
