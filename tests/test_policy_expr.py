"""The pack's expression language: precedence, types, empty inputs, and refusal of anything else."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from matcher.policy.errors import CaseError
from matcher.policy.expr import EvalError, ExprError, compile_node, names, parse

EMPTY = object()


class Scope:
    """Values by name; a name bound to EMPTY is an input the case left empty."""

    def __init__(self, **values: Any) -> None:
        self.values = values

    def lookup(self, name: str) -> Any:
        value = self.values[name]
        if value is EMPTY:
            raise CaseError(f"training.{name}", "is empty")
        return value


def run(text: str, **values: Any) -> Any:
    return compile_node(parse(text))(Scope(**values))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", Decimal(7)),
        ("(1 + 2) * 3", Decimal(9)),
        ("10 - 4 - 3", Decimal(3)),
        ("-2 * 3", Decimal(-6)),
        ("3000 * 0.20 * min(8, 6)", Decimal(3600)),
        ("max(4000, 3500) * 2", Decimal(8000)),
        ("1 / 4", Decimal("0.25")),
        ("not true or true", True),
        ("not (true or true)", False),
        ("true and false or true", True),
        ("true and (false or false)", False),
        ("2 >= 2 and 1 < 2 and 3 != 4 and 5 == 5", True),
        ('"b" in ["a", "b"]', True),
        ('"c" not in ["a", "b"]', True),
        ("[1, 2] == [1, 2]", True),
    ],
)
def test_evaluates_with_usual_precedence(text: str, expected: Any) -> None:
    assert run(text) == expected


def test_names_dates_and_lists() -> None:
    assert run("age >= limit and male", age=50, limit=Decimal(50), male=True) is True
    assert run(
        "start >= first and start <= last",
        start=date(2020, 3, 1),
        first=date(2019, 1, 1),
        last=date(2021, 12, 31),
    )
    assert run("kind in kinds", kind="pre_job", kinds=("pre_job", "on_job_safety")) is True
    assert run("certificate in kinds", certificate=None, kinds=("skill_level",)) is False
    assert names(parse("a or (b and not c) or min(d, 3) > e")) == {"a", "b", "c", "d", "e"}


def test_empty_input_fails_only_when_the_result_depends_on_it() -> None:
    assert run("x or ok", x=EMPTY, ok=True) is True
    assert run("x and ok", x=EMPTY, ok=False) is False
    assert run("given(x, 0) + 5", x=EMPTY) == Decimal(5)
    assert run("given(x, 0) + 5", x=Decimal(2)) == Decimal(7)
    for text in ("x or ok", "not x", "x * 2"):
        with pytest.raises(CaseError, match="training.x"):
            run(text, x=EMPTY, ok=False)


@pytest.mark.parametrize(
    ("text", "values", "message"),
    [
        ("1 and true", {}, "1 is 1, not true or false"),
        ("not n", {"n": 3}, "n is 3, not true or false"),
        ('"a" + 1', {}, "not a number"),
        ("flag * 2", {"flag": True}, "flag is True, not a number"),
        ("1 / (2 - 2)", {}, "division by zero"),
        ("d > 3", {"d": date(2020, 1, 1)}, "not a number"),
        ("level >= 3", {"level": None}, "level is None, not a number"),
        ("1 in 2", {}, "not a list"),
    ],
)
def test_values_of_the_wrong_kind_are_refused(text: str, values: dict[str, Any], message: str) -> None:
    with pytest.raises(EvalError, match=message):
        run(text, **values)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "non-empty"),
        ("a +", "unexpected the end at column 4"),
        ("a ) b", "unexpected ')' at column 3"),
        ("a = b", "unexpected '=' at column 3"),
        ("x.y", "unexpected '.' at column 2"),
        ("open('f')", "unknown function 'open'"),
        ("__import__('os')", "unknown function '__import__'"),
        ("given(1)", "wrong number of arguments to given()"),
        ("max()", "wrong number of arguments to max()"),
        ("(a or b", "expected ')' at column 8 but found the end"),
        ("a not b", "unexpected 'not' at column 3"),
        ("and", "unexpected 'and' at column 1"),
    ],
)
def test_anything_outside_the_language_does_not_parse(text: str, message: str) -> None:
    with pytest.raises(ExprError) as info:
        parse(text)
    assert message in str(info.value)
