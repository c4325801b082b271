"""Reading and writing single ledger cells: the forms a bureau clerk types, turned into the engine's values.

Every reader takes the raw cell (what the workbook or the CSV reader gives: str, int, float, datetime or
None for a blank) and returns the domain value, or raises ValueError saying in Chinese what it expected
and how to fix the cell. What people write besides the template's own words is read through tables in
`data/ledger/`: vocabulary (脱贫劳动力, 初中毕业, 务工 …) and place names (short names, old names). A reader
that reads a cell differently from how it is written says so with `note`, and the import report lists it.
Every writer is the reader's inverse, so an exported cell reads back to the same value.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any

from matcher import reference as ref
from matcher.domain import (
    INDUSTRIES,
    LABELS,
    CertificateType,
    Education,
    EmploymentStatus,
    EnterpriseSize,
    HighRiskSector,
    HukouType,
    PriorityGroup,
    TrainingMode,
)
from matcher.ids import parse_credit_code, parse_id_number
from matcher.reference import DATA_DIR

VOCABULARY_PATH = DATA_DIR / "ledger" / "vocabulary.csv"
PLACE_NAMES_PATH = DATA_DIR / "ledger" / "place_names.csv"

Raw = str | int | float | date | datetime | None

_NOTES: ContextVar[list[str] | None] = ContextVar("ledger_notes", default=None)


def note(text: str) -> None:
    """Say that a cell was read differently from how it is written (collected by `noting`)."""
    notes = _NOTES.get()
    if notes is not None:
        notes.append(text)


def noting(read: Callable[[Raw], Any], raw: Raw) -> tuple[Any, list[str]]:
    """`read(raw)` and the notes it made."""
    notes: list[str] = []
    token = _NOTES.set(notes)
    try:
        return read(raw), notes
    finally:
        _NOTES.reset(token)


def is_blank(raw: Raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _clean(text: str) -> str:
    return text.replace("\u3000", " ").strip()


def _show(raw: Raw) -> str:
    return f"「{_clean(raw) if isinstance(raw, str) else raw}」"


def _number_shown(raw: float | int) -> str:
    return str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw)


# --- plain values ---------------------------------------------------------------------------


def read_text(raw: Raw) -> str:
    """Text; a number typed into a free-text column reads as its digits."""
    if isinstance(raw, bool):
        raise ValueError(f"应填文字，收到 {raw!r}")
    if isinstance(raw, int | float):
        return _number_shown(raw)
    if isinstance(raw, date):
        raise ValueError(f"应填文字，收到日期 {raw:%Y-%m-%d}；请把单元格格式设为“文本”后重新输入")
    if raw is None:
        raise ValueError("必填，但单元格是空的；请填写")
    return _clean(raw)


_LINE_BREAKS = re.compile(r"[\r\n\t\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def read_name(raw: Raw) -> str:
    """A name (of a person, enterprise, job or institution): line breaks and control characters inside it are
    removed, and the report says so."""
    text = read_text(raw)
    cleaned = re.sub(r" {2,}", " ", _LINE_BREAKS.sub("", text)).strip()
    if cleaned != text:
        note("名称中的换行符或控制字符已删去")
    return cleaned


def read_code_text(raw: Raw) -> str:
    """An identifier (岗位编号, 项目编号 …): a number cell is refused, since Excel has already dropped what
    cannot be told from the number (the zeros of 001 and 1.10)."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        raise ValueError(
            f"是数字单元格（Excel 存为 {_number_shown(raw)}），原来写的 001、1.10 之类已无法还原；"
            "请把这一列设置为“文本”格式（或在前面加英文单引号 '）后重新输入"
        )
    return read_text(raw)


def read_credit_code(raw: Raw) -> str:
    text = unicodedata.normalize("NFKC", read_code_text(raw)).replace(" ", "").lstrip("'")
    if len(text) != 18:
        raise ValueError(f"统一社会信用代码应为 18 位，这里是 {len(text)} 位；请按营业执照核对")
    try:
        return parse_credit_code(text)
    except ValueError:
        raise ValueError(
            "统一社会信用代码的校验位不对（GB 32100），多半是抄错了一位；请按营业执照核对"
        ) from None


_SCIENTIFIC = re.compile(r"\d(\.\d+)?[eE]\+?\d+")
ID_LIKE = re.compile(
    r"(?<![0-9])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx](?![0-9])"
)


