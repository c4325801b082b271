"""Every validator of the domain model, with good and bad values."""

from datetime import date
from enum import StrEnum

import pytest
from pydantic import ValidationError

from matcher.domain import (
    CertificateType,
    DemandLine,
    Enrolment,
    Enterprise,
    HeldCertificate,
    InstitutionKind,
    Intentions,
    Placement,
    PriorityGroup,
    PriorTraining,
    SubsidyClaim,
    TrainingInstitution,
    TrainingMode,
    TrainingProgramme,
    WorkerProfile,
    WorkSpell,
    discrimination_reasons,
    labels_of,
)
from matcher.ids import id_check_digit, uscc_check_char
from matcher.ledger.cells import CERTIFICATE, GROUP, MODE
from matcher.model.scoring import INSTITUTION_KINDS, MODES
from matcher.policy.case import CERTIFICATES, TRAINING_KINDS
from matcher.policy.case import GROUPS as CASE_GROUPS

CODE = "91530300MA6K1234X" + uscc_check_char("91530300MA6K1234X")
ID = "53030219900101123" + id_check_digit("53030219900101123")

ENTERPRISE = dict(
    credit_code=CODE,
    name="曲靖某某建筑有限公司",
    industry="E",
    region="530302",
    size="small",
    high_risk_sector="construction",
)
LINE = dict(
    enterprise_code=CODE,
    line_ref="2022-001",
    occupation_code="6-18-02-04",
    title="电焊工",
    required_level=4,
    required_certificates=["2.1"],
    headcount=5,
    wage_min=4500,
    wage_max=6500,
    work_region="530302",
    start_date=date(2022, 3, 1),
    end_date=date(2022, 12, 31),
)
WORKER = dict(
    id_number=ID,
    name="李四",
    hukou_region="530325",
    hukou_type="rural",
    residence_region="530325102",
    education="junior_middle",
    employment_status="unemployed",
    registered_unemployed_since=date(2021, 5, 1),
)
INSTITUTION = dict(
    code="INST-01", name="曲靖高级技工学校", kind="技工院校", region="530302", total_seats=2000
)
PROGRAMME = dict(
    code="P-001",
    institution_code="INST-01",
    name="焊工（中级）订单班",
    mode="order_based",
    occupation_code="6-18-02-04",
    target_level=4,
    certificate="skill_level",
    days=30,
    cost_per_person=2400,
    catalogue_subsidy=2000,
    seats=40,
    region="530302",
    start_date=date(2022, 4, 1),
    end_date=date(2022, 5, 10),
    enterprise_code=CODE,
)


def rejects(model, base, field_message, **changes):
    with pytest.raises(ValidationError) as err:
        model(**{**base, **changes})
    text = str(err.value)
    for part in field_message:
        assert part in text, text


def test_good_records_validate():
    e = Enterprise(**ENTERPRISE)
    assert e.high_risk and not e.partner
    line = DemandLine(**LINE)
    assert not line.outbound
    assert DemandLine(**{**LINE, "work_region": "440300"}).outbound
    w = WorkerProfile(**WORKER, groups=["veteran", "dibao", "veteran"])
    assert w.groups == ["dibao", "veteran"]
    hashed, masked, born, sex = w.identity()
    assert masked == "5303**********1232" and born == date(1990, 1, 1) and sex == "M" and ID not in hashed
    TrainingInstitution(**INSTITUTION)
    TrainingProgramme(**PROGRAMME)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"credit_code": CODE[:-1] + ("0" if CODE[-1] != "0" else "1")}, ["credit_code", "校验位不对"]),
        ({"industry": "Z"}, ["industry", "门类"]),
        ({"region": "999999"}, ["region", "不是已知的区划代码"]),
        ({"size": "huge"}, ["size"]),
        ({"high_risk_sector": "fishing"}, ["high_risk_sector"]),
        ({"name": "x"}, ["name"]),
        ({"founded": 1999}, ["founded", "Extra inputs"]),
    ],
)
def test_enterprise_rejects(changes, expected):
    rejects(Enterprise, ENTERPRISE, expected, **changes)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"occupation_code": "6-18-02"}, ["occupation_code", "细类"]),
        ({"occupation_code": "9-99-99-99"}, ["occupation_code"]),
        ({"required_level": 6}, ["required_level"]),
        ({"required_certificates": ["99.9"]}, ["required_certificates", "特种作业目录"]),
        ({"headcount": 0}, ["headcount", "greater than 0"]),
        ({"wage_min": 7000}, ["wage_max 6500 低于 wage_min 7000"]),
        ({"wage_min": -1}, ["wage_min"]),
        ({"end_date": date(2022, 1, 1)}, ["end_date 2022-01-01 早于 start_date"]),
        ({"work_region": "440000"}, ["work_region", "市或县"]),
        ({"enterprise_code": "123"}, ["enterprise_code", "应为 18 位"]),
        ({"description": "限男性，身体健康"}, ["违法的招聘限制", "第二十七条"]),
        ({"title": "保洁 女性优先"}, ["第二十七条"]),
        ({"description": "仅限汉族"}, ["第二十八条"]),
        ({"description": "只招本地户口"}, ["第三十一条"]),
        ({"description": "农村户口勿扰"}, ["第三十一条"]),
    ],
)
def test_demand_line_rejects(changes, expected):
    rejects(DemandLine, LINE, expected, **changes)


