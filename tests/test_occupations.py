"""The occupation coder: alias table, evaluation set, normalisation, ranking and its accuracy."""

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher import occupations as oc
from matcher.reference import is_occupation, occupation

# --- data -----------------------------------------------------------------------------------


def test_alias_table_is_large_and_every_code_is_a_real_leaf():
    rows = oc.aliases()
    assert len(rows) >= 400
    assert all(is_occupation(a.code) for a in rows)
    assert Counter(a.kind for a in rows).keys() == {"colloquial", "gongzhong"}
    assert len({a.alias for a in rows}) == len(rows)


def test_alias_table_covers_the_plans_urgent_and_strategic_fields():
    by_alias = {a.alias: a.code for a in oc.aliases()}
    expected = {
        "保姆": "4-10-01-06",  # 家政
        "月嫂": "4-10-01-06",
        "护理员": "4-10-01-05",  # 养老服务
        "保育员": "4-10-01-03",  # 托幼
        "带货主播": "4-01-06-02",  # 电商
        "厨师": "4-03-02-01",  # 餐饮服务
        "钢筋工人": "6-29-01-04",  # 建筑
        "维修电工": "6-31-01-03",  # 电工
        "电焊工": "6-18-02-04",
        "石墨烯": "6-15-07-07",
        "精细化工": "6-11-01-03",
        "会泽斑铜": "6-09-03-05",
        "菜籽油": "6-01-01-03",
        "越州土陶": "6-09-03-03",
        "民族刺绣": "6-09-03-11",
        "采煤工": "6-16-01-05",
        "瓦斯检查工": "6-16-01-10",
        "叉车司机": "6-30-05-01",
        "外卖骑手": "4-10-08-01",
        "数据标注员": "4-04-05-05",
    }
    assert {k: by_alias.get(k) for k in expected} == expected


def test_every_alias_codes_to_its_own_leaf_with_full_score():
    for a in oc.aliases():
        best = oc.code_occupation(a.alias, top=1)[0]
        assert (a.alias, best.code, best.score) == (a.alias, a.code, 1.0)


def test_evaluation_set_is_large_labelled_and_valid():
    pairs = oc.evaluation_titles()
    assert len(pairs) >= 220
    assert all(is_occupation(code) for _, code in pairs)
    assert len({t for t, _ in pairs}) == len(pairs)


def test_evaluation_set_is_not_a_copy_of_the_alias_table():
    pairs = oc.evaluation_titles()
    alias_texts = {a.alias for a in oc.aliases()}
    verbatim = sum(t in alias_texts for t, _ in pairs)
    assert verbatim / len(pairs) <= 0.30
    # Even after normalisation ("快递小哥" → "快递") most titles need more than a table look-up.
    alias_forms = {oc.normalise_title(a) for a in alias_texts}
    normalised = sum(oc.normalise_title(t) in alias_forms for t, _ in pairs)
    assert normalised / len(pairs) <= 0.30


def test_read_aliases_names_row_and_field_at_fault(tmp_path):
    header = "alias,code,kind,note\n"
    cases = {
        "保姆,9-99-99-99,colloquial,\n": "row 2: field 'code'",
        "保姆,6-18,colloquial,\n": "row 2: field 'code'",
        "保姆,4-10-01-06,slang,\n": "row 2: field 'kind'",
        ",4-10-01-06,colloquial,\n": "row 2: field 'alias'",
        "保姆,4-10-01-06,colloquial,\n保姆,4-10-01-06,colloquial,\n": "row 3: field 'alias'",
    }
    for body, message in cases.items():
        path = tmp_path / "aliases.csv"
        path.write_text(header + body, encoding="utf-8")
        with pytest.raises(ValueError, match=message):
            oc.read_aliases(path)


def test_read_evaluation_names_row_and_field_at_fault(tmp_path):
    path = tmp_path / "titles.csv"
    path.write_text("title,code,source_note\n焊工,6-18-02-04,x\n焊工,6-18-02,x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="row 3: field 'code'"):
        oc.read_evaluation(path)


# --- normalisation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "core"),
    [
        ("招熟练电焊工3名", "电焊工"),
        ("急招保洁人员若干名", "保洁"),
        ("ＣＮＣ操作员", "cnc操作员"),
        ("钢筋工人", "钢筋工"),
        ("工地钢筋师傅", "工地钢筋"),
        ("电工学徒（月薪5000元）", "电工"),
        ("诚聘 叉车司机 2人 男女不限", "叉车司机"),
        ("外卖小哥", "外卖"),
        ("招聘专员", "招聘专员"),
        ("招商专员", "招商专员"),
        ("A2货车司机", "a2货车司机"),
        ("熟练工", "熟练工"),
    ],
)
def test_normalise_title(raw, core):
    assert oc.normalise_title(raw) == core


