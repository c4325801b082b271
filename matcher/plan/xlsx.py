"""The plan as a workbook for the bureau: one sheet per part, Chinese headers, frozen header rows."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from matcher.fairness import DIMENSION_LABELS
from matcher.printing import print_setup
from matcher.text import sheet_cell

MAX_WIDTH = 60
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
ASSIGNMENT = {"direct": "市内直接就业", "outbound": "定向输送", "training": "培训后就业"}
MODES = {"order_based": "订单培训", "targeted": "定向培训", "project_based": "项目制培训"}
PAYEES = {"person": "本人", "enterprise": "企业", "institution": "培训机构"}
CERTIFICATES = {
    "qualification": "职业资格证书",
    "skill_level": "职业技能等级证书",
    "special_ability": "专项职业能力证书",
    "special_operation": "特种作业操作证书",
    "training_completion": "培训合格证书",
}

Column = tuple[str, Callable[[dict[str, Any]], Any]]


def _text_width(value: Any) -> int:
    """Display width of a cell's text: East Asian wide characters count twice."""
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _yes(flag: bool) -> str:
    return "是" if flag else "否"


def _region(entry: dict[str, Any] | None) -> str:
    return "" if not entry else f"{entry['name']}（{entry['code']}）"


def _sheet(wb: Workbook, title: str, columns: Sequence[Column], records: Sequence[dict[str, Any]]) -> None:
    ws = wb.create_sheet(title)
    rows = [[get(r) for _, get in columns] for r in records]
    for j, (header, _) in enumerate(columns):
        width = max([_text_width(header)] + [_text_width(row[j]) for row in rows[:5000]])
        ws.column_dimensions[get_column_letter(j + 1)].width = min(width + 2, MAX_WIDTH)
    ws.freeze_panes = "A2"
    print_setup(ws)
    money = [j for j, (header, _) in enumerate(columns) if "（元" in header]
    head = []
    for header, _ in columns:
        cell = WriteOnlyCell(ws, value=header)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
        head.append(cell)
    ws.append(head)
    for row in rows:  # text as text, never as a formula (matcher.text); money with thousands separators
        cells = [sheet_cell(WriteOnlyCell(ws), v) for v in row]
        for j in money:
            if isinstance(row[j], int | float):
                cells[j].number_format = "#,##0"
        ws.append(cells)


def _summary(result: dict[str, Any]) -> list[dict[str, Any]]:
    t, s, pol = result["totals"], result["solution"], result["policy"]
    rows: list[tuple[str, Any]] = [
        ("计划日期", result["as_of"]),
        ("范围：人数", t["workers_in_scope"]),
        ("范围：县（市、区）", "、".join(result["options"]["counties"] or ["全市"])),
        ("在册岗位需求人数", t["open_headcount"]),
        ("安排人数", t["assigned"]),
        ("其中：市内直接就业", t["direct"]),
        ("其中：定向输送", t["outbound"]),
        ("其中：培训后就业", t["trainees"]),
        ("开班数", t["classes"]),
        ("预计就业人数", t["expected_placements"]),
        ("预计稳定就业（6个月）人数", t["expected_retained_placements"]),
        ("培训费用（元）", t["training_cost"]),
        ("补贴合计（元，全部取证时）", t["subsidies"]),
        ("其中抵扣培训费（元）", t["subsidy_towards_cost"]),
        ("学员自付合计（元）", t["trainees_pay"]),
        ("企业承担合计（元）", t["enterprises_pay"]),
        ("须自付的重点群体学员（人）", t["priority_trainees_paying"]),
        ("预计补贴（元，按完成培训可能性）", t["expected_subsidies"]),
        ("补贴预算（元）", t["budget"]["budget"] if t["budget"] else "不限"),
        ("预算使用（元）", t["budget"]["used"] if t["budget"] else t["subsidies"]),
        ("未满足需求人数", t["unmet_headcount"]),
        ("求解方法", s["method"]),
        ("目标值", s["objective"]),
        ("上界", s["bound"]),
        ("上界来源", s["bound_method"]),
        ("最优性差距", f"{s['gap']:.4%}"),
        ("政策包", pol["pack"]),
        ("政策说明", pol["note"] or ""),
    ]
    if "stable" in result:
        st = result["stable"]
        rows += [
            ("稳定匹配：最优方案预计稳定就业", st["optimum_expected_retained"]),
            ("稳定匹配：本方案预计稳定就业", st["stable_expected_retained"]),
            ("稳定匹配的代价（人）", st["expected_retained_cost"]),
        ]
    for g in t["priority_groups"].values():
        if g["in_scope"]:
            rows.append(
                (
                    f"{g['label']}：安排/培训人数",
                    f"{g['assigned']} / {g['trainees']}（占培训{g['share_of_trainees']:.1%}）",
                )
            )
    for name, target in result["targets"].items():
        if name == "workforce":
            continue
        if "achieved" in target:
            rows.append(
                (
                    "补贴性培训人次（2019—2021年，目标18万）",
                    f"已完成{target['achieved']}，本计划{target['plan_adds']}",
                )
            )
        else:
            label = (
                "技能劳动者占就业人员比例"
                if name == "skilled_share_of_employed"
                else "高技能人才占技能劳动者比例"
            )
            rows.append(
                (
                    f"{label}（目标{target['target']:.0%}）",
                    f"现在{target['now']:.1%}，实施本计划后{target['with_plan']:.1%}",
                )
            )
    for stage in result.get("timings", []):
        rows.append((f"用时：{stage['stage']}（秒）", stage["seconds"]))
    return [{"k": k, "v": v} for k, v in rows]


