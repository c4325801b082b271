"""Entry conditions (申报条件) per skill level: every route met and missed at its boundary year."""

import csv
import itertools

import numpy as np
import pytest

from matcher import skill_entry
from matcher.domain import EDUCATION_RANK, Education
from matcher.skill_entry import entry_allowed, entry_reason

NONE = EDUCATION_RANK[Education.none]
SENIOR = EDUCATION_RANK[Education.senior_middle]
VOCATIONAL = EDUCATION_RANK[Education.vocational_secondary]
COLLEGE = EDUCATION_RANK[Education.junior_college]
BACHELOR = EDUCATION_RANK[Education.bachelor]
SOURCE = "（国家职业技能标准编制技术规程（2018年版）申报条件）"


def allowed(target: int, held: int, since: int, worked: int, education: int) -> bool:
    """Both answers, checked to agree on 可报."""
    answer = bool(entry_allowed(*map(np.array, (target, held, since, worked, education))))
    assert ("可报" in entry_reason(target, held, since, worked, education)) is answer
    return answer


# (target rank, held, years since held, years worked, education, allowed)
CASES = [
    # no level and 五级: open to anyone
    (0, 0, 0, 0, NONE, True),
    (1, 0, 0, 0, NONE, True),
    # 四级 (1): 五级 held 4 years, 4 years of work
    (2, 1, 4, 4, NONE, True),
    (2, 1, 3, 4, NONE, False),
    (2, 1, 4, 3, NONE, False),
    # 四级 (2): 6 years of work, no certificate
    (2, 0, 0, 6, NONE, True),
    (2, 0, 0, 5, NONE, False),
    # 四级 (3): 技工学校 / 中等及以上职业学校
    (2, 0, 0, 0, VOCATIONAL, True),
    (2, 0, 0, 0, BACHELOR, True),
    (2, 0, 0, 0, SENIOR, False),
    # 三级 (1): 四级 held 5 years, 5 years of work; no work-only route
    (3, 2, 5, 5, NONE, True),
    (3, 2, 4, 5, NONE, False),
    (3, 2, 5, 4, NONE, False),
    (3, 0, 0, 30, NONE, False),
    (3, 1, 10, 10, NONE, False),
    # 三级 (2): 四级 and a 高级技工学校 / 技师学院 / 高职 diploma, no wait
    (3, 2, 0, 0, COLLEGE, True),
    (3, 0, 0, 0, COLLEGE, False),
    (3, 2, 0, 0, VOCATIONAL, False),
    # 三级 (3): 大专 and above, 四级 held 2 years, 2 years of work
    (3, 2, 2, 2, BACHELOR, True),
    (3, 2, 1, 2, BACHELOR, False),
    (3, 2, 2, 1, BACHELOR, False),
    # 二级 (1): 三级 held 4 years, 4 years of work
    (4, 3, 4, 4, NONE, True),
    (4, 3, 3, 4, NONE, False),
    (4, 2, 20, 20, NONE, False),
    # 二级 (2): 三级 and a 高级技工学校 / 技师学院 diploma, 3 years of work
    (4, 3, 0, 3, COLLEGE, True),
    (4, 3, 0, 2, COLLEGE, False),
    (4, 3, 3, 3, BACHELOR, False),
    # 一级: 二级 held 4 years, 4 years of work
    (5, 4, 4, 4, NONE, True),
    (5, 4, 3, 4, NONE, False),
    (5, 4, 4, 3, BACHELOR, False),
    (5, 3, 30, 30, BACHELOR, False),
    # holding the target level or higher
    (3, 3, 0, 0, NONE, True),
    (2, 5, 0, 0, NONE, True),
]


@pytest.mark.parametrize(("target", "held", "since", "worked", "education", "expected"), CASES)
def test_routes(target, held, since, worked, education, expected):
    assert allowed(target, held, since, worked, education) is expected


def test_reason_met_names_the_condition_and_source():
    assert entry_reason(3, 2, 5, 5, NONE) == (
        "持有本职业（相关职业）四级/中级工证书满5年，累计从事本职业（相关职业）工作满5年，可报三级/高级工"
        + SOURCE
    )
    assert entry_reason(2, 0, 0, 6, NONE) == "累计从事本职业（相关职业）工作满6年，可报四级/中级工" + SOURCE


