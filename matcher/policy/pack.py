"""Policy packs: a city's subsidy rules as a TOML file that a bureau officer can read and change.

A pack has five parts (see ``data/policy/qujing-2019.toml``):

- ``[pack]``: its id, title, document number and the plan text it cites (``source``);
- ``[params]``: every amount, rate, age and list the rules use, each with the article it comes from;
- ``[labels]``: the Chinese words used for codes in reasons (``self_selected`` → 自主选择培训);
- ``[[derived]]``: facts the plan defines from other facts (就业困难人员 from 四), as grounds;
- ``[[check]]``: conditions that, when they fail, deny every subsidy of the case;
- ``[[item]]``: the subsidies, each with the condition it is granted on, its amount and its payee.

Loading checks everything it can before a case is seen: every article exists in the plan, every quote
is found in its article, every name in an expression is a known fact, parameter, derived fact or earlier
rule, and every text compared with a coded fact is one of its codes.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from matcher.policy import expr
from matcher.policy.case import (
    ADVANCERS,
    CERTIFICATES,
    EMPLOYMENT_STATUSES,
    GROUPS,
    ORGANISERS,
    TRAINING_KINDS,
)
from matcher.policy.errors import PackError
from matcher.policy.facts import FACTS
from matcher.reference import is_region

POLICY_DIR = Path(__file__).resolve().parents[2] / "data" / "policy"
DEFAULT_PACK = "qujing-2019"
PAYEES = ("person", "enterprise", "institution")
ITEM_NAMES = ("amount", "payee_name", "part_of_name")
"""Names a grant reason may use besides facts and parameters: the item's amount, its payee and its base item."""

_NUMERALS = "一二三四五六七八九十"
_ARTICLE = re.compile(r"[（(]\s*([一二三四五六七八九十]{1,3})\s*[）)]")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_IDENT = re.compile(r"[a-z][a-z0-9_]*")


def chinese_numeral(n: int) -> str:
    """1 → 一, 16 → 十六, 24 → 二十四 (1–99)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _NUMERALS[tens - 1] + "十")
    return head + (_NUMERALS[ones - 1] if ones else "")


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@cache
def plan_articles(path: Path) -> dict[str, str]:
    """The numbered articles （一）…（二十四） of a plan text, each with its text, whitespace removed."""
    text = path.read_text(encoding="utf-8")
    marks: list[tuple[str, int, int]] = []
    expected = 1
    for m in _ARTICLE.finditer(text):
        if m.group(1) == chinese_numeral(expected):
            marks.append((m.group(1), m.start(), m.end()))
            expected += 1
    if not marks:
        raise PackError(f"{path}: no numbered articles （一）（二）… found in the plan text")
    out = {}
    for i, (numeral, _, end) in enumerate(marks):
        stop = marks[i + 1][1] if i + 1 < len(marks) else len(text)
        out[numeral] = _squash(text[end:stop])
    return out


def missing_quote(article_text: str, quote: str) -> str | None:
    """The first piece of `quote` not found, in order, in an article (``……`` marks omitted words)."""
    pos = 0
    for piece in filter(None, _squash(quote).split("……")):
        found = article_text.find(piece, pos)
        if found < 0:
            return piece
        pos = found + len(piece)
    return None


@dataclass(frozen=True, slots=True)
class Template:
    """A reason with ``{expression}`` placeholders, e.g. ``每天{living_allowance_per_day}元``."""

    parts: tuple[str | tuple[expr.Node, expr.Compiled], ...]


@dataclass(frozen=True, slots=True)
class Ground:
    id: str
    when: expr.Compiled
    reason: Template


@dataclass(frozen=True, slots=True)
class Derived:
    """A fact defined by the plan: true when any of its grounds holds."""

    id: str
    name: str
    article: str
    grounds: tuple[Ground, ...]
    note: str | None


@dataclass(frozen=True, slots=True)
class Rule:
    """A check (stage ``check``) or a subsidy item (stage ``item``)."""

    id: str
    stage: str
    name: str
    article: str
    see_also: tuple[str, ...]
    kinds: frozenset[str] | None
    when: expr.Compiled | None
    require: expr.Compiled | None
    deny: Template | None
    grant: Template | None
    amount: expr.Compiled | None
    payee: str | None
    part_of: tuple[str, ...]
    note: str | None


@dataclass(frozen=True)
class Priority:
    """The default weight a plan gives a priority group's placements, and the article that names the group."""

    weight: float
    article: str
    quote: str


