"""The county training catalogue (培训项目目录清单, article 十五): one row per programme, with its institution's columns."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from matcher.domain import TrainingInstitution, TrainingProgramme
from matcher.ledger.cells import (
    CERTIFICATE,
    MODE,
    Raw,
    read_bool,
    read_code_text,
    read_credit_code,
    read_date,
    read_int,
    read_level,
    read_name,
    read_occupation,
    read_region,
    read_special_operation,
    show_bool,
    show_level,
    show_region,
)
from matcher.ledger.report import Counts, RowError
from matcher.ledger.schema import Column, Fields, Parents, check_headers, column, existing, read_row, validate
from matcher.ledger.table import Sheet
from matcher.records import save_institution, save_programme
from matcher.store.tables import EnterpriseRow, InstitutionRow, ProgrammeRow

TITLE = "培训项目目录清单"
CODE, INSTITUTION, INSTITUTION_NAME, ORDER = "项目编号", "机构编号", "机构名称", "订单企业信用代码"

COLUMNS: tuple[Column, ...] = (
    column(CODE, "programme", "code", read=read_code_text, required=True, text=True),
    column("项目名称", "programme", "name", read=read_name, required=True),
    column(INSTITUTION, "institution", "code", read=read_code_text, required=True, text=True),
    column(INSTITUTION_NAME, "institution", "name", read=read_name, required=True),
    column("机构类型", "institution", "kind", required=True),
    column("机构所在地", "institution", "region", read=read_region, show=show_region, required=True),
    column("机构年培训能力", "institution", "total_seats", read=read_int, required=True),
    column("公开招标", "institution", "tendered", read=read_bool, show=show_bool),
    column("培训模式", "programme", "mode", read=MODE.read, show=MODE.show, required=True),
    column("职业代码", "programme", "occupation_code", read=read_occupation, required=True, text=True),
    column("目标等级", "programme", "target_level", read=read_level, show=show_level),
    column(
        "证书类型", "programme", "certificate", read=CERTIFICATE.read, show=CERTIFICATE.show, required=True
    ),
    column("特种作业项目", "programme", "special_operation", read=read_special_operation, text=True),
    column("培训天数", "programme", "days", read=read_int, required=True),
    column("人均成本", "programme", "cost_per_person", read=read_int, required=True),
    column("补贴标准", "programme", "catalogue_subsidy", read=read_int, required=True),
    column("计划人数", "programme", "seats", read=read_int, required=True),
    column("培训地点", "programme", "region", read=read_region, show=show_region, required=True),
    column("开始日期", "programme", "start_date", read=read_date, required=True),
    column("结束日期", "programme", "end_date", read=read_date, required=True),
    column(ORDER, "programme", "enterprise_code", read=read_credit_code, text=True),
)
EXPORT_HEADERS = tuple(c.header for c in COLUMNS)
EXPORT_TEXT = frozenset(c.header for c in COLUMNS if c.text)
FIELDS = Fields.of(COLUMNS, "programme", {"institution_code": INSTITUTION})


@dataclass
class Plan:
    institutions: Parents[TrainingInstitution]
    programmes: list[TrainingProgramme] = field(default_factory=list)
    notes: dict[str, list[int]] = field(default_factory=dict)


def check(sheet: Sheet, session: Session) -> tuple[Plan, list[RowError]]:
    """Validate every row; the plan to write, or the faults of every bad row.

    An ordering enterprise must already be in the store (imported with its demand ledger).
    """
    errors, missing = check_headers(sheet, COLUMNS)
    plan = Plan(Parents(TrainingInstitution, COLUMNS, "institution", "code"))
    codes: dict[str, int] = {}
    ordering: dict[int, str] = {}
    for row, cells in sheet.rows:
        data, bad = read_row(COLUMNS, cells, plan.notes, row)
        faults = list(bad.items())
        skip = set(bad) | missing
        faults += plan.institutions.take(row, cells, data["institution"], skip)
        programme_data = data["programme"]
        if "code" in data["institution"]:
            programme_data["institution_code"] = data["institution"]["code"]
        programme, found = validate(TrainingProgramme, programme_data, FIELDS, skip | {h for h, _ in faults})
        faults += found
        code = programme_data.get("code")
        if code and codes.setdefault(code, row) != row:
            faults.append((CODE, f"与第 {codes[code]} 行的{CODE}相同；每个项目只填一行"))
        if programme is not None:
            if programme.enterprise_code:
                ordering[row] = programme.enterprise_code
            plan.programmes.append(programme)
        errors += [RowError(row, header, message) for header, message in faults]
    errors += plan.institutions.resolve(session, InstitutionRow.code, INSTITUTION_NAME)
    in_store = existing(session, EnterpriseRow.credit_code, ordering.values())
    errors += [
        RowError(row, ORDER, "库中没有这个信用代码的企业；请先导入该企业的用工需求台账")
        for row, code in ordering.items()
        if code not in in_store
    ]
    return plan, errors


def write(plan: Plan, session: Session) -> dict[str, Counts]:
    institutions, programmes = Counts(), Counts()
    for institution in plan.institutions.described.values():
        institutions.add(save_institution(session, institution)[1])
    institutions.unchanged += len(plan.institutions.referenced)
    for programme in plan.programmes:
        programmes.add(save_programme(session, programme)[1])
    return {"institutions": institutions, "programmes": programmes}


def export(session: Session) -> list[list[Raw]]:
    """Every catalogue entry with its institution and ordering enterprise, in the order they were stored."""
    orderer = aliased(EnterpriseRow)
    query = (
        select(ProgrammeRow, InstitutionRow, orderer.credit_code)
        .join(InstitutionRow, ProgrammeRow.institution_id == InstitutionRow.id)
        .outerjoin(orderer, ProgrammeRow.enterprise_id == orderer.id)
        .order_by(ProgrammeRow.id)
    )
    out = []
    for programme, institution, credit_code in session.execute(query):
        rows = {"programme": programme, "institution": institution}
        values = [getattr(rows[c.part], c.path[0]) if c.header != ORDER else credit_code for c in COLUMNS]
        out.append([c.cell(v) for c, v in zip(COLUMNS, values, strict=True)])
    return out
