"""Protective labour law: the rules pack, the verdicts and their citations, the vectorized form."""

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from matcher import labour
from matcher.domain import DemandLine
from matcher.ids import uscc_check_char
from matcher.labour import Hazard, assess, barred, hazards_of, required_restrictions, retirement_age_months

ON = date(2024, 6, 1)
PACKAGING = "6-31-05-00"  # 包装工
CASHIER = "4-01-02-04"  # 收银员
CODE = "91530300MA6K1234X" + uscc_check_char("91530300MA6K1234X")
LINE = dict(
    enterprise_code=CODE,
    line_ref="2024-007",
    occupation_code="6-16-01-05",
    title="采煤工",
    headcount=10,
    wage_min=5500,
    wage_max=9500,
    work_region="530302",
    start_date=date(2024, 3, 1),
    end_date=date(2024, 12, 31),
)


def rules(verdict: labour.Verdict) -> set[str]:
    return {b.rule for b in verdict.bars}


# --- per rule ---------------------------------------------------------------------------------


def test_women_are_refused_underground_and_level_4_work_but_not_packaging():
    woman = ("F", date(1990, 3, 1), ON)
    mine = assess(*woman, hazards_of("6-16-01-05"), "6-16-01-05")
    assert not mine.allowed
    assert rules(mine) == {"women_underground", "women_physical_4"}
    assert mine.texts[0] == (
        "女职工不得安排从事矿山井下作业（《女职工劳动保护特别规定》附录一（一）；《劳动法》第五十九条）"
    )
    underground = mine.bars[0]
    assert (underground.law, underground.article) == ("《女职工劳动保护特别规定》", "附录一（一）")
    assert "矿山井下作业" in underground.quote
    assert assess(*woman, Hazard.PHYSICAL_4).bars[0].article == "附录一（二）"
    assert assess(*woman, hazards_of("4-02-05-01")).bars[0].article == "附录一（三）"
    assert assess(*woman, hazards_of(PACKAGING), PACKAGING) == labour.Verdict(True, ())
    assert assess("M", date(1990, 3, 1), ON, hazards_of("6-16-01-05"), "6-16-01-05").allowed


def test_a_17_year_old_is_refused_boiler_underground_and_special_operations_but_may_be_a_cashier():
    minor = ("M", date(2007, 1, 15), ON)
    boiler = assess(*minor, hazards_of("6-28-01-11"))
    assert rules(boiler) == {"minors_boiler"}
    assert boiler.bars[0].article == "第三条（十七）"
    assert "《劳动法》第六十四条" in boiler.texts[0]
    mine = assess(*minor, hazards_of("6-16-01-04"))
    assert {
        "minors_underground_quarry",
        "minors_physical_4",
        "minors_dust",
        "minors_vibrating_tools",
    } == rules(mine)
    welder = assess(*minor, hazards_of("6-18-02-04", "电焊工", ["2.1"]))
    assert rules(welder) == {"special_operation_age"}
    bar = welder.bars[0]
    assert (bar.law, bar.article) == ("《特种作业人员安全技术培训考核管理规定》", "第四条（一）")
    assert assess(*minor, hazards_of(CASHIER, "超市收银员"), CASHIER).allowed
    # the 18th birthday lifts the bars
    assert assess("M", date(2007, 1, 15), date(2025, 1, 15), hazards_of("6-28-01-11")).allowed
    assert not assess("M", date(2007, 1, 15), date(2025, 1, 14), hazards_of("6-28-01-11")).allowed


def test_a_15_year_old_is_refused_everything():
    child = ("F", date(2009, 1, 1), ON)
    for hazards in (Hazard(0), hazards_of(CASHIER), hazards_of("6-16-01-05")):
        verdict = assess(*child, hazards, CASHIER)
        assert rules(verdict) == {"minimum_age"}
        assert verdict.texts == (
            "未满十六周岁，用人单位不得招用，也不安排职业技能培训（《劳动法》第十五条）",
        )
    assert assess("F", date(2008, 6, 1), ON, Hazard(0)).allowed  # 16 today


