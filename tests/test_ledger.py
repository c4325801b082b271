"""Ledger import and export: templates import cleanly, bad files are refused whole, imports are idempotent."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from matcher.ledger import Kind, LedgerError, columns, demand, export_ledger, import_ledger, write_template
from matcher.ledger.cells import (
    read_bool,
    read_code_text,
    read_date,
    read_int,
    read_list,
    read_special_operation,
    resolve_region,
)
from matcher.ledger.schema import layout
from matcher.ledger.table import read_sheet
from matcher.store import session_scope
from matcher.store.stats import entity_counts
from matcher.store.tables import DemandLineRow, EnterpriseRow, WorkerRow

TEMPLATES = Path(__file__).resolve().parent.parent / "data" / "templates"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ledger"
KINDS: tuple[Kind, ...] = ("demand", "workers", "programmes")
TEMPLATE_ID = "530302199003152418"  # the first worker of the workers template (made up)


def rows_of(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8-sig") -> Path:
    with open(path, "w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def faults(error: LedgerError) -> set[tuple[int | None, str]]:
    return {(e.row, e.column) for e in error.errors}


def import_templates(url: str, suffix: str = ".csv") -> None:
    for kind in KINDS:
        import_ledger(kind, TEMPLATES / f"{kind}{suffix}", url)


# --- good files ---------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_templates_import_and_reimport_creates_nothing(db_url, suffix):
    first = {kind: import_ledger(kind, TEMPLATES / f"{kind}{suffix}", db_url) for kind in KINDS}
    assert {e: c.created for r in first.values() for e, c in r.counts.items()} == {
        "enterprises": 2,
        "demand_lines": 3,
        "workers": 3,
        "institutions": 2,
        "programmes": 3,
    }
    counts = entity_counts(db_url)
    again = [import_ledger(kind, TEMPLATES / f"{kind}{suffix}", db_url) for kind in KINDS]
    assert all(r.created == 0 and r.updated == 0 for r in again)
    assert sum(c.unchanged for r in again for c in r.counts.values()) == 13
    assert entity_counts(db_url) == counts


def test_xlsx_and_csv_templates_hold_the_same_ledger(db_url):
    import_templates(db_url, ".xlsx")
    for kind in KINDS:
        assert rows_of(TEMPLATES / f"{kind}.csv")[0] == columns(kind)
        report = import_ledger(kind, TEMPLATES / f"{kind}.csv", db_url)
        assert report.created == 0 and report.updated == 0, kind


def test_stored_values_follow_the_cells(db_url):
    import_templates(db_url)
    with session_scope(db_url) as s:
        chem = s.scalar(select(EnterpriseRow).where(EnterpriseRow.credit_code == "91530303MA6N2K8Q1F"))
        assert (chem.industry, chem.region, chem.size, chem.high_risk_sector, chem.insured) == (
            "C",
            "530303",
            "medium",
            "chemicals",
            True,
        )
        welder = s.scalar(select(DemandLineRow).where(DemandLineRow.line_ref == "2024-001"))
        assert welder.required_level == 4 and welder.required_certificates == ["2.1"]
        assert (welder.start_date, welder.accepts_order_training) == (date(2024, 3, 1), True)
        outbound = s.scalar(select(DemandLineRow).where(DemandLineRow.line_ref == "SZ-2024-01"))
        assert outbound.work_region == "440306"
        w = s.scalar(select(WorkerRow).where(WorkerRow.name == "王示例"))
        assert (w.id_masked, w.birth_date, w.sex, w.county) == (
            "5303**********2418",
            date(1990, 3, 15),
            "M",
            "530302",
        )
        assert w.certificates[1] == {
            "kind": "special_operation",
            "occupation_code": None,
            "level": None,
            "special_operation": "2.1",
            "issued_on": "2021-07-15",
        }
        assert w.work_history[0]["region"] == "440300" and w.work_history[0]["start"] == "2015-03-01"
        assert w.work_history[1]["end"] == "2023-10-01"
        assert w.intentions["occupations"] == ["6-18-02-04", "6-31-01-03"]
        assert w.groups == ["poverty_registered", "rural_transfer"]
        assert w.subsidised_trainings == [
            {"year": 2021, "occupation_code": "6-18-02-04", "level": 5, "project_id": "QL2021-015"}
        ]


@pytest.mark.parametrize("kind", ["demand", "programmes"])
@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_export_reimports_unchanged(db_url, tmp_path, kind, suffix):
    import_templates(db_url)
    path = tmp_path / f"out{suffix}"
    assert export_ledger(kind, path, db_url) == 3
    report = import_ledger(kind, path, db_url)
    assert report.created == 0 and report.updated == 0
    assert sum(c.unchanged for c in report.counts.values()) == 5


def test_changed_row_updates_and_others_stay(db_url, tmp_path):
    import_templates(db_url)
    rows = rows_of(TEMPLATES / "demand.csv")
    rows[1][rows[0].index("最高月薪")] = "7000"
    report = import_ledger("demand", write_csv(tmp_path / "d.csv", rows), db_url)
    lines = report.counts["demand_lines"]
    assert (lines.created, lines.updated, lines.unchanged) == (0, 1, 2)
    assert report.counts["enterprises"].unchanged == 2
    with session_scope(db_url) as s:
        assert s.scalar(select(DemandLineRow.wage_max).where(DemandLineRow.line_ref == "2024-001")) == 7000


def test_blank_occupation_code_is_coded_from_the_title(db_url, tmp_path):
    rows = rows_of(TEMPLATES / "demand.csv")[:2]
    rows[1][rows[0].index("职业代码")] = ""
    rows[1][rows[0].index("岗位名称")] = "电焊工"
    import_ledger("demand", write_csv(tmp_path / "d.csv", rows), db_url)
    with session_scope(db_url) as s:
        assert s.scalar(select(DemandLineRow.occupation_code)) == "6-18-02-04"


def test_a_title_that_cannot_be_coded_is_an_error(db_url, tmp_path):
    rows = rows_of(TEMPLATES / "demand.csv")[:2]
    rows[1][rows[0].index("职业代码")] = ""
    rows[1][rows[0].index("岗位名称")] = "qwerty"
    with pytest.raises(LedgerError) as info:
        import_ledger("demand", write_csv(tmp_path / "d.csv", rows), db_url)
    assert faults(info.value) == {(2, "职业代码")}
    assert "qwerty" in str(info.value)


def test_gb18030_csv_imports(db_url, tmp_path):
    path = write_csv(tmp_path / "gbk.csv", rows_of(TEMPLATES / "demand.csv"), encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    assert import_ledger("demand", path, db_url).counts["demand_lines"].created == 3
    with session_scope(db_url) as s:
        assert "曲靖示例煤化工有限公司" in s.scalars(select(EnterpriseRow.name)).all()


def test_xlsx_cells_of_every_type_and_blank_rows_keep_excel_row_numbers(db_url, tmp_path):
    header = rows_of(TEMPLATES / "demand.csv")[0]
    good = dict(zip(header, rows_of(TEMPLATES / "demand.csv")[1], strict=True))
    typed = {
        **good,
        "招聘人数": 5,
        "最低月薪": 4500.0,
        "开始日期": datetime(2024, 3, 1),
        "结束日期": "2024年12月31日",
        "接受订单培训": 1,
        "企业所在地": 530303,
        "岗位编号": "7",
    }
    bad = {**good, "岗位编号": "8", "招聘人数": 0}
    rows: list[list[object]] = [
        header,
        [typed[h] for h in header],
        [],
        [None] * len(header),
        [bad[h] for h in header],
    ]
    path = write_xlsx(tmp_path / "d.xlsx", rows)
    with pytest.raises(LedgerError) as info:
        import_ledger("demand", path, db_url)
    assert faults(info.value) == {(5, "招聘人数")}
    del rows[-1]
    import_ledger("demand", write_xlsx(tmp_path / "d2.xlsx", rows), db_url)
    with session_scope(db_url) as s:
        line = s.scalar(select(DemandLineRow))
        assert (line.line_ref, line.headcount, line.wage_min, line.end_date) == (
            "7",
            5,
            4500,
            date(2024, 12, 31),
        )


def test_a_stored_enterprise_may_be_referred_to_by_its_code_alone(db_url, tmp_path):
    import_templates(db_url)
    header = rows_of(TEMPLATES / "demand.csv")[0]
    row = dict.fromkeys(header, "") | {
        "统一社会信用代码": "91530303MA6N2K8Q1F",
        "岗位编号": "2024-009",
        "职业代码": "4-02-07-08",
        "岗位名称": "快递员",
        "招聘人数": "2",
        "最低月薪": "3000",
        "最高月薪": "4000",
        "工作地点": "沾益区",
        "开始日期": "2024/3/1",
        "结束日期": "2024/6/30",
    }
    report = import_ledger(
        "demand", write_csv(tmp_path / "d.csv", [header, [row[h] for h in header]]), db_url
    )
    assert report.counts["enterprises"].unchanged == 1 and report.counts["demand_lines"].created == 1
    row["统一社会信用代码"] = "91530302MA6Q9B1J4X"  # valid, but in neither the store nor the file
    with pytest.raises(LedgerError) as info:
        import_ledger("demand", write_csv(tmp_path / "e.csv", [header, [row[h] for h in header]]), db_url)
    assert faults(info.value) == {(2, "企业名称")}


# --- bad files ----------------------------------------------------------------------------


def test_bad_demand_file_is_refused_whole_naming_every_bad_row(db_url):
    import_templates(db_url)
    before = entity_counts(db_url)
    with pytest.raises(LedgerError) as info:
        import_ledger("demand", FIXTURES / "demand_bad.csv", db_url)
    assert faults(info.value) == {
        (3, "统一社会信用代码"),  # check character
        (4, "职业代码"),  # 6-99-99-99
        (5, "招聘人数"),  # 0
        (6, "最高月薪"),  # below 最低月薪
        (7, "岗位描述"),  # 限男性
        (8, "工作地点"),  # 东山镇 is in 麒麟区 and in 宣威市
        (9, "岗位编号"),  # repeats row 2's key
    }
    text = str(info.value)
    assert (
        "工作表「demand_bad.csv」第 3 行 统一社会信用代码：统一社会信用代码的校验位不对（GB 32100）" in text
    )
    assert "最高月薪 4000 低于最低月薪 5000" in text and "就业促进法" in text
    assert "麒麟区东山镇" in text and "宣威市东山镇" in text
    assert len(text.splitlines()) == 7
    assert entity_counts(db_url) == before


def test_missing_columns_are_errors_and_a_remarks_column_is_left_out(db_url):
    with pytest.raises(LedgerError) as info:
        import_ledger("demand", FIXTURES / "demand_columns.csv", db_url)
    assert faults(info.value) == {(1, "招聘人数")}
    assert "缺少这一必填列" in str(info.value)
    assert entity_counts(db_url)["enterprises"] == 0


def test_repeated_header_and_headerless_data_are_errors(db_url, tmp_path):
    rows = rows_of(TEMPLATES / "demand.csv")
    rows[0].append("岗位描述")
    rows[1] += ["x", "stray"]
    with pytest.raises(LedgerError) as info:
        import_ledger("demand", write_csv(tmp_path / "d.csv", rows), db_url)
    assert faults(info.value) == {(1, "岗位描述"), (2, "V 列")}


def test_bad_worker_file_never_shows_an_id_number(db_url):
    with pytest.raises(LedgerError) as info:
        import_ledger("workers", FIXTURES / "workers_bad.csv", db_url)
    assert faults(info.value) == {
        (3, "身份证号"),  # check digit
        (4, "常住地"),  # an ID number typed as the residence
        (5, "持有证书"),
        (5, "失业登记日期"),
        (6, "常住地"),
        (6, "身份证号"),  # ambiguous 东山镇; the same person as row 2
    }
    text = str(info.value)
    for number in (TEMPLATE_ID, "530302199003152417"):
        assert number[:17] not in text
    assert "第 4 行 常住地：含有身份证号" in text
    assert "第 5 行 失业登记日期：填了失业登记日期，但就业状态不是“失业”" in text
    assert entity_counts(db_url)["workers"] == 0


def test_id_number_typed_as_a_number_is_refused(db_url, tmp_path):
    rows: list[list[object]] = list(rows_of(TEMPLATES / "workers.csv")[:2])
    rows[1][0] = 530302199003152418
    with pytest.raises(LedgerError) as info:
        import_ledger("workers", write_xlsx(tmp_path / "w.xlsx", rows), db_url)
    assert faults(info.value) == {(2, "身份证号")}
    assert "前 15 位" in str(info.value) and "53030219900315" not in str(info.value)


def test_bad_programme_file(db_url):
    with pytest.raises(LedgerError) as info:
        import_ledger("programmes", FIXTURES / "programmes_bad.csv", db_url)
    assert faults(info.value) == {
        (2, "订单企业信用代码"),  # not in the store
        (3, "特种作业项目"),  # special-operation certificate without its item
        (4, "机构类型"),  # disagrees with row 2 about the institution
        (5, "订单企业信用代码"),  # order-based without the enterprise
        (5, "机构名称"),  # an institution neither described nor stored
    }
    assert entity_counts(db_url)["institutions"] == 0


def test_files_that_are_not_ledgers(db_url, tmp_path):
    with pytest.raises(LedgerError, match=r"\.xlsx、\.xls 或 \.csv"):
        import_ledger("demand", write_csv(tmp_path / "d.txt", [["a"]]), db_url)
    (tmp_path / "bad.xlsx").write_bytes(b"not a workbook")
    with pytest.raises(LedgerError, match="内容却不是 Excel 工作簿"):
        import_ledger("demand", tmp_path / "bad.xlsx", db_url)
    with pytest.raises(ValueError, match="台账种类"):
        import_ledger("plans", TEMPLATES / "demand.csv", db_url)  # type: ignore[arg-type]


# --- export -------------------------------------------------------------------------------


def test_worker_export_is_a_masked_report_that_cannot_be_imported(db_url, tmp_path):
    import_templates(db_url)
    path = tmp_path / "w.csv"
    assert export_ledger("workers", path, db_url) == 3
    text = path.read_text(encoding="utf-8-sig")
    assert TEMPLATE_ID[:17] not in text and "5303**********2418" in text
    rows = rows_of(path)
    assert rows[0][0] == "身份证号(脱敏)" and rows[0][1:] == columns("workers")[1:]
    assert rows[1][rows[0].index("意向职业")] == "焊工、电工"
    with pytest.raises(LedgerError) as info:
        import_ledger("workers", path, db_url)
    assert faults(info.value) == {(1, "身份证号(脱敏)")}


def test_xlsx_export_keeps_code_columns_as_text(db_url, tmp_path):
    import_templates(db_url)
    path = tmp_path / "d.xlsx"
    export_ledger("demand", path, db_url)
    sheet = openpyxl.load_workbook(path).worksheets[0]
    header = [c.value for c in sheet[1]]
    code = sheet.cell(row=2, column=header.index("统一社会信用代码") + 1)
    start = sheet.cell(row=2, column=header.index("开始日期") + 1)
    assert code.number_format == "@" and isinstance(start.value, datetime)
    assert read_sheet(path, layout("demand", demand.COLUMNS)).headers == columns("demand")


# --- cells --------------------------------------------------------------------------------


def test_region_names():
    assert resolve_region("麒麟区") == "530302"
    assert resolve_region("530302102") == resolve_region("越州镇") == "530302102"
    assert resolve_region("经开区") == resolve_region("曲靖经济技术开发区") == "530302-QJETDZ"
    assert resolve_region("深圳市") == resolve_region("广东省深圳市") == "440300"
    assert resolve_region("宣威市东山镇") == resolve_region("曲靖市宣威市东山镇") == "530381114"
    assert resolve_region("北京市朝阳区") == "110105"
    assert resolve_region("嘉峪关市") == "620200"  # the city, not its one county of the same name
    with pytest.raises(ValueError, match="多个同名地区.*110105.*220104"):
        resolve_region("朝阳区")
    with pytest.raises(ValueError, match="不是已知的地区"):
        resolve_region("广东省麒麟区")


def test_cell_readers():
    assert read_date("2024-03-01") == read_date("2024/3/1") == read_date("2024年3月1日") == date(2024, 3, 1)
    assert read_date(datetime(2024, 3, 1, 0, 0)) == date(2024, 3, 1)
    assert read_date("2019-12", month_ok=True) == date(2019, 12, 1)
    with pytest.raises(ValueError, match="不是有效日期"):
        read_date("2024-02-30")
    with pytest.raises(ValueError, match="不是日期"):
        read_date("2019-12")
    assert [read_bool(v) for v in ("是", "否", "Y", "n", 1, 0, "TRUE", "false")] == [True, False] * 4
    with pytest.raises(ValueError, match="应填 是 或 否"):
        read_bool("可以")
    assert read_int("3,000元") == read_int(3000.0) == 3000
    with pytest.raises(ValueError, match="应填整数"):
        read_int(3000.5)
    with pytest.raises(ValueError, match="数字单元格"):
        read_code_text(530302199003152418)
    specials = read_list(read_special_operation, names_with_separators=True)
    assert specials("2.1、高处安装、维护、拆除作业;低压电工作业") == ["2.1", "3.2", "1.2"]
    assert read_special_operation(2.1) == "2.1"
    with pytest.raises(ValueError, match="末尾的 0"):
        read_special_operation(5.1)
    with pytest.raises(ValueError, match="第 2 项：「9.99」不是特种作业目录中的项目"):
        specials("2.1、9.99")


def test_workers_ethnicity_column_is_optional_read_by_name_or_code_and_shown_by_name(db_url, tmp_path):
    rows = rows_of(TEMPLATES / "workers.csv")
    col = rows[0].index("民族")
    import_ledger("workers", write_csv(tmp_path / "w.csv", rows), db_url)
    with session_scope(db_url) as s:
        assert sorted(s.scalars(select(WorkerRow.ethnicity))) == ["01", "03", "07"]
    coded = [r[:col] + ["07" if i else r[col]] + r[col + 1 :] for i, r in enumerate(rows)]
    import_ledger(
        "workers",
        write_xlsx(tmp_path / "w.xlsx", [coded[0], [*coded[1][:col], 7, *coded[1][col + 1 :]]]),
        db_url,
    )
    with session_scope(db_url) as s:
        assert s.scalar(select(WorkerRow.ethnicity).where(WorkerRow.name == rows[1][1])) == "07"
    export_ledger("workers", tmp_path / "out.csv", db_url)
    assert rows_of(tmp_path / "out.csv")[1][col] == "彝族"
    without = [r[:col] + r[col + 1 :] for r in rows]
    import_ledger("workers", write_csv(tmp_path / "none.csv", without), db_url)
    bad = [r[:col] + (["火星族"] if i == 1 else [r[col]]) + r[col + 1 :] for i, r in enumerate(rows)]
    with pytest.raises(LedgerError) as info:
        import_ledger("workers", write_csv(tmp_path / "bad.csv", bad), db_url)
    assert any(row == 2 and header == "民族" for row, header in faults(info.value))
    assert "民族" in str(info.value)


@pytest.mark.parametrize("kind", KINDS)
def test_templates_guide_whoever_fills_them_in(kind, tmp_path):
    path = tmp_path / f"{kind}.xlsx"
    write_template(kind, TEMPLATES / f"{kind}.csv", path)
    book = openpyxl.load_workbook(path)
    assert openpyxl.load_workbook(TEMPLATES / f"{kind}.xlsx").sheetnames == book.sheetnames
    guide, sheet = book["填表说明"], book.worksheets[1]
    assert "填表说明" in guide["A1"].value and book.active == sheet
    assert sheet.freeze_panes == "A2" and book["选项"].sheet_state == "hidden"
    header = [str(c.value).rstrip("*") for c in sheet[1]]
    assert header == columns(kind)
    coded = {str(sheet.cell(1, 1 + header.index(h)).column_letter) for h in header}
    lists = {
        str(rule.sqref).split(":")[0].rstrip("0123456789") for rule in sheet.data_validations.dataValidation
    }
    assert lists and lists <= coded
    key = {"demand": "统一社会信用代码", "workers": "身份证号", "programmes": "项目编号"}[kind]
    assert sheet.cell(2, 1 + header.index(key)).number_format == "@"
    assert sheet.max_row >= 2  # example rows
