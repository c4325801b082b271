"""Text at the edges: what a person may type into a record, and how text is written into a spreadsheet cell.

Input (`clean_text`, applied to every string field of the domain models):

- zero-width characters (U+200B–U+200D, U+2060, U+FEFF), which pasting from web pages and Word leaves
  behind, are removed silently;
- other invisible characters are refused, naming the field: C0 controls, DEL, C1 controls, and the
  bidirectional controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) that can make a name or a
  line read differently from what it holds. Free-text fields (`MULTILINE`: a line's description) may keep
  tabs and line breaks (CR LF becomes LF); every other field is one line.

Output (`sheet_cell`, `csv_text`, `from_csv_text`, used by every .xlsx and .csv writer): text that a
spreadsheet could run as a formula (starting with = + - @, tab or CR) is written as text: in a workbook as
a string cell with Excel's quote prefix, in a CSV with a leading apostrophe that the CSV reader removes
again, so an exported ledger imports to the same data. Characters a workbook cannot hold (and the
invisible ones above, should old records hold any) are dropped on the way out.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Any

from pydantic_core import PydanticCustomError

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell, WriteOnlyCell

MULTILINE = frozenset({"description"})
ZERO_WIDTH = re.compile("[\u200b-\u200d\u2060\ufeff]")
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
REFUSED = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
REFUSED_MULTILINE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")
UNWRITABLE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}\u200b-\u200d\u2060\ufeff]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def clean_text(value: str, *, multiline: bool = False) -> str:
    """`value` without zero-width characters; PydanticCustomError naming the first refused character."""
    text = ZERO_WIDTH.sub("", value)
    if multiline:
        text = text.replace("\r\n", "\n")
    bad = (REFUSED_MULTILINE if multiline else REFUSED).search(text)
    if bad is not None:
        allowed = "只可保留换行和制表符" if multiline else "此项只能是一行文字"
        raise PydanticCustomError(
            "control_character",
            "含有不可见的控制字符 U+{code}（第 {position} 个字符）；{allowed}，请删去该字符后重新提交",
            {"code": f"{ord(bad.group()):04X}", "position": bad.start() + 1, "allowed": allowed},
        )
    if value and not text.strip():
        raise PydanticCustomError("control_character", "只有不可见字符；请填写实际内容")
    return value if text == value else text  # an unchanged value keeps its type (an enum member stays one)


def writable(text: str) -> str:
    """`text` without the characters a workbook cannot hold or that should never reach one."""
    return UNWRITABLE.sub("", text)


def formula_like(text: str) -> bool:
    """Whether a spreadsheet could read `text` as a formula."""
    return text.startswith(FORMULA_START)


def sheet_cell(cell: Cell | WriteOnlyCell, value: Any) -> Cell | WriteOnlyCell:
    """`cell` holding `value`; text is stored as text (never as a formula), quote-prefixed when formula-like."""
    if not isinstance(value, str):
        cell.value = value
        return cell
    text = writable(value)
    cell.value = text
    cell.data_type = "s"
    if formula_like(text):
        cell.quotePrefix = True
    return cell


def csv_text(text: str) -> str:
    """A CSV cell for `text`: formula-like text (and text already starting with the apostrophe marker)
    gets a leading apostrophe, which `from_csv_text` removes."""
    text = writable(text)
    marked = text[:1] == QUOTE and text[1:2] != "" and text[1:2] in (*FORMULA_START, QUOTE)
    return QUOTE + text if formula_like(text) or marked else text


def from_csv_text(text: str) -> str:
    """The text `csv_text` wrote."""
    if text[:1] == QUOTE and text[1:2] != "" and text[1:2] in (*FORMULA_START, QUOTE):
        return text[1:]
    return text


def display_width(text: str) -> int:
    """Columns `text` takes in a terminal or a cell: East Asian wide characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table_lines(rows: list[list[str]]) -> list[str]:
    """Rows of cells as aligned lines of text, for a terminal."""
    widths = [max(display_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(c + " " * (w - display_width(c)) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