def test_a_man_of_60_is_refused_in_2024_but_one_born_in_1965_05_works_on_under_the_2024_decision():
    old = assess("M", date(1964, 5, 20), date(2024, 5, 20), Hazard(0), CASHIER)
    assert rules(old) == {"retirement_worker_1978"}
    assert "法定退休年龄60周岁" in old.texts[0]
    assert assess("M", date(1964, 5, 20), date(2024, 5, 19), Hazard(0), CASHIER).allowed
    # born 1965-05: retirement age 60 years 2 months, reached on 2025-07-20
    assert retirement_age_months("M", date(1965, 5, 20), cadre=False) == 60 * 12 + 2
    assert assess("M", date(1965, 5, 20), date(2025, 5, 20), Hazard(0), CASHIER).allowed
    assert assess("M", date(1965, 5, 20), date(2025, 7, 19), Hazard(0), CASHIER).allowed
    late = assess("M", date(1965, 5, 20), date(2025, 7, 20), Hazard(0), CASHIER)
    assert rules(late) == {"retirement_2024_decision"}
    assert "法定退休年龄60周岁2个月" in late.texts[0]
    assert late.bars[0].law == "《全国人民代表大会常务委员会关于实施渐进式延迟法定退休年龄的决定》"
    # past retirement, a special operation also cites its own age condition
    welder = assess("M", date(1964, 5, 20), date(2024, 9, 1), Hazard.SPECIAL_OPERATION)
    assert rules(welder) == {"retirement_worker_1978", "special_operation_retirement"}


def test_a_woman_worker_born_1975_01_retires_at_50_plus_the_delay():
    assert retirement_age_months("F", date(1975, 1, 10), cadre=False) == 50 * 12 + 1
    assert retirement_age_months("F", date(1975, 3, 10), cadre=False) == 50 * 12 + 2
    assert retirement_age_months("F", date(1974, 12, 10), cadre=False) == 50 * 12
    assert retirement_age_months("F", date(1990, 1, 1), cadre=False) == 55 * 12
    assert retirement_age_months("F", date(1975, 1, 10), cadre=True) == 55 * 12 + 16
    assert retirement_age_months("F", date(1970, 1, 10), cadre=True) == 55 * 12 + 1
    assert retirement_age_months("M", date(1976, 9, 1), cadre=False) == 63 * 12
    assert retirement_age_months("M", date(1976, 8, 1), cadre=False) == 62 * 12 + 11
    worker = ("F", date(1975, 1, 10))
    assert assess(*worker, date(2025, 2, 9), Hazard(0), PACKAGING).allowed
    retired = assess(*worker, date(2025, 2, 10), Hazard(0), PACKAGING)
    assert "女职工（工人岗位）" in retired.texts[0] and "50周岁1个月" in retired.texts[0]
    # the same woman in a cadre-type post (大类 1–3) works until 56 years 4 months
    assert assess(*worker, date(2025, 2, 10), Hazard(0), "2-02-01-01").allowed
    assert assess(*worker, date(2025, 2, 10), Hazard(0)).bars == retired.bars  # no post: worker-type


def test_cadre_posts_by_major_group():
    assert (
        labour.cadre_post("1-01-00-01")
        and labour.cadre_post("2-02-01-01")
        and labour.cadre_post("3-01-01-01")
    )
    assert not labour.cadre_post("4-01-02-04") and not labour.cadre_post("6-31-05-00")
    assert not labour.cadre_post(None)


def test_required_restrictions():
    assert required_restrictions(hazards_of("6-16-01-05")) == {"male_only", "adult_only"}
    assert required_restrictions(hazards_of("6-28-01-11")) == {"adult_only"}
    assert required_restrictions(hazards_of("6-18-02-04", "", ["2.1"])) == {"adult_only"}
    assert required_restrictions(hazards_of(CASHIER)) == frozenset()


# --- hazards of a job -------------------------------------------------------------------------


def test_text_keywords_add_categories():
    assert not hazards_of("6-16-02-09") & Hazard.UNDERGROUND
    assert hazards_of("6-16-02-09", "煤层气抽采工 岗位描述：在煤矿井下打钻抽采瓦斯") & Hazard.UNDERGROUND
    assert hazards_of("6-31-01-03", "井下电工") & Hazard.UNDERGROUND
    assert hazards_of("6-31-01-03", "维修电工", ["5.1"]) == Hazard.UNDERGROUND | Hazard.SPECIAL_OPERATION
    assert hazards_of("4-09-08-01", "外墙清洗，高处作业") == Hazard.HEIGHT
    assert hazards_of("6-31-01-05", "锅炉检修") & Hazard.BOILER
    assert hazards_of("6-29-02-07") & Hazard.EXPLOSIVE_FLAMMABLE
    assert hazards_of(CASHIER, "露天矿爆破") & Hazard.EXPLOSIVE_FLAMMABLE
    assert hazards_of(CASHIER, "超市收银，男女不限") == Hazard(0)


