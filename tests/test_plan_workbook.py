"""The plan workbook and the article 二十一 report a bureau hands up: 合计 rows, a sheet per county, money in
yuan, Chinese only on the cover, solver figures on the technical sheet, print set-up on every sheet."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from matcher.plan import write_plan_xlsx
from matcher.report21 import period_labels, report21, write_report21_xlsx
from tests.test_plan_pipeline import city, plan  # noqa: F401  (module fixtures: the sample city and its plan)

MONEY = '"¥"#,##0.00'
SOLVER_WORDS = (
    "目标值",
    "上界",
    "差距",
    "求解",
    "拉格朗日",
    "弧",
    "迭代",
    "对偶",
    "lagrangian",
    "objective",
    "bound",
)


@pytest.fixture(scope="module")
def book(plan: dict, tmp_path_factory: pytest.TempPathFactory) -> Any:  # noqa: F811
    out = tmp_path_factory.mktemp("workbook") / "plan.xlsx"
    write_plan_xlsx(plan, out)
    return load_workbook(out)


def table(ws: Worksheet) -> tuple[list[str], list[list[Any]], list[Any]]:
    """A table sheet's header, body rows and 合计 row."""
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[-1][0] == "合计", f"{ws.title} has no 合计 row"
    return rows[0], rows[1:-1], rows[-1]


def column_sum(rows: list[list[Any]], j: int) -> float:
    return sum(r[j] for r in rows if isinstance(r[j], int | float))


def test_every_sheet_prints_on_a4_landscape_with_its_header_repeated(book: Any) -> None:
    for ws in book.worksheets:
        assert (ws.page_setup.orientation, ws.page_setup.paperSize) == ("landscape", 9), ws.title
        assert ws.print_title_rows == "$1:$1", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1, ws.title
        assert ws.page_setup.fitToHeight == 0, ws.title  # as many pages down as it takes
        assert ws.freeze_panes == "A2"
        assert all(isinstance(c.value, str) and c.value for c in ws[1])


def test_cover_sheet_speaks_plain_chinese_and_solver_terms_are_on_the_technical_sheet(
    book: Any,
    plan: dict,  # noqa: F811
) -> None:
    assert book.sheetnames[0] == "总览" and book.sheetnames[-1] == "技术说明"
    cover = {r[0]: r[1] for r in book["总览"].iter_rows(min_row=2, values_only=True)}
    for label, value in cover.items():
        assert not any(w in label for w in SOLVER_WORDS), label
        assert not re.search(r"[A-Za-z]{2,}", label), label
        if isinstance(value, str):
            assert not re.search(r"[A-Za-z]{2,}", value), (label, value)
    assert cover["安排人数"] == plan["totals"]["assigned"]
    assert "曲政办发〔2019〕112号" in cover["政策依据"]
    money_rows = [r for r in book["总览"].iter_rows(min_row=2) if "（元" in str(r[0].value)]
    assert money_rows and all(
        r[1].number_format == MONEY for r in money_rows if isinstance(r[1].value, int | float)
    )
    tech = {r[0]: r[1] for r in book["技术说明"].iter_rows(min_row=2, values_only=True)}
    assert tech["目标值上界"] == pytest.approx(plan["solution"]["bound"])
    assert tech["求解方法"] != plan["solution"]["method"] and re.search(r"[\u4e00-\u9fff]", tech["求解方法"])
    assert all(re.search(r"[\u4e00-\u9fff]", label) for label in tech)


def test_a_sheet_per_county_and_the_county_summary_add_up_to_the_plan(book: Any, plan: dict) -> None:  # noqa: F811
    t = plan["totals"]
    counties = {w["county"]["name"] for w in plan["workers"]} | {c["county"]["name"] for c in plan["classes"]}
    assert counties <= set(book.sheetnames)
    header, rows, total = table(book["分县汇总"])
    assert len(rows) == len(counties)
    for j in range(1, len(header)):
        assert total[j] == pytest.approx(column_sum(rows, j)), header[j]
    figures = dict(zip(header, total, strict=True))
    assert figures["安排人数"] == t["assigned"] == len(plan["workers"])
    assert (figures["市内直接就业"], figures["定向输送"], figures["培训后就业"]) == (
        t["direct"],
        t["outbound"],
        t["trainees"],
    )
    assert (figures["本县开班数"], figures["本县开班人数"]) == (t["classes"], t["trainees"])
    assert figures["培训费用（元）"] == t["training_cost"]
    assert figures["补贴（元）"] == pytest.approx(t["subsidies"])
    assert figures["学员自付（元）"] == t["trainees_pay"]
    assert figures["企业承担（元）"] == t["enterprises_pay"]
    assert all(c.number_format == MONEY for c in book["分县汇总"][book["分县汇总"].max_row][7:])

    by_county = dict(zip((r[0] for r in rows), rows, strict=True))
    for name in counties:
        head, units, county_total = table(book[name])
        people = head.index("人数")
        assert county_total[people] == column_sum(units, people)
        residents = [w for w in plan["workers"] if w["county"]["name"] == name]
        assert county_total[people] == len(residents)
        summary = next(r for label, r in by_county.items() if label.startswith(name + "（"))
        assert summary[1] == len(residents)
        subsidy = head.index("补贴（元）")
        assert (county_total[subsidy] or 0) == pytest.approx(column_sum(units, subsidy))
        assert (county_total[subsidy] or 0) == pytest.approx(
            sum(w["subsidy"]["total"] for w in residents if "subsidy" in w)
        )
        trained = [u for u in units if u[0] == "培训后就业"]
        assert sum(u[people] for u in trained) == sum(w["assignment"] == "training" for w in residents)


