"""Ledger files as tables, as bureaus and enterprises actually fill them in.

A workbook (.xlsx, .xls, .ods, read by python-calamine once `guard.check_file` has bounded the cost) or a
CSV (UTF-8 or GBK/GB18030) is read into a `Sheet`: the sheet holding the ledger (a 填表说明 sheet before
it is passed over), the header row found under title, unit and date lines, a second header row under merged
headers (薪资待遇 over 最低/最高) joined to it, each column known by any of its usual names
(`data/ledger/headers.csv`), and the data rows with their Excel row numbers, without 序号, 合计/小计 rows,
rows holding only a 序号, or 填表人/审核人 lines. What the reader passed over is said once, as a note.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cache
from itertools import chain, islice
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from python_calamine import CalamineError, CalamineWorkbook

from matcher.ledger.cells import Raw, is_blank
from matcher.ledger.guard import FileRefused, check_file
from matcher.ledger.report import RowError
from matcher.reference import DATA_DIR
from matcher.text import csv_text, from_csv_text, sheet_cell

HEADERS_PATH = DATA_DIR / "ledger" / "headers.csv"
IGNORED = "-"
"""The canonical name of a column the importer knows and leaves out, with a note (联系电话)."""
NUMBER = "序号"
HEADER_SCAN_ROWS = 30
MAX_SHEETS = 30
_TOTAL = re.compile(r"^(合计|小计|总计|共计|总数|合\s*计|小\s*计)")
_FOOTER = re.compile(r"^(填表人|填报人|制表人|审核人|负责人|单位负责人|统计人|注[:：]|说明[:：]|备注[:：])")
_UNIT = re.compile(r"[（(][^（）()]*[)）]$")


@dataclass(frozen=True)
class Layout:
    """A ledger kind as the reader needs it: its columns (template headers), the required ones, all names."""

    kind: str
    columns: tuple[str, ...]
    required: frozenset[str]

    @property
    def names(self) -> dict[str, str]:
        return header_names(self.kind, self.columns)


@dataclass
class Sheet:
    """The ledger's rows under their template headers, each with its Excel row number, and what was noted."""

    name: str
    headers: list[str]
    """Template header of each column read (in file order)."""
    rows: list[tuple[int, dict[str, Raw]]] = field(default_factory=list)
    header_row: int = 1
    problems: list[RowError] = field(default_factory=list)
    """Faults of the header rows and of the sheet's shape, each said once."""
    notes: list[str] = field(default_factory=list)
    written: dict[str, str] = field(default_factory=dict)
    """Template header → the header as the file writes it."""


def header_key(text: Raw) -> str:
    """A header cell as compared: NFKC, no spaces or line breaks (Alt+Enter), no required-marker '*'."""
    if is_blank(text):
        return ""
    key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))
    return key.strip("*")


@cache
def header_names(kind: str, columns: tuple[str, ...]) -> dict[str, str]:
    """Every name a column of this kind goes by (its template header, and the table's synonyms) → header."""
    names = {header_key(c): c for c in columns}
    with open(HEADERS_PATH, encoding="utf-8", newline="") as f:
        for n, row in enumerate(csv.DictReader(f), start=2):
            if row["kind"] not in (kind, "*"):
                continue
            column = row["column"]
            if column not in columns and column not in (IGNORED, NUMBER):
                if row["kind"] == "*":
                    continue
                raise ValueError(f"{HEADERS_PATH.name} row {n}: {column!r} is not a {kind} column")
            names.setdefault(header_key(row["name"]), column)
    return names


def _lookup(key: str, names: dict[str, str]) -> str | None:
    if key in names:
        return names[key]
    bare = _UNIT.sub("", key)
    return names.get(bare) if bare else None


# --- reading ----------------------------------------------------------------------------------


def read_sheet(path: Path, layout: Layout) -> Sheet:
    """The ledger in a file; FileRefused when the file cannot or may not be read."""
    kind = check_file(path)
    if kind == "csv":
        return _shape(path.name, _csv_rows(path), {}, layout, None)
    return _workbook(path, layout)


