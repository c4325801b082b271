"""The labour-force survey sheet (劳动力摸底调查表): one row per worker, keyed by the resident ID number.

The ID number is read, validated and hashed; it is never stored, and an export shows its masked form only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher import reference as ref
from matcher.domain import CertificateType, Sex, WorkerProfile
from matcher.ids import hash_id_number, parse_id_number
from matcher.ledger.cells import (
    CERTIFICATE,
    EDUCATION,
    EMPLOYMENT,
    GROUP,
    HUKOU,
    Labels,
    Raw,
    entries,
    nested,
    read_bool,
    read_code_text,
    read_date,
    read_id_number,
    read_int,
    read_intended_occupation,
    read_level,
    read_list,
    read_name,
    read_occupation,
    read_region,
    read_special_operation,
    read_text,
    show_bool,
    show_level,
    show_list,
    show_occupation_names,
    show_region,
)
from matcher.ledger.report import Counts, RowError
from matcher.ledger.schema import Column, Fields, check_headers, column, read_row, validate
from matcher.ledger.table import Sheet
from matcher.records import save_worker
from matcher.store.tables import WorkerRow

TITLE = "劳动力摸底调查表"
ID, MASKED_ID, RESIDENCE, NAME = "身份证号", "身份证号(脱敏)", "常住地", "姓名"
SEX, BIRTH = "性别", "出生年月"

CERTIFICATE_PARTS = ("职业代码或特种作业项目", "等级", "证书类型", "发证日期")
SPELL_PARTS = ("职业代码", "地区", "开始", "结束")
TRAINING_PARTS = ("年份", "职业代码", "等级", "项目编号")


def read_certificates(raw: Raw) -> list[dict[str, Any]]:
    """持有证书: entries 职业代码|等级|证书类型|发证日期 (a special-operation item instead of the occupation)."""
    out = []
    for n, (what, level, kind, issued) in enumerate(entries(raw, CERTIFICATE_PARTS), start=1):
        kind_value = nested(n, "证书类型", CERTIFICATE.read, kind)
        cert: dict[str, Any] = {"kind": kind_value, "issued_on": nested(n, "发证日期", read_date, issued)}
        if kind_value == CertificateType.special_operation:
            cert["special_operation"] = nested(n, "特种作业项目", read_special_operation, what)
        else:
            cert["occupation_code"] = nested(n, "职业代码", read_occupation, what)
        if level:
            cert["level"] = nested(n, "等级", read_level, level)
        out.append(cert)
    return out


def show_certificates(certs: list[dict[str, Any]]) -> str:
    return "；".join(
        f"{c.get('special_operation') or c.get('occupation_code')}|{show_level(c.get('level'))}|"
        f"{CERTIFICATE.show(c['kind'])}|{c['issued_on']}"
        for c in certs
    )


def _month_or_date(raw: Raw) -> Any:
    return read_date(raw, month_ok=True)


def read_work_history(raw: Raw) -> list[dict[str, Any]]:
    """工作经历: entries 职业代码|地区|开始|结束, 结束 left out while the job goes on; dates may be YYYY-MM."""
    out = []
    for n, (occupation, region, start, end) in enumerate(entries(raw, SPELL_PARTS, min_parts=3), start=1):
        spell = {
            "occupation_code": nested(n, "职业代码", read_occupation, occupation),
            "region": nested(n, "地区", read_region, region),
            "start": nested(n, "开始", _month_or_date, start),
        }
        if end:
            spell["end"] = nested(n, "结束", _month_or_date, end)
        out.append(spell)
    return out


def show_work_history(spells: list[dict[str, Any]]) -> str:
    return "；".join(
        "|".join(
            [s["occupation_code"], show_region(s["region"]), s["start"]]
            + ([s["end"]] if s.get("end") else [])
        )
        for s in spells
    )


def read_trainings(raw: Raw) -> list[dict[str, Any]]:
    """已享受补贴培训: entries 年份|职业代码|等级|项目编号 (等级 may be blank)."""
    out = []
    for n, (year, occupation, level, project) in enumerate(entries(raw, TRAINING_PARTS), start=1):
        training = {
            "year": nested(n, "年份", read_int, year),
            "occupation_code": nested(n, "职业代码", read_occupation, occupation),
            "project_id": nested(n, "项目编号", read_code_text, project),
        }
        if level:
            training["level"] = nested(n, "等级", read_level, level)
        out.append(training)
    return out


def show_trainings(trainings: list[dict[str, Any]]) -> str:
    return "；".join(
        f"{t['year']}|{t['occupation_code']}|{show_level(t.get('level'))}|{t['project_id']}"
        for t in trainings
    )


SEX_LABELS = Labels.of("sex", "性别", Sex, {Sex.M: ("男性",), Sex.F: ("女性",)})


def read_ethnicity(raw: Raw) -> str:
    """民族: a name (汉族, 彝族) or GB/T 3304 code; a code Excel turned into a number gets its leading zero back."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return f"{int(raw):02d}"
    return read_text(raw)


