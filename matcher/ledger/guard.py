"""What a ledger file is, and whether it may be read at all: checked on its bytes before any reader sees it.

A small file can exhaust a reader: a zip bomb (an .xlsx is a zip), or a sheet claiming or using
A1:XFD1048576, which a dense reader fills out to 17 billion cells. `check_file` tells the format from the
file's first bytes (an .xls renamed .xlsx is still read as .xls), then bounds what reading it will cost:
the zip's entries and each entry's unpacked size, the rows, columns and cells every worksheet claims
(its dimension) or uses (its cells' references), scanned in chunks against a deadline; a CSV's lines; an
.xls's records (olefile opens its Workbook stream; the BIFF records are walked without a reader). Declared sizes are never trusted: the zip's own sizes are checked while unpacking.
"""

from __future__ import annotations

import re
import struct
import time
import zipfile
from pathlib import Path
from typing import Literal

import olefile

from matcher.ledger.report import LedgerError, RowError

Format = Literal["xlsx", "xls", "ods", "csv"]
SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")

MAX_FILE_BYTES = 20 << 20  # 20 MiB, as the API accepts
MAX_ZIP_ENTRIES = 100  # a ledger workbook has about 10
MAX_UNZIPPED_BYTES = 256 << 20  # all entries of a workbook unpacked
MAX_ROWS = 200_000
MAX_COLUMNS = 256  # a ledger has about 30; a sheet may claim 16,384
MAX_CELLS = 4_000_000  # rows × columns of the area a sheet spans, which a reader holds whole
CHECK_SECONDS = 30.0
CHUNK = 1 << 20
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = b"PK\x03\x04"

# a cell's or a row's reference, and the sheet's claimed size, in the worksheet XML (any namespace prefix)
CELL_REF = re.compile(rb"<(?:\w+:)?c\b[^>]*?\sr=[\"']([A-Z]{1,4})([0-9]{1,9})[\"']")
ROW_REF = re.compile(rb"<(?:\w+:)?row\b[^>]*?\sr=[\"']([0-9]{1,9})[\"']")
DIMENSION = re.compile(
    rb"<(?:\w+:)?dimension\b[^>]*?\sref=[\"'][A-Z]{0,4}[0-9]{0,9}:?([A-Z]{1,4})([0-9]{1,9})[\"']"
)


class FileRefused(LedgerError):
    """A file refused before it is read: `too_large` when reading it would cost more than the limits allow."""

    def __init__(self, path: Path, message: str, *, too_large: bool) -> None:
        self.too_large = too_large
        super().__init__(str(path), [RowError(None, "", message)], sheet=path.name)


def _column_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise FileRefused(
            path,
            f"台账须为 .xlsx、.xls 或 .csv 文件，收到的是「{path.name}」；请在 Excel 中另存为 .xlsx 后再导入",
            too_large=False,
        )
    return suffix


def _unreadable(path: Path, why: str) -> FileRefused:
    return FileRefused(
        path, f"文件无法作为台账读取：{why}；请用 Excel 打开后另存为 .xlsx，再导入", too_large=False
    )


def _too_costly(path: Path, message: str) -> FileRefused:
    return FileRefused(path, message, too_large=True)


def check_file(path: Path) -> Format:
    """The file's format from its first bytes (an .xls renamed .xlsx is still an .xls), once reading it is
    known to stay within the limits; FileRefused otherwise."""
    suffix = _suffix(path)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise _too_costly(
            path, f"文件有 {size >> 20} MiB，台账最大 {MAX_FILE_BYTES >> 20} MiB；请分成几个文件导入"
        )
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(OLE):
        _check_xls(path, time.monotonic() + CHECK_SECONDS)
        return "xls"
    if head.startswith(ZIP):
        return _check_zip(path, time.monotonic() + CHECK_SECONDS)
    if suffix != ".csv":
        raise _unreadable(path, f"扩展名是 {suffix}，内容却不是 Excel 工作簿")
    with open(path, "rb") as f:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(CHUNK), b""))
    if lines > MAX_ROWS + 1:
        raise _too_costly(path, f"CSV 有 {lines:,} 行，台账最多 {MAX_ROWS:,} 行；请分成几个文件导入")
    return "csv"


