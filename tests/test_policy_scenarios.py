"""Runs every scenario of ``policy_scenarios.yaml`` (the readable table of cases and expected subsidies)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from matcher.policy import CaseError, Decision, decide, load_pack
from matcher.policy.pack import missing_quote

TABLE = yaml.safe_load(Path(__file__).with_name("policy_scenarios.yaml").read_text(encoding="utf-8"))
DEFAULTS: dict[str, Any] = TABLE["defaults"]
SCENARIOS: list[dict[str, Any]] = TABLE["scenarios"]
_ITEM = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*→\s*(person|enterprise|institution)\s*$")
_KEYS = {"id", "title", "article", "sentence", "person", "training", "history", "as_of", "expect"}
_EXPECT_KEYS = {"items", "denials", "derived", "says", "error"}


def build_case(scenario: dict[str, Any]) -> dict[str, Any]:
    """The defaults with the scenario's changes to the person and training, and its history if given."""
    case: dict[str, Any] = {
        "person": {**DEFAULTS["person"], **scenario.get("person", {})},
        "training": {**DEFAULTS["training"], **scenario.get("training", {})},
        "history": scenario.get("history", DEFAULTS["history"]),
    }
    if "as_of" in scenario:
        case["as_of"] = scenario["as_of"]
    return case


def expected_items(expect: dict[str, Any]) -> dict[str, tuple[float, str]]:
    out = {}
    for item, text in (expect.get("items") or {}).items():
        m = _ITEM.match(str(text))
        assert m, f"item {item}: write the expectation as 'amount → payee', got {text!r}"
        out[item] = (float(m.group(1)), m.group(2))
    return out


def test_table_is_large_and_well_formed() -> None:
    ids = [s["id"] for s in SCENARIOS]
    assert len(ids) >= 80
    assert len(set(ids)) == len(ids), "scenario ids must be unique"
    for s in SCENARIOS:
        assert set(s) <= _KEYS, f"{s['id']}: unknown keys {set(s) - _KEYS}"
        assert set(s["expect"]) <= _EXPECT_KEYS, (
            f"{s['id']}: unknown expectations {set(s['expect']) - _EXPECT_KEYS}"
        )
        assert ("error" in s["expect"]) != ("items" in s["expect"]), (
            f"{s['id']}: expect either items or an error"
        )


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["id"] for s in SCENARIOS])
def test_scenario(scenario: dict[str, Any]) -> None:
    pack = load_pack()
    article, sentence = scenario["article"], scenario["sentence"]
    assert article in pack.articles, f"article {article} is not in the plan"
    assert missing_quote(pack.articles[article], sentence) is None, (
        f"the sentence is not in article {article}"
    )
    expect = scenario["expect"]
    case = build_case(scenario)

    if "error" in expect:
        with pytest.raises((ValidationError, CaseError)) as info:
            decide(case)
        assert expect["error"] in str(info.value)
        return

    decision = decide(case)
    items = {i.item: (i.amount, i.payee) for i in decision.items}
    assert items == expected_items(expect)
    assert decision.eligible is bool(items)
    assert sorted(d.rule for d in decision.denials) == sorted(expect.get("denials", []))
    for name, grounds in (expect.get("derived") or {}).items():
        assert [g.id for g in decision.derived[name].grounds] == grounds
        assert decision.derived[name].value is bool(grounds)
    reasons = " ".join(
        [i.reason for i in decision.items]
        + [d.reason for d in decision.denials]
        + [g.reason for d in decision.derived.values() for g in d.grounds]
    )
    for words in expect.get("says", []):
        assert words in reasons
    assert article in consulted_articles(decision), f"no rule of article {article} was evaluated"


def consulted_articles(decision: Decision) -> set[str]:
    """Articles of the rules that looked at the case beyond its training kind, and those they also rest on."""
    out: set[str] = set()
    for t in decision.trace:
        if not t.blocked_by and set(t.values) - {"kind"}:
            out.add(t.article)
            out.update(t.see_also)
    return out
