"""Properties of the policy engine: every decision cites the plan, the pack is data, bad input is named."""

from __future__ import annotations

import io
import json
import shutil
import tokenize
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from matcher.policy import (
    Case,
    CaseError,
    PackError,
    available_packs,
    decide,
    decide_json,
    load_pack,
    run_subsidy_cli,
)
from matcher.policy.case import (
    ADVANCERS,
    CERTIFICATES,
    EMPLOYMENT_STATUSES,
    GROUPS,
    ORGANISERS,
    TRAINING_KINDS,
)
from matcher.policy.pack import POLICY_DIR, chinese_numeral

PLAN_ARTICLES = [chinese_numeral(n) for n in range(1, 25)]
REGIONS = ["530302", "530381", "530302-QJETDZ", "530326001", "530300", "110101", "510107", "530102"]
OCCUPATIONS = ["6-18-02-04", "6-31-01-03", "4-10-01-06", "4-03-02-01"]


def base_case(**training: Any) -> dict[str, Any]:
    """An employed 29-year-old from 麒麟区 on a self-selected welding course (as in the scenario table)."""
    return {
        "person": {
            "birth_date": "1990-05-10",
            "sex": "M",
            "hukou_region": "530302",
            "hukou_type": "urban",
            "employment_status": "employed",
            "receives_pension": False,
            "groups": [],
        },
        "training": {
            "kind": "self_selected",
            "project_id": "P-1",
            "occupation_code": "6-18-02-04",
            "level": 4,
            "certificate": "skill_level",
            "start_date": "2020-03-02",
            "end_date": "2020-03-31",
            "days": 20,
            "organised_by": "self",
            "advanced_by": "person",
            "catalogue_subsidy": 1500,
            **training,
        },
        "history": [],
    }


def pre_job_case() -> dict[str, Any]:
    return base_case(
        kind="pre_job", organised_by="enterprise", advanced_by="enterprise", certificate="training_completion"
    )


def amounts(case: dict[str, Any], pack: Any = None) -> dict[str, float]:
    return {i.item: i.amount for i in decide(case, pack).items}


# --- the plan ---------------------------------------------------------------------------------


def test_plan_has_articles_one_to_twenty_four() -> None:
    assert list(load_pack().articles) == PLAN_ARTICLES
    assert "每人每天60元的生活费补贴" in load_pack().articles["十八"]


def test_every_rule_names_an_article_of_the_plan() -> None:
    pack = load_pack()
    for derived in pack.derived:
        assert derived.article in PLAN_ARTICLES, derived.id
    for rule in pack.rules:
        assert rule.article in PLAN_ARTICLES, rule.id
        assert set(rule.see_also) <= set(PLAN_ARTICLES), rule.id


def test_no_policy_amount_is_written_in_the_code() -> None:
    """800, 4000, 60/day, 20 %, 50 %, ages 50/40 live in the pack; the engine's code holds none of them."""
    forbidden = {"800", "4000", "60", "0.2", "0.20", "0.5", "0.50", "50", "40"}
    for source in Path(load_pack.__code__.co_filename).parent.glob("*.py"):
        tokens = tokenize.generate_tokens(io.StringIO(source.read_text(encoding="utf-8")).readline)
        numbers = {t.string for t in tokens if t.type == tokenize.NUMBER}
        assert not numbers & forbidden, f"{source.name} holds {numbers & forbidden}"


# --- random cases -----------------------------------------------------------------------------


