"""The corpus of real-shaped ledgers (tests/ledger_corpus.py), each with the result an officer expects: what goes
in, what is refused and why, the store unchanged after every refusal, re-imports creating nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from matcher.ledger import FileRefused, LedgerError, export_ledger, import_ledger
from matcher.store import session_scope
from matcher.store.stats import entity_counts
from matcher.store.tables import DemandLineRow, WorkerRow
from tests import ledger_corpus as corpus

ID_NUMBERS = ("530302199003152418", "530326200109071225", "53038119850612564X")


def refused(kind: str, path: Path, url: str) -> LedgerError:
    before = entity_counts(url)
    with pytest.raises(LedgerError) as info:
        import_ledger(kind, path, url)  # type: ignore[arg-type]
    assert entity_counts(url) == before
    return info.value


def test_a_county_demand_ledger_goes_in_as_kept(db_url, tmp_path):
    report = import_ledger("demand", corpus.real_demand(tmp_path / "麒麟区台账.xlsx"), db_url)
    assert report.counts["demand_lines"].created == 3 and report.sheet == "企业用工需求台账"
    notes = "\n".join(report.notes)
    for said in (
        "「填表说明」不是台账",
        "表头在第 3 行",
        "两级表头",
        "合计/小计行",
        "只有序号",
        "填表人",
        "列「备注」",
    ):
        assert said in notes, said
    assert notes.count("合计") == 1
    with session_scope(db_url) as s:
        assert sorted(s.scalars(select(DemandLineRow.wage_min))) == [4000, 4500, 5000]
    again = import_ledger("demand", tmp_path / "麒麟区台账.xlsx", db_url)
    assert again.created == again.updated == 0


def test_wrapped_headers_units_money_and_dates_in_gbk(db_url, tmp_path):
    report = import_ledger("demand", corpus.wrapped_headers_gbk(tmp_path / "d.csv"), db_url)
    assert report.counts["demand_lines"].created == 3
    with session_scope(db_url) as s:
        lines = s.scalars(select(DemandLineRow).order_by(DemandLineRow.id)).all()
        assert [line.wage_min for line in lines] == [4500, 4000, 5000]
        assert {str(line.start_date) for line in lines} == {"2024-03-01", "2024-04-01"}


def test_a_survey_as_villages_write_it(db_url, tmp_path):
    report = import_ledger("workers", corpus.survey_as_written(tmp_path / "村.xlsx"), db_url)
    assert report.counts["workers"].created == 3
    notes = "\n".join(report.notes)
    assert "监测对象" in notes and "沾益县" in notes and "撤县设区" in notes and "联系电话" in notes
    with session_scope(db_url) as s:
        workers = s.scalars(select(WorkerRow).order_by(WorkerRow.id)).all()
        assert [w.id_masked for w in workers] == [
            "5303**********2418",
            "5303**********1225",
            "5303**********564X",
        ]
        assert [w.education for w in workers] == ["junior_middle", "junior_college", "vocational_secondary"]
        assert workers[0].groups == ["poverty_registered"] and workers[2].groups == []
        assert workers[1].residence_region == "530303" and workers[1].hukou_region == "530326"
        assert workers[0].hukou_region == "530302"
    for number in ID_NUMBERS:
        assert number not in str(report)
    with pytest.raises(LedgerError):
        export_ledger("workers", tmp_path / "out.xls", db_url)


def test_survey_faults_say_their_cause_and_never_echo_an_id_number(db_url, tmp_path):
    error = refused("workers", corpus.survey_faults(tmp_path / "w.csv"), db_url)
    text = str(error)
    assert {(e.row, e.column) for e in error.errors} == {(2, "身份证号"), (3, "姓名"), (4, "户口性质")}
    assert "科学计数法" in text and "含有身份证号" in text and "户籍制度改革" in text
    assert all(line.startswith("工作表「w.csv」第 ") for line in text.splitlines())
    for number in ID_NUMBERS:
        assert number[:14] not in text
    rows = corpus.survey_faults(tmp_path / "v.csv").read_text(encoding="utf-8-sig").splitlines()
    rows[1] = rows[1].replace("5.30302E+17", "530302199003152418")
    (tmp_path / "v.csv").write_text("\n".join(rows), encoding="utf-8-sig")
    error = refused("workers", tmp_path / "v.csv", db_url)
    sex = next(e for e in error.errors if e.row == 2)
    assert sex.column == "性别" and "身份证号" in sex.message


@pytest.mark.parametrize("ref", [1.1, 1])
def test_a_code_typed_into_a_number_cell_is_refused_with_the_fix(db_url, tmp_path, ref):
    error = refused("demand", corpus.code_cells(tmp_path / "d.xlsx", ref), db_url)
    assert [(e.row, e.column) for e in error.errors] == [(2, "岗位编号")]
    assert "文本" in error.errors[0].message


def test_a_code_in_a_csv_is_read_as_typed(db_url, tmp_path):
    header, rows = corpus.template("demand")
    rows = [rows[0][:], rows[0][:]]
    rows[0][header.index("岗位编号")], rows[1][header.index("岗位编号")] = "001", "1.10"
    import_ledger("demand", corpus.write_csv(tmp_path / "d.csv", [header, *rows]), db_url)
    with session_scope(db_url) as s:
        assert sorted(s.scalars(select(DemandLineRow.line_ref))) == ["001", "1.10"]


def test_xls_and_an_xls_renamed_xlsx_read_like_the_template(db_url, tmp_path):
    header, rows = corpus.template("demand")
    xls = corpus.write_xls(tmp_path / "d.xls", [header, *rows])
    assert import_ledger("demand", xls, db_url).counts["demand_lines"].created == 3
    shutil.copy(xls, tmp_path / "renamed.xlsx")
    assert import_ledger("demand", tmp_path / "renamed.xlsx", db_url).counts["demand_lines"].unchanged == 3


def test_a_header_that_looks_like_a_column_asks_did_you_mean(db_url, tmp_path):
    header, rows = corpus.template("demand")
    header = ["招骋人数" if h == "招聘人数" else h for h in header]
    error = refused("demand", corpus.write_csv(tmp_path / "d.csv", [header, *rows]), db_url)
    assert any("是不是「招聘人数」" in e.message for e in error.errors)


def test_no_header_is_said_once(db_url, tmp_path):
    error = refused("demand", corpus.write_csv(tmp_path / "d.csv", [["甲", "乙"], ["1", "2"]] * 40), db_url)
    assert len(error.errors) == 1 and "找不到表头" in str(error)


def test_the_fault_list_is_capped_with_a_count_of_the_rest(db_url, tmp_path):
    error = refused("demand", corpus.many_faults(tmp_path / "d.csv", 120), db_url)
    lines = str(error).splitlines()
    assert len(error.errors) == 120 and len(lines) == 51 and "另有 70 处错误" in lines[-1]


def test_low_confidence_titles_are_refused_with_candidates_and_the_codes_chosen_are_reported(
    db_url, tmp_path
):
    header, rows = corpus.template("demand")
    code, title = header.index("职业代码"), header.index("岗位名称")
    rows[0][code], rows[0][title] = "", "储备干部"
    error = refused("demand", corpus.write_csv(tmp_path / "d.csv", [header, rows[0]]), db_url)
    assert error.errors[0].column == "职业代码" and "最接近的是" in error.errors[0].message
    rows[0][title] = "叉车司机"
    report = import_ledger("demand", corpus.write_csv(tmp_path / "e.csv", [header, rows[0]]), db_url)
    assert [(c.row, c.code) for c in report.coded] == [(2, "6-30-05-01")]
    assert "叉车司机" in str(report) and "置信度" in str(report)


def test_hostile_files_are_refused_before_they_are_read(db_url, tmp_path):
    for path in (
        corpus.whole_sheet_claim(tmp_path / "w.xlsx"),
        corpus.zip_bomb(tmp_path / "b.xlsx"),
        corpus.xls_far_corner(tmp_path / "c.xls"),
    ):
        with pytest.raises(FileRefused) as info:
            import_ledger("demand", path, db_url)
        assert info.value.too_large
    assert entity_counts(db_url)["enterprises"] == 0


def test_exports_reimport_to_identical_data(db_url, tmp_path):
    import_ledger("demand", corpus.real_demand(tmp_path / "d.xlsx"), db_url)
    for suffix in (".xlsx", ".csv"):
        export_ledger("demand", tmp_path / f"out{suffix}", db_url)
        report = import_ledger("demand", tmp_path / f"out{suffix}", db_url)
        assert report.created == report.updated == 0
