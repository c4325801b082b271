"""Reading and writing single ledger cells: the forms a bureau clerk types, turned into the engine's values.

Every reader takes the raw cell (what openpyxl or the CSV reader gives: str, int, float, datetime or
None for a blank) and returns the domain value, or raises ValueError saying what it expected. Every
writer is the reader's inverse, so an exported cell reads back to the same value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from functools import cache
from typing import Any

from matcher import reference as ref
from matcher.domain import (
    INDUSTRIES,
    CertificateType,
    Education,
    EmploymentStatus,
    EnterpriseSize,
    HighRiskSector,
    HukouType,
    PriorityGroup,
    TrainingMode,
)
from matcher.ids import parse_credit_code

Raw = str | int | float | date | datetime | None


def is_blank(raw: Raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _clean(text: str) -> str:
    return text.replace("\u3000", " ").strip()


def _show(raw: Raw) -> str:
    return repr(_clean(raw) if isinstance(raw, str) else raw)


# --- plain values ---------------------------------------------------------------------------


def read_text(raw: Raw) -> str:
    """Text; a whole number typed into a text column (岗位编号 1) reads as its digits."""
    if isinstance(raw, bool):
        raise ValueError(f"expected text, got {raw!r}")
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, int | float):
        return str(raw)
    if isinstance(raw, date):
        raise ValueError(f"expected text, got the date {raw:%Y-%m-%d}")
    assert raw is not None
    return _clean(raw)


def read_code_text(raw: Raw) -> str:
    """An identifier that Excel must keep as text: a long number has already lost digits."""
    if isinstance(raw, int | float) and not isinstance(raw, bool) and abs(raw) >= 1e15:
        raise ValueError(
            "the cell holds a number and Excel keeps only 15 digits of it: format the column as text (文本) "
            "and type the value again"
        )
    return read_text(raw)


def read_credit_code(raw: Raw) -> str:
    return parse_credit_code(read_code_text(raw))


_INT_NOISE = re.compile(r"[,，\s]|(元|人|天|名|个)$")


def read_int(raw: Raw) -> int:
    """A whole number: 3000, 3000.0, '3,000' and '3000元' all read as 3000."""
    if isinstance(raw, bool):
        raise ValueError(f"expected a whole number, got {raw!r}")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if raw.is_integer():
            return int(raw)
        raise ValueError(f"expected a whole number, got {raw!r}")
    if isinstance(raw, date):
        raise ValueError(f"expected a whole number, got the date {raw:%Y-%m-%d}")
    assert raw is not None
    text = _INT_NOISE.sub("", _clean(raw))
    if re.fullmatch(r"\d+(\.0+)?", text):
        return int(float(text))
    raise ValueError(f"expected a whole number, got {_show(raw)}")


_DATE_FORMS = (
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:\s+0{1,2}:00(?::00)?)?"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?"),
)
_MONTH_FORMS = (re.compile(r"(\d{4})[-/.](\d{1,2})"), re.compile(r"(\d{4})年(\d{1,2})月?"))


def read_date(raw: Raw, *, month_ok: bool = False) -> date:
    """An Excel date, or text as YYYY-MM-DD, YYYY/M/D or YYYY年M月D日 (with `month_ok`, also YYYY-MM: the 1st)."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if not isinstance(raw, str):
        raise ValueError(
            f"expected a date such as 2024-03-01, got the number {raw!r}: format the cell as a date"
        )
    text = _clean(raw)
    forms = _DATE_FORMS + (_MONTH_FORMS if month_ok else ())
    for form in forms:
        m = form.fullmatch(text)
        if m:
            y, mo, d = [*(int(g) for g in m.groups()), 1][:3]
            try:
                return date(y, mo, d)
            except ValueError:
                raise ValueError(f"{text!r} is not a valid date") from None
    raise ValueError(f"expected a date as YYYY-MM-DD, YYYY/M/D or YYYY年M月D日, got {text!r}")


_TRUE = frozenset({"是", "y", "yes", "true", "1"})
_FALSE = frozenset({"否", "n", "no", "false", "0"})