def read_id_number(raw: Raw) -> str:
    """A resident ID number as people type it: spaces, a leading apostrophe, full-width digits and a lower-case x
    are normalised; a number cell and scientific notation are refused with their cause. Never echoed."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        raise ValueError(
            "是数字单元格：Excel 只保留数字的前 15 位，后几位已经变成 0；请把这一列设置为“文本”格式后重新输入"
        )
    text = unicodedata.normalize("NFKC", read_text(raw))
    text = re.sub(r"\s+", "", text).lstrip("'‘’`").upper()
    if _SCIENTIFIC.fullmatch(text):
        raise ValueError(
            "是科学计数法（如 5.30302E+17）：CSV 在 Excel 中打开后再保存，身份证号被改成了数字，后几位已丢失；"
            "请从原始记录重新录入，并把该列设为“文本”格式"
        )
    if len(text) != 18:
        raise ValueError(f"身份证号应为 18 位，这里是 {len(text)} 位；请核对")
    if not re.fullmatch(r"\d{17}[\dX]", text):
        raise ValueError("身份证号应为 17 位数字加 1 位数字或 X；请删去其中的字母或符号")
    try:
        return parse_id_number(text)[0]
    except ValueError as e:
        if "birth date" in str(e):
            raise ValueError("身份证号中的出生日期（第 7–14 位）不是有效日期；请核对") from None
        raise ValueError("身份证号的校验位不对（GB 11643），多半是抄错了一位；请按身份证核对") from None


def refuse_id_number(text: str) -> None:
    """A free-text cell holding something shaped like an ID number is refused (and the number never shown)."""
    if ID_LIKE.search(unicodedata.normalize("NFKC", text)):
        raise ValueError(
            "含有身份证号：个人身份信息不得填在此列；请删去（身份证号只填在劳动力调查表的“身份证号”列）"
        )


def read_free_text(raw: Raw) -> str:
    """Free text (岗位描述): kept as written, but never holding an ID number."""
    text = read_text(raw)
    refuse_id_number(text)
    return text


def read_name_checked(raw: Raw) -> str:
    """A name that must not hold an ID number (an ID number typed into 姓名 is refused, not stored)."""
    text = read_name(raw)
    refuse_id_number(text)
    return text


_MONEY_NOISE = re.compile(
    r"[,，\s￥¥]|人民币|元/月|元每月|元/人|每月|/月|每人|/人|元|人|天|名|个|左右|以上|起"
)
_SCALED = re.compile(r"(\d+(?:\.\d+)?)(千|k|K|万|w|W)?")
_SCALE = {None: 1, "千": 1000, "k": 1000, "K": 1000, "万": 10000, "w": 10000, "W": 10000}


def read_int(raw: Raw) -> int:
    """A whole number as people write money and counts: 3000, 3000.0, '3,000', '4500元/月', '￥4500', '4.5千'."""
    if isinstance(raw, bool):
        raise ValueError(f"应填整数，收到 {raw!r}")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if raw.is_integer():
            return int(raw)
        raise ValueError(f"应填整数，收到 {raw}；请去掉小数")
    if isinstance(raw, date):
        raise ValueError(f"应填整数，收到日期 {raw:%Y-%m-%d}；请把单元格格式设为“常规”后重新输入")
    assert raw is not None
    text = unicodedata.normalize("NFKC", _clean(raw))
    if "面议" in text:
        raise ValueError("写的是“面议”：台账须填具体金额（元/月）；请填写数字")
    if re.search(r"\d\s*[-~至到]\s*\d", text):
        raise ValueError(f"{_show(raw)} 是一个范围；请把下限和上限分别填入最低、最高两列")
    m = _SCALED.fullmatch(_MONEY_NOISE.sub("", text))
    if m:
        value = float(m.group(1)) * _SCALE[m.group(2)]
        if value.is_integer():
            return int(value)
    raise ValueError(f"应填整数（如 4500、4500元/月、￥4,500），收到 {_show(raw)}")


EXCEL_EPOCH = date(1899, 12, 30)
_DATE_FORMS = (
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]+\d{1,2}:\d{2}(?::\d{2})?)?"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})[日号]?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)
_MONTH_FORMS = (
    re.compile(r"(\d{4})[-/.](\d{1,2})"),
    re.compile(r"(\d{4})年(\d{1,2})月?"),
    re.compile(r"(\d{4})(\d{2})"),
)
DATE_HELP = "请写成 2021-03-05、2021/3/5、2021年3月5日 或 20210305，或把单元格设为日期格式"


def _serial(n: float) -> date:
    """An Excel date serial (1900 system; 44260 = 2021-03-05)."""
    if not (1 <= n <= 2958465) or not float(n).is_integer():
        raise ValueError(f"数字 {_number_shown(n)} 不是日期；{DATE_HELP}")
    return EXCEL_EPOCH + timedelta(days=int(n))


def read_date(raw: Raw, *, month_ok: bool = False) -> date:
    """An Excel date or serial, or text as 2021-03-05, 2021/3/5, 2021.3.5, 2021年3月5日 or 20210305
    (with `month_ok`, also 2021-03 or 202103: the 1st)."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        if 19000101 <= raw <= 21001231:
            raw = _number_shown(raw)
        else:
            return _serial(raw)
    text = unicodedata.normalize("NFKC", _clean(str(raw))).replace(" ", "")
    if re.fullmatch(r"\d{5}(\.0+)?", text):
        return _serial(float(text))
    forms = _DATE_FORMS + (_MONTH_FORMS if month_ok else ())
    for form in forms:
        m = form.fullmatch(text)
        if m:
            y, mo, d = [*(int(g) for g in m.groups()), 1][:3]
            try:
                return date(y, mo, d)
            except ValueError:
                raise ValueError(f"{_show(raw)} 不是有效日期（没有这一天）；请核对") from None
    raise ValueError(f"{_show(raw)} 不是日期；{DATE_HELP}")


