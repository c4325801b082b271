"""The enterprise labour-demand ledger (企业用工需求台账): one row per demand line, with its enterprise's columns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.domain import DemandLine, Enterprise, discrimination_reasons
from matcher.ledger.cells import (
    INDUSTRY,
    SIZE,
    Raw,
    code_title,
    is_blank,
    read_bool,
    read_code_text,
    read_credit_code,
    read_date,
    read_free_text,
    read_high_risk,
    read_int,
    read_level,
    read_list,
    read_name,
    read_occupation,
    read_region,
    read_special_operation,
    show_bool,
    show_high_risk,
    show_level,
    show_list,
    show_region,
)
from matcher.ledger.report import Coded, Counts, RowError
from matcher.ledger.schema import Column, Fields, Parents, check_headers, column, read_row, validate
from matcher.ledger.table import Sheet
from matcher.records import demand_line_values, save_demand_line, save_enterprise
from matcher.store.tables import DemandLineRow, EnterpriseRow

TITLE = "企业用工需求台账"
CODE, NAME, REF, OCCUPATION, JOB_TITLE, DESCRIPTION = (
    "统一社会信用代码",
    "企业名称",
    "岗位编号",
    "职业代码",
    "岗位名称",
    "岗位描述",
)

COLUMNS: tuple[Column, ...] = (
    column(NAME, "enterprise", "name", read=read_name, required=True),
    column(CODE, "enterprise", "credit_code", read=read_credit_code, required=True, text=True),
    column("所属行业", "enterprise", "industry", read=INDUSTRY.read, show=INDUSTRY.show, required=True),
    column("企业所在地", "enterprise", "region", read=read_region, show=show_region, required=True),
    column("企业规模", "enterprise", "size", read=SIZE.read, show=SIZE.show, required=True),
    column("高危行业", "enterprise", "high_risk_sector", read=read_high_risk, show=show_high_risk),
    column("参加社保", "enterprise", "insured", read=read_bool, show=show_bool),
    column(REF, "line", "line_ref", read=read_code_text, required=True, text=True),
    column(OCCUPATION, "line", "occupation_code", read=read_occupation, text=True),
    column(JOB_TITLE, "line", "title", read=read_name, required=True),
    column("技能等级要求", "line", "required_level", read=read_level, show=show_level),
    column(
        "特种作业证要求",
        "line",
        "required_certificates",
        read=read_list(read_special_operation, names_with_separators=True),
        show=show_list,
        text=True,
    ),
    column("招聘人数", "line", "headcount", read=read_int, required=True),
    column("最低月薪", "line", "wage_min", read=read_int, required=True),
    column("最高月薪", "line", "wage_max", read=read_int, required=True),
    column("工作地点", "line", "work_region", read=read_region, show=show_region, required=True),
    column("开始日期", "line", "start_date", read=read_date, required=True),
    column("结束日期", "line", "end_date", read=read_date, required=True),
    column("接受订单培训", "line", "accepts_order_training", read=read_bool, show=show_bool),
    column(DESCRIPTION, "line", "description", read=read_free_text),
)
EXPORT_HEADERS = tuple(c.header for c in COLUMNS)
EXPORT_TEXT = frozenset(c.header for c in COLUMNS if c.text)


def _line_fallback(title: str) -> Callable[[str], str]:
    """Model-level faults naming no field are unlawful restrictions: they belong to the title or the description."""
    return lambda _message: JOB_TITLE if discrimination_reasons(title) else DESCRIPTION


@dataclass
class Plan:
    enterprises: Parents[Enterprise]
    lines: list[DemandLine] = field(default_factory=list)
    notes: dict[str, list[int]] = field(default_factory=dict)
    coded: list[Coded] = field(default_factory=list)


def check(sheet: Sheet, session: Session) -> tuple[Plan, list[RowError]]:
    """Validate every row; the plan to write, or the faults of every bad row."""
    errors, missing = check_headers(sheet, COLUMNS)
    plan = Plan(Parents(Enterprise, COLUMNS, "enterprise", "credit_code"))
    keys: dict[tuple[str | None, str | None], int] = {}
    for row, cells in sheet.rows:
        data, bad = read_row(COLUMNS, cells, plan.notes, row)
        faults = list(bad.items())
        skip = set(bad) | missing
        faults += plan.enterprises.take(row, cells, data["enterprise"], skip)
        line_data = data["line"]
        if "credit_code" in data["enterprise"]:
            line_data["enterprise_code"] = data["enterprise"]["credit_code"]
        faults += _code_occupation(row, line_data, cells, skip, plan.coded)
        fields = Fields.of(
            COLUMNS, "line", {"enterprise_code": CODE}, _line_fallback(line_data.get("title", ""))
        )
        line, found = validate(DemandLine, line_data, fields, skip | {header for header, _ in faults})
        faults += found
        key = (line_data.get("enterprise_code"), line_data.get("line_ref"))
        if all(key) and keys.setdefault(key, row) != row:
            faults.append(
                (REF, f"与第 {keys[key]} 行的{CODE}和{REF}相同；同一岗位只填一行（招聘人数合在一行）")
            )
        if line is not None:
            faults += _closed(session, line)
            plan.lines.append(line)
        errors += [RowError(row, header, message) for header, message in faults]
    errors += plan.enterprises.resolve(session, EnterpriseRow.credit_code, NAME)
    return plan, errors


def _closed(session: Session, line: DemandLine) -> list[tuple[str, str]]:
    """A row that would change a closed line is refused, as a PATCH of it is; the line as stored passes
    (an exported ledger imports again unchanged)."""
    stored = session.scalar(
        select(DemandLineRow)
        .join(EnterpriseRow)
        .where(EnterpriseRow.credit_code == line.enterprise_code, DemandLineRow.line_ref == line.line_ref)
    )
    if stored is None or stored.status == "open":
        return []
    values = demand_line_values(line, stored.enterprise_id)
    if all(getattr(stored, name) == value for name, value in values.items()):
        return []
    return [
        (
            REF,
            f"岗位需求 {line.line_ref}（编号 {stored.id}）已关闭，不能再修改；"
            f"请删去这一行，或换一个新的{REF}登记为新岗位",
        )
    ]


CONFIDENT = 0.6
"""A title coded with less confidence than this is refused with its candidates, for the officer to choose."""


def _code_occupation(
    row: int, line: dict[str, Any], cells: dict[str, Raw], skip: set[str], coded: list[Coded]
) -> list[tuple[str, str]]:
    """Fill a blank 职业代码 from the title through the occupation coder, reporting the code and its
    confidence; a fault listing the candidates when the coder is not confident."""
    if "occupation_code" in line or not is_blank(cells.get(OCCUPATION)) or JOB_TITLE in skip:
        return []
    title = line.get("title")
    if not title:
        return [(OCCUPATION, f"是空的，{JOB_TITLE}也是空的；请填写 2022 版职业代码或岗位名称")]
    candidates = code_title(title)
    if candidates[0].score < CONFIDENT and line.get("description"):
        with_description = code_title(f"{title} {line['description']}")
        candidates = max(candidates, with_description, key=lambda c: c[0].score)
    best = candidates[0]
    if best.score < CONFIDENT:
        listed = "、".join(f"{c.code} {c.name}（{c.score:.2f}）" for c in candidates[:3])
        return [
            (
                OCCUPATION,
                f"是空的，岗位名称「{title}」无法可靠地对应到职业（最接近的是 {listed}）；"
                "请在职业代码列填写其中正确的一个，或其他 2022 版职业代码",
            )
        ]
    line["occupation_code"] = best.code
    coded.append(Coded(row, title, best.code, best.name, best.score))
    return []


def write(plan: Plan, session: Session) -> dict[str, Counts]:
    enterprises, lines = Counts(), Counts()
    for enterprise in plan.enterprises.described.values():
        enterprises.add(save_enterprise(session, enterprise)[1])
    enterprises.unchanged += len(plan.enterprises.referenced)
    for line in plan.lines:
        lines.add(save_demand_line(session, line)[1])
    return {"enterprises": enterprises, "demand_lines": lines}


def export(session: Session) -> list[list[Raw]]:
    """Every demand line with its enterprise, in the order they were stored."""
    query = (
        select(DemandLineRow, EnterpriseRow).join(EnterpriseRow).order_by(EnterpriseRow.id, DemandLineRow.id)
    )
    out = []
    for line, enterprise in session.execute(query):
        rows = {"enterprise": enterprise, "line": line}
        out.append([c.cell(getattr(rows[c.part], c.path[0])) for c in COLUMNS])
    return out


def outside_enterprise(sheet: Sheet, credit_code: str) -> list[RowError]:
    """Rows posting for an enterprise other than `credit_code` (an enterprise uploads only its own lines)."""
    out = []
    for row, cells in sheet.rows:
        try:
            code = read_credit_code(cells.get(CODE))
        except ValueError:
            continue  # already reported by check()
        if code != credit_code:
            out.append(RowError(row, CODE, f"企业只能上传本企业（{credit_code}）的岗位；请删去其他企业的行"))
    return out