def mostly(usual: st.SearchStrategy[Any], others: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`usual` three times in four, otherwise `others`: keeps random cases mostly eligible."""
    return st.sampled_from([True, True, True, False]).flatmap(lambda keep: usual if keep else others)


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    """Valid cases of every kind, mostly coherent and in the plan period, with random groups and history."""
    kind = draw(st.sampled_from(TRAINING_KINDS))
    by_employer = kind in ("apprenticeship", "pre_job", "on_job_safety", "job_transfer", "work_for_training")
    start = draw(
        mostly(st.dates(date(2019, 1, 1), date(2021, 12, 31)), st.dates(date(2018, 6, 1), date(2022, 6, 30)))
    )
    span = draw(st.integers(1, 800 if kind == "apprenticeship" else 200))
    end = start + timedelta(days=span - 1)
    statuses, organisers = st.sampled_from(EMPLOYMENT_STATUSES), st.sampled_from(ORGANISERS)
    status = draw(mostly(st.just("employed"), statuses) if by_employer else statuses)
    registered = draw(st.none() | st.dates(date(2015, 1, 1), start)) if status == "unemployed" else None
    training: dict[str, Any] = {
        "kind": kind,
        "project_id": draw(st.sampled_from(["P-1", "P-2", "P-3"])),
        "occupation_code": draw(st.sampled_from(OCCUPATIONS)),
        "level": draw(st.none() | st.integers(1, 5)),
        "certificate": draw(mostly(st.just("skill_level"), st.none() | st.sampled_from(CERTIFICATES))),
        "start_date": start,
        "end_date": end,
        "days": draw(st.integers(1, span)),
        "organised_by": draw(mostly(st.just("enterprise"), organisers) if by_employer else organisers),
        "advanced_by": draw(st.sampled_from(ADVANCERS)),
        "catalogue_subsidy": draw(st.integers(0, 6000)),
        "employer_insured": draw(st.booleans()),
    }
    if kind == "work_for_training":
        span_months = (end.year - start.year) * 12 + end.month - start.month + 1
        training["monthly_wage"] = Decimal(draw(st.integers(100000, 900000))) / 100
        training["months"] = draw(st.integers(1, span_months))
    prior = st.fixed_dictionaries(
        {
            "year": st.integers(2018, 2022),
            "occupation_code": st.sampled_from(OCCUPATIONS),
            "level": st.none() | st.integers(1, 5),
            "project_id": st.sampled_from(["P-1", "P-7", "P-8", "P-9"]),
        }
    )
    return {
        "person": {
            "birth_date": draw(st.dates(date(start.year - 70, 1, 1), date(start.year - 16, 1, 1))),
            "sex": draw(st.sampled_from(["M", "F"])),
            "hukou_region": draw(mostly(st.just("530381"), st.sampled_from(REGIONS))),
            "residence_region": draw(st.none() | st.sampled_from(REGIONS)),
            "job_seek_region": draw(st.none() | st.sampled_from(REGIONS)),
            "hukou_type": draw(st.sampled_from(["rural", "urban"])),
            "employment_status": status,
            "registered_unemployed_since": registered,
            "receives_pension": draw(mostly(st.just(False), st.booleans())),
            "groups": draw(st.lists(st.sampled_from(GROUPS), unique=True, max_size=4)),
        },
        "training": training,
        "history": draw(st.lists(prior, max_size=3)),
    }


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_decisions_are_consistent_and_cite_the_plan(case: dict[str, Any]) -> None:
    pack = load_pack()
    decision = decide(case)
    main = [i for i in decision.items if i.part_of is None]
    assert decision.eligible is bool(main)
    assert decision.total == pytest.approx(sum(i.amount for i in main))
    cited = [(i.article, i.reason) for i in decision.items] + [
        (d.article, d.reason) for d in decision.denials
    ]
    for article, reason in cited:
        assert article in PLAN_ARTICLES
        assert reason.endswith(f"（{article}）")
    for item in decision.items:
        assert item.amount >= 0
        if item.part_of is not None:
            base = next(i for i in decision.items if i.item == item.part_of)
            assert item.amount <= base.amount
    # the trace holds every derived fact and rule once, in pack order
    assert [t.rule for t in decision.trace] == [d.id for d in pack.derived] + [r.id for r in pack.rules]
    failed = [t.rule for t in decision.trace if t.stage != "derived" and t.status == "failed"]
    assert [d.rule for d in decision.denials] == failed
    assert [i.item for i in decision.items] == [
        t.rule for t in decision.trace if t.stage == "item" and t.status == "passed"
    ]
    if any(t.stage == "check" and t.status == "failed" for t in decision.trace):
        assert decision.items == []
    for t in decision.trace:
        if t.status == "not_applicable":
            assert t.reason
    json.dumps(decision.model_dump(mode="json"), ensure_ascii=False)


# --- the pack is data -------------------------------------------------------------------------


def copied_pack(tmp_path: Path, *changes: tuple[str, str]) -> Path:
    """A copy of the Qujing pack (beside a copy of the plan text) with some of its text replaced."""
    text = (POLICY_DIR / "qujing-2019.toml").read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    shutil.copy(POLICY_DIR / "qujing-2019-112.txt", tmp_path)
    path = tmp_path / "test-city.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_changing_an_amount_in_a_copied_pack_changes_the_decision(tmp_path: Path) -> None:
    path = copied_pack(
        tmp_path,
        ("enterprise_training_amount = { value = 800", "enterprise_training_amount = { value = 1000"),
    )
    assert amounts(pre_job_case()) == {"enterprise_training": 800, "advance_enterprise_plan": 400}
    assert amounts(pre_job_case(), path) == {"enterprise_training": 1000, "advance_enterprise_plan": 500}
    assert "每人补贴1000元" in decide(pre_job_case(), str(path)).items[0].reason


def test_changing_rates_and_limits_in_a_copied_pack(tmp_path: Path) -> None:
    path = copied_pack(
        tmp_path,
        ("living_allowance_per_day = { value = 60", "living_allowance_per_day = { value = 80"),
        ("max_trainings_per_year = { value = 3", "max_trainings_per_year = { value = 2"),
    )
    case = base_case()
    case["person"]["groups"] = ["poverty_registered"]
    assert amounts(case)["living_allowance"] == 1200
    assert amounts(case, path)["living_allowance"] == 1600
    case["history"] = [
        {"year": 2020, "occupation_code": "6-31-01-03", "level": 4, "project_id": "P-A"},
        {"year": 2020, "occupation_code": "4-10-01-06", "level": 5, "project_id": "P-B"},
    ]
    assert decide(case).eligible
    assert [d.rule for d in decide(case, path).denials] == ["annual_limit"]


def test_changing_a_condition_in_a_copied_pack(tmp_path: Path) -> None:
    """Reading 残疾人 in 四 as 'disabled and unemployed' is an edit of the pack, not of the code."""
    path = copied_pack(tmp_path, ('when = "disabled"', 'when = "disabled and unemployed"'))
    case = base_case()
    case["person"]["groups"] = ["disabled"]
    assert decide(case).derived["employment_difficulty"].value
    decision = decide(case, path)
    assert not decision.derived["employment_difficulty"].value
    assert [d.rule for d in decision.denials] == ["living_allowance"]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'require = "not receives_pension"',
            'require = "not receives_pensoin"',
            "unknown name 'receives_pensoin'",
        ),
        ('require = "not receives_pension"', 'require = "not (receives_pension"', "expected ')'"),
        (
            'require = "not receives_pension"',
            "require = '__import__(\"os\")'",
            "unknown function '__import__'",
        ),
        ('require = "not receives_pension"', 'require = "receives_pension.__class__"', "unexpected '.'"),
        (
            "require = 'organised_by == \"enterprise\"'",
            "require = 'organised_by == \"enterprize\"'",
            "'enterprize' is not a value of organised_by",
        ),
        (
            'kinds = ["work_for_training"]',
            'kinds = ["work_for_trainig"]',
            "'work_for_trainig' is not a training kind",
        ),
        ('article = "二十三"', 'article = "二十五"', "article '二十五' is not in the plan"),
        (
            'quote = "同一培训项目不得重复申报职业培训补贴"',
            'quote = "同一培训项目可以重复申报职业培训补贴"',
            "is not in article （二十三）",
        ),
        ('id = "no_pension"', 'id = "no_pension"\nthreshold = 3', "unknown key 'threshold'"),
        ('id = "no_pension"', 'id = "residence"', "already a fact, parameter, rule"),
        ('payee = "institution"', 'payee = "bank"', "payee 'bank'"),
        ('part_of = ["free_training"]', 'part_of = ["no_such_item"]', "part_of 'no_such_item'"),
        ('deny = "已经按月领取养老金，不在职业培训补贴政策范围内"', "", "missing key 'deny'"),
        ("{training_year}年已经享受过", "{training_yaer}年已经享受过", "unknown name 'training_yaer'"),
        ('on_job_safety = "在岗安全技能培训"', "", "no Chinese word for 'on_job_safety'"),
    ],
)
def test_a_faulty_pack_is_refused_with_the_place_named(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    path = copied_pack(tmp_path, (old, new))
    with pytest.raises(PackError) as info:
        load_pack(path)
    assert message in str(info.value)
    assert "test-city.toml" in str(info.value)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'require = "not receives_pension"',
            'require = "age + 1"',
            "rule no_pension: a condition gave 30, not true or false",
        ),
        (
            'amount = "enterprise_training_amount"',
            'amount = "has_certificate"',
            "rule enterprise_training: the amount gave 是",
        ),
        (
            'amount = "enterprise_training_amount"',
            'amount = "0 - enterprise_training_amount"',
            "the amount gave -800",
        ),
        (
            'amount = "enterprise_training_amount"',
            'amount = "enterprise_training_amount + kind"',
            "kind is 'pre_job', not a number",
        ),
    ],
)
def test_a_pack_rule_of_the_wrong_kind_fails_when_evaluated(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    path = copied_pack(tmp_path, (old, new))
    with pytest.raises(PackError) as info:
        decide(pre_job_case(), path)
    assert message in str(info.value)


def test_load_pack_by_name_and_path() -> None:
    assert "qujing-2019" in available_packs()
    assert load_pack() is load_pack("qujing-2019") is load_pack(POLICY_DIR / "qujing-2019.toml")
    with pytest.raises(PackError, match="available: .*qujing-2019"):
        load_pack("atlantis-2030")
    with pytest.raises(PackError, match="does not exist"):
        load_pack("/nowhere/city.toml")


def test_an_edited_pack_file_is_reloaded(tmp_path: Path) -> None:
    path = copied_pack(tmp_path)
    first = load_pack(path)
    text = path.read_text(encoding="utf-8").replace("value = 800", "value = 900", 1)
    path.write_text(text, encoding="utf-8")
    second = load_pack(path)
    assert first.params["enterprise_training_amount"] == 800
    assert second.params["enterprise_training_amount"] == 900


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "loc"),
    [
        ((), ("pack",)),
        (("person",), ("person", "pack")),
        (("training",), ("training", "pack")),
    ],
)
def test_unknown_field_is_named(where: tuple[str, ...], loc: tuple[str, ...]) -> None:
    case = base_case()
    target = case
    for key in where:
        target = target[key]
    target["pack"] = "x"
    with pytest.raises(ValidationError) as info:
        decide(case)
    assert [e["loc"] for e in info.value.errors()] == [loc]
    assert info.value.errors()[0]["type"] == "extra_forbidden"


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"end_date": "2020-03-01"}, "end_date 2020-03-01 早于 start_date 2020-03-02"),
        (
            {"days": 31},
            "days 为 31，但 start_date 2020-03-02 到 end_date 2020-03-31 只有 30 天",
        ),
        ({"kind": "work_for_training", "months": 1}, "monthly_wage 必填：以工代训"),
        ({"kind": "work_for_training", "monthly_wage": 3000, "months": 2}, "months 为 2，但"),
        ({"months": 2}, "months 只用于以工代训"),
        ({"occupation_code": "6-18"}, "'6-18' 不是 2022 版职业分类中的职业"),
        ({"level": 0}, "greater than or equal to 1"),
        ({"catalogue_subsidy": -5}, "greater than or equal to 0"),
    ],
)
def test_inconsistent_training_is_refused(changes: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError) as info:
        decide(base_case(**changes))
    assert info.value.errors()[0]["loc"][0] == "training"
    assert fragment in str(info.value)


def test_missing_input_names_field_and_rule() -> None:
    with pytest.raises(CaseError) as info:
        decide(base_case(catalogue_subsidy=None))
    assert info.value.field == "training.catalogue_subsidy"
    assert "training_subsidy" in str(info.value) and "（十六）" in str(info.value)


def test_missing_input_that_does_not_matter_is_not_an_error() -> None:
    case = pre_job_case()
    case["training"]["catalogue_subsidy"] = None
    assert amounts(case) == {"enterprise_training": 800, "advance_enterprise_plan": 400}


# --- contract and entry points ----------------------------------------------------------------


def test_decide_accepts_case_model_pack_object_and_json_text() -> None:
    raw = base_case()
    by_dict = decide(raw)
    by_model = decide(Case.model_validate(raw), load_pack())
    assert by_dict == by_model
    as_json = decide_json(json.dumps(raw))
    assert as_json == decide_json(raw) == by_dict.model_dump(mode="json")
    assert as_json["items"][0] == {
        "item": "training_subsidy",
        "name": "职业培训补贴",
        "amount": 1500.0,
        "payee": "person",
        "article": "十六",
        "reason": "参加自主选择培训并取得职业技能等级证书，按培训项目目录标准补贴1500元；"
        "按“谁垫付，谁申领”，由垫付培训费的本人申领（十六）",
        "part_of": None,
    }


def test_trace_shows_the_values_each_rule_looked_at() -> None:
    case = base_case()
    case["person"].update(hukou_region="110101", residence_region="530102", job_seek_region="530381")
    trace = {t.rule: t for t in decide(case).trace}
    residence = trace["residence"]
    assert residence.status == "passed"
    assert residence.values == {
        "person.hukou_region": "110101（东城区）",
        "hukou_in_city": False,
        "person.residence_region": "530102（五华区）",
        "residence_in_city": False,
        "person.job_seek_region": "530381（宣威市）",
        "job_seek_in_city": True,
    }
    assert trace["enterprise_training"].status == "not_applicable"
    assert trace["enterprise_training"].reason == "本规则不适用于自主选择培训"


def test_trace_marks_an_unknown_that_another_condition_settled() -> None:
    case = base_case()
    case["person"].update(hukou_region="530000", residence_region="530322")
    residence = next(t for t in decide(case).trace if t.rule == "residence")
    assert residence.status == "passed"
    assert residence.values["hukou_in_city"] is None
    assert residence.values["residence_in_city"] is True


def test_failed_check_blocks_items_and_says_so() -> None:
    case = base_case()
    case["person"]["receives_pension"] = True
    decision = decide(case)
    blocked = [t for t in decision.trace if t.stage == "item"]
    assert blocked and all(t.blocked_by == ["no_pension"] for t in blocked)
    assert decision.denials[0].reason == "已经按月领取养老金，不在职业培训补贴政策范围内（十六）"


def test_run_subsidy_cli(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(base_case()), encoding="utf-8")
    out = run_subsidy_cli(str(path))
    assert out["eligible"] is True and out["total"] == 1500.0
    with pytest.raises(FileNotFoundError, match="nothing.json"):
        run_subsidy_cli(str(tmp_path / "nothing.json"))
    path.write_text('{"person": {', encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON: .* line 1"):
        run_subsidy_cli(str(path))
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ValueError, match="must hold a JSON object"):
        run_subsidy_cli(str(path))
    bad = base_case()
    bad["training"]["kind"] = "knitting"
    path.write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(ValidationError, match="training.kind"):
        run_subsidy_cli(str(path))
