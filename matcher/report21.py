"""The report of article 二十一 for one month, quarter or year: trainings, completions, certificates,
placements and six-month retention by county, with a total row, from `matcher.reports.progress_report`;
and the same report as a workbook ready to print."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

from matcher.plan.options import plan_counties
from matcher.printing import print_setup
from matcher.reports import Period, progress_report

FIGURES = {
    "trainings": "补贴性培训（人次）",
    "completed": "结业（人次）",
    "certified": "取证（人次）",
    "placed": "就业（人）",
    "retained_6m": "稳定就业六个月（人）",
}
PERIOD_NAMES = {"month": "月报", "quarter": "季报", "year": "年报"}
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
THIN = Side(style="thin", color="808080")


def period_labels(url: str | None, period: Period) -> list[str]:
    """The reporting periods that hold any figure, oldest first (2020, 2020-Q3 or 2020-07)."""
    return sorted({f["period"] for f in progress_report(url, period=period)["figures"]})


def report21(url: str | None, period: Period, label: str) -> dict[str, Any]:
    """One period's figures by county (all ten county-level units, zeros included) and their total."""
    report = progress_report(url, period=period)
    names = plan_counties()
    rows: dict[str, dict[str, Any]] = {
        code: {"code": code, "name": name, **dict.fromkeys(FIGURES, 0)} for code, name in names.items()
    }
    for f in report["figures"]:
        if f["period"] == label and f["county"] in rows:
            for key in FIGURES:
                rows[f["county"]][key] += f[key]
    total = {"code": "", "name": "合计", **{k: sum(r[k] for r in rows.values()) for k in FIGURES}}
    return {
        "period": period,
        "label": label,
        "title": f"曲靖市职业技能提升行动{PERIOD_NAMES[period]}（{label}）",
        "columns": FIGURES,
        "rows": list(rows.values()),
        "total": total,
        "targets": report["targets"],
    }


def write_report21_xlsx(report: dict[str, Any], path: str | Path) -> None:
    """Write `report21(...)` as a one-sheet workbook: title, header, a row per county, the total row."""
    wb = Workbook()
    ws = wb.active
    ws.title = "二十一条报表"
    headers = ["县（市、区）", *report["columns"].values()]
    ws.append([report["title"]])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append(headers)
    for cell in ws[2]:
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in [*report["rows"], report["total"]]:
        ws.append([row["name"], *(row[k] for k in report["columns"])])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for line in ws.iter_rows(min_row=2, max_row=ws.max_row):
        for cell in line:
            cell.border = Border(top=THIN, bottom=THIN, left=THIN, right=THIN)
            if cell.column > 1 and cell.row > 2:
                cell.number_format = "#,##0"
    ws.column_dimensions["A"].width = 22
    for col in "BCDEF":
        ws.column_dimensions[col].width = 18
    ws.freeze_panes = "B3"
    print_setup(ws, "1:2")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
