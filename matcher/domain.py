"""The engine's domain: enterprises and their demand ledgers, workers, training, placements, claims.

Input models forbid unknown fields and validate against the reference data, so that a bad ledger
row is refused with a message naming the field before anything reaches the store.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from matcher import labour
from matcher import reference as ref
from matcher.ids import hash_id_number, mask_id_number, parse_credit_code, parse_id_number
from matcher.text import MULTILINE, clean_text


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=False)

    @field_validator("*", mode="after")
    @classmethod
    def _clean_text(cls, value: object, info: ValidationInfo) -> object:
        """Text fields lose zero-width characters and refuse other invisible ones (`matcher.text`)."""
        multiline = info.field_name in MULTILINE
        if isinstance(value, str):
            return clean_text(value, multiline=multiline)
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            cleaned = [clean_text(v, multiline=multiline) for v in value]
            return value if cleaned == value else cleaned
        return value


class Sex(StrEnum):
    M = "M"
    F = "F"


class HukouType(StrEnum):
    rural = "rural"
    urban = "urban"


class Education(StrEnum):
    none = "none"
    primary = "primary"
    junior_middle = "junior_middle"
    senior_middle = "senior_middle"
    vocational_secondary = "vocational_secondary"
    junior_college = "junior_college"
    bachelor = "bachelor"
    postgraduate = "postgraduate"


EDUCATION_RANK = {e: i for i, e in enumerate(Education)}


class EmploymentStatus(StrEnum):
    employed = "employed"
    unemployed = "unemployed"
    student = "student"
    self_employed = "self_employed"
    not_in_labour_force = "not_in_labour_force"


class PriorityGroup(StrEnum):
    """The plan's priority groups (articles 四, 五, 十七–二十)."""

    poverty_registered = "poverty_registered"
    relocated = "relocated"
    two_after = "two_after"
    veteran = "veteran"
    disabled = "disabled"
    zero_employment_family = "zero_employment_family"
    dibao = "dibao"
    de_capacity_unemployed = "de_capacity_unemployed"
    rural_transfer = "rural_transfer"
    transferred_worker = "transferred_worker"
    graduate_unemployed = "graduate_unemployed"


class CertificateType(StrEnum):
    """The certificates article 十六 accepts for the training subsidy."""

    qualification = "qualification"  # 职业资格证书
    skill_level = "skill_level"  # 职业技能等级证书
    special_ability = "special_ability"  # 专项职业能力证书
    special_operation = "special_operation"  # 特种作业操作证书
    training_completion = "training_completion"  # 培训合格证书


class TrainingMode(StrEnum):
    order_based = "order_based"  # 订单培训
    targeted = "targeted"  # 定向/定岗培训
    project_based = "project_based"  # 项目制培训
    apprenticeship = "apprenticeship"  # 企业新型学徒制
    pre_job = "pre_job"  # 岗前培训
    on_job_safety = "on_job_safety"  # 在岗安全技能培训
    job_transfer = "job_transfer"  # 转岗转业培训
    entrepreneurship = "entrepreneurship"  # 创业培训
    self_selected = "self_selected"  # 自主选择培训


class InstitutionKind(StrEnum):
    """The kinds of training institution (article 十五); the value is the word the ledgers use."""

    technician_school = "技工院校"
    vocational_school = "职业院校"
    private_school = "社会培训机构"
    enterprise_centre = "企业培训中心"


class Party(StrEnum):
    """Who pays, is paid or advances a training's money."""

    person = "person"
    enterprise = "enterprise"
    institution = "institution"


class Organiser(StrEnum):
    """Who organises a training (article 十六 and 十七 pay differently by it)."""

    by_self = "self"
    enterprise = "enterprise"
    public_tender = "public_tender"
    institution = "institution"


class LineStatus(StrEnum):
    open = "open"
    closed = "closed"


