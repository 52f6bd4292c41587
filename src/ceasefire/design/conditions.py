"""A small condition language over country attributes and mission facts.

Grammar (keywords are lower case; ``#`` is not allowed)::

    condition := or
    or        := and ("or" and)*
    and       := unary ("and" unary)*
    unary     := "not" unary | primary
    primary   := "(" or ")" | "true" | "false"
               | NAME                      flag:      nato, nuclear_armed, un_mandate
               | NAME ":" VALUE            relation:  gave_military_aid_to:UKR
                                           text:      continent:Europe, iso3:DEU
               | NAME OP NUMBER            number:    un_peacekeepers >= 1000
               | NAME "in" "{" VALUE ("," VALUE)* "}"   iso3 in {DEU, TUR}
    OP        := ">=" | "<=" | ">" | "<" | "==" | "!="
    VALUE     := word or "quoted text"

Evaluation is three-valued (Kleene): a test over an unknown fact is *unknown*;
``false and unknown`` is false, ``true or unknown`` is true, ``not unknown`` is
unknown. Unknown is reported as "undetermined", never silently taken as true or
false; a composition uses only contributors every party *definitely* accepts.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from ceasefire.design.countries import ATTRIBUTES, Kind, Value
from ceasefire.model.errors import DesignError

Tri = bool | None

#: facts about the mission (not about a country) a condition may test
MISSION_FACTS: dict[str, str] = {
    "un_mandate": "the mission has a UN Security Council mandate (the draft is adopted)",
}


def unknown_tests(node: Node, env: Mapping[str, Value]) -> list[str]:
    """The leaf tests of ``node`` that evaluate to unknown (what a fact is missing for)."""
    if isinstance(node, Not):
        return unknown_tests(node.arg, env)
    if isinstance(node, And | Or):
        return [t for a in node.args for t in unknown_tests(a, env)]
    return [str(node)] if node.evaluate(env) is None else []


def kinds() -> dict[str, Kind]:
    """Every name a condition may use, with its kind."""
    out: dict[str, Kind] = {n: s.kind for n, s in ATTRIBUTES.items()}
    out.update(dict.fromkeys(MISSION_FACTS, "flag"))
    return out


# ------------------------------------------------------------------- the tree


class Node:
    """A condition; ``evaluate`` gives True, False or None (unknown)."""

    def evaluate(self, env: Mapping[str, Value]) -> Tri:
        raise NotImplementedError

    def names(self) -> set[str]:
        raise NotImplementedError


@dataclass(frozen=True)
class Const(Node):
    value: bool

    def evaluate(self, env: Mapping[str, Value]) -> Tri:
        return self.value

    def names(self) -> set[str]:
        return set()

    def __str__(self) -> str:
        return "true" if self.value else "false"


@dataclass(frozen=True)
class Flag(Node):
    name: str

    def evaluate(self, env: Mapping[str, Value]) -> Tri:
        v = env.get(self.name)
        return v if isinstance(v, bool) else None

    def names(self) -> set[str]:
        return {self.name}

    def __str__(self) -> str:
        return self.name


def _fmt_value(v: str) -> str:
    return v if re.fullmatch(r"[A-Za-z0-9_]+", v) else '"' + v + '"'


@dataclass(frozen=True)
class Has(Node):
    """``name:value``: a relation holds for ``value``, or a text attribute equals it."""

    name: str
    value: str
    kind: Kind

    def evaluate(self, env: Mapping[str, Value]) -> Tri:
        v = env.get(self.name)
        if v is None:
            return None
        if self.kind == "relation":
            return v.get(self.value.upper()) if isinstance(v, dict) else None
        return str(v).lower() == self.value.lower()

    def names(self) -> set[str]:
        return {self.name}

    def __str__(self) -> str:
        return f"{self.name}:{_fmt_value(self.value)}"


@dataclass(frozen=True)
class In(Node):
    name: str
    values: tuple[str, ...]

    def evaluate(self, env: Mapping[str, Value]) -> Tri:
        v = env.get(self.name)
        if v is None:
            return None
        return str(v).lower() in {x.lower() for x in self.values}

    def names(self) -> set[str]:
        return {self.name}

    def __str__(self) -> str:
        return f"{self.name} in {{{', '.join(_fmt_value(v) for v in self.values)}}}"


_OPS = {
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


@dataclass(frozen=True)
class Cmp(Node):
    name: str
    op: str
    number: float

    def evaluate(self, env: Mapping[str, Value]) -> Tri:
        v = env.get(self.name)
        if not isinstance(v, int | float) or isinstance(v, bool):
            return None
        return bool(_OPS[self.op](v, self.number))

    def names(self) -> set[str]:
        return {self.name}

    def __str__(self) -> str:
        n = int(self.number) if float(self.number).is_integer() else self.number
        return f"{self.name} {self.op} {n}"


@dataclass(frozen=True)
class Not(Node):
    arg: Node

    def evaluate(self, env: Mapping[str, Value]) -> Tri:
        v = self.arg.evaluate(env)
        return None if v is None else not v

    def names(self) -> set[str]:
        return self.arg.names()

    def __str__(self) -> str:
        inner = str(self.arg)
        return f"not ({inner})" if isinstance(self.arg, And | Or) else f"not {inner}"


@dataclass(frozen=True)
class And(Node):
    args: tuple[Node, ...]

    def evaluate(self, env: Mapping[str, Value]) -> Tri:
        vals = [a.evaluate(env) for a in self.args]
        if any(v is False for v in vals):
            return False
        return None if any(v is None for v in vals) else True

    def names(self) -> set[str]:
        return set().union(*(a.names() for a in self.args))

    def __str__(self) -> str:
        return " and ".join(f"({a})" if isinstance(a, Or) else str(a) for a in self.args)


@dataclass(frozen=True)
class Or(Node):
    args: tuple[Node, ...]

    def evaluate(self, env: Mapping[str, Value]) -> Tri:
        vals = [a.evaluate(env) for a in self.args]
        if any(v is True for v in vals):
            return True
        return None if any(v is None for v in vals) else False

    def names(self) -> set[str]:
        return set().union(*(a.names() for a in self.args))

    def __str__(self) -> str:
        return " or ".join(str(a) for a in self.args)


# ------------------------------------------------------------------- parsing

_TOKEN = re.compile(
    r"""(?P<ws>\s+)
      | (?P<op>>=|<=|==|!=|>|<)
      | (?P<punct>[(){},:])
      | (?P<num>-?\d+(?:\.\d+)?)(?![A-Za-z_])
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<str>"[^"]*"|'[^']*')
    """,
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in", "true", "false"}


@dataclass(frozen=True)
class Token:
    kind: str  # op, punct, num, word, str, end
    text: str
    pos: int  # 0-based offset


def _where(text: str, pos: int) -> str:
    return f"\n    {text}\n    {' ' * pos}^"


class _Parser:
    def __init__(
        self,
        text: str,
        names: Mapping[str, Kind],
        *,
        file: str | None,
        line: int | None,
        field: str | None,
    ) -> None:
        self.text = text
        self.names = names
        self.file, self.line, self.field = file, line, field
        self.tokens = self._tokenize()
        self.i = 0

    def fail(self, pos: int, msg: str) -> DesignError:
        return DesignError(
            f"in condition {self.text!r} at column {pos + 1}: {msg}{_where(self.text, pos)}",
            file=self.file,
            line=self.line,
            field=self.field,
        )

    def _tokenize(self) -> list[Token]:
        out, pos = [], 0
        while pos < len(self.text):
            m = _TOKEN.match(self.text, pos)
            if m is None:
                ch = self.text[pos]
                raise self.fail(
                    pos,
                    f"unexpected character {ch!r}; expected a name, a value, a number, "
                    "'(', ')', '{', '}', ',', ':' or a comparison (>=, <=, ==, !=, >, <)",
                )
            kind = m.lastgroup or ""
            if kind == "str":
                out.append(Token("str", m.group()[1:-1], pos))
            elif kind != "ws":
                out.append(Token(kind, m.group(), pos))
            pos = m.end()
        out.append(Token("end", "", len(self.text)))
        return out

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def found(self, t: Token | None = None) -> str:
        t = t or self.tok
        return "the end of the condition" if t.kind == "end" else repr(t.text)

    def is_kw(self, kw: str) -> bool:
        return self.tok.kind == "word" and self.tok.text.lower() == kw

    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise self.fail(0, "empty condition; expected e.g. 'not nato'")
        node = self.parse_or()
        if self.tok.kind != "end":
            t = self.tok
            hint = ""
            if t.kind == "word" and t.text.lower() not in _KEYWORDS:
                hint = "; join tests with 'and' or 'or'"
            elif t.text == ")":
                hint = "; this ')' has no matching '('"
            raise self.fail(t.pos, f"expected 'and', 'or' or the end, found {self.found()}{hint}")
        return node

    def parse_or(self) -> Node:
        args = [self.parse_and()]
        while self.is_kw("or"):
            self.i += 1
            args.append(self.parse_and())
        return args[0] if len(args) == 1 else Or(tuple(args))

    def parse_and(self) -> Node:
        args = [self.parse_unary()]
        while self.is_kw("and"):
            self.i += 1
            args.append(self.parse_unary())
        return args[0] if len(args) == 1 else And(tuple(args))

    def parse_unary(self) -> Node:
        if self.is_kw("not"):
            self.i += 1
            return Not(self.parse_unary())
        return self.parse_primary()

    def parse_primary(self) -> Node:
        t = self.tok
        if t.kind == "punct" and t.text == "(":
            self.i += 1
            node = self.parse_or()
            if not (self.tok.kind == "punct" and self.tok.text == ")"):
                raise self.fail(
                    self.tok.pos,
                    f"expected ')' to close the '(' at column {t.pos + 1}, found {self.found()}",
                )
            self.i += 1
            return node
        if t.kind == "word" and t.text.lower() in ("true", "false"):
            self.i += 1
            return Const(t.text.lower() == "true")
        if t.kind != "word" or t.text.lower() in _KEYWORDS:
            raise self.fail(
                t.pos, f"expected an attribute name, 'not' or '(', found {self.found()}"
            )
        self.i += 1
        name = t.text
        kind = self.names.get(name)
        if kind is None:
            close = difflib.get_close_matches(name, list(self.names), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise self.fail(
                t.pos,
                f"unknown attribute {name!r}{hint}; expected one of "
                f"{', '.join(sorted(self.names))}",
            )
        nxt = self.tok
        if nxt.kind == "punct" and nxt.text == ":":
            if kind not in ("relation", "text"):
                raise self.fail(
                    nxt.pos, f"{name!r} is a {_KIND_WORD[kind]}; ':' needs a relation or text"
                )
            self.i += 1
            v = self.tok
            if v.kind not in ("word", "str", "num"):
                raise self.fail(v.pos, f"expected a value after '{name}:', found {self.found(v)}")
            self.i += 1
            return Has(name, v.text, kind)
        if nxt.kind == "op":
            if kind != "number":
                raise self.fail(
                    nxt.pos,
                    f"{name!r} is a {_KIND_WORD[kind]}; only numbers compare with {nxt.text}",
                )
            self.i += 1
            v = self.tok
            if v.kind != "num":
                raise self.fail(v.pos, f"expected a number after {nxt.text}, found {self.found(v)}")
            self.i += 1
            return Cmp(name, nxt.text, float(v.text))
        if self.is_kw("in"):
            if kind != "text":
                raise self.fail(nxt.pos, f"{name!r} is a {_KIND_WORD[kind]}; 'in' needs text")
            self.i += 1
            if not (self.tok.kind == "punct" and self.tok.text == "{"):
                raise self.fail(self.tok.pos, f"expected '{{' after 'in', found {self.found()}")
            self.i += 1
            values = []
            while True:
                v = self.tok
                if v.kind not in ("word", "str", "num"):
                    raise self.fail(v.pos, f"expected a value in the set, found {self.found(v)}")
                values.append(v.text)
                self.i += 1
                if self.tok.kind == "punct" and self.tok.text == ",":
                    self.i += 1
                    continue
                if self.tok.kind == "punct" and self.tok.text == "}":
                    self.i += 1
                    break
                raise self.fail(self.tok.pos, f"expected ',' or '}}', found {self.found()}")
            return In(name, tuple(values))
        if kind != "flag":
            example = {
                "number": f"{name} >= 1000",
                "relation": f"{name}:UKR",
                "text": f"{name}:VALUE",
            }[kind]
            raise self.fail(
                t.pos, f"{name!r} is a {_KIND_WORD[kind]}, not yes/no; write e.g. '{example}'"
            )
        return Flag(name)


_KIND_WORD = {
    "flag": "yes/no attribute",
    "number": "number",
    "text": "text",
    "relation": "relation",
}


def parse_condition(
    text: str,
    *,
    names: Mapping[str, Kind] | None = None,
    file: str | None = None,
    line: int | None = None,
    field: str | None = None,
) -> Node:
    """Parse ``text``; a :class:`DesignError` names the column and shows a caret."""
    if not isinstance(text, str):
        raise DesignError(
            f"a condition must be text, found {text!r}", file=file, line=line, field=field
        )
    return _Parser(text, names or kinds(), file=file, line=line, field=field).parse()


@dataclass(frozen=True)
class Condition:
    """A parsed condition with its text and whose position it comes from."""

    text: str
    node: Node
    party: str = ""
    position: str = ""
    reading: str = ""
    source: str = ""

    @property
    def label(self) -> str:
        who = self.party + (f"/{self.position}" if self.position else "")
        return f"{who}: {self.text}" if who else self.text

    def evaluate(self, env: Mapping[str, Value]) -> Tri:
        return self.node.evaluate(env)
