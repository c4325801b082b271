"""The fairness audit on hand-built populations whose ratios are worked out by hand."""

import json

import numpy as np
import pytest

from matcher.fairness import AGE_BAND_LABELS, age_band, fairness_report


def flags_at(n: int, *ranges: tuple[int, int]) -> np.ndarray:
    """A bool array of length n, True on the half-open ranges."""
    out = np.zeros(n, dtype=bool)
    for lo, hi in ranges:
        out[lo:hi] = True
    return out


def by_group(report, dimension):
    return {r.group: r for r in report.rows if r.dimension == dimension}


def test_exactly_four_fifths_is_not_flagged_and_0_79_is():
    # 1,000 people, 500 women first. placed: 40 women, 60 men of 100 -> women (40/100)/(500/1000) = 0.8.
    # trained: 79 women, 121 men of 200 -> women (79/200)/(0.5) = 0.79, men 1.21.
    sex = np.array(["F"] * 500 + ["M"] * 500)
    placed = flags_at(1000, (0, 40), (500, 560))
    trained = flags_at(1000, (0, 79), (500, 621))
    report = fairness_report({"sex": sex}, {}, {"placed": placed, "trained": trained})
    women, men = by_group(report, "sex")["F"], by_group(report, "sex")["M"]
    assert (women.label, men.label) == ("女", "男")
    assert women.population == 500 and women.population_share == 0.5
    assert women.counts == {"placed": 40, "trained": 79}
    assert women.shares == pytest.approx({"placed": 0.4, "trained": 0.395})
    assert women.ratios == pytest.approx({"placed": 0.8, "trained": 0.79})
    assert men.ratios == pytest.approx({"placed": 1.2, "trained": 1.21})
    assert women.flags == ("trained",)
    assert men.flags == ()
    assert report.flagged == 1
    assert report.population == 1000


def test_exactness_where_floating_point_says_just_below():
    # 彝族 34 of 1,000 people and 17 of 625 reached: (17/625)/(34/1000) is exactly 0.8,
    # though computed in floating point it comes out as 0.7999999999999999.
    ethnicity = np.array(["彝族"] * 34 + ["汉族"] * 966)
    reached = flags_at(1000, (0, 17), (34, 642))
    row = by_group(fairness_report({"ethnicity": ethnicity}, {}, {"placed": reached}), "ethnicity")["彝族"]
    assert row.counts["placed"] == 17
    assert row.ratios["placed"] == pytest.approx(0.8)
    assert row.flags == ()


def test_small_groups_are_not_flagged():
    # 汉族 941, 彝族 29, 回族 30; nobody but 汉族 reached: ratios 0 for both small groups,
    # only the group of 30 (min_group) is flagged.
    ethnicity = np.array(["汉族"] * 941 + ["彝族"] * 29 + ["回族"] * 30)
    reached = flags_at(1000, (0, 500))
    rows = by_group(fairness_report({"ethnicity": ethnicity}, {}, {"trained": reached}), "ethnicity")
    assert rows["彝族"].ratios["trained"] == 0.0 and rows["彝族"].flags == ()
    assert rows["回族"].ratios["trained"] == 0.0 and rows["回族"].flags == ("trained",)
    assert rows["汉族"].ratios["trained"] == pytest.approx((500 / 500) / (941 / 1000))
    assert fairness_report({"ethnicity": ethnicity}, {}, {"trained": reached}, min_group=31).flagged == 0


def test_priority_groups_overlap_and_are_held_to_one():
    # 200 people; recommended: people 0–49 and 100–149 (100 people).
    n = 200
    recommended = flags_at(n, (0, 50), (100, 150))
    groups = {
        "a": flags_at(n, (0, 60)),  # 60 people, 50 reached: (50/100)/(60/200) = 5/3
        "b": flags_at(n, (40, 100)),  # overlaps a on 40–59; 10 reached: 1/3
        "c": flags_at(n, (100, 127), (150, 183)),  # 60 people, 27 reached: 0.9, below 1
        "d": flags_at(n, (0, 30), (150, 180)),  # 60 people, 30 reached: exactly 1
        "e": np.zeros(n, dtype=bool),  # empty
    }
    labels = {"a": "脱贫劳动力", "c": "退役军人"}
    report = fairness_report({}, groups, {"recommended": recommended}, labels=labels)
    rows = by_group(report, "priority_group")
    assert list(rows) == ["a", "b", "c", "d", "e"]
    assert rows["a"].label == "脱贫劳动力" and rows["b"].label == "b"
    assert [rows[g].population for g in "abcde"] == [60, 60, 60, 60, 0]
    assert [rows[g].counts["recommended"] for g in "abcde"] == [50, 10, 27, 30, 0]
    assert rows["a"].ratios["recommended"] == pytest.approx(5 / 3)
    assert rows["b"].ratios["recommended"] == pytest.approx(1 / 3)
    assert rows["c"].ratios["recommended"] == pytest.approx(0.9)
    assert rows["d"].ratios["recommended"] == pytest.approx(1.0)
    assert rows["e"].ratios["recommended"] is None and rows["e"].population_share == 0.0
    assert {g for g, r in rows.items() if r.flags} == {"b", "c"}
    assert report.flagged == 2