class PlanStatus(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"
    cancelled = "cancelled"


class EnterpriseSize(StrEnum):
    micro = "micro"
    small = "small"
    medium = "medium"
    large = "large"


class HighRiskSector(StrEnum):
    """High-risk industries of article 三, whose staff need safety and special-operation training."""

    chemicals = "chemicals"  # 化工
    mining = "mining"  # 矿山
    metal_smelting = "metal_smelting"  # 金属冶炼
    construction = "construction"  # 建筑施工
    road_transport = "road_transport"  # 道路运输
    hazardous_goods = "hazardous_goods"  # 危险品生产经营储存


LABELS: dict[StrEnum, str] = {
    Sex.M: "男",
    Sex.F: "女",
    HukouType.rural: "农业户口",
    HukouType.urban: "非农业户口",
    Education.none: "未上学",
    Education.primary: "小学",
    Education.junior_middle: "初中",
    Education.senior_middle: "高中",
    Education.vocational_secondary: "中职（中专、技校、职高）",
    Education.junior_college: "大专",
    Education.bachelor: "本科",
    Education.postgraduate: "研究生",
    EmploymentStatus.employed: "已就业",
    EmploymentStatus.unemployed: "失业",
    EmploymentStatus.student: "在校学生",
    EmploymentStatus.self_employed: "自主创业",
    EmploymentStatus.not_in_labour_force: "未参与劳动",
    PriorityGroup.poverty_registered: "建档立卡贫困劳动力",
    PriorityGroup.relocated: "易地扶贫搬迁劳动力",
    PriorityGroup.two_after: "两后生",
    PriorityGroup.veteran: "退役军人",
    PriorityGroup.disabled: "残疾人",
    PriorityGroup.zero_employment_family: "零就业家庭成员",
    PriorityGroup.dibao: "低保家庭成员",
    PriorityGroup.de_capacity_unemployed: "去产能失业人员",
    PriorityGroup.rural_transfer: "农村转移就业劳动力",
    PriorityGroup.transferred_worker: "转岗职工",
    PriorityGroup.graduate_unemployed: "离校未就业高校毕业生",
    CertificateType.qualification: "职业资格证书",
    CertificateType.skill_level: "职业技能等级证书",
    CertificateType.special_ability: "专项职业能力证书",
    CertificateType.special_operation: "特种作业操作证书",
    CertificateType.training_completion: "培训合格证书",
    TrainingMode.order_based: "订单培训",
    TrainingMode.targeted: "定向培训",
    TrainingMode.project_based: "项目制培训",
    TrainingMode.apprenticeship: "企业新型学徒制",
    TrainingMode.pre_job: "岗前培训",
    TrainingMode.on_job_safety: "在岗安全技能培训",
    TrainingMode.job_transfer: "转岗转业培训",
    TrainingMode.entrepreneurship: "创业培训",
    TrainingMode.self_selected: "自主选择培训",
    LineStatus.open: "招聘中",
    LineStatus.closed: "已关闭",
    PlanStatus.queued: "排队中",
    PlanStatus.running: "运行中",
    PlanStatus.done: "已完成",
    PlanStatus.failed: "失败",
    PlanStatus.cancelled: "已取消",
    Party.person: "本人",
    Party.enterprise: "企业",
    Party.institution: "培训机构",
    Organiser.by_self: "个人自主参加",
    Organiser.enterprise: "企业组织",
    Organiser.public_tender: "政府购买服务",
    Organiser.institution: "培训机构组织",
    **{kind: kind.value for kind in InstitutionKind},
}
"""The Chinese label of each value of the vocabularies above: what pages, workbooks, ledgers and reasons show."""


def labels_of(vocabulary: type[StrEnum]) -> dict[str, str]:
    """One vocabulary's labels, code to label (e.g. `labels_of(PriorityGroup)["dibao"]` is 低保家庭成员)."""
    return {value.value: LABELS[value] for value in vocabulary}


INDUSTRIES = {
    "A": "农、林、牧、渔业",
    "B": "采矿业",
    "C": "制造业",
    "D": "电力、热力、燃气及水生产和供应业",
    "E": "建筑业",
    "F": "批发和零售业",
    "G": "交通运输、仓储和邮政业",
    "H": "住宿和餐饮业",
    "I": "信息传输、软件和信息技术服务业",
    "J": "金融业",
    "K": "房地产业",
    "L": "租赁和商务服务业",
    "M": "科学研究和技术服务业",
    "N": "水利、环境和公共设施管理业",
    "O": "居民服务、修理和其他服务业",
    "P": "教育",
    "Q": "卫生和社会工作",
    "R": "文化、体育和娱乐业",
    "S": "公共管理、社会保障和社会组织",
}
"""GB/T 4754-2017 industry sections (门类)."""

RegionCode = Annotated[str, Field(min_length=6, max_length=13)]
Yuan = Annotated[int, Field(ge=0, le=10_000_000)]


def _region(code: str) -> str:
    if not ref.is_region(code):
        raise ValueError(
            f"{code!r} 不是已知的区划代码：请填写 GB/T 2260 的省、市、县代码或曲靖的乡镇（街道）代码，如 530302"
        )
    return code


def _occupation(code: str) -> str:
    if not ref.is_occupation(code):
        raise ValueError(f"{code!r} 不是 2022 版职业分类中的职业（细类）：请填写细类代码，如 6-18-02-04")
    return code


def _special_operation(code: str) -> str:
    if code not in ref.special_operations():
        raise ValueError(f"{code!r} 不是特种作业目录中的项目：请填写目录编号，如 2.1（熔化焊接与热切割作业）")
    return code


class Enterprise(Strict):
    credit_code: str = Field(description="统一社会信用代码, GB 32100")
    name: str = Field(min_length=2, max_length=100)
    industry: str = Field(description="GB/T 4754-2017 section letter A–S")
    region: RegionCode
    size: EnterpriseSize
    high_risk_sector: HighRiskSector | None = None
    insured: bool = Field(True, description="pays social insurance for its staff (article 十九)")

    @property
    def high_risk(self) -> bool:
        return self.high_risk_sector is not None

    _check_code = field_validator("credit_code")(classmethod(lambda _cls, v: parse_credit_code(v)))

    @field_validator("industry")
    @classmethod
    def _industry(cls, v: str) -> str:
        if v not in INDUSTRIES:
            raise ValueError(
                f"行业门类 {v!r} 不是 GB/T 4754-2017 的门类：请填写 A 到 S 中的一个字母，如 C（制造业）"
            )
        return v

    _reg = field_validator("region")(classmethod(lambda _cls, v: _region(v)))

    @property
    def partner(self) -> bool:
        """An employer outside Qujing recruiting through outbound placement (定向输送, article 七)."""
        return not ref.is_in_qujing(self.region)


# The posting check: what a posting may not require, with the article of the Employment Promotion Law (就业促进法)
# each refusal cites. Lawful phrasings that name a ground only to lift it (不限男女, 户籍不限) are removed before
# the scan; a men-only restriction on work barred to women by law is let through by the caller (matcher.labour).
LAWFUL_NEGATIONS = re.compile(
    r"(不限|无)\s*[:：]?\s*(男女|性别|户籍|户口|民族|地区|地域|籍贯)|"
    r"(男女|性别|户籍|户口|民族|地区|地域|籍贯)\s*[:：]?\s*(不限|均可|皆可|都可|无要求|不限制)|男女均可|男女皆可"
)
EQUALITY = "劳动者就业，不因民族、种族、性别、宗教信仰等不同而受歧视；用人单位招用人员不得实施就业歧视（《就业促进法》第三条、第二十六条）"
_SEX = r"(?:男|女)(?:性|士|生|工)?"
_ASKS = r"(?:限招|限|只招|仅招|仅限|只限|只要|只收|要求|需|须|优先录用|优先招聘|优先|录用|招收|招聘|招)"
DISCRIMINATION_RULES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    (
        "性别",
        re.compile(
            rf"{_ASKS}\s*[:：]?\s*{_SEX}|性别\s*(?:要求)?\s*[:：]?\s*(?:男|女)|(?:男|女)(?:性|士)?\s*(?:优先|限定|为主|者优先)|"
            rf"[（(]\s*(?:限)?(?:男|女)(?:性|士)?\s*[)）]|不招\s*(?:男|女)|(?:男|女)(?:性|士)\s*[，,、]?\s*\d+\s*(?:周岁|岁)|"
            rf"(?:以上|以下|cm|厘米|公斤|kg)\s*的?\s*(?:男|女)(?:性|士)"
        ),
        "不得以性别为由拒绝录用妇女或者提高对妇女的录用标准（《就业促进法》第二十七条）",
    ),
    (
        "民族",
        re.compile(
            r"(限|只招|仅招|仅限|要求|优先)\s*汉族|汉族(优先|为主)|不招.{0,4}(少数民族|[回藏维彝苗]族)|"
            r"(少数民族|[回藏维彝苗]族).{0,2}(勿扰|不要|除外)"
        ),
        "各民族劳动者享有平等的劳动权利（《就业促进法》第二十八条）",
    ),
    (
        "户籍",
        re.compile(
            r"(限|只招|仅招|仅限|只限|要求)\s*(本地|本市|本县|城镇|城市|非农|曲靖|当地)?\s*(户口|户籍|人)|"
            r"(本地|本市|本县|城镇|城市|非农|曲靖|当地)\s*(户口|户籍|人)\s*(者)?\s*(优先|为主)|"
            r"(农村|外地|外省|外县)(户口|户籍|人)?.{0,2}(勿扰|不要|除外)|不招.{0,4}(农村|外地|外省)"
        ),
        "农村劳动者进城就业享有与城镇劳动者平等的劳动权利，不得设置歧视性限制（《就业促进法》第三十一条）",
    ),
    (
        "年龄",
        # an upper age below the lowest statutory retirement age (50); a minimum working age (年满16/18周岁) is lawful
        re.compile(
            r"(?:[1-4]\d)\s*(?:周岁|岁)\s*(?:以下|以内|之下|以内者)|(?:\d{2})\s*[-~～至到]\s*(?:[1-4]\d)\s*(?:周岁|岁)|"
            r"年龄\s*(?:要求)?\s*[:：]?\s*(?:不超过|不大于|小于|低于)\s*[1-4]\d"
        ),
        EQUALITY,
    ),
    (
        "容貌",
        re.compile(
            r"身高\s*[:：]?\s*\d{3}|\d{3}\s*(?:cm|厘米|公分)\s*以上|体重\s*[:：]?\s*\d|五官端正|相貌端正|"
            r"形象好|形象气质佳|气质佳|长相|颜值"
        ),
        EQUALITY,
    ),
)


