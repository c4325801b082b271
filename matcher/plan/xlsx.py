"""The plan as a workbook a bureau can hand up: a cover sheet (总览) in plain Chinese, a summary by county and a
sheet per county, a sheet per part of the plan, each table with its 合计 row and money in yuan, the solver's
figures on a technical sheet (技术说明), every sheet set to print on A4 landscape with its header repeated."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from matcher.domain import CertificateType, Party, TrainingMode, labels_of
from matcher.fairness import DIMENSION_LABELS
from matcher.plan.options import plan_counties
from matcher.policy.pack import PackError, load_pack
from matcher.printing import print_setup
from matcher.text import display_width, sheet_cell

MAX_WIDTH = 60
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TOTAL_FONT = Font(bold=True)
TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
MONEY_FORMAT = '"¥"#,##0.00'
COUNT_FORMAT = "#,##0"
ASSIGNMENT = {"direct": "市内直接就业", "outbound": "定向输送", "training": "培训后就业"}
MODES = labels_of(TrainingMode)
PAYEES = labels_of(Party)
CERTIFICATES = labels_of(CertificateType)
SOLVERS = {
    "lagrangian": "拉格朗日松弛（乘子搜索）",
    "milp": "混合整数规划（HiGHS）",
    "min-cost flow": "最小费用流",
    "stable": "稳定匹配",
}
BOUNDS = {
    "lagrangian dual": "拉格朗日对偶界",
    "pure flow (integral LP)": "纯网络流（线性规划解即整数解）",
    "lp": "线性规划松弛",
}
STAGES = {
    "load": "读取数据",
    "candidates": "候选弧",
    "policy": "政策判定",
    "solve": "求解",
    "report": "整理结果",
    "stable": "稳定匹配",
}

Column = tuple[str, Callable[[dict[str, Any]], Any]]


def _text_width(value: Any) -> int:
    return display_width("" if value is None else str(value))


def _yes(flag: bool) -> str:
    return "是" if flag else "否"


def _region(entry: dict[str, Any] | None) -> str:
    return "" if not entry else f"{entry['name']}（{entry['code']}）"


def _is_money(label: Any) -> bool:
    return "（元" in str(label)


def _cell(ws: Any, value: Any, kind: str) -> WriteOnlyCell:
    """A body cell: text as text, never as a formula (matcher.text); money in yuan, counts with separators,
    identifiers as plain digits."""
    cell = sheet_cell(WriteOnlyCell(ws), value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        formats = {"money": MONEY_FORMAT, "id": "0"}
        cell.number_format = formats.get(kind, COUNT_FORMAT if isinstance(value, int) else "0.00##")
    return cell


def _kind(label: Any) -> str:
    """How a column or a row labelled `label` shows its numbers."""
    return "money" if _is_money(label) else "id" if str(label).endswith("编号") else "number"


def _field(name: str) -> Column:
    """A column reading the record's value under its own header."""
    return name, lambda r: r[name]


def _sheet(
    wb: Workbook,
    title: str,
    columns: Sequence[Column],
    records: Sequence[dict[str, Any]],
    totals: Sequence[str] = (),
) -> None:
    """A table sheet: a header row repeated on every printed page, a row per record and, when `totals` names
    columns, a 合计 row holding their sums."""
    ws = wb.create_sheet(title)
    rows = [[get(r) for _, get in columns] for r in records]
    headers = [header for header, _ in columns]
    if totals:
        unknown = set(totals) - set(headers)
        if unknown:
            raise ValueError(f"合计列不在表「{title}」中：{'、'.join(sorted(unknown))}")
        total: list[Any] = ["合计", *([None] * (len(headers) - 1))]
        for j, header in enumerate(headers):
            if header in totals:
                summed = sum(row[j] for row in rows if isinstance(row[j], int | float))
                total[j] = round(summed, 2) if isinstance(summed, float) else summed
    for j, header in enumerate(headers):
        width = max([_text_width(header)] + [_text_width(row[j]) for row in rows[:5000]])
        ws.column_dimensions[get_column_letter(j + 1)].width = min(width + 4, MAX_WIDTH)
    ws.freeze_panes = "A2"
    print_setup(ws)
    head = []
    for header in headers:
        cell = WriteOnlyCell(ws, value=header)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        head.append(cell)
    ws.append(head)
    kinds = [_kind(h) for h in headers]
    for row in rows:
        # on a sheet of two columns (项目, 数值) the row's label says how its value shows
        by_row = len(headers) == 2 and _kind(row[0]) == "money"
        ws.append([_cell(ws, v, "money" if by_row else kinds[j]) for j, v in enumerate(row)])
    if totals:
        cells = [_cell(ws, v, kinds[j]) for j, v in enumerate(total)]
        for cell in cells:
            cell.font, cell.fill = TOTAL_FONT, TOTAL_FILL
        ws.append(cells)


