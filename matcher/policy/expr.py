"""The small, safe expression language of policy packs.

Conditions and amounts in a pack are short expressions over named facts and parameters, e.g.
``hukou_in_city or residence_in_city`` or ``monthly_wage * work_for_training_rate * min(months, 6)``.
They are parsed into a tree of tuples, checked by the pack loader, and compiled to closures;
nothing is ever handed to Python's `eval`, and names can only be looked up, never called.

Grammar, lowest precedence first::

    or    := and ("or" and)*
    and   := not ("and" not)*
    not   := "not" not | cmp
    cmp   := sum [("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in") sum]
    sum   := term (("+" | "-") term)*
    term  := unary (("*" | "/") unary)*
    unary := "-" unary | atom
    atom  := number | "text" | true | false | name | function "(" args ")" | "(" or ")" | "[" items "]"

Functions: ``min(a, b, …)``, ``max(a, b, …)`` and ``given(value, fallback)``, which yields the
fallback when the value is an input the case left empty.

An input the case left empty (CaseError) fails the evaluation only when the result depends on it:
``a or b`` is true when ``b`` is true even if ``a`` cannot be known, and ``a and b`` false when ``b`` is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from matcher.policy.errors import CaseError

Node = tuple[Any, ...]
FUNCTIONS = ("min", "max", "given")
KEYWORDS = ("and", "or", "not", "in", "true", "false")
_COMPARISONS = ("==", "!=", "<", "<=", ">", ">=", "in", "not in")

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<num>\d+(?:\.\d+)?)
      | (?P<str>"[^"]*"|'[^']*')
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op><=|>=|==|!=|[<>+\-*/(),\[\]])
    )""",
    re.VERBOSE,
)


class ExprError(ValueError):
    """An expression that does not parse; the message shows the column and the text."""


class EvalError(TypeError):
    """An expression applied to values of the wrong kind (e.g. adding a text to a number)."""


class Scope(Protocol):
    def lookup(self, name: str) -> Any: ...