@dataclass(frozen=True)
class Pack:
    """A loaded, checked policy pack."""

    id: str
    title: str
    document: str
    path: Path
    articles: Mapping[str, str]
    params: Mapping[str, Any]
    labels: Mapping[str, str]
    derived: tuple[Derived, ...]
    checks: tuple[Rule, ...]
    items: tuple[Rule, ...]
    priority: Mapping[str, Priority]

    @property
    def rules(self) -> tuple[Rule, ...]:
        return self.checks + self.items

    @property
    def period(self) -> tuple[date, date]:
        """The plan's implementation period (article 二 of 112号: `plan_start`, `plan_end`)."""
        return self.params["plan_start"], self.params["plan_end"]

    def in_force(self, day: date) -> bool:
        return self.period[0] <= day <= self.period[1]


def available_packs() -> list[str]:
    """Names of the subsidy packs in ``data/policy/`` (the TOML files with subsidy items); each file is read
    once per version, not at every pathway that asks."""
    return list(_packs(tuple(sorted((str(p), p.stat().st_mtime_ns) for p in POLICY_DIR.glob("*.toml")))))


@cache
def _packs(files: tuple[tuple[str, int], ...]) -> tuple[str, ...]:
    return tuple(
        Path(path).stem
        for path, _ in files
        if "item" in tomllib.loads(Path(path).read_text(encoding="utf-8"))
    )


def pack_for(day: date) -> Pack:
    """The pack in force on `day`; when none is, the pack whose period lies nearest, whose plan-period check
    then refuses the training and says why (`Decision.in_force` is False)."""
    packs = [load_pack(name) for name in available_packs()]
    for pack in packs:
        if pack.in_force(day):
            return pack
    return min(packs, key=lambda p: min(abs((day - p.period[0]).days), abs((day - p.period[1]).days)))


def load_pack(name_or_path: str | Path = DEFAULT_PACK) -> Pack:
    """The pack named ``name_or_path`` in ``data/policy/`` or read from that path; cached per file version."""
    path = _locate(str(name_or_path))
    try:
        version = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise PackError(f"policy pack file {path} no longer exists") from None
    return _load(path, version)


@cache
def _locate(name_or_path: str) -> Path:
    path = Path(name_or_path)
    if path.suffix != ".toml" and not path.exists():
        path = POLICY_DIR / f"{name_or_path}.toml"
        if not path.exists():
            raise PackError(f"no policy pack {name_or_path!r}; available: {', '.join(available_packs())}")
    elif not path.exists():
        raise PackError(f"policy pack file {path} does not exist")
    return path.resolve()


@cache
def _load(path: Path, _mtime_ns: int) -> Pack:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise PackError(f"{path}: not valid TOML: {e}") from None
    return _Builder(path, raw).build()


def _number(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, list):
        return tuple(_number(v) for v in value)
    return value