def _pack_name(pack_id: str) -> str:
    try:
        pack = load_pack(pack_id)
    except PackError:
        return pack_id
    return f"{pack.title}（{pack.document}）"


def _weights(totals: dict[str, Any]) -> str:
    labels = {g: v["label"] for g, v in totals["priority_groups"].items()}
    weights = totals.get("priority_weights") or {}
    return "、".join(
        f"{labels.get(g, g)} {w['weight']:g}（第{w['article']}条）"
        if w.get("article")
        else f"{labels.get(g, g)} {w['weight']:g}"
        for g, w in weights.items()
    )


def plan_summary(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The cover sheet: the plan's figures in plain Chinese, no solver terms."""
    t, pol = result["totals"], result["policy"]
    names = plan_counties()
    rows: list[tuple[str, Any]] = [
        ("计划日期", result["as_of"]),
        ("范围：人数", t["workers_in_scope"]),
        (
            "范围：县（市、区）",
            "、".join(names.get(c, c) for c in result["options"]["counties"] or []) or "全市",
        ),
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
        ("政策依据", _pack_name(pol["pack"])),
        ("重点人群优先权重", _weights(t)),
        ("政策说明", pol["note"] or ""),
    ]
    if "stable" in result:
        st = result["stable"]
        rows += [
            ("按个人意愿排序的稳定方案：预计稳定就业", st["stable_expected_retained"]),
            ("不按意愿排序时可多稳定就业（人）", st["expected_retained_cost"]),
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
    rows.append(("说明", "求解方法、最优性差距和用时见「技术说明」表"))
    return [{"k": k, "v": v} for k, v in rows]


def _technical(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The technical sheet: how the plan was solved and how long it took, for the bureau's IT staff."""
    s, pol = result["solution"], result["policy"]
    rows: list[tuple[str, Any]] = [
        ("求解方法", SOLVERS.get(s["method"], s["method"])),
        ("目标值（加权预计稳定就业）", s["objective"]),
        ("目标值上界", s["bound"]),
        ("上界来源", BOUNDS.get(s["bound_method"], s["bound_method"])),
        ("最优性差距（与上界相比最多还差）", f"{s['gap']:.4%}"),
        ("迭代次数", s.get("iterations", "")),
        ("政策判定的人员—培训组合（对）", pol.get("pairs_decided", "")),
        ("政策引擎调用次数", pol.get("engine_calls", "")),
        ("政策包编号", pol["pack"]),
        ("留任率（预计就业的换算）", result["totals"].get("retention_rate_used", "")),
    ]
    if "stable" in result:
        st = result["stable"]
        rows += [
            ("稳定匹配：最优方案目标值", st["optimum_objective"]),
            ("稳定匹配：本方案目标值", st["stable_objective"]),
            ("稳定匹配：最优方案预计稳定就业", st["optimum_expected_retained"]),
            ("稳定匹配的代价（人）", st["expected_retained_cost"]),
        ]
    model = result.get("model") or {}
    if model:
        rows += [
            ("评分模型训练时间", model.get("trained_at") or ""),
            ("评分模型校验值（SHA-256）", model.get("sha256") or ""),
        ]
    for stage in result.get("timings", []):
        name = STAGES.get(stage["stage"], stage["stage"])
        rows.append((f"用时：{name}（秒）", stage["seconds"]))
        if "peak_rss_mb" in stage:
            rows.append((f"内存峰值：{name}（MiB）", stage["peak_rss_mb"]))
    for note in s.get("notes", []):
        rows.append(("求解器记录（原文）", note))
    return [{"k": k, "v": v} for k, v in rows]


def _orders(c: dict[str, Any]) -> str:
    return "；".join(
        f"{o['enterprise']['name']}：" + "、".join(f"{ln['title']}×{ln['graduates']}" for ln in o["lines"])
        for o in c["orders"]
    )


def _reasons(w: dict[str, Any]) -> str:
    return "；".join(("（不利）" if r["effect"] == "-" else "") + r["text"] for r in w["reasons"])


def _by_county(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each county's part of the plan: its residents' placements and trainings, the classes held in it and
    their money, keyed by county code in code order."""
    counties: dict[str, dict[str, Any]] = {}

    def county(entry: dict[str, Any]) -> dict[str, Any]:
        return counties.setdefault(
            entry["code"],
            {"county": entry, "units": {}, **dict.fromkeys(COUNTY_FIGURES, 0)},
        )

    classes = {(c["programme"]["code"], c["start_date"]): c for c in result["classes"]}
    for c in result["classes"]:
        here = county(c["county"])
        here["本县开班数"] += 1
        here["本县开班人数"] += c["size"]
    for w in result["workers"]:
        here = county(w["county"])
        here["安排人数"] += 1
        here[ASSIGNMENT[w["assignment"]]] += 1
        line = w["line"] or {}
        if w["assignment"] == "training":
            c = classes.get((w["class"]["programme_code"], w["class"]["start_date"]))
            key = ("training", w["class"]["programme_code"], w["class"]["start_date"])
            unit = {
                "安排方式": ASSIGNMENT["training"],
                "岗位或培训项目": w["class"]["programme_name"],
                "企业或培训机构": c["institution"]["name"] if c else "",
                "工作地或开班地": _region(c["county"]) if c else "",
                "培训后岗位": f"{line.get('title', '')}（{line['enterprise']['name']}）" if line else "",
            }
        else:
            key = (w["assignment"], str(line.get("line_id", "")), "")
            unit = {
                "安排方式": ASSIGNMENT[w["assignment"]],
                "岗位或培训项目": line.get("title", ""),
                "企业或培训机构": line["enterprise"]["name"] if line else "",
                "工作地或开班地": _region(line.get("work_region")),
                "培训后岗位": "",
            }
        row = here["units"].setdefault(key, {**unit, "人数": 0, **dict.fromkeys(COUNTY_MONEY)})
        row["人数"] += 1
        if "cost" in w:
            paid = {
                "培训费用（元）": w["cost"]["cost"],
                "补贴（元）": w["subsidy"]["total"],
                "学员自付（元）": w["cost"]["person_pays"],
                "企业承担（元）": w["cost"]["enterprise_pays"],
            }
            for name, amount in paid.items():
                row[name] = (row[name] or 0) + amount
                here[name] += amount
    return dict(sorted(counties.items()))


COUNTY_MONEY = ("培训费用（元）", "补贴（元）", "学员自付（元）", "企业承担（元）")
COUNTY_FIGURES = (
    "安排人数",
    ASSIGNMENT["direct"],
    ASSIGNMENT["outbound"],
    ASSIGNMENT["training"],
    "本县开班数",
    "本县开班人数",
    *COUNTY_MONEY,
)
UNIT_COLUMNS = (
    "安排方式",
    "岗位或培训项目",
    "企业或培训机构",
    "工作地或开班地",
    "培训后岗位",
    "人数",
    *COUNTY_MONEY,
)


def _county_sheets(wb: Workbook, result: dict[str, Any]) -> None:
    """分县汇总 (a row per county and the city's total) and a sheet per county: what its residents are placed
    on or trained in, grouped by job or class, with the money of their training."""
    counties = _by_county(result)
    _sheet(
        wb,
        "分县汇总",
        (
            ("县（市、区）", lambda r: _region(r["county"])),
            *(_field(name) for name in COUNTY_FIGURES),
        ),
        list(counties.values()),
        totals=COUNTY_FIGURES,
    )
    for part in counties.values():
        order = list(ASSIGNMENT.values())
        units = sorted(
            part["units"].values(),
            key=lambda u: (order.index(u["安排方式"]), -u["人数"], u["岗位或培训项目"]),
        )
        _sheet(
            wb,
            part["county"]["name"][:31],
            tuple(_field(name) for name in UNIT_COLUMNS),
            units,
            totals=("人数", *COUNTY_MONEY),
        )


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
            raise ValueError(f"计划结果缺少「{key}」：请传入 run_plan 返回的完整结果")
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"计划工作簿须是 .xlsx 文件，收到的是 {path.name}：请把文件名改为以 .xlsx 结尾")
    labels = {g: v["label"] for g, v in result["totals"]["priority_groups"].items()}
    wb = Workbook(write_only=True)
    _sheet(wb, "总览", (("项目", lambda r: r["k"]), ("数值", lambda r: r["v"])), plan_summary(result))
    _county_sheets(wb, result)
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
        totals=(
            "开班人数",
            "座位数",
            "费用合计（元）",
            "补贴合计（元）",
            "学员自付合计（元）",
            "企业承担合计（元）",
            "预计结业人数",
            "预计稳定就业",
        ),
    )
    line_totals = ("需求人数", "直接安排", "培训后输送", "预计稳定就业")
    _sheet(wb, "直接就业", LINE_COLUMNS, result["placements"]["direct"], totals=line_totals)
    _sheet(wb, "定向输送", LINE_COLUMNS, result["placements"]["outbound"], totals=line_totals)
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
        totals=("补贴（元）", "本人自付（元）", "企业承担（元）"),
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
        totals=("需求人数", "计划安排", "未满足"),
    )
    _sheet(
        wb,
        "补贴",
        (
            ("条款", lambda s: f"（{s['article']}）"),
            ("补贴项目", lambda s: s["name"]),
            ("领取方", lambda s: PAYEES.get(s["payee"], s["payee"])),
            ("人次", lambda s: s["persons"]),
            ("金额（元）", lambda s: None if s["advance"] else s["amount"]),
            ("其中预拨（已含在其他项目内，元）", lambda s: s["amount"] if s["advance"] else None),
        ),
        result["subsidies_by_article"],
        totals=("人次", "金额（元）"),
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
    _sheet(wb, "技术说明", (("项目", lambda r: r["k"]), ("数值", lambda r: r["v"])), _technical(result))
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