def test_reason_missing_says_what_would_open_the_class():
    text = entry_reason(3, 2, 1, 3, SENIOR)
    assert text.startswith("报考三级/高级工须满足以下条件之一，目前均未满足：")
    assert (
        "①持有本职业（相关职业）四级/中级工证书满5年，累计从事本职业（相关职业）工作满5年（持证年限还差4年，工作年限还差2年）"
        in text
    )
    assert "学历不符" in text
    assert text.endswith(SOURCE)
    assert "尚缺二级/技师证书" in entry_reason(5, 0, 0, 10, NONE)
    assert "可报" not in entry_reason(5, 0, 0, 10, NONE)


def test_reason_agrees_with_entry_allowed_everywhere():
    grid = np.array(list(itertools.product(range(6), range(6), range(7), range(8), range(len(Education)))))
    answers = entry_allowed(*grid.T)
    for row, answer in zip(grid.tolist(), answers.tolist()):
        assert ("可报" in entry_reason(*row)) is answer, row


def test_broadcasting_pairs_by_programmes():
    people = {
        "held": np.array([0, 2, 3, 0]),
        "since": np.array([0, 5, 1, 0]),
        "worked": np.array([0, 5, 1, 7]),
        "education": np.array([NONE, NONE, NONE, VOCATIONAL]),
    }
    programmes = np.array([0, 1, 2, 3, 4, 5])
    got = entry_allowed(
        programmes[None, :],
        people["held"][:, None],
        people["since"][:, None],
        people["worked"][:, None],
        people["education"][:, None],
    )
    assert got.shape == (4, 6)
    assert got.dtype == bool
    expected = [
        [True, True, False, False, False, False],
        [True, True, True, True, False, False],
        [True, True, True, True, False, False],
        [True, True, True, False, False, False],
    ]
    assert got.tolist() == expected
    for i, j in np.ndindex(got.shape):
        args = (int(programmes[j]), *(int(v[i]) for v in people.values()))
        assert ("可报" in entry_reason(*args)) is bool(got[i, j])


def test_target_rank_out_of_range():
    with pytest.raises(ValueError, match="target_rank"):
        entry_allowed(np.array([6]), 0, 0, 0, 0)
    with pytest.raises(ValueError, match="target_rank"):
        entry_reason(-1, 0, 0, 0, 0)


def test_every_level_has_routes_with_source():
    routes = skill_entry.routes()
    assert sorted(routes) == [1, 2, 3, 4, 5]
    assert [len(routes[r]) for r in range(1, 6)] == [1, 3, 3, 2, 1]
    assert all("国家职业技能标准编制技术规程（2018年版）" in r.source for rs in routes.values() for r in rs)


def _write(tmp_path, monkeypatch, edit):
    with open(skill_entry.CONDITIONS_FILE, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    edit(rows)
    path = tmp_path / "skill_entry_conditions.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    monkeypatch.setattr(skill_entry, "CONDITIONS_FILE", path)
    skill_entry.routes.cache_clear()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda rows: rows[3].update(target_level="6"), r"row 5 \(4-3\): target_level must be 1"),
        (lambda rows: rows[1].update(target_label="三级/高级工"), r"row 3 \(4-1\): target_label"),
        (lambda rows: rows[2].update(needs_level_below="maybe"), r"row 4 \(4-2\): needs_level_below"),
        (lambda rows: rows[4].update(years_in_occupation="five"), r"row 6 \(3-1\): years_in_occupation"),
        (lambda rows: rows[5].update(education_min="college"), r"row 7 \(3-2\): unknown education"),
        (lambda rows: rows[2].update(years_after_level_below="2"), r"row 4 \(4-2\): years_after_level_below"),
        (lambda rows: [r.update(extra="x") for r in rows], r"columns must be"),
        (lambda rows: rows.pop(), r"no route for rank\(s\) \[5\]"),
    ],
)
def test_bad_file_names_the_row(tmp_path, monkeypatch, edit, message):
    _write(tmp_path, monkeypatch, edit)
    try:
        with pytest.raises(ValueError, match=message):
            skill_entry.routes()
    finally:
        monkeypatch.undo()
        skill_entry.routes.cache_clear()