def show_ethnicity(code: str) -> str:
    group = ref.ethnic_groups().get(code)
    return group.name if group else code


def show_regions(codes: list[str]) -> str:
    return show_list(show_region(c) for c in codes)


def show_groups(groups: list[str]) -> str:
    return show_list(GROUP.show(g) for g in groups)


COLUMNS: tuple[Column, ...] = (
    column(ID, "worker", "id_number", read=read_id_number, required=True, text=True),
    column(NAME, "worker", "name", read=read_name, required=True),
    column("户籍地", "worker", "hukou_region", read=read_region, show=show_region, required=True),
    column("户口性质", "worker", "hukou_type", read=HUKOU.read, show=HUKOU.show, required=True),
    column(RESIDENCE, "worker", "residence_region", read=read_region, show=show_region, required=True),
    column("民族", "worker", "ethnicity", read=read_ethnicity, show=show_ethnicity),
    column("文化程度", "worker", "education", read=EDUCATION.read, show=EDUCATION.show, required=True),
    column(
        "就业状态", "worker", "employment_status", read=EMPLOYMENT.read, show=EMPLOYMENT.show, required=True
    ),
    column("失业登记日期", "worker", "registered_unemployed_since", read=read_date),
    column("领取养老金", "worker", "receives_pension", read=read_bool, show=show_bool),
    column("持有证书", "worker", "certificates", read=read_certificates, show=show_certificates, text=True),
    column("工作经历", "worker", "work_history", read=read_work_history, show=show_work_history, text=True),
    column(
        "意向职业",
        "worker",
        "intentions.occupations",
        read=read_list(read_intended_occupation),
        show=show_occupation_names,
    ),
    column("意向地区", "worker", "intentions.regions", read=read_list(read_region), show=show_regions),
    column("愿意省外就业", "worker", "intentions.outside_province", read=read_bool, show=show_bool),
    column("最低期望月薪", "worker", "intentions.min_wage", read=read_int),
    column("创业意愿", "worker", "intentions.start_business", read=read_bool, show=show_bool),
    column("重点群体", "worker", "groups", read=read_list(GROUP.read), show=show_groups),
    column(
        "已享受补贴培训",
        "worker",
        "subsidised_trainings",
        read=read_trainings,
        show=show_trainings,
        text=True,
    ),
    column("同意推荐", "worker", "consent_to_share", read=read_bool, show=show_bool),
    # Derived from the ID number: read to be checked against it, never stored apart.
    column(SEX, "check", "sex", read=SEX_LABELS.read),
    column(BIRTH, "check", "born", read=lambda raw: read_date(raw, month_ok=True)),
)
STORED = tuple(c for c in COLUMNS if c.part == "worker")
EXPORT_HEADERS = (MASKED_ID, *(c.header for c in STORED[1:]))
EXPORT_TEXT = frozenset(c.header for c in STORED if c.text) | {MASKED_ID}
FIELDS = Fields.of(COLUMNS, "worker", words={"'unemployed'": "'失业'"})