def test_negated_keywords_do_not_count():
    assert hazards_of(CASHIER, "地面岗位，无需井下作业") == Hazard(0)
    assert hazards_of(CASHIER, "不在井下") == Hazard(0)
    assert hazards_of(CASHIER, "男女不限，井下") == Hazard.UNDERGROUND  # the 不 belongs to another clause
    # oil-well downhole work is not mine work
    assert not hazards_of("6-16-02-04", "井下作业设备操作维修工") & Hazard.UNDERGROUND


def test_sample_city_heavy_industry_is_mapped():
    for code in ("6-16-01-04", "6-16-01-05", "6-16-01-06", "6-16-01-07", "6-16-01-09"):
        assert hazards_of(code) & Hazard.UNDERGROUND, code
    for code in ("6-17-02-02", "6-17-05-03", "6-18-02-01", "6-10-02-02"):
        assert hazards_of(code) & Hazard.HIGH_TEMPERATURE, code
    assert hazards_of("6-11-03-01") & Hazard.TOXIC
    assert hazards_of("6-29-01-05", "架子工", ["3.1"]) & Hazard.HEIGHT
    assert hazards_of("6-29-02-06") & Hazard.VIBRATING_TOOLS
    assert hazards_of("5-02-04-01") & Hazard.LOGGING


# --- the pack -----------------------------------------------------------------------------------


def copy_pack(tmp_path: Path, replace: tuple[str, str]) -> Path:
    src = labour.PACK_PATH.parent
    for name in ("labour-protection.md", "occupation_hazards.csv"):
        (tmp_path / name).write_text((src / name).read_text(encoding="utf-8"), encoding="utf-8")
    text = labour.PACK_PATH.read_text(encoding="utf-8")
    assert replace[0] in text
    path = tmp_path / "labour-protection.toml"
    path.write_text(text.replace(replace[0], replace[1], 1), encoding="utf-8")
    return path


def test_the_pack_loads_and_every_rule_cites_its_source():
    p = labour.pack()
    assert len(p.rules) >= 20
    for r in p.rules:
        assert r.cites and all(c.law.startswith("《") and c.article and c.quote for c in r.cites)
    assert (p.minimum_age, p.adult_age) == (16, 18)
    assert p.women_barred == Hazard.UNDERGROUND | Hazard.PHYSICAL_4 | Hazard.HEAVY_LOAD


def test_a_changed_quote_fails_to_load(tmp_path):
    path = copy_pack(tmp_path, ("（一）矿山井下作业；", "（一）矿山井下及露天作业；"))
    with pytest.raises(labour.LabourPackError, match="not in labour-protection.md"):
        labour.load(path)


def test_an_unknown_hazard_fails_to_load(tmp_path):
    path = copy_pack(tmp_path, ('bars = ["boiler"]', 'bars = ["boilers"]'))
    with pytest.raises(labour.LabourPackError, match="unknown hazard"):
        labour.load(path)


def test_every_mapped_occupation_exists_and_states_its_basis():
    p = labour.pack()
    assert len(p.occupations) >= 80
    assert all(p.occupation_basis.values())


# --- vectorized ---------------------------------------------------------------------------------