class _Builder:
    """Turns the raw TOML of a pack into a Pack, failing with a message that names the place at fault."""

    def __init__(self, path: Path, raw: dict[str, Any]) -> None:
        self.path = path
        self.raw = raw

    def fail(self, where: str, message: str) -> PackError:
        return PackError(f"{self.path.name}: {where}: {message}")

    def keys(self, where: str, table: Any, required: set[str], optional: set[str]) -> None:
        if not isinstance(table, dict):
            raise self.fail(where, "must be a table")
        unknown = sorted(set(table) - required - optional)
        if unknown:
            raise self.fail(
                where, f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(required | optional))})"
            )
        missing = sorted(required - set(table))
        if missing:
            raise self.fail(where, f"missing key {missing[0]!r}")

    def build(self) -> Pack:
        self.keys(
            "top level", self.raw, {"pack", "params", "labels", "check", "item"}, {"derived", "priority"}
        )
        meta = self.raw["pack"]
        self.keys("[pack]", meta, {"id", "title", "document", "source"}, {"note"})
        source = self.path.parent / meta["source"]
        if not source.exists():
            raise self.fail("[pack] source", f"plan text {source} does not exist")
        self.articles = plan_articles(source)
        self.params = self.build_params(self.raw["params"])
        labels = self.raw["labels"]
        if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
            raise self.fail("[labels]", "must map codes to Chinese words")
        self.labels: dict[str, str] = dict(labels)
        coded = (*TRAINING_KINDS, *CERTIFICATES, *ORGANISERS, *ADVANCERS, *EMPLOYMENT_STATUSES)
        unlabelled = [code for code in coded if code not in self.labels]
        if unlabelled:
            raise self.fail("[labels]", f"no Chinese word for {unlabelled[0]!r}; reasons must not show codes")
        self.scope: set[str] = set(FACTS) | set(self.params)
        derived = tuple(self.build_derived(i, d) for i, d in enumerate(self.raw.get("derived", [])))
        checks = tuple(self.build_rule("check", i, r) for i, r in enumerate(self.raw["check"]))
        self.items: dict[str, Rule] = {}
        items = []
        for i, r in enumerate(self.raw["item"]):
            rule = self.build_rule("item", i, r)
            self.items[rule.id] = rule
            items.append(rule)
        return Pack(
            id=meta["id"],
            title=meta["title"],
            document=meta["document"],
            path=self.path,
            articles=self.articles,
            params=self.params,
            labels=self.labels,
            derived=derived,
            checks=checks,
            items=tuple(items),
            priority=self.build_priority(self.raw.get("priority", {})),
        )

    def build_priority(self, table: Any) -> dict[str, Priority]:
        """[priority]: group = { weight, article, quote }; a weight between 1 and 10 (it can only raise)."""
        out: dict[str, Priority] = {}
        for group, spec in table.items():
            where = f"[priority] {group}"
            if group not in GROUPS:
                raise self.fail(where, f"unknown priority group; one of {', '.join(GROUPS)}")
            self.keys(where, spec, {"weight", "article", "quote"}, set())
            weight = spec["weight"]
            if not isinstance(weight, (int, float)) or not 1 <= weight <= 10:
                raise self.fail(where, f"weight {weight!r} must be a number from 1 to 10")
            article = self.article(where, spec["article"])
            self.quotes(where, article, spec["quote"])
            out[group] = Priority(float(weight), article, spec["quote"])
        return out

    def article(self, where: str, numeral: Any) -> str:
        if numeral not in self.articles:
            raise self.fail(
                where, f"article {numeral!r} is not in the plan (一 to {chinese_numeral(len(self.articles))})"
            )
        return str(numeral)

    def quotes(self, where: str, article: str, quote: Any) -> None:
        """Every quote must be found in its article; ``……`` stands for omitted words."""
        quotes = quote if isinstance(quote, list) else [quote]
        for q in quotes:
            if not isinstance(q, str) or not q.strip():
                raise self.fail(where, "a quote must be a non-empty text")
            missing = missing_quote(self.articles[article], q)
            if missing is not None:
                raise self.fail(where, f"quote {missing!r} is not in article （{article}） of the plan")

    def new_id(self, where: str, ident: Any) -> str:
        if not isinstance(ident, str) or not _IDENT.fullmatch(ident):
            raise self.fail(where, f"id {ident!r} must be lower-case letters, digits and _")
        if ident in self.scope or ident in expr.KEYWORDS or ident in expr.FUNCTIONS or ident in ITEM_NAMES:
            raise self.fail(where, f"id {ident!r} is already a fact, parameter, rule or reserved word")
        return ident

    def build_params(self, table: Any) -> dict[str, Any]:
        self.keys("[params]", table, {"city", "city_name"}, set(table) if isinstance(table, dict) else set())
        out: dict[str, Any] = {}
        for name, spec in table.items():
            where = f"[params] {name}"
            if not _IDENT.fullmatch(name) or name in FACTS or name in expr.KEYWORDS or name in expr.FUNCTIONS:
                raise self.fail(where, "a parameter name must be a new lower-case identifier")
            if isinstance(spec, dict):
                self.keys(where, spec, {"value"}, {"unit", "article", "note"})
                if "article" in spec:
                    self.article(where, spec["article"])
                spec = spec["value"]
            out[name] = _number(spec)
        if not is_region(str(out["city"])):
            raise self.fail("[params] city", f"{out['city']!r} is not a known region code")
        return out

    def expression(
        self, where: str, text: Any, extra: AbstractSet[str] = frozenset()
    ) -> tuple[expr.Node, expr.Compiled]:
        try:
            node = expr.parse(text)
        except expr.ExprError as e:
            raise self.fail(where, str(e)) from None
        unknown = sorted(expr.names(node) - self.scope - extra)
        if unknown:
            raise self.fail(where, f"unknown name {unknown[0]!r} in: {text}")
        for n in expr.walk(node):
            if n[0] == "cmp":
                self.check_texts(where, n, text)
        return node, expr.compile_node(node)

    def check_texts(self, where: str, node: expr.Node, text: str) -> None:
        """A text compared with a coded fact must be one of its codes (catches ``kind == "pre_jop"``)."""
        _, op, left, right = node
        for a, b in ((left, right), (right, left)):
            if a[0] != "name" or a[1] not in FACTS or FACTS[a[1]].choices is None:
                continue
            if op in ("in", "not in") and b is right:
                values = self.list_values(b)
            elif op in ("==", "!="):
                values = [b[1]] if b[0] == "const" else []
            else:
                continue
            choices = FACTS[a[1]].choices or ()
            bad = [v for v in values if isinstance(v, str) and v not in choices]
            if bad:
                raise self.fail(
                    where, f"{bad[0]!r} is not a value of {a[1]} ({', '.join(choices)}) in: {text}"
                )

    def list_values(self, node: expr.Node) -> list[Any]:
        if node[0] == "list":
            return [n[1] for n in node[1] if n[0] == "const"]
        if node[0] == "name" and isinstance(self.params.get(node[1]), tuple):
            return list(self.params[node[1]])
        return []

    def template(self, where: str, text: Any, extra: AbstractSet[str] = frozenset()) -> Template:
        if not isinstance(text, str) or not text.strip():
            raise self.fail(where, "a reason must be a non-empty text")
        parts: list[str | tuple[expr.Node, expr.Compiled]] = []
        pos = 0
        for m in _PLACEHOLDER.finditer(text):
            parts.append(text[pos : m.start()])
            parts.append(self.expression(where, m.group(1), extra))
            pos = m.end()
        parts.append(text[pos:])
        return Template(tuple(p for p in parts if p != ""))

    def build_derived(self, i: int, d: Any) -> Derived:
        where = f"[[derived]] #{i + 1}"
        self.keys(where, d, {"id", "name", "article", "grounds"}, {"quote", "paraphrase", "note"})
        where = f"[[derived]] {d['id']}"
        ident = self.new_id(where, d["id"])
        article = self.article(where, d["article"])
        self.cite(where, article, d)
        grounds = []
        for j, g in enumerate(d["grounds"]):
            gw = f"{where} ground #{j + 1}"
            self.keys(gw, g, {"id", "when", "reason"}, {"note"})
            grounds.append(
                Ground(str(g["id"]), self.expression(gw, g["when"])[1], self.template(gw, g["reason"]))
            )
        if not grounds:
            raise self.fail(where, "needs at least one ground")
        ids = [g.id for g in grounds]
        if len(set(ids)) != len(ids):
            raise self.fail(where, "two grounds have the same id")
        self.scope.add(ident)
        return Derived(ident, str(d["name"]), article, tuple(grounds), d.get("note"))

    def cite(self, where: str, article: str, spec: dict[str, Any]) -> None:
        if "quote" not in spec and "paraphrase" not in spec:
            raise self.fail(where, "needs a quote or a paraphrase of the sentence it comes from")
        if "quote" in spec:
            self.quotes(where, article, spec["quote"])
        for other in spec.get("see_also", []):
            self.article(where, other)

    def build_rule(self, stage: str, i: int, r: Any) -> Rule:
        where = f"[[{stage}]] #{i + 1}"
        common = {"quote", "paraphrase", "note", "see_also", "kinds", "when"}
        if stage == "check":
            self.keys(where, r, {"id", "name", "article", "require", "deny"}, common)
        else:
            self.keys(
                where,
                r,
                {"id", "name", "article", "amount", "payee", "grant"},
                common | {"require", "deny", "part_of"},
            )
        where = f"[[{stage}]] {r['id']}"
        ident = self.new_id(where, r["id"])
        article = self.article(where, r["article"])
        self.cite(where, article, r)
        kinds = self.kinds(where, r.get("kinds"))
        part_of = tuple(r.get("part_of", ()))
        for base in part_of:
            if base not in self.items:
                raise self.fail(where, f"part_of {base!r} is not an item defined above")
        extra = {"part_of_amount"} if part_of else set()
        when = self.expression(f"{where} when", r["when"], extra)[1] if "when" in r else None
        require = self.expression(f"{where} require", r["require"], extra)[1] if "require" in r else None
        if (require is None) != ("deny" not in r):
            raise self.fail(where, "a rule with a require condition needs a deny reason, and only then")
        deny = self.template(f"{where} deny", r["deny"], extra) if "deny" in r else None
        grant = amount = payee = None
        if stage == "item":
            amount = self.expression(f"{where} amount", r["amount"], extra)[1]
            payee = r["payee"]
            if payee not in (*PAYEES, "advanced_by"):
                raise self.fail(where, f"payee {payee!r} must be one of {', '.join(PAYEES)} or advanced_by")
            grant = self.template(f"{where} grant", r["grant"], extra | set(ITEM_NAMES))
        self.scope.add(ident)
        return Rule(
            id=ident,
            stage=stage,
            name=str(r["name"]),
            article=article,
            see_also=tuple(r.get("see_also", ())),
            kinds=kinds,
            when=when,
            require=require,
            deny=deny,
            grant=grant,
            amount=amount,
            payee=payee,
            part_of=part_of,
            note=r.get("note"),
        )

    def kinds(self, where: str, spec: Any) -> frozenset[str] | None:
        if spec is None:
            return None
        if isinstance(spec, str):
            if not isinstance(self.params.get(spec), tuple):
                raise self.fail(where, f"kinds {spec!r} is neither a list nor a list parameter")
            spec = list(self.params[spec])
        bad = [k for k in spec if k not in TRAINING_KINDS]
        if bad:
            raise self.fail(where, f"kind {bad[0]!r} is not a training kind ({', '.join(TRAINING_KINDS)})")
        return frozenset(spec)