def test_the_same_ratio_in_an_attribute_group_is_not_flagged():
    # 0.9 flags a priority group but not a county.
    county = np.array(["530302"] * 60 + ["530381"] * 140)
    reached = flags_at(200, (0, 27), (60, 133))
    row = by_group(fairness_report({"county": county}, {}, {"placed": reached}), "county")["530302"]
    assert row.label == "麒麟区"
    assert row.ratios["placed"] == pytest.approx(0.9)
    assert row.flags == ()


def test_empty_outcome_has_no_ratio_and_no_flag():
    sex = np.array(["F"] * 40 + ["M"] * 60)
    report = fairness_report(
        {"sex": sex},
        {"poverty_registered": flags_at(100, (0, 50))},
        {"subsidised": np.zeros(100, dtype=bool)},
    )
    for row in report.rows:
        assert row.counts == {"subsidised": 0}
        assert row.shares == {"subsidised": 0.0}
        assert row.ratios == {"subsidised": None}
        assert row.flags == ()
    assert report.flagged == 0


def test_count_outcomes_count_people_and_keep_the_sum():
    # times recommended per person: 3 of 4 women reached (6 times), 1 of 2 men (5 times); 4 people reached.
    sex = np.array(["F", "F", "F", "F", "M", "M"])
    times = np.array([0, 1, 3, 2, 5, 0])
    rows = by_group(fairness_report({"sex": sex}, {}, {"recommended": times}), "sex")
    assert rows["F"].counts == {"recommended": 3} and rows["F"].totals == {"recommended": 6}
    assert rows["M"].counts == {"recommended": 1} and rows["M"].totals == {"recommended": 5}
    assert rows["F"].ratios["recommended"] == pytest.approx((3 / 4) / (4 / 6))


def test_missing_values_age_bands_and_order():
    ages = np.array([15, 16, 24, 25, 34, 35, 44, 45, 54, 55, 64, 65, np.nan])
    assert age_band(ages).tolist() == [
        "16岁以下",
        "16–24岁",
        "16–24岁",
        "25–34岁",
        "25–34岁",
        "35–44岁",
        "35–44岁",
        "45–54岁",
        "45–54岁",
        "55–64岁",
        "55–64岁",
        "65岁及以上",
        "未填",
    ]
    assert AGE_BAND_LABELS[3] == "45–54岁"
    attributes = {
        "age_band": age_band(np.array([70, 30, 20, np.nan, 50])),
        "ethnicity": np.array(["汉族", None, "", "彝族", "汉族"], dtype=object),
        "county": np.array(["530302", "530302-QJETDZ", "", "530381", "530302"]),
    }
    report = fairness_report(attributes, {}, {"placed": np.array([1, 0, 1, 0, 1], dtype=bool)})
    assert [r.group for r in report.rows if r.dimension == "age_band"] == [
        "16–24岁",
        "25–34岁",
        "45–54岁",
        "65岁及以上",
        "未填",
    ]
    ethnicity = by_group(report, "ethnicity")
    assert list(ethnicity) == ["彝族", "汉族", "未填"]
    assert ethnicity["未填"].population == 2
    county = by_group(report, "county")
    assert county["530302-QJETDZ"].label == "曲靖经济技术开发区"
    assert county["未填"].label == "未填"


def test_dict_and_text():
    sex = np.array(["F"] * 500 + ["M"] * 500)
    report = fairness_report(
        {"sex": sex},
        {"poverty_registered": flags_at(1000, (0, 100))},
        {"trained": flags_at(1000, (0, 79), (500, 621))},
        labels={"poverty_registered": "脱贫劳动力"},
    )
    data = json.loads(json.dumps(report.to_dict()))
    assert data["flagged"] == report.flagged == 1
    assert data["outcome_labels"] == {"trained": "参加培训"}
    assert data["rows"][0]["group"] == "F" and data["rows"][0]["flags"] == ["trained"]
    text = report.to_text()
    assert "【性别】" in text and "【重点群体】" in text
    assert "脱贫劳动力" in text and "偏低：参加培训" in text
    assert "39.5% / 0.79" in text


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="'sex'"):
        fairness_report({"sex": np.array(["F", "M"])}, {}, {"placed": np.zeros(3, dtype=bool)})
    with pytest.raises(ValueError, match="'placed' must be bool"):
        fairness_report({}, {}, {"placed": np.array([0.5, 1.0])})
    with pytest.raises(ValueError, match="at least one outcome"):
        fairness_report({"sex": np.array(["F"])}, {}, {})