UNLAWFUL_PHRASINGS = [
    ("限招男性", "第二十七条"),
    ("性别：男", "第二十七条"),
    ("招男工10名", "第二十七条"),
    ("要求：女", "第二十七条"),
    ("女性，40岁以下", "第二十七条"),
    ("优先录用女性", "第二十七条"),
    ("本地户口优先", "第三十一条"),
    ("曲靖户籍优先", "第三十一条"),
    ("仅限本地人", "第三十一条"),
    ("身高170cm以上男性", "第二十七条"),
    ("汉族优先", "第二十八条"),
    ("年龄18-35岁", "第二十六条"),
    ("35岁以下", "第二十六条"),
    ("五官端正，形象好", "第二十六条"),
]


@pytest.mark.parametrize(("text", "article"), UNLAWFUL_PHRASINGS)
def test_each_unlawful_phrasing_is_refused_citing_the_law(text, article):
    reasons = discrimination_reasons(text)
    assert reasons and "就业促进法" in " ".join(reasons) and article in " ".join(reasons)
    with pytest.raises(ValidationError, match=article):
        DemandLine(**{**LINE, "description": text})


def test_a_sex_in_the_title_is_refused():
    with pytest.raises(ValidationError, match="第二十七条"):
        DemandLine(**{**LINE, "title": "月嫂(女)"})


@pytest.mark.parametrize(
    "text",
    [
        "不限男女",
        "不限户籍",
        "不限户口",
        "性别不限，户籍不限",
        "男女均可，年满18周岁",
        "年满16周岁，身体健康",
    ],
)
def test_lawful_phrasings_are_accepted(text):
    assert discrimination_reasons(text) == []
    DemandLine(**{**LINE, "description": text})


def test_men_only_in_any_phrasing_only_where_the_law_requires_it():
    underground = {"occupation_code": "6-16-01-05", "title": "井下采矿工"}
    for text in ("性别：男", "招男工10名", "限招男性"):
        DemandLine(**{**LINE, **underground, "description": text})
        with pytest.raises(ValidationError, match="第二十七条"):
            DemandLine(**{**LINE, "description": text})
    with pytest.raises(ValidationError, match="第二十七条"):
        DemandLine(**{**LINE, **underground, "description": "要求：女"})


def test_discrimination_scan_passes_lawful_text():
    assert discrimination_reasons("招聘电焊工5名，持证上岗，包吃住，男女不限") == []
    assert discrimination_reasons("欢迎农村转移劳动力和退役军人报名") == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"id_number": ID[:-1] + ("0" if ID[-1] != "0" else "1")}, ["id_number", "校验位不对"]),
        ({"id_number": "5303"}, ["id_number", "应为 18 位"]),
        ({"hukou_region": "000000"}, ["hukou_region"]),
        ({"hukou_type": "nomad"}, ["hukou_type"]),
        ({"education": "phd"}, ["education"]),
        ({"employment_status": "employed"}, ["registered_unemployed_since 已填"]),
        ({"groups": ["rich"]}, ["groups"]),
        ({"certificates": [{"kind": "skill_level", "issued_on": "2020-01-01"}]}, ["occupation_code 必填"]),
        ({"certificates": [{"kind": "special_operation", "issued_on": "2020-01-01"}]}, ["special_operation"]),
        (
            {
                "certificates": [
                    {
                        "kind": "skill_level",
                        "occupation_code": "6-18-02-04",
                        "level": 0,
                        "issued_on": "2020-01-01",
                    }
                ]
            },
            ["level"],
        ),
        (
            {"work_history": [{"occupation_code": "x", "region": "530302", "start": "2019-01-01"}]},
            ["occupation_code"],
        ),
        ({"intentions": {"occupations": ["6-18-02-04"], "min_wage": -5}}, ["min_wage"]),
        ({"intentions": {"regions": ["12"]}}, ["regions"]),
        (
            {"subsidised_trainings": [{"year": 1990, "occupation_code": "6-18-02-04", "project_id": "p"}]},
            ["year"],
        ),
    ],
)
def test_worker_rejects(changes, expected):
    rejects(WorkerProfile, WORKER, expected, **changes)


