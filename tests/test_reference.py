"""The reference tables load whole and answer the questions the engine asks of them."""

import pytest

from matcher import reference as ref


def test_occupation_classification_is_complete():
    levels = [o.level for o in ref.occupations().values()]
    assert [levels.count(k) for k in (1, 2, 3, 4)] == [8, 79, 450, 1639]
    assert len(ref.leaf_occupations()) == 1639


def test_occupation_tree_navigation():
    welder = ref.occupation("6-18-02-04")
    assert welder.name == "焊工"
    assert [a.code for a in ref.ancestors("6-18-02-04")] == ["6-18-02", "6-18", "6"]
    sibs = ref.siblings("6-18-02-04")
    assert sibs and all(s.parent_code == "6-18-02" and s.code != "6-18-02-04" for s in sibs)
    assert ref.occupation_distance("6-18-02-04", "6-18-02-04") == 0
    assert ref.occupation_distance("6-18-02-04", sibs[0].code) == 1
    assert ref.occupation_distance("6-18-02-04", "6-18-01-01") == 2
    assert ref.occupation_distance("6-18-02-04", "4-10-01-01") == 4
    with pytest.raises(ValueError, match="different levels"):
        ref.occupation_distance("6-18-02-04", "6-18")
    with pytest.raises(KeyError, match="9-99-99-99"):
        ref.occupation("9-99-99-99")
    assert ref.is_occupation("6-18-02-04") and not ref.is_occupation("6-18-02")


def test_skill_levels_order():
    assert len(ref.skill_levels()) == 5
    assert ref.level_rank(5) == 1 and ref.level_rank(1) == 5 and ref.level_rank(None) == 0
    assert ref.meets_level(3, 4) and not ref.meets_level(5, 4) and ref.meets_level(None, None)
    with pytest.raises(ValueError, match="1 .* to 5"):
        ref.level_rank(6)


def test_special_operations_catalogue():
    ops = ref.special_operations()
    assert len(ops) == 51
    assert ops["2.1"].name == "熔化焊接与热切割作业"


def test_qujing_counties_and_zone():
    counties = ref.qujing_counties()
    assert len(counties) == 9
    assert sum(c.population or 0 for c in counties) == 5_765_775
    zone = ref.region(ref.ETDZ_CODE)
    assert zone.name == "曲靖经济技术开发区"
    # the zone overlays 翠峰街道 and 西城街道 of 麒麟区
    assert ref.county_of("530302010") == ref.ETDZ_CODE and ref.county_of("530302005") == ref.ETDZ_CODE
    assert ref.county_of("530302001") == "530302"
    assert ref.is_in_qujing(ref.ETDZ_CODE) and ref.is_in_qujing("530381") and ref.is_in_qujing("530302010")
    assert not ref.is_in_qujing("440300") and not ref.is_in_qujing("530100")


def test_great_circle_distance():
    # 麒麟区 to 深圳市: about 1,090 km as the crow flies
    assert 1000 < ref.distance_km("530302", "440300") < 1200
    assert ref.distance_km("530302", "530302") == 0
    assert ref.distance_km("530302", "530381") == pytest.approx(ref.distance_km("530381", "530302"))
    # towns take their county's centre
    assert ref.distance_km("530302001", "530302") == 0
    with pytest.raises(KeyError, match="not a known"):
        ref.distance_km("530302", "999999")


def test_every_city_of_china_is_there():
    kinds = [r.kind for r in ref.regions().values()]
    assert kinds.count("province") == 31 and kinds.count("city") == 342
    assert ref.province_of("440300") == "440000"


def test_ranks_and_levels_convert_both_ways_through_the_level_table():
    for level in ref.skill_levels():
        assert ref.level_of_rank(ref.level_rank(level)) == level
    assert ref.level_of_rank(0) is None
    assert ref.rank_label(1) == ref.skill_levels()[5].label and ref.rank_label(5) == ref.skill_levels()[1].label