def read_bool(raw: Raw) -> bool:
    """是/否, Y/N, 1/0 or true/false."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    text = _clean(str(raw)).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"expected 是 or 否 (also Y/N, 1/0, true/false), got {_show(raw)}")


def show_bool(value: bool) -> str:
    return "是" if value else "否"


# --- labelled enumerations ------------------------------------------------------------------


class Labels:
    """Chinese labels of a set of values: the first label of each value is the one written on export."""

    def __init__(self, what: str, labels: dict[Any, Sequence[str]]) -> None:
        self.what = what
        self._shown = {value: names[0] for value, names in labels.items()}
        self._read = {_squash(name): value for value, names in labels.items() for name in names}

    def read(self, raw: Raw) -> Any:
        key = _squash(read_text(raw))
        if key not in self._read:
            raise ValueError(
                f"{_show(raw)} is not a {self.what}: write one of {'、'.join(self._shown.values())}"
            )
        return self._read[key]

    def show(self, value: Any) -> str:
        return self._shown[value]


def _squash(text: str) -> str:
    return re.sub(r"[\s、，,]", "", text).lower()


INDUSTRY = Labels("GB/T 4754 industry section", {k: (v, k) for k, v in INDUSTRIES.items()})
SIZE = Labels(
    "enterprise size",
    {
        EnterpriseSize.micro: ("微型", "微型企业"),
        EnterpriseSize.small: ("小型", "小型企业"),
        EnterpriseSize.medium: ("中型", "中型企业"),
        EnterpriseSize.large: ("大型", "大型企业"),
    },
)
HIGH_RISK = Labels(
    "high-risk industry",
    {
        HighRiskSector.chemicals: ("化工",),
        HighRiskSector.mining: ("矿山", "煤矿", "非煤矿山"),
        HighRiskSector.metal_smelting: ("金属冶炼", "冶金"),
        HighRiskSector.construction: ("建筑施工", "建筑"),
        HighRiskSector.road_transport: ("道路运输",),
        HighRiskSector.hazardous_goods: ("危险品", "危险品生产经营储存", "危险化学品"),
        None: ("", "无", "否"),
    },
)
HUKOU = Labels(
    "household registration type",
    {
        HukouType.rural: ("农业", "农村", "农业户口", "农村户口"),
        HukouType.urban: ("非农业", "城镇", "非农业户口", "城镇户口"),
    },
)
EDUCATION = Labels(
    "level of education",
    {
        Education.none: ("未上学", "文盲", "无"),
        Education.primary: ("小学",),
        Education.junior_middle: ("初中",),
        Education.senior_middle: ("高中", "普通高中"),
        Education.vocational_secondary: ("中专", "技校", "职高", "中职", "技工学校"),
        Education.junior_college: ("大专", "高职", "专科"),
        Education.bachelor: ("本科", "大学本科"),
        Education.postgraduate: ("研究生", "硕士", "博士", "硕士研究生", "博士研究生"),
    },
)
EMPLOYMENT = Labels(
    "employment status",
    {
        EmploymentStatus.employed: ("已就业", "就业", "灵活就业"),
        EmploymentStatus.unemployed: ("失业", "失业人员"),
        EmploymentStatus.student: ("在校学生", "在校生", "学生"),
        EmploymentStatus.self_employed: ("自主创业", "创业"),
        EmploymentStatus.not_in_labour_force: ("未参与劳动", "丧失劳动能力", "退休"),
    },
)
GROUP = Labels(
    "priority group",
    {
        PriorityGroup.poverty_registered: ("建档立卡贫困劳动力", "建档立卡", "建档立卡贫困户"),
        PriorityGroup.relocated: ("易地扶贫搬迁劳动力", "易地扶贫搬迁", "易地搬迁"),
        PriorityGroup.two_after: ("两后生",),
        PriorityGroup.veteran: ("退役军人",),
        PriorityGroup.disabled: ("残疾人",),
        PriorityGroup.zero_employment_family: ("零就业家庭",),
        PriorityGroup.dibao: ("低保", "低保家庭", "低保对象"),
        PriorityGroup.de_capacity_unemployed: ("去产能失业人员", "去产能"),
        PriorityGroup.rural_transfer: ("农村转移就业劳动力", "农村转移劳动力"),
        PriorityGroup.transferred_worker: ("转岗职工",),
        PriorityGroup.graduate_unemployed: ("离校未就业高校毕业生", "高校毕业生"),
    },
)
MODE = Labels(
    "training mode",
    {
        TrainingMode.order_based: ("订单培训", "订单式培训"),
        TrainingMode.targeted: ("定向培训", "定岗培训", "定向定岗培训"),
        TrainingMode.project_based: ("项目制培训",),
        TrainingMode.apprenticeship: ("企业新型学徒制", "新型学徒制"),
        TrainingMode.pre_job: ("岗前培训",),
        TrainingMode.on_job_safety: ("在岗安全技能培训", "安全技能培训"),
        TrainingMode.job_transfer: ("转岗转业培训",),
        TrainingMode.entrepreneurship: ("创业培训",),
        TrainingMode.self_selected: ("自主选择培训",),
    },
)
CERTIFICATE = Labels(
    "certificate type",
    {
        CertificateType.qualification: ("职业资格证书", "职业资格证"),
        CertificateType.skill_level: ("职业技能等级证书", "技能等级证书"),
        CertificateType.special_ability: ("专项职业能力证书",),
        CertificateType.special_operation: ("特种作业操作证书", "特种作业操作证", "特种作业证"),
        CertificateType.training_completion: ("培训合格证书", "培训合格证"),
    },
)


def read_high_risk(raw: Raw) -> HighRiskSector | None:
    return HIGH_RISK.read(raw)


def show_high_risk(value: str | None) -> str:
    return HIGH_RISK.show(HighRiskSector(value) if value else None)


# --- skill levels ---------------------------------------------------------------------------


@cache
def _level_names() -> dict[str, int]:
    names: dict[str, int] = {}
    short = {5: "初级", 4: "中级", 3: "高级"}
    for lv in ref.skill_levels().values():
        cn = lv.label.split("/")[0]
        for name in (str(lv.level), cn, lv.title, lv.label, short.get(lv.level, lv.title)):
            names[_squash(name)] = lv.level
    return names


def read_level(raw: Raw) -> int:
    """A national skill level: 1–5, 五级 … 一级, 初级工 … 高级技师, or 五级/初级工."""
    level = _level_names().get(_squash(read_text(raw)).replace("／", "/"))
    if level is None:
        raise ValueError(
            f"{_show(raw)} is not a skill level: write 五级/初级工, 四级/中级工, 三级/高级工, 二级/技师, "
            "一级/高级技师 or the number 5 to 1"
        )
    return level


def show_level(level: int | None) -> str:
    return ref.skill_levels()[level].label if level is not None else ""


# --- occupations and special operations -----------------------------------------------------

_CODE_LIKE = re.compile(r"\d[\d\-.]*")


@cache
def _occupation_names() -> dict[str, str]:
    return {o.name: o.code for o in ref.leaf_occupations()}


def read_occupation(raw: Raw) -> str:
    """A 2022 occupation code, or a leaf occupation's exact name; an unknown code is left for the model to refuse."""
    text = read_text(raw)
    if _CODE_LIKE.fullmatch(text):
        return text
    code = _occupation_names().get(text)
    if code is None:
        raise ValueError(
            f"{text!r} is neither a 2022 occupation code (e.g. 6-18-02-04) nor an occupation's name"
        )
    return code