_TRUE = frozenset({"是", "y", "yes", "true", "1", "有", "√", "✓", "对"})
_FALSE = frozenset({"否", "n", "no", "false", "0", "无", "没有", "×", "✗", "不"})


def read_bool(raw: Raw) -> bool:
    """是/否, Y/N, 1/0, true/false, 有/无, √/×."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    text = _clean(str(raw)).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"应填 是 或 否（也可写 Y/N、1/0、有/无），收到 {_show(raw)}")


def show_bool(value: bool) -> str:
    return "是" if value else "否"


# --- labelled enumerations ------------------------------------------------------------------


@cache
def vocabulary() -> dict[str, list[tuple[str, str, str]]]:
    """`data/ledger/vocabulary.csv`: per set of labels, (written, means, note) rows.

    `means` is the template label the word stands for, `-` for a word that is left out with the note, `!`
    for one refused with the note as its cause.
    """
    out: dict[str, list[tuple[str, str, str]]] = {}
    with open(VOCABULARY_PATH, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            out.setdefault(row["what"], []).append((row["written"], row["means"], row["note"]))
    return out


class Labels:
    """Chinese labels of a set of values: the first label of each value is the one written on export; the
    words people use besides them come from the vocabulary table under `key` (each naming a label or an
    alias it means)."""

    def __init__(self, key: str, what: str, labels: dict[Any, Sequence[str]]) -> None:
        self.key, self.what = key, what
        self._shown = {value: names[0] for value, names in labels.items()}
        self._read = {_squash(name): value for value, names in labels.items() for name in names}
        self._said: dict[str, tuple[str, str]] | None = None

    def _vocabulary(self) -> dict[str, tuple[str, str]]:
        """Add the table's words to the labels once; the words left out or refused, with their notes."""
        if self._said is None:
            said: dict[str, tuple[str, str]] = {}
            named = dict(self._read)  # the labels and their aliases
            for written, means, why in vocabulary().get(self.key, ()):
                if means in ("-", "!"):
                    said[_squash(written)] = (means, why)
                elif _squash(means) in named:
                    self._read.setdefault(_squash(written), named[_squash(means)])
                else:
                    raise ValueError(f"vocabulary.csv: {means!r} is not a label of {self.key}")
            self._said = said
        return self._said

    @classmethod
    def of(cls, key: str, what: str, values: type[StrEnum], aliases: dict[Any, Sequence[str]]) -> Labels:
        """A vocabulary's labels (`matcher.domain.LABELS`, the one written on export), each with its aliases."""
        return cls(key, what, {v: (LABELS[v], *aliases.get(v, ())) for v in values})

    def read(self, raw: Raw) -> Any:
        key = _squash(unicodedata.normalize("NFKC", read_text(raw)))
        said = self._vocabulary()
        if key in self._read:
            return self._read[key]
        means, why = said.get(key, ("", ""))
        if means == "-":
            note(f"{self.what}「{_clean(str(raw))}」未导入：{why}")
            return None
        if means == "!":
            raise ValueError(f"{_show(raw)}：{why}")
        raise ValueError(f"{_show(raw)} 不是{self.what}；请填写以下之一：{'、'.join(self._shown.values())}")

    def show(self, value: Any) -> str:
        return self._shown[value]

    def labels(self) -> list[str]:
        """The label of each value, as written on export and offered in a template's drop-down."""
        return list(self._shown.values())