def random_cases(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    births = rng.integers(date(1950, 1, 1).toordinal(), date(2012, 1, 1).toordinal(), n)
    # birthdays on the day, 29 February births, the days around 2025-01-01 and the retirement cohorts
    leap = np.array([date(y, 2, 29).toordinal() for y in range(1952, 2012, 4)])
    births[: n // 8] = rng.choice(leap, n // 8)
    ons = rng.integers(date(2022, 1, 1).toordinal(), date(2032, 1, 1).toordinal(), n)
    k = n // 8
    ons[k : 2 * k] = rng.integers(date(2024, 12, 1).toordinal(), date(2025, 3, 1).toordinal(), k)
    births[2 * k : 3 * k] = rng.integers(date(1964, 6, 1).toordinal(), date(1976, 12, 1).toordinal(), k)
    ons[2 * k : 3 * k] = births[2 * k : 3 * k] + rng.integers(50 * 365, 64 * 366, k)
    anniversary = [
        date.fromordinal(int(b)).replace(year=date.fromordinal(int(b)).year + int(a))
        if date.fromordinal(int(b)).month * 100 + date.fromordinal(int(b)).day != 229
        else date(date.fromordinal(int(b)).year + int(a), 3, 1)
        for b, a in zip(births[3 * k : 4 * k], rng.choice([16, 18, 50, 55, 60], k), strict=True)
    ]
    ons[3 * k : 4 * k] = [
        d.toordinal() + int(s) for d, s in zip(anniversary, rng.integers(-1, 2, k), strict=True)
    ]
    hazards = rng.integers(0, 1 << len(Hazard), n) * (rng.random(n) < 0.5)
    return {
        "sex": rng.choice(np.array(["M", "F"], dtype=object), n),
        "birth": births,
        "on": ons,
        "hazards": hazards,
        "cadre": rng.random(n) < 0.4,
    }


def test_barred_agrees_with_assess_on_random_cases():
    rng = np.random.default_rng(20240913)
    c = random_cases(rng, 6000)
    refused = barred(c["sex"], c["birth"], c["on"], c["hazards"], c["cadre"])
    for i in range(len(refused)):
        verdict = assess(
            c["sex"][i],
            date.fromordinal(int(c["birth"][i])),
            date.fromordinal(int(c["on"][i])),
            Hazard(int(c["hazards"][i])),
            "2-02-01-01" if c["cadre"][i] else PACKAGING,
        )
        assert bool(refused[i]) == (not verdict.allowed), (i, verdict)
    assert 0.2 < refused.mean() < 0.8


def test_barred_broadcasts_workers_against_targets():
    rng = np.random.default_rng(7)
    c = random_cases(rng, 400)
    sex, birth = c["sex"][:40, None], c["birth"][:40, None]
    on, hazards, cadre = c["on"][None, :], c["hazards"][None, :], c["cadre"][None, :]
    grid = barred(sex, birth, on, hazards, cadre)
    assert grid.shape == (40, 400)
    for i in range(40):
        assert (
            grid[i] == barred(np.repeat(sex[i], 400), np.repeat(birth[i], 400), on[0], hazards[0], cadre[0])
        ).all()
    # a scalar date against every worker
    one_day = barred(c["sex"], c["birth"], date(2025, 1, 1).toordinal(), int(Hazard.UNDERGROUND), False)
    assert one_day.shape == (400,)


def test_the_day_before_and_of_the_16th_birthday_of_a_29_february_child():
    born = date(2008, 2, 29)
    for day, refused in ((date(2024, 2, 28), True), (date(2024, 2, 29), False), (date(2025, 3, 1), False)):
        assert (not assess("M", born, day, Hazard(0)).allowed) is refused
        assert (
            bool(barred(np.array(["M"], dtype=object), born.toordinal(), day.toordinal(), 0, False)[0])
            is refused
        )
    # in a common year the birthday falls on 1 March
    born = date(2004, 2, 29)
    assert not assess("M", born, date(2022, 2, 28), Hazard.BOILER).allowed
    assert assess("M", born, date(2022, 3, 1), Hazard.BOILER).allowed
    assert assess("M", born, date(2022, 3, 1) - timedelta(days=1), Hazard(0)).allowed


# --- the posting check ------------------------------------------------------------------------


def test_men_only_is_accepted_on_work_barred_to_women():
    line = DemandLine(**{**LINE, "description": "井下采煤，限男性，包吃住"})
    assert line.description.endswith("包吃住")
    DemandLine(**{**LINE, "occupation_code": "6-31-01-03", "title": "井下电工", "description": "限招男性"})
    DemandLine(**{**LINE, "occupation_code": "4-02-05-01", "title": "装卸工", "description": "只招男工"})


def test_men_only_is_still_refused_on_other_work():
    for changes in (
        {"occupation_code": PACKAGING, "title": "包装工", "description": "限男性"},
        {"occupation_code": CASHIER, "title": "收银员", "description": "只招男性"},
        {"occupation_code": "6-16-01-08", "title": "提升机司机", "description": "限男性"},  # on the surface
    ):
        with pytest.raises(ValidationError, match="第二十七条"):
            DemandLine(**{**LINE, **changes})
    # restricting mine work to women, or preferring women, is never what the law requires
    with pytest.raises(ValidationError, match="第二十七条"):
        DemandLine(**{**LINE, "description": "井下采煤，女性优先"})


def test_heavy_load_words_and_unknown_sex():
    assert hazards_of(PACKAGING, "仓库扛包，每袋50公斤") == Hazard.HEAVY_LOAD
    assert hazards_of(PACKAGING, "产品搬运上架") == Hazard(0)
    with pytest.raises(ValueError, match="sex"):
        assess("X", date(1990, 1, 1), ON, Hazard(0))


def test_hazard_basis_says_why():
    basis = labour.hazard_basis("6-31-01-03", "井下电工", ["5.1"])
    assert basis[0].startswith("矿山井下作业：岗位写明“井下”")
    assert basis[1] == "特种作业：须持特种作业操作证（5.1 煤矿井下电气作业）；矿山井下作业：煤矿井下电气作业"
    assert labour.hazard_basis("6-28-01-11")[0].startswith("锅炉司炉：锅炉操作工，")
    assert labour.hazard_basis(CASHIER, "超市收银") == ()