def _favours_men(phrase: str) -> bool:
    return ("男" in phrase and "女" not in phrase) or (phrase.startswith("不招") and "女" in phrase)


def discrimination_reasons(text: str, *, men_only_required: bool = False) -> list[str]:
    """The unlawful restrictions a posting's text states, each with the article it breaks.

    With `men_only_required` (work barred to women by law), restricting the work to men is not one.
    """
    text = LAWFUL_NEGATIONS.sub("", text)
    out = []
    for ground, pattern, why in DISCRIMINATION_RULES:
        found = [m.group() for m in pattern.finditer(text)]
        if ground == "性别" and men_only_required:
            found = [f for f in found if not _favours_men(f)]
        if found:
            out.append(f"{ground}（“{found[0]}”）：{why}")
    return out


class DemandLine(Strict):
    """One row of an enterprise's labour-demand ledger (企业用工需求台账)."""

    enterprise_code: str = Field(description="the posting enterprise's 统一社会信用代码")
    line_ref: str = Field(
        min_length=1, max_length=40, description="the enterprise's own number for this line"
    )
    occupation_code: str
    title: str = Field(min_length=1, max_length=60)
    required_level: int | None = Field(None, ge=1, le=5, description="national level 5 初级工 … 1 高级技师")
    required_certificates: list[str] = Field(default_factory=list, description="special-operation item codes")
    headcount: int = Field(gt=0, le=10_000)
    wage_min: Yuan
    wage_max: Yuan
    work_region: RegionCode
    start_date: date
    end_date: date
    accepts_order_training: bool = False
    description: str = Field("", max_length=2000)

    _occ = field_validator("occupation_code")(classmethod(lambda _cls, v: _occupation(v)))
    _certs = field_validator("required_certificates")(
        classmethod(lambda _cls, v: [_special_operation(c) for c in v])
    )
    _credit = field_validator("enterprise_code")(classmethod(lambda _cls, v: parse_credit_code(v)))

    @field_validator("work_region")
    @classmethod
    def _work_region(cls, v: str) -> str:
        r = ref.region(_region(v))
        if not ref.is_in_qujing(v) and r.kind not in ("city", "county"):
            raise ValueError(
                f"曲靖以外的工作地点须写到市或县（定向输送，第七条），{r.name} 不行；请填写所在的市或县"
            )
        return v

    @model_validator(mode="after")
    def _consistent(self) -> DemandLine:
        if self.wage_max < self.wage_min:
            raise ValueError(
                f"wage_max {self.wage_max} 低于 wage_min {self.wage_min}：月薪上限须不低于下限，请改正"
            )
        if self.end_date < self.start_date:
            raise ValueError(
                f"end_date {self.end_date} 早于 start_date {self.start_date}：结束日期须不早于开始日期，请改正"
            )
        text = f"{self.title} {self.description}"
        hazards = labour.hazards_of(self.occupation_code, text, self.required_certificates)
        men_only = "male_only" in labour.required_restrictions(hazards)
        reasons = discrimination_reasons(
            labour.strip_required_restrictions(text, hazards), men_only_required=men_only
        )
        if reasons:
            raise ValueError("岗位写有违法的招聘限制，不能发布：" + "；".join(reasons))
        return self

    @property
    def outbound(self) -> bool:
        return not ref.is_in_qujing(self.work_region)


