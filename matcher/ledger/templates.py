"""Ledger templates that guide whoever fills them in: a 填表说明 sheet first, the ledger sheet with its header
frozen, code and ID columns formatted as text, a drop-down (data validation) on every coded column and the
example rows; the choices live on a hidden 选项 sheet."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from matcher import reference as ref
from matcher.ledger.cells import Labels, Raw, read_bool, read_level
from matcher.ledger.schema import Column
from matcher.text import sheet_cell

GUIDE = (
    "每一行填一条记录；第 1 行是表头，请勿改动列名（常用的其他叫法也认，如 需求人数、工种）。",
    "带 * 的列必填，其余可留空。有下拉箭头的列请从下拉列表中选择。",
    "代码列（统一社会信用代码、岗位编号、身份证号等）已设为“文本”格式，请保持，否则 Excel 会改掉 001、1.10 和身份证号的后几位。",
    "日期写成 2024-03-01、2024/3/1 或 2024年3月1日；金额只写数字（元/月）。",
    "地区写县（市、区）或乡镇名称，如 麒麟区、越州镇；省外写到市或县，如 广东省深圳市。",
    "岗位名称和岗位描述中不得写性别、民族、户籍、年龄、相貌等限制（《就业促进法》第三、二十六至二十八、三十一条）；"
    "法律规定女职工禁忌从事的岗位可写“限男性”。",
    "导入时整个文件逐行检查：任何一行有错，整个文件都不导入，错误清单会写明工作表、行号、列名和改法。",
    "示例行仅供参考，其中的名称、代码和身份证号都是虚构的，正式填写前请删除。",
)


def choices(column: Column) -> list[str]:
    """The values a coded column offers in its drop-down (empty for a free column)."""
    labels = getattr(column.read, "__self__", None)
    if isinstance(labels, Labels):
        return [label for label in labels.labels() if label]
    if column.read is read_bool:
        return ["是", "否"]
    if column.read is read_level:
        return [lv.label for lv in sorted(ref.skill_levels().values(), key=lambda lv: -lv.level)]
    return []


def write_template(path: Path, title: str, columns: Sequence[Column], rows: Sequence[Sequence[Raw]]) -> None:
    """Write the .xlsx template of a ledger with `rows` as its example rows."""
    book = openpyxl.Workbook()
    guide = book.active
    assert guide is not None
    guide.title = "填表说明"
    guide.append([f"{title} 填表说明"])
    guide["A1"].font = Font(bold=True, size=14)
    for n, line in enumerate(GUIDE, start=1):
        guide.append([f"{n}. {line}"])
    guide.append([])
    guide.append(["列名", "必填", "可选的值"])
    for cell in guide[guide.max_row]:
        cell.font = Font(bold=True)
    for column in columns:
        guide.append([column.header, "是" if column.required else "", "、".join(choices(column))])
    guide.column_dimensions["A"].width = 24
    guide.column_dimensions["C"].width = 100
    for row in guide.iter_rows(min_row=2):
        row[-1].alignment = Alignment(wrap_text=True)

    sheet = book.create_sheet(title)
    options = book.create_sheet("选项")
    options.sheet_state = "hidden"
    required = PatternFill("solid", fgColor="FFF2CC")
    for c, column in enumerate(columns, start=1):
        letter = get_column_letter(c)
        head = sheet.cell(1, c, column.header + ("*" if column.required else ""))
        head.font = Font(bold=True)
        if column.required:
            head.fill = required
        sheet.column_dimensions[letter].width = max(10, min(40, 2.2 * len(column.header) + 2))
        if column.text:
            sheet.column_dimensions[letter].number_format = "@"
        values = choices(column)
        if values:
            for r, choice in enumerate(values, start=1):
                options.cell(r, c, choice)
            rule = DataValidation(
                type="list",
                formula1=f"=选项!${letter}$1:${letter}${len(values)}",
                allow_blank=not column.required,
                showErrorMessage=True,
                errorTitle="请从下拉列表中选择",
                error=f"{column.header} 请从下拉列表中选择",
            )
            rule.add(f"{letter}2:{letter}2000")
            sheet.add_data_validation(rule)
    for r, row in enumerate(rows, start=2):
        for c, (column, value) in enumerate(zip(columns, row, strict=True), start=1):
            cell = sheet.cell(r, c)
            if value not in (None, ""):
                sheet_cell(cell, value)
            if column.text:
                cell.number_format = "@"
    sheet.freeze_panes = "A2"
    book.active = book.index(sheet)
    book.save(path)
