"""The decision engine: evaluates a policy pack's derived facts, checks and items against one case.

Order of evaluation: every derived fact, then every check, then every item, each in pack order.
A failed check denies the case; the items after it are reported as not applicable, blocked by it.
An item whose condition fails is denied on its own. Items may refer to earlier items by id (true when
granted), and an item with ``part_of`` is an advance paid out of the first of those items granted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from matcher.policy import expr
from matcher.policy.case import Case
from matcher.policy.decision import Decision
from matcher.policy.errors import CaseError, PackError
from matcher.policy.facts import FACTS
from matcher.policy.pack import ITEM_NAMES, Pack, Rule, Template, load_pack, pack_for

_CENT = Decimal("0.01")
_AS_IS = (bool, int, str, float, type(None))


def _json(value: Any) -> Any:
    if isinstance(value, _AS_IS):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    return value


def _money(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


class _Run:
    """The evaluation of one case: caches facts and records what each rule looked at."""

    def __init__(self, case: Case, pack: Pack) -> None:
        self.case = case
        self.pack = pack
        self.params = pack.params
        self.facts: dict[str, tuple[Any, dict[str, Any]]] = {}
        self.outcomes: dict[str, bool] = {}
        self.grounds: dict[str, list[str]] = {}
        self.amounts: dict[str, Decimal] = {}
        self.local: dict[str, Any] = {}
        self.looked: dict[str, Any] = {}

    def lookup(self, name: str) -> Any:
        looked = self.looked
        if name in self.local:
            value = self.local[name]
            if name in ITEM_NAMES:
                return value
        elif name in self.outcomes:
            value = self.outcomes[name]
        elif name in self.params:
            value = self.params[name]
        else:
            hit = self.facts.get(name)
            if hit is None:
                try:
                    hit = self.facts[name] = FACTS[name].fn(self.case, self.params)
                except CaseError:
                    looked[name] = None  # unknown; shown in the trace when another condition settled the rule
                    raise
            value, shown = hit
            for key, raw in shown.items():
                looked[key] = _json(raw)
        looked[name] = _json(value)
        return value

    # --- evaluation ------------------------------------------------------------------------

    def fail(self, rule_id: str, message: str) -> PackError:
        return PackError(f"{self.pack.path.name}: rule {rule_id}: {message}")

    def value(self, fn: expr.Compiled, rule_id: str, article: str) -> Any:
        try:
            return fn(self)
        except expr.EvalError as e:
            raise self.fail(rule_id, str(e)) from None
        except CaseError as e:
            raise CaseError(e.field, f"{e.detail}（规则 {rule_id}，见（{article}））") from None

    def truth(self, fn: expr.Compiled, rule_id: str, article: str) -> bool:
        value = self.value(fn, rule_id, article)
        if not isinstance(value, bool):
            raise self.fail(rule_id, f"a condition gave {self.text(value)}, not true or false")
        return value

    def render(self, template: Template, rule_id: str, article: str, cite: bool = True) -> str:
        out = []
        for part in template.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            node, fn = part
            if node[0] == "name" and node[1] in self.grounds:
                self.lookup(node[1])
                out.append("、".join(self.grounds[node[1]]) or "无")
            else:
                out.append(self.text(self.value(fn, rule_id, article)))
        return "".join(out) + (f"（{article}）" if cite else "")

    def text(self, value: Any) -> str:
        if isinstance(value, bool):
            return "是" if value else "否"
        if isinstance(value, (Decimal, int)):
            d = Decimal(value)
            return str(int(d)) if d == d.to_integral_value() else str(_money(d))
        if value is None:
            return "无"
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, (tuple, list)):
            return "、".join(self.text(v) for v in value)
        return self.pack.labels.get(str(value), str(value))

    def derive(self, trace: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        out = {}
        for d in self.pack.derived:
            self.looked = {}
            held = [g for g in d.grounds if self.truth(g.when, d.id, d.article)]
            reasons = [self.render(g.reason, d.id, d.article, cite=False) for g in held]
            self.outcomes[d.id] = bool(held)
            self.grounds[d.id] = reasons
            grounds = [{"id": g.id, "reason": r} for g, r in zip(held, reasons)]
            out[d.id] = {"value": bool(held), "name": d.name, "article": d.article, "grounds": grounds}
            trace.append(
                {
                    "rule": d.id,
                    "stage": "derived",
                    "article": d.article,
                    "status": "passed" if held else "failed",
                    "values": self.looked,
                    "reason": "、".join(reasons) or None,
                }
            )
        return out

    def inapplicable(self, rule: Rule) -> str | None:
        """Why a rule does not apply to this case, or None when it does."""
        kind = self.case.training.kind
        if rule.kinds is not None and kind not in rule.kinds:
            self.looked["kind"] = kind
            return f"本规则不适用于{self.text(kind)}"
        if rule.part_of:
            for b in rule.part_of:
                self.looked[b] = self.outcomes.get(b, False)
            base = next((b for b in rule.part_of if self.outcomes.get(b)), None)
            if base is None:
                names = "、".join(r.name for r in self.pack.items if r.id in rule.part_of)
                return f"{names}都没有给予"
            self.local = {
                "part_of_amount": self.amounts[base],
                "part_of_name": next(r.name for r in self.pack.items if r.id == base),
                "part_of": base,
            }
        if rule.when is not None and not self.truth(rule.when, rule.id, rule.article):
            return "本规则的适用条件不成立"
        return None

    def decide(self) -> Decision:
        trace: list[dict[str, Any]] = []
        derived = self.derive(trace)
        denials: list[dict[str, Any]] = []
        items: list[dict[str, Any]] = []
        failed_checks: list[str] = []
        for rule in self.pack.checks:
            entry = self.evaluate(rule)
            if entry["status"] == "failed":
                failed_checks.append(rule.id)
                denials.append(self.denial(rule, entry))
            trace.append(entry)
        for rule in self.pack.items:
            if failed_checks:
                self.outcomes[rule.id] = False
                blocked = self.entry(rule, "not_applicable", {}, "前提条件不满足，本项不再评估")
                blocked["blocked_by"] = list(failed_checks)
                trace.append(blocked)
                continue
            entry = self.evaluate(rule)
            if entry["status"] == "failed":
                denials.append(self.denial(rule, entry))
            elif entry["status"] == "passed":
                items.append(
                    {
                        "item": rule.id,
                        "name": rule.name,
                        "amount": entry["amount"],
                        "payee": self.local["payee"],
                        "article": rule.article,
                        "reason": entry["reason"],
                        "part_of": self.local.get("part_of"),
                    }
                )
            trace.append(entry)
        main = [i["item"] for i in items if i["part_of"] is None]
        # One validation of the whole answer: it checks the output and is cheaper than building models one by one.
        return Decision.model_validate(
            {
                "pack": self.pack.id,
                "in_force": self.pack.in_force(self.case.training.start_date),
                "as_of": self.case.on,
                "eligible": bool(main),
                "total": float(sum((self.amounts[i] for i in main), Decimal(0))),
                "items": items,
                "denials": denials,
                "derived": derived,
                "trace": trace,
            }
        )

    def evaluate(self, rule: Rule) -> dict[str, Any]:
        self.looked = {}
        self.local = {}
        self.outcomes[rule.id] = False
        why_not = self.inapplicable(rule)
        if why_not is not None:
            return self.entry(rule, "not_applicable", self.looked, why_not)
        if rule.require is not None and not self.truth(rule.require, rule.id, rule.article):
            assert rule.deny is not None
            return self.entry(rule, "failed", self.looked, self.render(rule.deny, rule.id, rule.article))
        self.outcomes[rule.id] = True
        if rule.stage == "check":
            return self.entry(rule, "passed", self.looked)
        assert rule.amount is not None and rule.grant is not None
        value = self.value(rule.amount, rule.id, rule.article)
        if not isinstance(value, (Decimal, int)) or isinstance(value, bool) or value < 0:
            raise self.fail(rule.id, f"the amount gave {self.text(value)}, not a sum of money")
        amount = self.amounts[rule.id] = _money(Decimal(value))
        payee = self.case.training.advanced_by if rule.payee == "advanced_by" else rule.payee
        if rule.payee == "advanced_by":
            self.looked["advanced_by"] = payee
        self.local.update(amount=amount, payee=payee, payee_name=payee)
        entry = self.entry(rule, "passed", self.looked, self.render(rule.grant, rule.id, rule.article))
        entry["amount"] = float(amount)
        return entry

    def entry(
        self, rule: Rule, status: str, values: dict[str, Any], reason: str | None = None
    ) -> dict[str, Any]:
        return {
            "rule": rule.id,
            "stage": rule.stage,
            "article": rule.article,
            "see_also": list(rule.see_also),
            "status": status,
            "values": values,
            "reason": reason,
        }

    def denial(self, rule: Rule, entry: dict[str, Any]) -> dict[str, Any]:
        return {"rule": rule.id, "name": rule.name, "article": rule.article, "reason": entry["reason"]}


def decide(case: Case | Mapping[str, Any], pack: Pack | str | Path | None = None) -> Decision:
    """The subsidies a case is entitled to under a pack (default: the one in force on the training's start
    date, `pack_for`), with denials and trace.

    A mapping is validated into a Case first (pydantic ValidationError names the field at fault);
    CaseError names an input the decision needs but the case left empty.
    """
    if not isinstance(case, Case):
        case = Case.model_validate(case)
    if not isinstance(pack, Pack):
        pack = pack_for(case.training.start_date) if pack is None else load_pack(pack)
    return _Run(case, pack).decide()


def decide_json(
    obj: Mapping[str, Any] | str | bytes, pack: Pack | str | Path | None = None
) -> dict[str, Any]:
    """`decide` for JSON: a case as a dict (or JSON text) in, the decision as a JSON-ready dict out."""
    case = Case.model_validate_json(obj) if isinstance(obj, (str, bytes)) else Case.model_validate(obj)
    return decide(case, pack).model_dump(mode="json")


def run_subsidy_cli(path: str, pack: Pack | str | Path | None = None) -> dict[str, Any]:
    """The decision for the case in the JSON file at `path` (the ``matcher subsidy CASE.json`` verb)."""
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"case file {path} does not exist")
    try:
        obj = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(
            f"case file {path} is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}"
        ) from None
    except UnicodeDecodeError:
        raise ValueError(f"case file {path} is not UTF-8 text") from None
    if not isinstance(obj, dict):
        raise ValueError(f"case file {path} must hold a JSON object with person, training and history")
    return decide_json(obj, pack)