class HeldCertificate(Strict):
    kind: CertificateType
    occupation_code: str | None = None
    level: int | None = Field(None, ge=1, le=5)
    special_operation: str | None = None
    issued_on: date

    _occ = field_validator("occupation_code")(classmethod(lambda _cls, v: v if v is None else _occupation(v)))
    _op = field_validator("special_operation")(
        classmethod(lambda _cls, v: v if v is None else _special_operation(v))
    )

    @model_validator(mode="after")
    def _shape(self) -> HeldCertificate:
        if self.kind == CertificateType.special_operation and not self.special_operation:
            raise ValueError("special_operation 必填：特种作业操作证书须写明特种作业项目，如 2.1")
        if self.kind != CertificateType.special_operation and not self.occupation_code:
            raise ValueError(f"occupation_code 必填：{LABELS[self.kind]}须写明职业代码，如 6-18-02-04")
        return self


class WorkSpell(Strict):
    occupation_code: str
    region: RegionCode
    start: date
    end: date | None = None

    _occ = field_validator("occupation_code")(classmethod(lambda _cls, v: _occupation(v)))
    _reg = field_validator("region")(classmethod(lambda _cls, v: _region(v)))


class Intentions(Strict):
    occupations: list[str] = Field(default_factory=list, max_length=5)
    regions: list[RegionCode] = Field(default_factory=list, max_length=10)
    outside_province: bool = False
    min_wage: Yuan = 0
    start_business: bool = False

    _occ = field_validator("occupations")(classmethod(lambda _cls, v: [_occupation(c) for c in v]))
    _reg = field_validator("regions")(classmethod(lambda _cls, v: [_region(c) for c in v]))