def code_title(text: str) -> str | None:
    """The occupation code for a free-text job title, from the occupation coder; None if it cannot say."""
    # Imported here: the coder builds its index (jieba, TF-IDF) only when a title actually needs coding.
    from matcher.occupations import best_occupation_code

    return best_occupation_code(text)


def read_intended_occupation(raw: Raw) -> str:
    """A code, an occupation's name, or an everyday title (电焊工) that the occupation coder can place."""
    text = read_text(raw)
    if _CODE_LIKE.fullmatch(text) or text in _occupation_names():
        return read_occupation(text)
    code = code_title(text)
    if code is None:
        raise ValueError(
            f"{text!r} could not be matched to an occupation: write its 2022 code (e.g. 6-18-02-04)"
        )
    return code


@cache
def _special_names() -> dict[str, str]:
    return {op.name: op.code for op in ref.special_operations().values()}


def read_special_operation(raw: Raw) -> str:
    """A special-operation item by code ('2.1') or name (熔化焊接与热切割作业)."""
    if isinstance(raw, float):
        text = repr(raw)
        if text + "0" in ref.special_operations():
            raise ValueError(
                f"the cell holds the number {text}, and Excel drops trailing zeros, so {text} and {text}0 "
                "cannot be told apart: format the cell as text or write the item's name"
            )
        raw = text
    text = read_text(raw)
    code = text if text in ref.special_operations() else _special_names().get(text)
    if code is None:
        raise ValueError(
            f"{text!r} is not an item of the special-operation catalogue: write its code (2.1) or "
            "name (熔化焊接与热切割作业)"
        )
    return code


# --- regions --------------------------------------------------------------------------------

_SKIPPED_NAMES = frozenset({"市辖区", "省直辖县级行政区划", "自治区直辖县级行政区划", "县"})
ETDZ_ALIASES = ("经开区", "曲靖经开区", "曲靖经济开发区", "曲靖开发区")


@cache
def _region_names() -> dict[str, tuple[str, ...]]:
    names: dict[str, list[str]] = {}
    for r in ref.regions().values():
        names.setdefault(r.name, []).append(r.code)
    for alias in ETDZ_ALIASES:
        names.setdefault(alias, []).append(ref.ETDZ_CODE)
    return {name: tuple(codes) for name, codes in names.items()}