def _check_zip(path: Path, deadline: float) -> Format:
    """A workbook's entries, their unpacked sizes and its sheets' extent; then whether it is .xlsx or .ods."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ZIP_ENTRIES:
                raise _too_costly(
                    path,
                    f"工作簿内含 {len(entries):,} 个部件，正常台账不超过 {MAX_ZIP_ENTRIES}；"
                    "请在 Excel 中另存为新的 .xlsx",
                )
            declared = sum(e.file_size for e in entries)
            if declared > MAX_UNZIPPED_BYTES:
                raise _too_costly(path, _unpacked_message(declared))
            unpacked = 0
            for entry in entries:
                sheet = entry.filename.startswith("xl/worksheets/") and entry.filename.endswith(".xml")
                unpacked += _scan(path, archive, entry, deadline, sheet, unpacked)
            names = {e.filename for e in entries}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as e:
        raise _unreadable(path, f"压缩包已损坏（{e}）") from None
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "content.xml" in names:
        return "ods"
    raise _unreadable(path, "是压缩包，但不是 Excel 工作簿")


# BIFF8 records that place a cell or a row (row number first, then the column), and those that span columns
_CELL_RECORDS = frozenset({0x0006, 0x00FD, 0x0203, 0x027E, 0x0201, 0x0204, 0x0205})
_SPAN_RECORDS = frozenset({0x00BD, 0x00BE})  # MULRK, MULBLANK: row, first column, …, last column
ROW_RECORD, DIMENSIONS_RECORD, BOF_RECORD = 0x0208, 0x0200, 0x0809


def _check_xls(path: Path, deadline: float) -> None:
    """An .xls workbook's sheets: the rows, columns and area each claims (DIMENSIONS) or uses (its cell and
    row records), walked record by record in its Workbook stream."""
    try:
        with olefile.OleFileIO(str(path)) as ole:
            name = next((n for n in ("Workbook", "Book") if ole.exists(n)), None)
            if name is None:
                raise _unreadable(path, "是 Office 文件，但不是 Excel 工作簿")
            if ole.get_size(name) > MAX_FILE_BYTES:
                raise _too_costly(path, f"工作簿内容超过 {MAX_FILE_BYTES >> 20} MiB；请分成几个文件导入")
            stream = ole.openstream(name).read()
    except OSError as e:
        raise _unreadable(path, f"文件已损坏（{e}）") from None
    rows = columns = 0
    at = 0
    while at + 4 <= len(stream):
        kind, size = struct.unpack_from("<HH", stream, at)
        body = stream[at + 4 : at + 4 + size]
        at += 4 + size
        if kind == BOF_RECORD:
            rows = columns = 0
            if time.monotonic() > deadline:
                raise _too_costly(path, f"检查工作簿用时超过 {CHECK_SECONDS:.0f} 秒；请分成几个文件导入")
        elif kind in _CELL_RECORDS and size >= 4:
            row, column = struct.unpack_from("<HH", body)
            rows, columns = max(rows, row + 1), max(columns, column + 1)
        elif kind in _SPAN_RECORDS and size >= 6:
            rows = max(rows, struct.unpack_from("<H", body)[0] + 1)
            columns = max(columns, struct.unpack_from("<H", body, size - 2)[0] + 1)
        elif kind == ROW_RECORD and size >= 2:
            rows = max(rows, struct.unpack_from("<H", body)[0] + 1)
        elif kind == DIMENSIONS_RECORD and size >= 12:
            _, last_row, _, last_column = struct.unpack_from("<IIHH", body)
            rows, columns = max(rows, last_row), max(columns, last_column)
        else:
            continue
        if rows > MAX_ROWS + 1 or columns > MAX_COLUMNS or rows * columns > MAX_CELLS:
            raise _too_costly(path, _extent_message("工作簿中的一个工作表", rows, columns))


def _extent_message(name: str, rows: int, columns: int) -> str:
    return (
        f"{name}声明或使用了 {rows:,} 行、{columns:,} 列，台账最多 {MAX_ROWS:,} 行、{MAX_COLUMNS} 列"
        f"（共 {MAX_CELLS:,} 个单元格）；请在 Excel 中删去多余的行和列（或把数据复制到新工作簿）后再导入"
    )


def _unpacked_message(unpacked: int) -> str:
    return (
        f"工作簿解压后超过 {unpacked >> 20:,} MiB，上限 {MAX_UNZIPPED_BYTES >> 20} MiB；"
        "请删去多余的工作表、图片和格式，或分成几个文件导入"
    )


def _scan(
    path: Path, archive: zipfile.ZipFile, entry: zipfile.ZipInfo, deadline: float, sheet: bool, before: int
) -> int:
    """Unpack one entry in chunks (never trusting its declared size); for a worksheet, the rows, columns and
    area it claims or uses. The bytes it unpacked to."""
    rows = columns = 0
    tail = b""
    unpacked = 0
    name = entry.filename.rsplit("/", 1)[-1]
    with archive.open(entry) as source:
        while chunk := source.read(CHUNK):
            unpacked += len(chunk)
            if before + unpacked > MAX_UNZIPPED_BYTES:
                raise _too_costly(path, _unpacked_message(before + unpacked))
            if time.monotonic() > deadline:
                raise _too_costly(
                    path, f"检查工作簿用时超过 {CHECK_SECONDS:.0f} 秒；请删去多余的内容或分成几个文件导入"
                )
            if not sheet:
                continue
            text = tail + chunk
            for letters, number in [*DIMENSION.findall(text), *CELL_REF.findall(text)]:
                columns = max(columns, _column_index(letters) if len(letters) <= 3 else 1 << 20)
                rows = max(rows, int(number))
            rows = max([rows, *(int(n) for n in ROW_REF.findall(text))])
            if rows > MAX_ROWS + 1 or columns > MAX_COLUMNS or rows * columns > MAX_CELLS:
                raise _too_costly(path, _extent_message(f"工作表 {name} ", rows, columns))
            tail = text[-256:]
    return unpacked
