"""Print set-up of the workbooks the engine writes for a bureau: A4 landscape, one page wide, header rows
repeated on every page."""

from __future__ import annotations

from typing import Any


def print_setup(ws: Any, header_rows: str = "1:1") -> None:
    """Set a sheet (normal or write-only) to print on A4 landscape, fit to width, repeating `header_rows`."""
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = header_rows
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