def test_table_sheets_end_with_a_total_row_and_money_is_formatted(book: Any, plan: dict) -> None:  # noqa: F811
    t = plan["totals"]
    header, rows, total = table(book["开班计划"])
    assert len(rows) == len(plan["classes"])
    assert total[header.index("开班人数")] == t["trainees"] == column_sum(rows, header.index("开班人数"))
    assert total[header.index("费用合计（元）")] == t["training_cost"]
    assert total[header.index("补贴合计（元）")] == pytest.approx(t["subsidies"])
    header, rows, total = table(book["人员安排"])
    assert len(rows) == len(plan["workers"])
    paying = header.index("本人自付（元）")
    assert total[paying] == t["trainees_pay"] == column_sum(rows, paying)
    ws = book["人员安排"]
    assert all(
        r[paying].number_format == MONEY for r in ws.iter_rows(min_row=2) if isinstance(r[paying].value, int)
    )
    header, rows, total = table(book["补贴"])
    assert total[header.index("金额（元）")] == pytest.approx(t["subsidies"])
    header, rows, total = table(book["未满足需求"])
    assert total[header.index("未满足")] == t["unmet_headcount"]
    for name, part in (("直接就业", "direct"), ("定向输送", "outbound")):
        header, rows, total = table(book[name])
        assert len(rows) == len(plan["placements"][part])
        assert total[header.index("直接安排")] == sum(p["direct"] for p in plan["placements"][part])
    for ws in book.worksheets:
        last = ws[ws.max_row]
        if last[0].value == "合计":
            assert last[0].font.b
            heads = [c.value for c in ws[1]]
            for cell, head in zip(last, heads, strict=True):
                if "（元" in head and cell.value is not None:
                    assert cell.number_format == MONEY, (ws.title, head)


def test_workbook_refuses_a_partial_result_and_another_suffix_in_chinese(plan: dict, tmp_path: Path) -> None:  # noqa: F811
    with pytest.raises(ValueError, match="缺少「classes」"):
        write_plan_xlsx({k: v for k, v in plan.items() if k != "classes"}, tmp_path / "bad.xlsx")
    with pytest.raises(ValueError, match=r"\.xlsx"):
        write_plan_xlsx(plan, tmp_path / "plan.csv")


def test_report21_workbook_prints_and_totals(city: tuple[str, Path], tmp_path: Path) -> None:  # noqa: F811
    url, _ = city
    label = period_labels(url, "year")[-1]
    report = report21(url, "year", label)
    out = tmp_path / "r21.xlsx"
    write_report21_xlsx(report, out)
    ws = load_workbook(out).active
    assert (ws.page_setup.orientation, ws.page_setup.paperSize, ws.print_title_rows) == (
        "landscape",
        9,
        "$1:$2",
    )
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert ws["A1"].value == report["title"] and label in ws["A1"].value
    body = [list(r) for r in ws.iter_rows(min_row=3, values_only=True)]
    assert len(body) == len(report["rows"]) + 1 and body[-1][0] == "合计"
    sums = [sum(r[j] for r in body[:-1]) for j in range(1, len(body[0]))]
    assert body[-1][1:] == sums and sums[0] > 0
    assert ws[ws.max_row][0].font.b


def test_matcher_plan_prints_the_cover_in_chinese(
    city: tuple[str, Path],  # noqa: F811
    plan: dict,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from matcher.cli import app
    from matcher.config import settings

    url, models = city
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MATCHER_MODELS_DIR", str(models))
    settings.cache_clear()
    try:
        args = ["plan", "--budget", "120000", "--min-class-size", "5", "--priority-weight", "poverty_registered=2"]
        run = CliRunner().invoke(app, args)
    finally:
        monkeypatch.undo()
        settings.cache_clear()
    assert run.exit_code == 0, run.output
    printed = dict(re.split(r"\s{2,}", line, maxsplit=1) for line in run.stdout.splitlines() if "  " in line)
    assert printed["安排人数"] == str(plan["totals"]["assigned"])
    assert printed["开班数"] == str(plan["totals"]["classes"])
    figures = "".join(f"{k}{v}" for k, v in printed.items() if k != "说明")  # 说明 points to 技术说明
    assert not [word for word in SOLVER_WORDS if word in figures.lower()], run.stdout
