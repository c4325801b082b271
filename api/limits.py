"""Limits on what a request may make the service do: the body's size, enforced on the bytes actually received
(with or without Content-Length), and, for an uploaded ledger, what reading it would cost.

A small file can still exhaust the service: a zip bomb (an .xlsx is a zip), or a sheet claiming
A1:XFD1048576. `check_upload` has `matcher.ledger.guard` look at the file before it is read (the zip's
entries and their unpacked size, the rows, columns and cells the sheets claim or use, the lines of a CSV,
all within a time limit); a file past a limit answers 413, one that is no such file 422.
"""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import HTTPException, status
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from matcher.ledger.guard import MAX_FILE_BYTES, MAX_UNZIPPED_BYTES, FileRefused, check_file

__all__ = ["MAX_UNZIPPED_BYTES", "BodySizeLimit", "check_upload"]

MAX_JSON_BYTES = 1 << 20  # 1 MiB
MAX_UPLOAD_BYTES = MAX_FILE_BYTES  # 20 MiB, ledger files


class BodySizeLimit:
    """Answer 413 when a request body exceeds the limit for its kind (uploads get the larger one).

    A body sent without Content-Length is counted as it arrives: past the limit the 413 is sent at once and
    the application is told the client left, so nothing it answers after reaches the client.
    """

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
        refused = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not started:
                        await _too_large(send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counting_receive, tracking_send)


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps(
        {"detail": f"body：请求体超过 {limit // 1024} KiB 的上限；请缩小后再发送（台账可分成几个文件上传）"},
        ensure_ascii=False,
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def check_upload(path: Path) -> str:
    """The format of an uploaded ledger, once reading it is known to stay within the limits
    (`matcher.ledger.guard`); 413 past a limit, 422 for a file that is no ledger."""
    try:
        return check_file(path)
    except FileRefused as e:
        code = status.HTTP_413_CONTENT_TOO_LARGE if e.too_large else status.HTTP_422_UNPROCESSABLE_CONTENT
        raise HTTPException(code, f"file：{e.errors[0].message}") from None
