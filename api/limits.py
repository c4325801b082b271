"""Limits on what a request may make the service do: the body's size, enforced on the bytes actually received
(with or without Content-Length), and, for an uploaded ledger, what reading it would cost.

A small file can still exhaust the service: a zip bomb (an .xlsx is a zip), or a sheet claiming
A1:XFD1048576, which the reader would fill out to 17 billion cells. `check_upload` looks at the file before
it is read: the zip's entries and their unpacked size, the rows and columns the sheets claim or use, the
lines of a CSV, all within a time limit; a file past a limit answers 413, one that is no such file 422.
"""

from __future__ import annotations

import json
import re
import time
import zipfile
from pathlib import Path

from fastapi import HTTPException, status
from openpyxl.utils import column_index_from_string
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_JSON_BYTES = 1 << 20  # 1 MiB
MAX_UPLOAD_BYTES = 20 << 20  # 20 MiB, ledger files
MAX_ZIP_ENTRIES = 100  # a ledger workbook has about 10
MAX_UNZIPPED_BYTES = 256 << 20  # 256 MiB, all entries of a workbook unpacked
MAX_LEDGER_ROWS = 200_000
MAX_LEDGER_COLUMNS = 256  # a ledger has about 30; a sheet may claim 16,384
UPLOAD_CHECK_SECONDS = 30.0
CHUNK = 1 << 20
# a cell's or a row's reference, and the sheet's claimed size, in the worksheet XML (any namespace prefix)
CELL_REF = re.compile(rb"<(?:\w+:)?c\b[^>]*?\sr=[\"']([A-Z]{1,4})([0-9]{1,9})[\"']")
ROW_REF = re.compile(rb"<(?:\w+:)?row\b[^>]*?\sr=[\"']([0-9]{1,9})[\"']")
DIMENSION = re.compile(
    rb"<(?:\w+:)?dimension\b[^>]*?\sref=[\"'][A-Z]{0,4}[0-9]{0,9}:?([A-Z]{1,4})([0-9]{1,9})[\"']"
)


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """Answer 413 when a request body exceeds the limit for its kind (uploads get the larger one)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = MAX_UPLOAD_BYTES if scope["path"].endswith("/upload") else MAX_JSON_BYTES
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _too_large(send, limit)


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps(
        {"detail": f"body：请求体超过 {limit // 1024} KiB 的上限；请缩小后再发送（台账可分成几个文件上传）"}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _too_costly(message: str) -> HTTPException:
    return HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"file：{message}")


def check_upload(path: Path) -> None:
    """Refuse an uploaded ledger whose reading would cost more than the limits allow (see the module)."""
    deadline = time.monotonic() + UPLOAD_CHECK_SECONDS
    if path.suffix.lower() == ".csv":
        lines = path.read_bytes().count(b"\n")
        if lines > MAX_LEDGER_ROWS + 1:
            raise _too_costly(f"CSV 有 {lines:,} 行，台账最多 {MAX_LEDGER_ROWS:,} 行；请分成几个文件上传")
        return
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ZIP_ENTRIES:
                raise _too_costly(
                    f"工作簿内含 {len(entries):,} 个部件，正常台账不超过 {MAX_ZIP_ENTRIES}；请在 Excel 中另存为新的 .xlsx"
                )
            unpacked = sum(e.file_size for e in entries)
            if unpacked > MAX_UNZIPPED_BYTES:
                raise _too_costly(
                    f"工作簿解压后有 {unpacked >> 20:,} MiB，超过 {MAX_UNZIPPED_BYTES >> 20} MiB 的上限；"
                    "请删去多余的工作表、图片和格式，或分成几个文件上传"
                )
            for entry in entries:
                if entry.filename.startswith("xl/worksheets/") and entry.filename.endswith(".xml"):
                    _check_sheet(archive, entry, deadline)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as e:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"file：不是可读的 .xlsx 工作簿（{e}）；请用 Excel 另存为 .xlsx",
        ) from None


def _check_sheet(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, deadline: float) -> None:
    """The rows and columns a worksheet claims (its dimension) or uses (its cells' references), within the
    limits, scanned in chunks against the deadline."""
    rows = columns = 0
    tail = b""
    with archive.open(entry) as source:
        while chunk := source.read(CHUNK):
            if time.monotonic() > deadline:
                raise _too_costly(
                    f"检查工作簿用时超过 {UPLOAD_CHECK_SECONDS:.0f} 秒；请删去多余的内容或分成几个文件上传"
                )
            text = tail + chunk
            for letters, number in [*DIMENSION.findall(text), *CELL_REF.findall(text)]:
                columns = max(
                    columns, column_index_from_string(letters.decode()) if len(letters) <= 3 else 1 << 20
                )
                rows = max(rows, int(number))
            rows = max([rows, *(int(n) for n in ROW_REF.findall(text))])
            if rows > MAX_LEDGER_ROWS + 1 or columns > MAX_LEDGER_COLUMNS:
                name = entry.filename.rsplit("/", 1)[-1]
                raise _too_costly(
                    f"工作表 {name} 声明或使用了 {rows:,} 行、{columns:,} 列，台账最多 {MAX_LEDGER_ROWS:,} 行、"
                    f"{MAX_LEDGER_COLUMNS} 列；请在 Excel 中删去多余的行和列（或把数据复制到新工作簿）后再上传"
                )
            tail = text[-256:]