class PriorTraining(Strict):
    """A subsidised training already received (article 十六 caps and repeats)."""

    year: int = Field(ge=2000, le=2100)
    occupation_code: str
    level: int | None = Field(None, ge=1, le=5)
    project_id: str

    _occ = field_validator("occupation_code")(classmethod(lambda _cls, v: _occupation(v)))


class WorkerProfile(Strict):
    """A worker as a survey (摸底调查) records them; the ID number is validated here and never stored."""

    id_number: str = Field(description="resident ID number, GB 11643")
    name: str = Field(min_length=1, max_length=40)
    hukou_region: RegionCode
    hukou_type: HukouType
    residence_region: RegionCode
    ethnicity: str | None = Field(
        None, description="民族: GB/T 3304 two-digit code (a name such as 彝族 is read too)"
    )
    education: Education
    employment_status: EmploymentStatus
    registered_unemployed_since: date | None = None
    receives_pension: bool = False
    certificates: list[HeldCertificate] = Field(default_factory=list)
    work_history: list[WorkSpell] = Field(default_factory=list)
    intentions: Intentions = Field(default_factory=Intentions)
    groups: list[PriorityGroup] = Field(default_factory=list)
    subsidised_trainings: list[PriorTraining] = Field(default_factory=list)
    consent_to_share: bool = Field(False, description="may be shown, masked, to enterprises as a candidate")

    _id = field_validator("id_number")(classmethod(lambda _cls, v: parse_id_number(v)[0]))
    _hukou = field_validator("hukou_region", "residence_region")(classmethod(lambda _cls, v: _region(v)))

    @field_validator("ethnicity")
    @classmethod
    def _ethnicity(cls, v: str | None) -> str | None:
        if v is None:
            return None
        code = ref.ethnic_group_code(v)
        if code is None:
            raise ValueError(
                f"民族（ethnicity）{v!r} 不是 GB/T 3304 所列的民族：请填写代码（如 01）或名称（如 汉族、彝族）"
            )
        return code

    @field_validator("groups")
    @classmethod
    def _unique_groups(cls, v: list[PriorityGroup]) -> list[PriorityGroup]:
        return sorted(set(v))

    @model_validator(mode="after")
    def _consistent(self) -> WorkerProfile:
        if self.registered_unemployed_since and self.employment_status != EmploymentStatus.unemployed:
            raise ValueError(
                "registered_unemployed_since 已填，但 employment_status 不是 'unemployed'：请删去失业登记日期，或把就业状态改为失业"
            )
        return self

    def identity(self) -> tuple[str, str, date, Sex]:
        """The keyed hash and masked form of the ID number, and the birth date and sex it encodes."""
        number, born, sex = parse_id_number(self.id_number)
        return hash_id_number(number), mask_id_number(number), born, Sex(sex)


