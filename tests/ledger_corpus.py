"""Real-shaped ledger files, as bureaus and enterprises fill them in, written from the templates' rows.

Every writer returns the path of a file holding one shape the importer must read (or refuse with a given
cause). The rows are the templates' own, so what each file should import to is known.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import xlwt

TEMPLATES = Path(__file__).resolve().parent.parent / "data" / "templates"


def template(kind: str) -> tuple[list[str], list[list[str]]]:
    with open(TEMPLATES / f"{kind}.csv", encoding="utf-8-sig", newline="") as f:
        header, *rows = csv.reader(f)
    return header, rows


def write_csv(path: Path, rows: list[list[object]], encoding: str = "utf-8-sig") -> Path:
    with open(path, "w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows([["" if v is None else v for v in row] for row in rows])
    return path


def write_xlsx(
    path: Path, sheets: dict[str, list[list[object]]], merged: dict[str, list[str]] | None = None
) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        for cells in (merged or {}).get(name, []):
            sheet.merge_cells(cells)
    book.save(path)
    return path


def write_xls(path: Path, rows: list[list[object]]) -> Path:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("台账")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value not in (None, ""):
                sheet.write(r, c, value)
    book.save(str(path))
    return path


def real_demand(path: Path) -> Path:
    """企业用工需求台账 as a county keeps it: a 填表说明 sheet first, then a merged title, 填报单位/日期 lines,
    序号, a two-level wage header (薪资待遇 over 最低/最高), header names of everyday use, a 备注 column,
    pre-numbered empty rows and a 合计 row."""
    header, rows = template("demand")
    names = {"招聘人数": "招聘人数（人）", "岗位名称": "工种", "所属行业": "行业", "开始日期": "招聘开始日期"}
    top = ["序号"] + [names.get(h, h) for h in header] + ["备注"]
    wage = top.index("最低月薪")
    top[wage], top[wage + 1] = "薪资待遇（元/月）", None
    sub = [None] * len(top)
    sub[wage], sub[wage + 1] = "最低", "最高"
    data = [[n, *row, "长期招聘" if n == 1 else None] for n, row in enumerate(rows, start=1)]
    sheet = [
        ["曲靖市麒麟区2024年企业用工需求台账"],
        ["填报单位：麒麟区人力资源和社会保障局", None, None, None, None, None, "填报日期：2024年3月1日"],
        top,
        sub,
        *data,
        [4],
        [5],
        ["合计", None, None, None, None, None, None, None, None, None, None, None, None, 28],
        ["填表人：张三", None, None, "审核人：李四"],
    ]
    guide = [["填表说明"], ["1. 每个岗位填一行"], ["2. 代码列请设为文本格式"]]
    last = openpyxl.utils.get_column_letter(len(top))
    wage_letter = openpyxl.utils.get_column_letter(wage + 1)
    merges = [f"A1:{last}1", f"{wage_letter}3:{openpyxl.utils.get_column_letter(wage + 2)}3"]
    return write_xlsx(path, {"填表说明": guide, "企业用工需求台账": sheet}, {"企业用工需求台账": merges})


def wrapped_headers_gbk(path: Path) -> Path:
    """A GBK CSV whose headers are wrapped with Alt+Enter and carry units, and whose money is written as people do."""
    header, rows = template("demand")
    wrapped = {
        "招聘人数": "招聘\n人数",
        "最低月薪": "最低月薪\n（元）",
        "最高月薪": "最高月薪（元）",
        "统一社会信用代码": "统一社会\n信用代码",
    }
    out = [[wrapped.get(h, h) for h in header]]
    for n, row in enumerate(rows):
        values = dict(zip(header, row, strict=True))
        values["最低月薪"] = ("4500元/月", "￥4000", "5,000")[n]
        values["开始日期"] = ("20240301", "2024年3月1日", "2024.4.1")[n]
        out.append([values[h] for h in header])
    return write_csv(path, out, encoding="gbk")


def survey_as_written(path: Path) -> Path:
    """劳动力摸底调查表 with the words villages use and columns the template lacks (性别, 出生年月, 联系电话)."""
    header, rows = template("workers")
    extra = ["性别", "出生年月", "联系电话"]
    out: list[list[object]] = [["某某村劳动力摸底调查表"], header + extra]
    forms = [
        {
            "身份证号": " 5303 0219 9003 1524 18",
            "户籍地": "曲靖市 麒麟区",
            "户口性质": "农业户",
            "文化程度": "初中毕业",
            "就业状态": "待业",
            "失业登记日期": 45231,
            "重点群体": "脱贫劳动力、监测对象",
            "性别": "男",
            "出生年月": "1990.03",
        },
        {
            "身份证号": "'５３０３２６２００１０９０７１２２５",
            "户籍地": "会泽",
            "文化程度": "大学专科",
            "常住地": "沾益县",
            "就业状态": "待业",
            "性别": "女",
            "出生年月": "2001年9月",
        },
        {
            "身份证号": "53038119850612564x",
            "户籍地": "宣威",
            "文化程度": "中专/技校",
            "就业状态": "外出务工",
            "重点群体": "无",
        },
    ]
    for row, form in zip(rows, forms, strict=True):
        values = dict(zip(header, row, strict=True)) | form
        out.append([values.get(h, "") for h in header + extra[:2]] + ["13800000000"])
    return write_xlsx(path, {"调查表": out})


def survey_faults(path: Path) -> Path:
    """A survey CSV with faults an officer must see explained: a number in scientific notation, 性别 disagreeing
    with the ID number, an ID number typed into 姓名, and 居民户口."""
    header, rows = template("workers")
    out = [header + ["性别"]]
    faults = [
        {"身份证号": "5.30302E+17"},
        {"姓名": "530326200109071225"},
        {"户口性质": "居民户口"},
    ]
    sexes = ["男", "女", "女"]
    for row, fault, sex in zip(rows, faults, sexes, strict=True):
        values = dict(zip(header, row, strict=True)) | fault
        out.append([values[h] for h in header] + [sex])
    out[1][-1] = "女"  # the first worker is a man
    return write_csv(path, out)


def code_cells(path: Path, ref: object) -> Path:
    """A demand workbook whose 岗位编号 is typed into a number cell."""
    header, rows = template("demand")
    row: list[object] = list(rows[0])
    row[header.index("岗位编号")] = ref
    return write_xlsx(path, {"台账": [header, row]})


def many_faults(path: Path, n: int) -> Path:
    """A demand CSV of `n` lines each with a bad headcount."""
    header, rows = template("demand")
    out = [header]
    for i in range(n):
        values = dict(zip(header, rows[0], strict=True)) | {"岗位编号": f"X-{i:04d}", "招聘人数": "0"}
        out.append([values[h] for h in header])
    return write_csv(path, out)


def _with_sheet(path: Path, rewrite: Callable[[bytes], bytes]) -> Path:
    """A one-sheet workbook headed 统一社会信用代码, its sheet XML passed through `rewrite`."""
    book = openpyxl.Workbook()
    book.active["A1"] = "统一社会信用代码"
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = rewrite(data)
            dst.writestr(item, data)
    return path


def whole_sheet_claim(path: Path) -> Path:
    """A small valid workbook whose sheet claims A1:XFD1048576 and has a cell at its far corner."""
    return _with_sheet(
        path,
        lambda data: data.replace(b'<dimension ref="A1"/>', b'<dimension ref="A1:XFD1048576"/>').replace(
            b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
        ),
    )


def malformed_sheet(path: Path) -> Path:
    """A workbook whose sheet XML is cut off in the middle of a tag."""
    return _with_sheet(path, lambda data: data[: data.index(b"<sheetData>") + 20])


def entity_bomb(path: Path) -> Path:
    """A workbook whose sheet declares nested entities that would expand to gigabytes (billion laughs)."""
    levels = [b'<!ENTITY a0 "laughlaughlaugh">'] + [
        f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">'.encode() for i in range(1, 10)
    ]
    dtd = b"<!DOCTYPE worksheet [" + b"".join(levels) + b"]>"

    def rewrite(data: bytes) -> bytes:
        head, rest = data.split(b"?>", 1) if data.startswith(b"<?xml") else (b"<?xml version='1.0'", data)
        cell = b'<row r="2"><c r="A2" t="inlineStr"><is><t>&a9;</t></is></c></row></sheetData>'
        return head + b"?>" + dtd + rest.replace(b"</sheetData>", cell)

    return _with_sheet(path, rewrite)


def zip_bomb(path: Path, mib: int = 300) -> Path:
    """A workbook-shaped zip whose sheet unpacks to `mib` MiB (a few hundred KB packed)."""
    book = openpyxl.Workbook()
    buffer = io.BytesIO()
    book.save(buffer)
    chunk = b"<c/>" * (1 << 18)
    with (
        zipfile.ZipFile(buffer) as src,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst,
    ):
        for item in src.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(item, src.read(item))
        with dst.open("xl/worksheets/sheet1.xml", "w") as f:
            for _ in range(mib):
                f.write(chunk)
    return path


def xls_far_corner(path: Path) -> Path:
    """An .xls with a header and one cell at the sheet's far corner (row 65,536, column IV)."""
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("台账")
    sheet.write(0, 0, "统一社会信用代码")
    sheet.write(65535, 255, 1)
    book.save(str(path))
    return path