# --- ranking --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "code"),
    [
        ("电焊工", "6-18-02-04"),
        ("招电焊工3名", "6-18-02-04"),
        ("保姆", "4-10-01-06"),
        ("叉车司机", "6-30-05-01"),
        ("外卖骑手", "4-10-08-01"),
        ("普工", "6-31-05-00"),
        ("服装厂车工", "6-05-01-03"),
        ("车工", "6-18-01-01"),
        ("挖机师傅", "6-30-05-05"),
        ("收银员", "4-01-02-04"),
        ("砌砖工", "6-29-01-01"),
        ("钢筋工", "6-29-01-04"),
        ("水电工", "6-31-01-03"),
        ("焊工", "6-18-02-04"),
        ("家政服务员", "4-10-01-06"),
    ],
)
def test_everyday_titles_code_to_the_right_leaf(title, code):
    best = oc.code_occupation(title)[0]
    assert best.code == code
    assert best.name == occupation(code).name


def test_titles_not_in_the_table_are_ranked_by_similarity():
    matches = oc.code_occupation("煤矿井下采煤工人", top=3)
    assert matches[0].code == "6-16-01-05"
    assert 0 < matches[0].score < 1
    assert oc.code_occupation("服装厂平车工")[0].code == "6-05-01-03"


def test_results_are_ordered_bounded_and_deterministic():
    first = oc.code_occupation("工地钢筋师傅", top=10)
    again = oc.code_occupation("工地钢筋师傅", top=10)
    assert first == again
    assert len(first) == 10
    assert len({m.code for m in first}) == 10
    scores = [m.score for m in first]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_only_an_exact_name_or_alias_scores_one():
    exact = oc.code_occupation("月嫂", top=3)
    assert exact[0].score == 1.0 and exact[1].score < 1.0
    assert oc.code_occupation("产后护理月嫂", top=1)[0].score < 1.0


def test_to_dict_has_exactly_code_name_score():
    d = oc.code_occupation("保安", top=1)[0].to_dict()
    assert d == {"code": "4-07-05-01", "name": "保安员", "score": 1.0}


def test_index_is_built_once():
    assert oc._index() is oc._index()


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="电焊工保姆招聘司机车服装厂煤矿井下熟练人员3名 ，abc", min_size=1, max_size=12))
def test_any_title_gives_a_well_formed_ranking(title):
    if not oc._light(title):
        with pytest.raises(ValueError):
            oc.code_occupation(title)
        return
    matches = oc.code_occupation(title, top=4)
    assert len(matches) == 4
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
    assert all(0.0 <= m.score <= 1.0 and is_occupation(m.code) for m in matches)


# --- errors and the import path -------------------------------------------------------------


@pytest.mark.parametrize("bad", ["", "   ", "，。！", None, 42, ["电工"]])
def test_empty_or_non_text_title_is_rejected(bad):
    with pytest.raises(oc.TitleError, match="岗位名称"):
        oc.code_occupation(bad)


@pytest.mark.parametrize("top", [0, -1, 2.5, True])
def test_top_must_be_a_positive_integer(top):
    with pytest.raises(ValueError, match="top"):
        oc.code_occupation("电工", top=top)


def test_best_occupation_code_codes_clear_titles_and_refuses_noise():
    assert oc.best_occupation_code("招熟练电焊工") == "6-18-02-04"
    assert oc.best_occupation_code("煤矿井下采煤工人") == "6-16-01-05"
    assert oc.best_occupation_code("我想找个工作") is None
    assert oc.best_occupation_code("asdfgh") is None
    assert oc.best_occupation_code("煤矿井下采煤工人", min_score=1.0) is None
    with pytest.raises(ValueError, match="min_score"):
        oc.best_occupation_code("电工", min_score=1.5)


# --- accuracy -------------------------------------------------------------------------------


def test_accuracy_on_the_evaluation_set():
    result = oc.evaluate_coder()
    assert result["count"] == len(oc.evaluation_titles())
    # Measured: top-1 0.898, top-5 0.992 (char n-grams).
    assert result["top1"] >= 0.85
    assert result["top5"] >= 0.95


def test_char_ngrams_beat_jieba_words():
    char, words = oc.evaluate_coder("char"), oc.evaluate_coder("jieba")
    # Measured: jieba top-1 0.556, top-5 0.573; the default tokenisation must stay the better one.
    assert oc.TOKENS == "char"
    assert char["top1"] > words["top1"] and char["top5"] > words["top5"]


def test_unknown_tokenisation_is_rejected():
    with pytest.raises(ValueError, match="tokens"):
        oc.evaluate_coder("bigram")  # type: ignore[arg-type]


def test_the_coder_reads_whole_posting_lines():
    """Ads, 岗位描述, slang, homophone typos, abbreviations and industry words (data/eval/occupation_lines.csv)."""
    result = oc.evaluate_coder(path=oc.LINES_EVAL_PATH)
    assert result["count"] >= 100
    assert result["top1"] >= 0.9 and result["top5"] >= 0.95, result
    assert oc.code_occupation("电悍工", 1)[0].code == "6-18-02-04"  # sounds like 电焊工
    assert oc.code_occupation("硅片厂切片", 1)[0].code == "6-25-02-04"  # the industry implies 晶片加工工
    assert oc.line_segments("麒麟区某煤化工急招电焊工5名，月薪6000-8000元，包吃住") == ["某煤化工", "电焊工"]