class TrainingInstitution(Strict):
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=2, max_length=100)
    kind: InstitutionKind
    region: RegionCode
    total_seats: int = Field(gt=0, le=100_000, description="trainees it can take in a year")
    tendered: bool = Field(False, description="selected by public tender (article 十五, 十七)")

    _reg = field_validator("region")(classmethod(lambda _cls, v: _region(v)))


class TrainingProgramme(Strict):
    """An entry of a county's training catalogue (目录清单, article 十五)."""

    code: str = Field(min_length=1, max_length=40)
    institution_code: str
    name: str = Field(min_length=2, max_length=100)
    mode: TrainingMode
    occupation_code: str
    target_level: int | None = Field(None, ge=1, le=5)
    certificate: CertificateType
    special_operation: str | None = None
    days: int = Field(gt=0, le=730)
    cost_per_person: Yuan
    catalogue_subsidy: Yuan = Field(description="the county's subsidy standard per person for this programme")
    seats: int = Field(gt=0, le=1000)
    region: RegionCode
    start_date: date
    end_date: date
    enterprise_code: str | None = Field(None, description="the ordering enterprise for order-based training")

    _occ = field_validator("occupation_code")(classmethod(lambda _cls, v: _occupation(v)))
    _op = field_validator("special_operation")(
        classmethod(lambda _cls, v: v if v is None else _special_operation(v))
    )
    _reg = field_validator("region")(classmethod(lambda _cls, v: _region(v)))

    @model_validator(mode="after")
    def _consistent(self) -> TrainingProgramme:
        if self.end_date < self.start_date:
            raise ValueError(
                f"end_date {self.end_date} 早于 start_date {self.start_date}：结束日期须不早于开始日期，请改正"
            )
        if (self.certificate == CertificateType.special_operation) != (self.special_operation is not None):
            raise ValueError("special_operation：证书为特种作业操作证书时须填特种作业项目，否则不填；请改正")
        if self.mode == TrainingMode.order_based and not self.enterprise_code:
            raise ValueError("enterprise_code 必填：订单培训须填订单企业的统一社会信用代码；请补上")
        return self


class Enrolment(Strict):
    worker_id: int = Field(gt=0)
    programme_code: str
    start_date: date
    end_date: date
    completed: bool = False
    certificate_date: date | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Enrolment:
        if self.end_date < self.start_date:
            raise ValueError(
                f"end_date {self.end_date} 早于 start_date {self.start_date}：结束日期须不早于开始日期，请改正"
            )
        if self.certificate_date and not self.completed:
            raise ValueError(
                "certificate_date 已填，但培训没有结业（completed 为否）：请删去取证日期，或改为已结业"
            )
        return self


class Placement(Strict):
    """A referral of a worker to a demand line and its outcome: hired, and still employed 6 months on."""

    worker_id: int = Field(gt=0)
    demand_line_id: int = Field(gt=0)
    enrolment_id: int | None = Field(None, gt=0)
    referred_on: date
    hired: bool = False
    retained_6m: bool | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Placement:
        if self.retained_6m is not None and not self.hired:
            raise ValueError(
                "retained_6m 已填，但这次推荐没有录用（hired 为否）：请删去六个月稳定就业，或改为已录用"
            )
        return self


class SubsidyClaim(Strict):
    """A claim of one subsidy item for one person and one training project (article 二十三: never twice)."""

    worker_id: int = Field(gt=0)
    project_id: str = Field(min_length=1, max_length=60)
    item: str = Field(min_length=1, max_length=40)
    amount: Yuan
    payee: str = Field(min_length=1, max_length=100)
    article: str = Field(min_length=1, max_length=8)
    year: int = Field(ge=2000, le=2100)
    county: RegionCode