def _prefix_fits(prefix: str, containers: list[str]) -> bool:
    """Whether `prefix` is the names of some of `containers` (outermost first), in order, nothing else."""
    if not prefix:
        return True
    return any(
        prefix.startswith(name) and _prefix_fits(prefix[len(name) :], containers[i + 1 :])
        for i, name in enumerate(containers)
    )


def region_label(code: str) -> str:
    """A region's full name, province first (广东省深圳市), as shown to people choosing between candidates."""
    names = [r.name for r in reversed(ref.region_chain(code)) if r.name not in _SKIPPED_NAMES]
    return "".join(names)


@cache
def resolve_region(text: str) -> str:
    """The region code for a code or a name; names may be prefixed by their province, city or county."""
    if ref.is_region(text):
        return text
    found: set[str] = set()
    for i in range(len(text)):
        for code in _region_names().get(text[i:], ()):
            containers = [r.name for r in reversed(ref.region_chain(code)[1:])]
            if _prefix_fits(text[:i], containers):
                found.add(code)
    if not found:
        raise ValueError(
            f"{text!r} is not a known region: give a code (530302) or a name such as 麒麟区, 越州镇, 深圳市 "
            "or 广东省深圳市"
        )
    # A city that is its own only county (嘉峪关市) appears twice under one name: the city is meant.
    outer = [c for c in found if all(c in {r.code for r in ref.region_chain(o)} for o in found)]
    if len(found) > 1 and not outer:
        listed = "、".join(f"{c} {region_label(c)}" for c in sorted(found))
        raise ValueError(
            f"{text!r} is ambiguous: it may be {listed}; write the county or city before it, or the code"
        )
    return outer[0] if outer else next(iter(found))


def read_region(raw: Raw) -> str:
    return resolve_region(read_text(raw))


@cache
def show_region(code: str) -> str:
    """The shortest name that reads back as this region: its own name, else its full name, else the code."""
    for text in (ref.region(code).name, region_label(code)):
        try:
            if resolve_region(text) == code:
                return text
        except ValueError:
            continue
    return code


def show_occupation_names(codes: Iterable[str]) -> str:
    """Occupations by name (leaf names are unique, so they read back as the same codes)."""
    return show_list(ref.occupation(c).name for c in codes)


# --- lists and nested entries ---------------------------------------------------------------

_LIST_SEPARATORS = re.compile(r"[;；、,，\n]")
_ENTRY_SEPARATORS = re.compile(r"[;；\n]")
_PART_SEPARATOR = re.compile(r"[|｜]")


def read_list(
    read: Callable[[Raw], Any], *, names_with_separators: bool = False
) -> Callable[[Raw], list[Any]]:
    """A reader for several values in one cell separated by 、 ; or ,.

    With `names_with_separators`, the longest run of pieces that reads as one value wins, so that an item
    named 高处安装、维护、拆除作业 is kept whole.
    """

    def read_many(raw: Raw) -> list[Any]:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return [read(raw)]
        pieces = [p.strip() for p in _LIST_SEPARATORS.split(read_text(raw)) if p.strip()]
        out: list[Any] = []
        i = 0
        while i < len(pieces):
            longest = len(pieces) if names_with_separators else i + 1
            for j in range(longest, i, -1):
                try:
                    out.append(read("、".join(pieces[i:j])))
                except ValueError as e:
                    if j == i + 1:
                        raise ValueError(f"item {len(out) + 1}: {e}") from None
                    continue
                i = j
                break
        return out

    return read_many


def show_list(values: Iterable[str]) -> str:
    return "、".join(values)


def entries(raw: Raw, parts: Sequence[str], min_parts: int | None = None) -> list[list[str]]:
    """Split a nested cell into entries (separated by ；) of `parts` fields (separated by |), padded with ''."""
    found = [e.strip() for e in _ENTRY_SEPARATORS.split(read_text(raw)) if e.strip()]
    out = []
    for n, entry in enumerate(found, start=1):
        fields = [f.strip() for f in _PART_SEPARATOR.split(entry)]
        if not ((min_parts or len(parts)) <= len(fields) <= len(parts)):
            raise ValueError(f"entry {n} {entry!r} must be {'|'.join(parts)}, with the parts separated by |")
        out.append(fields + [""] * (len(parts) - len(fields)))
    return out


def nested(n: int, what: str, read: Callable[[Raw], Any], text: str) -> Any:
    """Read one part of nested entry `n`, naming the entry and the part when it is wrong."""
    if not text:
        raise ValueError(f"entry {n}, {what}: is blank")
    try:
        return read(text)
    except ValueError as e:
        raise ValueError(f"entry {n}, {what}: {e}") from None