def _workbook(path: Path, layout: Layout) -> Sheet:
    try:
        with open(path, "rb") as f:  # by content: an .xls renamed .xlsx is still read
            book = CalamineWorkbook.from_filelike(io.BytesIO(f.read()))
    except (CalamineError, OSError, ValueError) as e:
        raise FileRefused(
            path,
            f"文件无法作为 Excel 工作簿读取（{type(e).__name__}）；请用 Excel 打开后另存为 .xlsx，再导入",
            too_large=False,
        ) from None
    first = book.sheet_names[0] if book.sheet_names else ""
    try:
        names = [n for n in book.sheet_names if "说明" not in n][:MAX_SHEETS] or book.sheet_names[:1]
        best: tuple[int, str, dict[tuple[int, int], tuple[int, int]]] | None = None
        for name in names:
            sheet = _calamine_sheet(path, book, name)
            merged = {
                (r, c): (r0, c0)
                for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or ()
                for r in range(r0, min(r1, r0 + 3) + 1)
                for c in range(c0, c1 + 1)
            }
            head = islice(_calamine_rows(sheet), HEADER_SCAN_ROWS)
            score = max((_score(row, layout.names) for row in head), default=0)
            if best is None or score > best[0]:
                best = (score, name, merged)
            del sheet
        if best is None:
            raise FileRefused(path, "工作簿中没有工作表；请使用模板", too_large=False)
        _, name, merged = best
        return _shape(name, _calamine_rows(_calamine_sheet(path, book, name)), merged, layout, first)
    finally:
        book.close()


def _calamine_sheet(path: Path, book: CalamineWorkbook, name: str) -> Any:
    try:
        return book.get_sheet_by_name(name)
    except CalamineError as e:
        raise FileRefused(
            path, f"工作表「{name}」无法读取（{e}）；请另存为 .xlsx 后再导入", too_large=False
        ) from None


def _calamine_rows(sheet: object) -> Iterator[list[Raw]]:
    start = getattr(sheet, "start", None)
    offset = [None] * (start[1] if start else 0)
    for row in sheet.iter_rows():  # type: ignore[attr-defined]
        yield offset + [_value(v) for v in row]


def _value(v: object) -> Raw:
    if v == "" or v is None or isinstance(v, time):
        return None if v == "" or v is None else str(v)
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, str | int | float | date | datetime):
        return v
    return str(v)


def _csv_rows(path: Path) -> list[list[Raw]]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FileRefused(
            path,
            "CSV 既不是 UTF-8 也不是 GBK/GB18030 编码；请用 Excel 另存为“CSV UTF-8”或 .xlsx 后再导入",
            too_large=False,
        )
    try:
        return [
            [from_csv_text(v) if v.strip() else None for v in row]
            for row in csv.reader(io.StringIO(text, newline=""))
        ]
    except csv.Error as e:
        raise FileRefused(
            path, f"CSV 格式有误（{e}）；请用 Excel 打开后另存为 .xlsx，再导入", too_large=False
        ) from None


def _score(row: Sequence[Raw], names: dict[str, str]) -> int:
    found = {_lookup(header_key(v), names) for v in row if isinstance(v, str)}
    return len(found - {None, IGNORED, NUMBER})


def _is_total(values: Sequence[Raw]) -> bool:
    return any(isinstance(v, str) and _TOTAL.match(v.strip()) for v in values)


def _shape(
    name: str,
    stream: Iterable[list[Raw]],
    merged: dict[tuple[int, int], tuple[int, int]],
    layout: Layout,
    first: str | None,
) -> Sheet:
    """Find the header, name the columns, keep the data rows (read once, as they come)."""
    names = layout.names
    stream = iter(stream)
    rows = list(islice(stream, HEADER_SCAN_ROWS + 1))
    scores = [_score(row, names) for row in rows[:HEADER_SCAN_ROWS]]
    top = max(range(len(scores)), key=lambda i: (scores[i], -i), default=0)
    if not scores or scores[top] < 2:
        sheet = Sheet(name, [])
        sheet.problems.append(
            RowError(
                None,
                "",
                f"前 {HEADER_SCAN_ROWS} 行中找不到表头（应有 {'、'.join(sorted(layout.required))} 等列）；"
                f"请使用 {layout.kind} 台账的模板，或把表头改为模板的列名",
            )
        )
        return sheet
    sheet = Sheet(name, [], header_row=top + 1)
    if first is not None and name != first:
        sheet.notes.append(f"台账在工作表「{name}」中读取（「{first}」不是台账）")
    if top > 0:
        sheet.notes.append(f"表头在第 {top + 1} 行；其上 {top} 行（标题、填报单位、日期等）不是数据，已跳过")
    header = [header_key(v) for v in rows[top]]
    below = rows[top + 1] if top + 1 < len(rows) else []
    keys, two_level = _join_two_levels(header, below, top, merged, names)
    start = top + (2 if two_level else 1)
    if two_level:
        sheet.notes.append(f"第 {top + 1}、{top + 2} 行是两级表头，已合并读取")
        header = keys
    columns: list[str | None] = []
    where: dict[str, int] = {}
    for j, key in enumerate(header):
        written = rows[top][j] if j < len(rows[top]) and not two_level else key
        column = _lookup(key, names) if key else None
        if key and column is None:
            sheet.problems.extend(_unknown(key, j, top + 1, names, sheet))
        if column in (IGNORED,) and key:
            sheet.notes.append(f"列「{key}」不导入（库中不保存此项），已忽略")
        if column in (None, IGNORED, NUMBER):
            columns.append(None)
            continue
        if column in where:
            sheet.problems.append(
                RowError(
                    top + 1,
                    column,
                    f"{get_column_letter(where[column] + 1)} 列和 {get_column_letter(j + 1)} 列都是「{column}」；"
                    "请删去重复的一列",
                )
            )
            columns.append(None)
            continue
        where[column] = j
        sheet.written[column] = str(written).strip()
        columns.append(column)
    sheet.headers = [c for c in columns if c]
    missing = [c for c in layout.columns if c in layout.required and c not in where]
    sheet.problems += [
        RowError(top + 1, c, f"缺少这一必填列；请在第 {top + 1} 行表头中加上「{c}」列") for c in missing
    ]
    _rows(sheet, chain(rows[start:], stream), start, columns, header)
    return sheet