def _orders(c: dict[str, Any]) -> str:
    return "；".join(
        f"{o['enterprise']['name']}：" + "、".join(f"{ln['title']}×{ln['graduates']}" for ln in o["lines"])
        for o in c["orders"]
    )


def _reasons(w: dict[str, Any]) -> str:
    return "；".join(("（不利）" if r["effect"] == "-" else "") + r["text"] for r in w["reasons"])


LINE_COLUMNS: tuple[Column, ...] = (
    ("岗位编号", lambda r: r["line_id"]),
    ("岗位名称", lambda r: r["title"]),
    ("企业", lambda r: r["enterprise"]["name"]),
    ("职业代码", lambda r: r["occupation"]["code"]),
    ("职业名称", lambda r: r["occupation"]["name"]),
    ("工作地", lambda r: _region(r["work_region"])),
    ("需求人数", lambda r: r["headcount"]),
    ("直接安排", lambda r: r["direct"]),
    ("培训后输送", lambda r: r["graduates"]),
    ("预计稳定就业", lambda r: r["expected_retained"]),
)


def write_plan_xlsx(result: dict[str, Any], path: str | Path) -> None:
    """Write the plan `result` of `run_plan` to an .xlsx workbook at `path`."""
    for key in (
        "as_of",
        "options",
        "totals",
        "solution",
        "policy",
        "classes",
        "placements",
        "workers",
        "unmet_demand",
        "subsidies_by_article",
        "targets",
        "fairness",
    ):
        if key not in result:
            raise ValueError(f"the plan has no {key!r}: write_plan_xlsx takes the dict run_plan returns")
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"the plan workbook must be an .xlsx file, got {path.name}")
    labels = {g: v["label"] for g, v in result["totals"]["priority_groups"].items()}
    wb = Workbook(write_only=True)
    _sheet(wb, "总览", (("项目", lambda r: r["k"]), ("数值", lambda r: r["v"])), _summary(result))
    _sheet(
        wb,
        "开班计划",
        (
            ("项目编号", lambda c: c["programme"]["code"]),
            ("项目名称", lambda c: c["programme"]["name"]),
            ("培训方式", lambda c: MODES.get(c["programme"]["mode"], c["programme"]["mode"])),
            ("职业", lambda c: f"{c['occupation']['name']}（{c['occupation']['code']}）"),
            ("证书", lambda c: CERTIFICATES.get(c["certificate"], c["certificate"])),
            ("培训机构", lambda c: c["institution"]["name"]),
            ("机构类型", lambda c: c["institution"]["kind"]),
            ("公开招标", lambda c: _yes(c["institution"]["tendered"])),
            ("县（市、区）", lambda c: _region(c["county"])),
            ("订单企业", lambda c: c["ordering_enterprise"]["name"] if c["ordering_enterprise"] else ""),
            ("服务岗位", _orders),
            ("开班人数", lambda c: c["size"]),
            ("座位数", lambda c: c["seats"]),
            ("开班日期", lambda c: c["start_date"]),
            ("结业日期", lambda c: c["end_date"]),
            ("培训天数", lambda c: c["days"]),
            ("人均费用（元）", lambda c: c["cost_per_person"]),
            ("费用合计（元）", lambda c: c["cost"]),
            ("补贴合计（元）", lambda c: c["subsidies"]),
            ("学员自付合计（元）", lambda c: c["trainees_pay"]),
            ("企业承担合计（元）", lambda c: c["enterprise_pays"]),
            ("学员是否免费", lambda c: "是" if c["free_for_trainees"] else "否"),
            ("预计结业人数", lambda c: c["expected_completions"]),
            ("预计稳定就业", lambda c: c["expected_retained"]),
        ),
        result["classes"],
    )
    _sheet(wb, "直接就业", LINE_COLUMNS, result["placements"]["direct"])
    _sheet(wb, "定向输送", LINE_COLUMNS, result["placements"]["outbound"])
    _sheet(
        wb,
        "人员安排",
        (
            ("人员编号", lambda w: w["worker_id"]),
            ("居住县（市、区）", lambda w: _region(w["county"])),
            ("重点人群", lambda w: "、".join(labels.get(g, g) for g in w["groups"])),
            ("安排方式", lambda w: ASSIGNMENT[w["assignment"]]),
            ("岗位编号", lambda w: w["line"]["line_id"] if w["line"] else ""),
            ("岗位名称", lambda w: w["line"]["title"] if w["line"] else ""),
            ("企业", lambda w: w["line"]["enterprise"]["name"] if w["line"] else ""),
            ("工作地", lambda w: _region(w["line"]["work_region"]) if w["line"] else ""),
            ("培训项目", lambda w: w["class"]["programme_name"] if "class" in w else ""),
            ("开班日期", lambda w: w["class"]["start_date"] if "class" in w else ""),
            ("完成培训可能性", lambda w: w.get("p_complete", "")),
            ("稳定就业可能性", lambda w: w["p_retained"]),
            ("补贴（元）", lambda w: w["subsidy"]["total"] if "subsidy" in w else ""),
            ("本人自付（元）", lambda w: w["cost"]["person_pays"] if "cost" in w else ""),
            ("企业承担（元）", lambda w: w["cost"]["enterprise_pays"] if "cost" in w else ""),
            ("费用说明", lambda w: w["cost"]["summary"] if "cost" in w else ""),
            ("理由", _reasons),
        ),
        result["workers"],
    )
    _sheet(
        wb,
        "未满足需求",
        (
            ("职业代码", lambda u: u["occupation"]["code"]),
            ("职业名称", lambda u: u["occupation"]["name"]),
            ("县（市、区）或市外", lambda u: _region(u["county"])),
            ("市外", lambda u: _yes(u["outbound"])),
            ("需求人数", lambda u: u["headcount"]),
            ("计划安排", lambda u: u["planned"]),
            ("未满足", lambda u: u["unmet"]),
        ),
        result["unmet_demand"],
    )
    _sheet(
        wb,
        "补贴",
        (
            ("条款", lambda s: f"（{s['article']}）"),
            ("补贴项目", lambda s: s["name"]),
            ("领取方", lambda s: PAYEES.get(s["payee"], s["payee"])),
            ("预拨（含在其他项目内）", lambda s: _yes(s["advance"])),
            ("人数", lambda s: s["persons"]),
            ("金额（元）", lambda s: s["amount"]),
        ),
        result["subsidies_by_article"],
    )
    fairness = result["fairness"]
    outcome = fairness["outcome_labels"]
    _sheet(
        wb,
        "公平性",
        (
            ("维度", lambda r: DIMENSION_LABELS.get(r["dimension"], r["dimension"])),
            ("群体", lambda r: r["label"]),
            ("人数", lambda r: r["population"]),
            ("人口占比", lambda r: round(r["population_share"], 4)),
            *(
                (
                    f"{outcome[o]}比值",
                    lambda r, o=o: "" if r["ratios"][o] is None else round(r["ratios"][o], 3),
                )
                for o in fairness["outcomes"]
            ),
            ("偏低的结果", lambda r: "、".join(outcome[o] for o in r["flags"])),
        ),
        fairness["rows"],
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