@dataclass
class Plan:
    workers: list[WorkerProfile] = field(default_factory=list)
    notes: dict[str, list[int]] = field(default_factory=dict)


def check(sheet: Sheet, _session: Session) -> tuple[Plan, list[RowError]]:
    """Validate every row; the plan to write, or the faults of every bad row (never quoting an ID number)."""
    errors, missing = check_headers(sheet, COLUMNS)
    if "脱敏" in sheet.written.get(ID, ""):
        return Plan(), [
            RowError(
                sheet.header_row,
                MASKED_ID,
                "这是劳动者导出表（身份证号已脱敏），只供查看，不能导入；请用填有完整身份证号的调查表导入",
            )
        ]
    plan = Plan()
    seen: dict[str, int] = {}
    for row, cells in sheet.rows:
        data, bad = read_row(COLUMNS, cells, plan.notes, row)
        worker, faults = validate(WorkerProfile, data["worker"], FIELDS, set(bad) | missing)
        faults = list(bad.items()) + faults
        number = data["worker"].get("id_number")
        if number and seen.setdefault(number, row) != row:
            faults.append((ID, f"与第 {seen[number]} 行是同一身份证号；每人只填一行"))
        if number:
            faults += _against_id(number, data["check"])
        if worker is not None:
            plan.workers.append(worker)
        errors += [RowError(row, header, message) for header, message in faults]
    return plan, errors


def _against_id(number: str, written: dict[str, Any]) -> list[tuple[str, str]]:
    """性别 and 出生年月 as written, checked against the ID number they derive from."""
    _, born, sex = parse_id_number(number)
    out = []
    if "sex" in written and written["sex"] != sex:
        said = "男" if sex == "M" else "女"
        out.append((SEX, f"与身份证号不符（按身份证号第 17 位应为{said}）；请核对性别和身份证号这两个单元格"))
    given = written.get("born")
    if given is not None and (given.year, given.month) != (born.year, born.month):
        out.append(
            (
                BIRTH,
                f"与身份证号不符（按身份证号第 7–14 位应为 {born:%Y年%m月}）；请核对出生年月和身份证号这两个单元格",
            )
        )
    return out


def write(plan: Plan, session: Session) -> dict[str, Counts]:
    counts = Counts()
    for worker in plan.workers:
        counts.add(save_worker(session, worker)[1])
    return {"workers": counts}


def export(session: Session) -> list[list[Raw]]:
    """Every stored worker, with the masked ID number in place of the number itself."""
    out = []
    for w in session.scalars(select(WorkerRow).order_by(WorkerRow.id)):
        values = {c.path: _dig(w, c.path) for c in STORED[1:]}
        out.append([w.id_masked, *(c.cell(values[c.path]) for c in STORED[1:])])
    return out


def _dig(row: WorkerRow, path: tuple[str, ...]) -> Any:
    value: Any = getattr(row, path[0])
    for key in path[1:]:
        value = value.get(key)
    return value


REGISTERED = "此身份证号的人员已登记；请查询并修改已有记录"
"""The answer to a row matching a worker of another county: the API's own for a colliding registration."""


def outside_county(sheet: Sheet, county: str, session: Session) -> list[RowError]:
    """Rows of workers living outside `county`, or matching a worker registered in another county (a
    counselor uploads and updates the workers of their county only)."""
    out = []
    for row, cells in sheet.rows:
        try:
            residence = read_region(cells.get(RESIDENCE))
        except ValueError:
            pass  # already reported by check()
        else:
            if ref.county_of(residence) != county:
                out.append(
                    RowError(row, RESIDENCE, f"就业指导员只能上传本县（{county}）常住的劳动者；请删去这一行")
                )
        try:
            number = parse_id_number(read_id_number(cells.get(ID)))[0]
        except ValueError:
            continue  # already reported by check()
        stored = session.scalar(select(WorkerRow.county).where(WorkerRow.id_hash == hash_id_number(number)))
        if stored is not None and stored != county:
            out.append(RowError(row, ID, REGISTERED))
    return out
