"""A small, safe parser and evaluator for REDCap-style branching logic (no ``eval``).

Grammar (case-insensitive ``and``/``or``; ``and`` binds tighter than ``or``)::

    expr       := and_expr ("or" and_expr)*
    and_expr   := atom ("and" atom)*
    atom       := "(" expr ")" | operand OP operand
    operand    := "[" field ["(" code ")"] "]" | 'text' | "text" | number
    OP         := "=" | "==" | "<>" | "!=" | "<" | "<=" | ">" | ">="

Semantics follow REDCap's documented behaviour (REDCap Help & FAQ, "Branching logic"): a blank answer is
``''``; ``[field(code)]`` is ``'1'`` when checkbox option ``code`` is ticked else ``'0'``; values that both look
numeric compare as numbers (so ``'1' = 1``), otherwise ``=``/``<>`` compare text and the ordering operators are
false.

The AST is plain dicts: ``{"type": "or"|"and", "args": [...]}``,
``{"type": "compare", "op": "=", "left": operand, "right": operand}``, operand
``{"type": "field", "field": "x", "code": None|"2"}`` or ``{"type": "literal", "value": "1"}``.
"""

from __future__ import annotations

import math
import re
from typing import Any

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<field>\[(?P<fname>[A-Za-z][A-Za-z0-9_]*)(?:\((?P<code>[A-Za-z0-9_\-\.]+)\))?\])
    | '(?P<sq>[^']*)'
    | "(?P<dq>[^"]*)"
    | (?P<num>-?\d+(?:\.\d+)?)
    | (?P<op><>|!=|<=|>=|==|=|<|>)
    | (?P<paren>[()])
    | (?P<word>[A-Za-z]+)
    )""",
    re.VERBOSE,
)
OPERATORS = ("=", "==", "<>", "!=", "<", "<=", ">", ">=")
#: the deepest nesting of parentheses accepted. The parser descends three Python frames per level, so a bound well
#: under Python's recursion limit (1,000) keeps a hostile expression (5,000 levels) a clear error, not a crash;
#: branching logic written by people nests a few levels.
MAX_NESTING = 50


class BranchingError(ValueError):
    """Branching logic that cannot be parsed; the message names the character position."""


def _tokenize(expr: str) -> list[tuple[str, Any, int]]:
    tokens: list[tuple[str, Any, int]] = []
    pos = 0
    while pos < len(expr):
        if expr[pos:].strip() == "":
            break
        m = _TOKEN.match(expr, pos)
        if m is None or m.end() == pos:
            raise BranchingError(f"unexpected text at position {pos + 1}: {expr[pos:pos + 15]!r}")
        start = m.start() + (len(m.group(0)) - len(m.group(0).lstrip()))
        if m.group("field"):
            tokens.append(("operand", {"type": "field", "field": m.group("fname"), "code": m.group("code")}, start))
        elif m.group("sq") is not None or m.group("dq") is not None:
            text = m.group("sq") if m.group("sq") is not None else m.group("dq")
            tokens.append(("operand", {"type": "literal", "value": text}, start))
        elif m.group("num"):
            tokens.append(("operand", {"type": "literal", "value": m.group("num")}, start))
        elif m.group("op"):
            tokens.append(("op", m.group("op"), start))
        elif m.group("paren"):
            tokens.append((m.group("paren"), m.group("paren"), start))
        else:
            word = m.group("word").lower()
            if word not in ("and", "or"):
                raise BranchingError(f"unknown word {m.group('word')!r} at position {start + 1}")
            tokens.append((word, word, start))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, expr: str):
        self.expr = expr
        self.tokens = _tokenize(expr)
        self.i = 0
        self.depth = 0

    def peek(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def take(self, kind: str) -> Any:
        if self.peek() != kind:
            where = f"position {self.tokens[self.i][2] + 1}" if self.i < len(self.tokens) else "the end"
            raise BranchingError(f"expected {kind} at {where} in {self.expr!r}")
        token = self.tokens[self.i]
        self.i += 1
        return token[1]

    def parse(self) -> dict:
        if not self.tokens:
            raise BranchingError("empty branching logic")
        node = self.or_expr()
        if self.i != len(self.tokens):
            raise BranchingError(f"unexpected {self.tokens[self.i][1]!r} at position {self.tokens[self.i][2] + 1}")
        return node

    def or_expr(self) -> dict:
        args = [self.and_expr()]
        while self.peek() == "or":
            self.i += 1
            args.append(self.and_expr())
        return args[0] if len(args) == 1 else {"type": "or", "args": args}

    def and_expr(self) -> dict:
        args = [self.atom()]
        while self.peek() == "and":
            self.i += 1
            args.append(self.atom())
        return args[0] if len(args) == 1 else {"type": "and", "args": args}

    def atom(self) -> dict:
        if self.peek() == "(":
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise BranchingError(f"parentheses nested more than {MAX_NESTING} deep (at position "
                                     f"{self.tokens[self.i][2] + 1}); simplify the expression")
            self.i += 1
            node = self.or_expr()
            self.take(")")
            self.depth -= 1
            return node
        left = self.take("operand")
        op = self.take("op")
        right = self.take("operand")
        return {"type": "compare", "op": op, "left": left, "right": right}


def parse_branching(expr: str) -> dict:
    """Parse a REDCap branching-logic expression into a plain-dict AST (see module docstring)."""
    return _Parser(expr).parse()


def referenced_fields(ast: dict) -> list[tuple[str, str | None]]:
    """The ``(field, checkbox code or None)`` pairs an AST refers to, in order of appearance."""
    if ast["type"] in ("and", "or"):
        return [ref for arg in ast["args"] for ref in referenced_fields(arg)]
    return [(side["field"], side["code"]) for side in (ast["left"], ast["right"]) if side["type"] == "field"]


def _as_text(value: Any, code: str | None) -> str:
    if code is not None:
        ticked = {str(v) for v in value} if isinstance(value, (list, tuple, set)) else set()
        return "1" if code in ticked else "0"
    if value is None or isinstance(value, (list, tuple, set)):
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return None if math.isnan(number) or text.strip() == "" else number


def _operand(node: dict, answers: dict) -> str:
    if node["type"] == "literal":
        return node["value"]
    return _as_text(answers.get(node["field"]), node["code"])


def evaluate(ast: dict, answers: dict) -> bool:
    """Evaluate a parsed branching AST against ``answers`` (item key -> value; checkbox -> list of codes)."""
    kind = ast["type"]
    if kind == "and":
        return all(evaluate(arg, answers) for arg in ast["args"])
    if kind == "or":
        return any(evaluate(arg, answers) for arg in ast["args"])
    left, right, op = _operand(ast["left"], answers), _operand(ast["right"], answers), ast["op"]
    a, b = _number(left), _number(right)
    if op in ("=", "==", "<>", "!="):
        equal = (a == b) if (a is not None and b is not None) else (left == right)
        return equal if op in ("=", "==") else not equal
    if a is None or b is None:
        return False
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def visible_items(definition: dict, answers: dict) -> set[str]:
    """Keys of the items whose branching logic shows them for ``answers`` (items without logic always show).

    An item hidden by its logic is not asked, so its answer does not count (REDCap clears it); as clearing one
    answer can hide further items (``[b]`` depends on ``[a]``, ``[c]`` on ``[b]``), this repeats until nothing
    changes."""
    current = dict(answers)
    asts = {item["key"]: parse_branching(item["branching"]) for item in definition["items"] if item.get("branching")}
    while True:
        hidden = {key for key, ast in asts.items() if not evaluate(ast, current)}
        dropped = {key for key in hidden if key in current}
        if not dropped:
            return {item["key"] for item in definition["items"]} - hidden
        for key in dropped:
            del current[key]


def prune_hidden(definition: dict, answers: dict) -> dict:
    """``answers`` without the answers to items their branching logic hides (see :func:`visible_items`)."""
    hidden = {item["key"] for item in definition["items"]} - visible_items(definition, answers)
    return {key: value for key, value in answers.items() if key not in hidden}