def _squash(text: str) -> str:
    return re.sub(r"[\s、，,()（）/／]", "", text).lower()


INDUSTRY = Labels("industry", "国民经济行业门类（GB/T 4754）", {k: (v, k) for k, v in INDUSTRIES.items()})
SIZE = Labels(
    "size",
    "企业规模",
    {
        EnterpriseSize.micro: ("微型", "微型企业"),
        EnterpriseSize.small: ("小型", "小型企业"),
        EnterpriseSize.medium: ("中型", "中型企业"),
        EnterpriseSize.large: ("大型", "大型企业"),
    },
)
HIGH_RISK = Labels(
    "high_risk",
    "高危行业类别",
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
HUKOU = Labels.of(
    "hukou",
    "户口性质",
    HukouType,
    {
        HukouType.rural: ("农业", "农村", "农村户口"),
        HukouType.urban: ("非农业", "城镇", "城镇户口"),
    },
)
EDUCATION = Labels.of(
    "education",
    "文化程度",
    Education,
    {
        Education.none: ("文盲", "无"),
        Education.senior_middle: ("普通高中",),
        Education.vocational_secondary: ("中专", "技校", "职高", "中职", "技工学校"),
        Education.junior_college: ("高职", "专科"),
        Education.bachelor: ("大学本科",),
        Education.postgraduate: ("硕士", "博士", "硕士研究生", "博士研究生"),
    },
)
EMPLOYMENT = Labels.of(
    "employment",
    "就业状态",
    EmploymentStatus,
    {
        EmploymentStatus.employed: ("就业", "灵活就业"),
        EmploymentStatus.unemployed: ("失业人员",),
        EmploymentStatus.student: ("在校生", "学生"),
        EmploymentStatus.self_employed: ("创业",),
        EmploymentStatus.not_in_labour_force: ("丧失劳动能力", "退休"),
    },
)
GROUP = Labels.of(
    "group",
    "重点群体",
    PriorityGroup,
    {
        PriorityGroup.poverty_registered: ("建档立卡", "建档立卡贫困户"),
        PriorityGroup.relocated: ("易地扶贫搬迁", "易地搬迁"),
        PriorityGroup.zero_employment_family: ("零就业家庭",),
        PriorityGroup.dibao: ("低保", "低保家庭", "低保对象"),
        PriorityGroup.de_capacity_unemployed: ("去产能",),
        PriorityGroup.rural_transfer: ("农村转移劳动力",),
        PriorityGroup.graduate_unemployed: ("高校毕业生",),
    },
)
MODE = Labels.of(
    "mode",
    "培训模式",
    TrainingMode,
    {
        TrainingMode.order_based: ("订单式培训",),
        TrainingMode.targeted: ("定岗培训", "定向定岗培训"),
        TrainingMode.apprenticeship: ("新型学徒制",),
        TrainingMode.on_job_safety: ("安全技能培训",),
    },
)
CERTIFICATE = Labels.of(
    "certificate",
    "证书类型",
    CertificateType,
    {
        CertificateType.qualification: ("职业资格证",),
        CertificateType.skill_level: ("技能等级证书",),
        CertificateType.special_operation: ("特种作业操作证", "特种作业证"),
        CertificateType.training_completion: ("培训合格证",),
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
            f"{_show(raw)} 不是技能等级；请填写 五级/初级工、四级/中级工、三级/高级工、二级/技师、一级/高级技师 "
            "或数字 5 至 1"
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
        raise ValueError(f"「{text}」既不是 2022 版职业代码（如 6-18-02-04），也不是职业名称；请填写职业代码")
    return code


def code_title(text: str) -> list[Any]:
    """The occupation coder's three best candidates for a free-text job title (or a whole posting line)."""
    # Imported here: the coder builds its index (jieba, TF-IDF) only when a title actually needs coding.
    from matcher.occupations import code_occupation

    return code_occupation(text, top=3)


def read_intended_occupation(raw: Raw) -> str:
    """A code, an occupation's name, or an everyday title (电焊工) that the occupation coder can place."""
    text = read_text(raw)
    if _CODE_LIKE.fullmatch(text) or text in _occupation_names():
        return read_occupation(text)
    from matcher.occupations import best_occupation_code

    code = best_occupation_code(text)
    if code is None:
        raise ValueError(f"「{text}」无法对应到职业；请填写 2022 版职业代码（如 6-18-02-04）")
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
                f"是数字单元格 {text}：Excel 会去掉末尾的 0，无法分辨 {text} 和 {text}0；"
                "请把单元格设为“文本”格式，或填写作业项目名称"
            )
        raw = text
    text = read_text(raw)
    code = text if text in ref.special_operations() else _special_names().get(text)
    if code is None:
        raise ValueError(
            f"「{text}」不是特种作业目录中的项目；请填写项目代码（如 2.1）或名称（如 熔化焊接与热切割作业）"
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
            f"「{text}」不是已知的地区；请填写区划代码（如 530302）或名称，如 麒麟区、越州镇、深圳市、广东省深圳市"
        )
    # A city that is its own only county (嘉峪关市) appears twice under one name: the city is meant.
    outer = [c for c in found if all(c in {r.code for r in ref.region_chain(o)} for o in found)]
    if len(found) > 1 and not outer:
        listed = "、".join(f"{c} {region_label(c)}" for c in sorted(found))
        raise ValueError(f"「{text}」有多个同名地区：{listed}；请在前面写上所属的市或县，或填写区划代码")
    return outer[0] if outer else next(iter(found))


@cache
def place_names() -> dict[str, tuple[str, str]]:
    """`data/ledger/place_names.csv`: names people write that are no region's current name → (code, note)."""
    with open(PLACE_NAMES_PATH, encoding="utf-8", newline="") as f:
        return {row["written"]: (row["code"], row["note"]) for row in csv.DictReader(f)}


_SUFFIXES = ("市", "县", "区", "自治县", "镇", "乡", "街道")


def read_region(raw: Raw) -> str:
    """A region by code or name, as people write it: spaces between its parts (`曲靖市 麒麟区`), a short name
    (宣威, 深圳), or an old name (沾益县, renamed by the State Council: the report says so)."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", read_text(raw)))
    if text in place_names():
        code, why = place_names()[text]
        note(f"地名「{text}」{why}，按 {show_region(code)}（{code}）导入")
        return code
    try:
        return resolve_region(text)
    except ValueError as unknown:
        if "多个同名" in str(unknown):
            raise
        found = set()
        for suffix in _SUFFIXES:
            try:
                found.add(resolve_region(text + suffix))
            except ValueError:
                continue
        if len(found) == 1:
            return found.pop()
        if len(found) > 1:
            listed = "、".join(f"{c} {region_label(c)}" for c in sorted(found))
            raise ValueError(
                f"「{text}」可能是 {listed}；请写全称（如 {region_label(min(found))}）或区划代码"
            ) from None
        raise


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
                    value = read("、".join(pieces[i:j]))
                except ValueError as e:
                    if j == i + 1:
                        raise ValueError(f"第 {len(out) + 1} 项：{e}") from None
                    continue
                if value is not None:  # a word the vocabulary leaves out (监测对象)
                    out.append(value)
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
            raise ValueError(f"第 {n} 条「{entry}」应写成 {'|'.join(parts)}，各部分用 | 分隔")
        out.append(fields + [""] * (len(parts) - len(fields)))
    return out


def nested(n: int, what: str, read: Callable[[Raw], Any], text: str) -> Any:
    """Read one part of nested entry `n`, naming the entry and the part when it is wrong."""
    if not text:
        raise ValueError(f"第 {n} 条的{what}是空的；请补上")
    try:
        return read(text)
    except ValueError as e:
        raise ValueError(f"第 {n} 条的{what}：{e}") from None