def _join_two_levels(
    header: list[str],
    below: Sequence[Raw],
    top: int,
    merged: dict[tuple[int, int], tuple[int, int]],
    names: dict[str, str],
) -> tuple[list[str], bool]:
    """The header keys with a second header row (最低/最高 under 薪资待遇) joined to the row above it."""
    keys = list(header) + [""] * max(0, len(below) - len(header))
    joined = False
    for j, value in enumerate(below):
        child = header_key(value) if isinstance(value, str) else ""
        if not child or (keys[j] and _lookup(keys[j], names)):
            continue
        anchor = merged.get((top, j))
        k = anchor[1] if anchor else j
        while k > 0 and not (k < len(header) and header[k]) and (top, k) not in merged:
            k -= 1
        parent = _UNIT.sub("", header[k]) if k < len(header) and header[k] else ""
        for candidate in (parent + child, child + parent, child):
            if candidate and _lookup(candidate, names):
                keys[j] = candidate
                joined = True
                break
    return keys, joined


def _unknown(key: str, j: int, row: int, names: dict[str, str], sheet: Sheet) -> list[RowError]:
    """An unknown header: a fault naming the column it resembles, else a note that it is left out."""
    near = difflib.get_close_matches(key, [n for n, c in names.items() if c not in (IGNORED, NUMBER)], 1, 0.6)
    if near and names[near[0]] not in sheet.written:
        meant = names[near[0]]
        return [
            RowError(
                row,
                key,
                f"不认识的列（{get_column_letter(j + 1)} 列）；是不是「{meant}」？请把表头改为「{meant}」",
            )
        ]
    sheet.notes.append(f"列「{key}」（{get_column_letter(j + 1)} 列）不是台账的列，其内容未导入")
    return []


def _rows(
    sheet: Sheet, rows: Iterable[list[Raw]], start: int, columns: list[str | None], header: list[str]
) -> None:
    totals, numbered, footers = [], [], []
    stray: dict[str, int] = {}
    for i, values in enumerate(rows):
        number = start + i + 1
        if all(is_blank(v) for v in values):
            continue
        if _is_total(values):
            totals.append(number)
            continue
        first = next((v for v in values if not is_blank(v)), None)
        if isinstance(first, str) and _FOOTER.match(first.strip()):
            footers.append(number)
            continue
        cells: dict[str, Raw] = {}
        for j, value in enumerate(values):
            column = columns[j] if j < len(columns) else None
            if column:
                cells[column] = value
            elif not is_blank(value) and not (j < len(header) and header[j]):
                stray.setdefault(get_column_letter(j + 1), number)
        if all(is_blank(v) for v in cells.values()):
            numbered.append(number)
            continue
        sheet.rows.append((number, cells))
    if totals:
        sheet.notes.append(f"第 {spans(totals)} 行是合计/小计行，不是记录，已跳过")
    if numbered:
        sheet.notes.append(f"第 {spans(numbered)} 行只有序号或备注，没有数据，已跳过")
    if footers:
        sheet.notes.append(f"第 {spans(footers)} 行是填表人、审核人或注释，已跳过")
    for letter, row in stray.items():
        sheet.problems.append(
            RowError(
                row, f"{letter} 列", "这一列有数据但没有表头；请补上表头（模板中的列名）或删去这一列的内容"
            )
        )


def spans(numbers: list[int]) -> str:
    """Row numbers as runs: 5、7–9."""
    out: list[str] = []
    run = [numbers[0], numbers[0]]
    for n in numbers[1:]:
        if n == run[1] + 1:
            run[1] = n
            continue
        out.append(f"{run[0]}" if run[0] == run[1] else f"{run[0]}–{run[1]}")
        run = [n, n]
    out.append(f"{run[0]}" if run[0] == run[1] else f"{run[0]}–{run[1]}")
    return "、".join(out)


# --- writing ----------------------------------------------------------------------------------


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
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise FileRefused(path, f"导出文件须为 .xlsx 或 .csv，收到「{path.name}」", too_large=False)
    if suffix == ".csv":
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
