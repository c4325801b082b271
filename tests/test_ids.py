"""National ID numbers (GB 11643) and unified social credit codes (GB 32100)."""

from datetime import date

import pytest

from matcher.ids import (
    hash_id_number,
    id_check_digit,
    mask_id_number,
    parse_credit_code,
    parse_id_number,
    uscc_check_char,
)

# Published worked examples: the GB 11643 sample 11010519491231002X and a real-format credit code.
GOOD_ID = "11010519491231002X"


def test_id_number_good_and_derived_fields():
    number, born, sex = parse_id_number(" 11010519491231002x ")
    assert number == GOOD_ID and born == date(1949, 12, 31) and sex == "F"
    assert id_check_digit("53030219900101123") == "2"
    assert parse_id_number("530302199001011232")[2] == "M"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1101051949123100", "应为 18 位，这里是 16 位"),
        ("11010519491231002A", "17 位数字"),
        ("110105194913310021", "19491331 不是有效日期"),
        ("110105194912310021", "校验位不对"),
    ],
)
def test_id_number_bad(value, message):
    with pytest.raises(ValueError, match=message):
        parse_id_number(value)


def test_id_number_hash_and_mask():
    assert mask_id_number(GOOD_ID) == "1101**********002X"
    assert hash_id_number(GOOD_ID) == hash_id_number(GOOD_ID) != hash_id_number("530302199001011232")
    assert GOOD_ID not in hash_id_number(GOOD_ID)


def test_credit_code_good():
    assert parse_credit_code("91350100M000100Y43") == "91350100M000100Y43"
    body = "91530300MA6K1234X"
    assert parse_credit_code((body + uscc_check_char(body)).lower()) == body + uscc_check_char(body)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("91350100M000100Y4", "应为 18 位，这里是 17 位"),
        ("91350100M000100Y4I", "不能含有 'I'"),
        ("913501X0M000100Y43", "行政区划代码"),
        ("91350100M000100Y44", "校验位不对"),
    ],
)
def test_credit_code_bad(value, message):
    with pytest.raises(ValueError, match=message):
        parse_credit_code(value)
