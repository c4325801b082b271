"""Bureau ledgers in Excel: import demand, worker-survey and training-catalogue files, and export them again.

A file is checked whole before anything is written: one bad row refuses the file, and the error names
every bad row and column. Importing the same file twice changes nothing (rows are matched on their natural
keys). The columns are documented in `data/templates/README.md`.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Literal

from matcher.ledger import demand, programmes, templates, workers
from matcher.ledger.guard import FileRefused
from matcher.ledger.report import Coded, Counts, ImportReport, LedgerError, RowError
from matcher.ledger.schema import layout, noted
from matcher.ledger.table import read_sheet, write_sheet
from matcher.store import session_scope

__all__ = [
    "Coded",
    "Counts",
    "FileRefused",
    "ImportReport",
    "LedgerError",
    "RowError",
    "Kind",
    "import_ledger",
    "export_ledger",
    "write_template",
    "columns",
]

Kind = Literal["demand", "workers", "programmes"]
_KINDS: dict[str, ModuleType] = {"demand": demand, "workers": workers, "programmes": programmes}


def _kind(kind: str) -> ModuleType:
    try:
        return _KINDS[kind]
    except KeyError:
        raise ValueError(f"台账种类须为 demand、workers 或 programmes，收到 {kind!r}") from None


def columns(kind: Kind) -> list[str]:
    """The headers of a ledger kind as exported and in the templates, in file order."""
    return [c.header for c in _kind(kind).COLUMNS if c.part != "check"]


def import_ledger(
    kind: Kind,
    path: str | Path,
    url: str | None = None,
    *,
    enterprise: str | None = None,
    county: str | None = None,
) -> ImportReport:
    """Import a ledger file (.xlsx, .xls, .ods or .csv) into the store at `url`, all rows or none.

    `enterprise` (a credit code) admits only that enterprise's demand lines, `county` only workers living
    there: the limits of an upload by an enterprise or a counselor. LedgerError (FileRefused for a file
    that cannot or may not be read) lists every bad row, column and fault in Chinese; nothing is written then.
    """
    module, path = _kind(kind), Path(path)
    sheet = read_sheet(path, layout(kind, module.COLUMNS))
    if sheet.problems and not sheet.headers:
        raise LedgerError(str(path), sheet.problems, sheet=sheet.name)
    with session_scope(url) as session:
        plan, errors = module.check(sheet, session)
        if enterprise is not None:
            errors += demand.outside_enterprise(sheet, enterprise)
        if county is not None:
            errors += workers.outside_county(sheet, county, session)
        if errors:
            raise LedgerError(str(path), errors, sheet=sheet.name)
        counts = module.write(plan, session)
    return ImportReport(
        kind,
        str(path),
        counts,
        sheet=sheet.name,
        notes=(*sheet.notes, *noted(plan.notes)),
        coded=tuple(getattr(plan, "coded", ())),
    )


def write_template(kind: Kind, source: str | Path, path: str | Path) -> None:
    """Write the .xlsx template of a ledger kind, its example rows taken from the CSV template `source`."""
    import csv

    module = _kind(kind)
    with open(source, encoding="utf-8-sig", newline="") as f:
        header, *rows = csv.reader(f)
    columns = [c for c in module.COLUMNS if c.part != "check"]
    if header != [c.header for c in columns]:
        raise ValueError(f"{source}: the header is not the {kind} ledger's")
    templates.write_template(Path(path), module.TITLE, columns, rows)


def export_ledger(kind: Kind, path: str | Path, url: str | None = None) -> int:
    """Write the stored ledger of this kind to an .xlsx or .csv file with the import's columns; the number of rows.

    Demand and programme exports import again unchanged; a worker export shows masked ID numbers only.
    """
    module, path = _kind(kind), Path(path)
    with session_scope(url) as session:
        rows = module.export(session)
    write_sheet(path, module.TITLE, module.EXPORT_HEADERS, rows, module.EXPORT_TEXT)
    return len(rows)