def test_worker_nested_good():
    w = WorkerProfile(
        **WORKER,
        certificates=[
            HeldCertificate(kind="special_operation", special_operation="5.4", issued_on=date(2018, 6, 1)),
            HeldCertificate(
                kind="skill_level", occupation_code="6-18-02-04", level=4, issued_on=date(2019, 6, 1)
            ),
        ],
        work_history=[WorkSpell(occupation_code="6-18-02-04", region="440300", start=date(2015, 1, 1))],
        intentions=Intentions(
            occupations=["6-18-02-04"], regions=["530302"], outside_province=True, min_wage=4000
        ),
        subsidised_trainings=[
            PriorTraining(year=2020, occupation_code="6-18-02-04", level=4, project_id="P-1")
        ],
    )
    assert len(w.certificates) == 2


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"kind": "夜校"}, ["kind", "技工院校"]),
        ({"total_seats": 0}, ["total_seats"]),
        ({"region": "abc"}, ["region"]),
    ],
)
def test_institution_rejects(changes, expected):
    rejects(TrainingInstitution, INSTITUTION, expected, **changes)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"mode": "night_school"}, ["mode"]),
        ({"enterprise_code": None}, ["enterprise_code 必填"]),
        ({"certificate": "special_operation"}, ["证书为特种作业操作证书时须填特种作业项目"]),
        ({"special_operation": "2.1"}, ["证书为特种作业操作证书时须填特种作业项目"]),
        ({"days": 0}, ["days"]),
        ({"seats": 5000}, ["seats"]),
        ({"end_date": date(2022, 1, 1)}, ["早于 start_date"]),
        ({"target_level": 9}, ["target_level"]),
    ],
)
def test_programme_rejects(changes, expected):
    rejects(TrainingProgramme, PROGRAMME, expected, **changes)


def test_enrolment_placement_claim():
    Enrolment(
        worker_id=1,
        programme_code="P-001",
        start_date=date(2022, 4, 1),
        end_date=date(2022, 5, 1),
        completed=True,
        certificate_date=date(2022, 5, 20),
    )
    with pytest.raises(ValidationError, match="没有结业"):
        Enrolment(
            worker_id=1,
            programme_code="P",
            start_date=date(2022, 4, 1),
            end_date=date(2022, 5, 1),
            certificate_date=date(2022, 5, 20),
        )
    with pytest.raises(ValidationError, match="早于 start_date"):
        Enrolment(worker_id=1, programme_code="P", start_date=date(2022, 4, 1), end_date=date(2022, 3, 1))
    Placement(worker_id=1, demand_line_id=2, referred_on=date(2022, 1, 1), hired=True, retained_6m=False)
    with pytest.raises(ValidationError, match="没有录用"):
        Placement(worker_id=1, demand_line_id=2, referred_on=date(2022, 1, 1), hired=False, retained_6m=True)
    SubsidyClaim(
        worker_id=1,
        project_id="P-1",
        item="training",
        amount=2000,
        payee="个人",
        article="十六",
        year=2022,
        county="530302",
    )
    with pytest.raises(ValidationError, match="amount"):
        SubsidyClaim(
            worker_id=1,
            project_id="P-1",
            item="training",
            amount=-1,
            payee="个人",
            article="十六",
            year=2022,
            county="530302",
        )


@pytest.mark.parametrize("vocabulary", [PriorityGroup, CertificateType, TrainingMode, InstitutionKind])
def test_every_value_of_a_vocabulary_has_one_label_the_ledger_reads_back(vocabulary: type[StrEnum]) -> None:
    labels = labels_of(vocabulary)
    assert list(labels) == [v.value for v in vocabulary]
    assert len(set(labels.values())) == len(labels)
    ledger = {PriorityGroup: GROUP, CertificateType: CERTIFICATE, TrainingMode: MODE}.get(vocabulary)
    for value, label in labels.items():
        assert label and not label.isascii()
        if ledger is not None:
            assert ledger.show(vocabulary(value)) == label
            assert ledger.read(label) == value


def test_the_subsidy_case_takes_the_domain_vocabularies_and_work_for_training() -> None:
    assert set(TRAINING_KINDS) == {m.value for m in TrainingMode} | {"work_for_training"}
    assert set(CASE_GROUPS) == {g.value for g in PriorityGroup}
    assert set(CERTIFICATES) == {c.value for c in CertificateType}
    assert set(MODES) == set(TrainingMode) and list(INSTITUTION_KINDS) == list(InstitutionKind)
    with pytest.raises(ValidationError):
        TrainingInstitution(**{**INSTITUTION, "kind": "培训学校"})