Compiled = Callable[[Scope], Any]


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out: list[tuple[str, str, int]] = []
    pos = 0
    end = len(text.rstrip())
    while pos < end:
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            bad = len(text) - len(text[pos:].lstrip())
            raise ExprError(f"unexpected {text[bad]!r} at column {bad + 1} in: {text}")
        kind = m.lastgroup
        assert kind is not None
        out.append((kind, m.group(kind), m.start(kind) + 1))
        pos = m.end()
    out.append(("end", "", len(text) + 1))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    def peek(self, value: str | None = None, kind: str | None = None) -> bool:
        k, v, _ = self.toks[self.i]
        return (value is None or v == value) and (kind is None or k == kind)

    def take(self) -> tuple[str, str, int]:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def expect(self, value: str) -> None:
        k, v, col = self.take()
        if v != value or k not in ("op", "name"):
            found = repr(v) if k != "end" else "the end"
            raise ExprError(f"expected {value!r} at column {col} but found {found} in: {self.text}")

    def parse(self) -> Node:
        node = self.or_()
        k, v, col = self.toks[self.i]
        if k != "end":
            raise ExprError(f"unexpected {v!r} at column {col} in: {self.text}")
        return node

    def or_(self) -> Node:
        parts = [self.and_()]
        while self.peek("or", "name"):
            self.take()
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else ("or", tuple(parts))

    def and_(self) -> Node:
        parts = [self.not_()]
        while self.peek("and", "name"):
            self.take()
            parts.append(self.not_())
        return parts[0] if len(parts) == 1 else ("and", tuple(parts))

    def not_(self) -> Node:
        if self.peek("not", "name"):
            self.take()
            return ("not", self.not_())
        return self.cmp()

    def cmp(self) -> Node:
        left = self.sum()
        k, v, _ = self.toks[self.i]
        if k == "op" and v in _COMPARISONS or k == "name" and v == "in":
            self.take()
            return ("cmp", v, left, self.sum())
        if k == "name" and v == "not" and self.toks[self.i + 1][1] == "in":
            self.i += 2
            return ("cmp", "not in", left, self.sum())
        return left

    def sum(self) -> Node:
        node = self.term()
        while self.peek("+", "op") or self.peek("-", "op"):
            op = self.take()[1]
            node = ("arith", op, node, self.term())
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.peek("*", "op") or self.peek("/", "op"):
            op = self.take()[1]
            node = ("arith", op, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.peek("-", "op"):
            self.take()
            return ("neg", self.unary())
        return self.atom()

    def atom(self) -> Node:
        k, v, col = self.take()
        if k == "num":
            return ("const", Decimal(v))
        if k == "str":
            return ("const", v[1:-1])
        if k == "op" and v == "(":
            node = self.or_()
            self.expect(")")
            return node
        if k == "op" and v == "[":
            items: list[Node] = []
            while not self.peek("]", "op"):
                items.append(self.or_())
                if not self.peek("]", "op"):
                    self.expect(",")
            self.take()
            return ("list", tuple(items))
        if k == "name":
            if v in ("true", "false"):
                return ("const", v == "true")
            if v in KEYWORDS:
                raise ExprError(f"unexpected {v!r} at column {col} in: {self.text}")
            if self.peek("(", "op"):
                if v not in FUNCTIONS:
                    raise ExprError(
                        f"unknown function {v!r} at column {col} in: {self.text} "
                        f"(functions: {', '.join(FUNCTIONS)})"
                    )
                self.take()
                args: list[Node] = []
                while not self.peek(")", "op"):
                    args.append(self.or_())
                    if not self.peek(")", "op"):
                        self.expect(",")
                self.take()
                if v == "given" and len(args) != 2 or not args:
                    raise ExprError(f"wrong number of arguments to {v}() at column {col} in: {self.text}")
                return ("call", v, tuple(args))
            return ("name", v)
        found = repr(v) if k != "end" else "the end"
        raise ExprError(f"unexpected {found} at column {col} in: {self.text}")


def parse(text: str) -> Node:
    """The syntax tree of `text`; ExprError shows where it goes wrong."""
    if not isinstance(text, str) or not text.strip():
        raise ExprError("an expression must be a non-empty text")
    return _Parser(text).parse()


def walk(node: Node) -> Iterator[Node]:
    """Every node of a tree, the root first."""
    yield node
    tag = node[0]
    if tag in ("or", "and", "list"):
        for child in node[1]:
            yield from walk(child)
    elif tag in ("not", "neg"):
        yield from walk(node[1])
    elif tag in ("cmp", "arith"):
        yield from walk(node[2])
        yield from walk(node[3])
    elif tag == "call":
        for child in node[2]:
            yield from walk(child)


def names(node: Node) -> set[str]:
    """The names an expression looks up."""
    return {n[1] for n in walk(node) if n[0] == "name"}


def _show(value: Any) -> str:
    return str(value) if isinstance(value, Decimal) else repr(value)


def _bool(value: Any, node: Node) -> bool:
    if isinstance(value, bool):
        return value
    raise EvalError(f"{describe(node)} is {_show(value)}, not true or false")


def _number(value: Any, node: Node) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise EvalError(f"{describe(node)} is {_show(value)}, not a number")


def _ordered(a: Any, b: Any, na: Node, nb: Node) -> tuple[Any, Any]:
    if isinstance(a, date) and isinstance(b, date) or isinstance(a, str) and isinstance(b, str):
        return a, b
    return _number(a, na), _number(b, nb)


def describe(node: Node) -> str:
    """A short rendering of a node for error messages."""
    tag = node[0]
    if tag == "name":
        return node[1]
    if tag == "const":
        return _show(node[1])
    if tag == "call":
        return f"{node[1]}(…)"
    return "the expression"


def compile_node(node: Node) -> Compiled:
    """A closure evaluating `node` against a scope."""
    tag = node[0]
    if tag == "const":
        value = node[1]
        return lambda _scope: value
    if tag == "name":
        name = node[1]
        return lambda scope: scope.lookup(name)
    if tag == "list":
        items = [compile_node(n) for n in node[1]]
        return lambda scope: tuple(f(scope) for f in items)
    if tag == "not":
        inner, sub = compile_node(node[1]), node[1]
        return lambda scope: not _bool(inner(scope), sub)
    if tag in ("and", "or"):
        parts = [(compile_node(n), n) for n in node[1]]
        stop = tag == "or"

        def junction(scope: Scope) -> bool:
            # An input the case left empty only matters if no other operand settles the result.
            pending: CaseError | None = None
            for f, n in parts:
                try:
                    value = _bool(f(scope), n)
                except CaseError as e:
                    pending = pending or e
                    continue
                if value is stop:
                    return stop
            if pending is not None:
                raise pending
            return not stop

        return junction
    if tag == "neg":
        inner, sub = compile_node(node[1]), node[1]
        return lambda scope: -_number(inner(scope), sub)
    if tag == "arith":
        return _compile_arith(node)
    if tag == "cmp":
        return _compile_cmp(node)
    if tag == "call":
        return _compile_call(node)
    raise ExprError(f"unknown node {tag!r}")


def _compile_arith(node: Node) -> Compiled:
    _, op, na, nb = node
    fa, fb = compile_node(na), compile_node(nb)

    def arith(scope: Scope) -> Decimal:
        a, b = _number(fa(scope), na), _number(fb(scope), nb)
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        try:
            return a / b
        except (ZeroDivisionError, InvalidOperation):
            raise EvalError(f"division by zero: {describe(nb)} is 0") from None

    return arith


def _compile_cmp(node: Node) -> Compiled:
    _, op, na, nb = node
    fa, fb = compile_node(na), compile_node(nb)

    def cmp(scope: Scope) -> bool:
        a, b = fa(scope), fb(scope)
        if op in ("in", "not in"):
            if not isinstance(b, (tuple, list, frozenset)):
                raise EvalError(f"{describe(nb)} is {_show(b)}, not a list")
            return (a in b) is (op == "in")
        if op == "==":
            return bool(a == b)
        if op == "!=":
            return bool(a != b)
        a, b = _ordered(a, b, na, nb)
        if op == "<":
            return bool(a < b)
        if op == "<=":
            return bool(a <= b)
        if op == ">":
            return bool(a > b)
        return bool(a >= b)

    return cmp


def _compile_call(node: Node) -> Compiled:
    _, fname, arg_nodes = node
    args = [(compile_node(n), n) for n in arg_nodes]
    if fname == "given":
        (fv, _), (fd, _) = args

        def given(scope: Scope) -> Any:
            try:
                return fv(scope)
            except CaseError:
                return fd(scope)

        return given
    pick = min if fname == "min" else max
    return lambda scope: pick(_number(f(scope), n) for f, n in args)
