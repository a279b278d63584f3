"""The parser of DynamoDB's expression languages: a tokenizer and a recursive-descent parser, one function per rule
of the grammar below (docs/expressions.md carries the same grammar). It produces unbound trees (nodes.py) and
reports every syntax problem as the ValidationException DynamoDB gives: ``Invalid UpdateExpression: Syntax error;
token: "=", near: "SET = :v"``.

Grammar (keywords case-insensitive; function names case-sensitive; ``name`` is ``[A-Za-z][A-Za-z0-9_]*`` and may
not be a reserved word, ``#name`` and ``:value`` are ``#[A-Za-z0-9_]+`` and ``:[A-Za-z0-9_]+``)::

    condition   := disjunct ( OR disjunct )*
    disjunct    := conjunct ( AND conjunct )*
    conjunct    := NOT conjunct | primary
    primary     := "(" condition ")"
                 | operand comparator operand
                 | operand BETWEEN operand AND operand
                 | operand IN "(" operand ( "," operand )* ")"          -- at most 100 operands
                 | function                                             -- attribute_exists, attribute_not_exists,
                                                                        -- attribute_type, begins_with, contains
    comparator  := "=" | "<>" | "<" | "<=" | ">" | ">="
    operand     := path | :value | function                            -- size(path) only, in conditions

    update      := clause+                                              -- each clause kind at most once
    clause      := SET set_action ( "," set_action )*
                 | REMOVE path ( "," path )*
                 | ADD path :value ( "," path :value )*
                 | DELETE path :value ( "," path :value )*
    set_action  := path "=" set_value
    set_value   := set_operand ( ( "+" | "-" ) set_operand )?
    set_operand := path | :value | "(" set_value ")"
                 | if_not_exists "(" path "," set_operand ")"
                 | list_append "(" set_operand "," set_operand ")"

    projection  := path ( "," path )*
    path        := ( name | #name ) ( "." ( name | #name ) | "[" digits "]" )*

Precedence, tightest first: comparators, IN, BETWEEN, functions, parentheses, NOT, AND, OR (DynamoDB's order).
Key condition and filter expressions use the condition grammar; the Query path checks the key condition's shape.

``parse(kind, text)`` is cached (an LRU of 4,096 expressions), so a hot loop of identical requests parses once.
Pure; the cache is thread-safe.
"""
from __future__ import annotations

import functools
import pathlib
from typing import Any, Callable, TypeVar

from logstore.errors import ValidationException

from . import nodes as n

_T = TypeVar("_T")

MAX_EXPRESSION_BYTES = 4096
MAX_IN_OPERANDS = 100
MAX_OPERATORS = 300      # comparators, AND, OR, NOT, BETWEEN, IN; in updates also + - and the functions
MAX_PATH_DEPTH = 32      # dereferences (. and [i]) in one document path: DynamoDB nests values 32 levels deep
MAX_NESTING = 200        # nested function calls and parenthesised SET operands (the parser recurses on these)
KINDS = ("ConditionExpression", "UpdateExpression", "ProjectionExpression", "KeyConditionExpression",
         "FilterExpression")
CONDITION_KINDS = ("ConditionExpression", "KeyConditionExpression", "FilterExpression")
CLAUSES = ("SET", "REMOVE", "ADD", "DELETE")
KEYWORDS = ("AND", "OR", "NOT", "BETWEEN", "IN") + CLAUSES

RESERVED = frozenset(
    line.strip().upper()
    for line in (pathlib.Path(__file__).with_name("reserved_words.txt")).read_text().splitlines()
    if line.strip() and not line.startswith("#"))

_PUNCT2 = ("<>", "<=", ">=")
_PUNCT1 = "()[],.=<>+-"


class _Token:
    __slots__ = ("kind", "text", "start", "end")

    def __init__(self, kind: str, text: str, start: int, end: int):
        self.kind, self.text, self.start, self.end = kind, text, start, end

    def keyword(self) -> str | None:
        return self.text.upper() if self.kind == "name" and self.text.upper() in KEYWORDS else None


def _word_char(c: str) -> bool:
    return c.isascii() and (c.isalnum() or c == "_")


def tokenize(text: str) -> list[_Token]:
    """Tokens of ``text``; an unknown character becomes an ``error`` token the parser reports."""
    tokens, i, size = [], 0, len(text)
    while i < size:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        start = i
        if c in "#:":
            i += 1
            while i < size and _word_char(text[i]):
                i += 1
            kind = "error" if i == start + 1 else ("attr_name" if c == "#" else "value")
        elif c.isascii() and c.isalpha():   # a bare name starts with a letter (``_a`` needs ``#a``, as in AWS)
            while i < size and _word_char(text[i]):
                i += 1
            kind = "name"
        elif c.isascii() and c.isdigit():
            while i < size and text[i].isascii() and text[i].isdigit():
                i += 1
            kind = "number"
        elif text[i:i + 2] in _PUNCT2:
            i += 2
            kind = "punct"
        elif c in _PUNCT1:
            i += 1
            kind = "punct"
        else:
            i += 1
            kind = "error"
        tokens.append(_Token(kind, text[start:i], start, i))
    tokens.append(_Token("eof", "<EOF>", size, size))
    return tokens


@functools.lru_cache(maxsize=4096)
def parse(kind: str, text: str) -> object:
    """The unbound tree of expression ``text`` of ``kind`` (one of KINDS)."""
    if not text.strip():
        raise ValidationException(f"Invalid {kind}: The expression can not be empty;")
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_EXPRESSION_BYTES:
        raise ValidationException(f"Invalid {kind}: Expression size has exceeded the maximum allowed size; "
                                  f"expression size: {size}")
    p = _Parser(kind, text)
    if kind in CONDITION_KINDS and _wrapped_twice(p.tokens):
        raise ValidationException(f"Invalid {kind}: The expression has redundant parentheses;")
    tree: object
    try:
        if kind == "UpdateExpression":
            tree = p.update()
        elif kind == "ProjectionExpression":
            tree = n.Projection(p.comma_list(p.path))
        else:
            tree = p.condition()
    except RecursionError:   # unreachable by the bounds above; a backstop, so depth is never an internal error
        raise ValidationException(f"Invalid {kind}: The expression is nested too deeply;") from None
    p.expect_eof()
    return tree


def _closing(tokens: list[_Token], open_at: int) -> int | None:
    """Index of the ``)`` matching the ``(`` at ``open_at`` (None if unbalanced)."""
    depth = 0
    for i in range(open_at, len(tokens)):
        t = tokens[i]
        if t.kind == "punct" and t.text == "(":
            depth += 1
        elif t.kind == "punct" and t.text == ")":
            depth -= 1
            if depth == 0:
                return i
    return None


def _wrapped_twice(tokens: list[_Token]) -> bool:
    """Whether the whole expression sits inside two pairs of parentheses, ``((...))``: DynamoDB refuses that as
    redundant (while ``((a)) AND ((b))`` and ``(a AND (b))`` are fine)."""
    last = len(tokens) - 2   # the token before <EOF>
    for depth in (0, 1):
        t = tokens[depth] if depth <= last else None
        if t is None or t.kind != "punct" or t.text != "(" or _closing(tokens, depth) != last - depth:
            return False
    return True


class _Parser:
    def __init__(self, kind: str, text: str):
        self.kind = kind
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.operators = 0
        self.depth = 0

    # -- token helpers ---------------------------------------------------------------------------------------------

    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def advance(self) -> _Token:
        t = self.tokens[self.i]
        self.i += 1
        return t

    def at(self, text: str) -> bool:
        t = self.tok
        return t.kind == "punct" and t.text == text

    def at_keyword(self, word: str) -> bool:
        return self.tok.keyword() == word

    def operator(self) -> None:
        """Count one operator (or, in an update, function); DynamoDB refuses the 301st."""
        self.operators += 1
        if self.operators > MAX_OPERATORS:
            raise self.error(f"The expression contains too many operators; operator count: {self.operators}")

    def nest(self) -> None:
        """Enter one nesting level (a function call, a parenthesised SET operand); bounded so the recursive rules
        stay far from Python's recursion limit."""
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error(f"The expression is nested too deeply; maximum nesting depth: {MAX_NESTING}")

    def error(self, message: str) -> ValidationException:
        return ValidationException(f"Invalid {self.kind}: {message}")

    def syntax_error(self) -> ValidationException:
        t = self.tok
        before = self.tokens[self.i - 1].start if self.i > 0 else t.start
        after = self.tokens[self.i + 1].end if self.i + 1 < len(self.tokens) else t.end
        near = self.text[before:after] if t.kind != "eof" else self.text[before:]
        return self.error(f'Syntax error; token: "{t.text}", near: "{near}"')

    def expect(self, text: str) -> None:
        if not self.at(text):
            raise self.syntax_error()
        self.i += 1

    def expect_eof(self) -> None:
        if self.tok.kind != "eof":
            raise self.syntax_error()

    def comma_list(self, rule: Callable[[], _T]) -> tuple[_T, ...]:
        items = [rule()]
        while self.at(","):
            self.i += 1
            items.append(rule())
        return tuple(items)

    # -- paths and operands ----------------------------------------------------------------------------------------

    def name_part(self) -> str:
        t = self.tok
        if t.kind == "attr_name":
            self.i += 1
            return t.text
        if t.kind == "name" and t.keyword() is None:
            if t.text.upper() in RESERVED:
                raise self.error(f"Attribute name is a reserved keyword; reserved keyword: {t.text}")
            self.i += 1
            return t.text
        raise self.syntax_error()

    def path(self) -> n.Path:
        parts: list[str | int] = [self.name_part()]
        while True:
            if self.at("."):
                self.i += 1
                parts.append(self.name_part())
            elif self.at("["):
                self.i += 1
                t = self.tok
                if t.kind != "number":
                    raise self.syntax_error()
                self.i += 1
                self.expect("]")
                parts.append(int(t.text))
            else:
                return n.Path(tuple(parts))
            if len(parts) - 1 > MAX_PATH_DEPTH:
                raise self.error(f"The document path has too many nesting levels; nesting levels: "
                                 f"{len(parts) - 1}, maximum: {MAX_PATH_DEPTH}")

    def function(self) -> n.Func:
        name = self.advance().text
        allowed = n.UPDATE_FUNCTIONS if self.kind == "UpdateExpression" else \
            n.CONDITION_FUNCTIONS + n.OPERAND_FUNCTIONS
        if name not in n.ARITY:
            raise self.error(f"Invalid function name; function: {name}")
        if name not in allowed:
            where = "an update" if self.kind == "UpdateExpression" else "a condition"
            raise self.error(f"The function is not allowed in {where} expression; function: {name}")
        self.expect("(")
        if self.kind == "UpdateExpression":
            self.operator()
        self.nest()
        if name in n.UPDATE_FUNCTIONS:
            args = self.comma_list(self.set_operand)
        else:
            args = self.comma_list(self.operand)
        self.expect(")")
        self.depth -= 1
        if len(args) != n.ARITY[name]:
            raise self.error(f"Incorrect number of operands for operator or function; operator or function: "
                             f"{name}, number of operands: {len(args)}")
        if not isinstance(args[0], n.Path) and (name in n.PATH_FIRST_FUNCTIONS or
                                                 (name in ("size", "attribute_type") and isinstance(args[0], n.Func))):
            raise self.error(f"Operator or function requires a document path; operator or function: {name}")
        if name == "attribute_type" and not isinstance(args[1], n.Value):
            raise self.error("Incorrect operand type for operator or function; operator or function: attribute_type"
                             ", the type operand must be an expression attribute value")
        return n.Func(name, args)

    def is_function(self) -> bool:
        t = self.tok
        if t.kind != "name" or self.i + 1 >= len(self.tokens):
            return False
        nxt = self.tokens[self.i + 1]
        return nxt.kind == "punct" and nxt.text == "(" and t.keyword() is None

    def operand(self) -> object:
        t = self.tok
        if t.kind == "value":
            self.i += 1
            return n.Value(t.text)
        if self.is_function():
            return self.function()
        return self.path()

    # -- conditions ------------------------------------------------------------------------------------------------

    def condition(self) -> object:
        """``condition``, ``disjunct``, ``conjunct`` and the parenthesised ``primary`` with explicit stacks
        (operator precedence, left-associative), so neither parentheses nor NOT cost Python recursion however deep
        the input nests; only the simple primaries (comparisons, BETWEEN, IN, functions) are parsed by calls."""
        operands: list[object] = []
        ops: list[str] = []      # "(", "OR", "AND", "NOT"
        open_parens = 0

        def reduce_top() -> None:
            op = ops.pop()
            if op == "NOT":
                operands.append(n.Not(operands.pop()))
            else:
                right, left = operands.pop(), operands.pop()
                operands.append(n.Or(left, right) if op == "OR" else n.And(left, right))

        while True:
            while True:                          # a conjunct: NOT* "("* ... primary
                if self.at_keyword("NOT"):
                    self.operator()
                    self.i += 1
                    ops.append("NOT")
                elif self.at("("):
                    self.i += 1
                    ops.append("(")
                    open_parens += 1
                else:
                    break
            operands.append(self.primary())
            while self.at(")") and open_parens:
                while ops[-1] != "(":
                    reduce_top()
                ops.pop()
                open_parens -= 1
                self.i += 1
            word = self.tok.keyword()
            if word not in ("AND", "OR"):
                break
            self.operator()
            self.i += 1
            while ops and ops[-1] != "(" and (ops[-1] != "OR" or word == "OR"):
                reduce_top()
            ops.append(word)
        if open_parens:
            raise self.syntax_error()
        while ops:
            reduce_top()
        return operands[0]

    def primary(self) -> object:
        left = self.operand()
        t = self.tok
        if t.kind == "punct" and t.text in n.COMPARATORS:
            self.operator()
            self.i += 1
            self._operand_use(left)
            right = self.operand()
            self._operand_use(right)
            return n.Compare(t.text, left, right)
        if t.keyword() == "BETWEEN":
            self.operator()
            self.i += 1
            low = self.operand()
            if not self.at_keyword("AND"):
                raise self.syntax_error()
            self.i += 1
            high = self.operand()
            for o in (left, low, high):
                self._operand_use(o)
            return n.Between(left, low, high)
        if t.keyword() == "IN":
            self.operator()
            self.i += 1
            self.expect("(")
            choices = self.comma_list(self.operand)
            self.expect(")")
            if len(choices) > MAX_IN_OPERANDS:
                raise self.error("The IN operator is provided with too many operands; number of operands: "
                                 f"{len(choices)}")
            for o in (left,) + choices:
                self._operand_use(o)
            return n.In(left, choices)
        if isinstance(left, n.Func) and left.name in n.CONDITION_FUNCTIONS:
            return left
        if isinstance(left, n.Func):
            raise self.error(f"The function is not allowed to be used this way in an expression; function: "
                             f"{left.name}")
        raise self.syntax_error()

    def _operand_use(self, operand: object) -> None:
        if isinstance(operand, n.Func) and operand.name in n.CONDITION_FUNCTIONS:
            raise self.error(f"The function is not allowed to be used this way in an expression; function: "
                             f"{operand.name}")

    # -- updates ---------------------------------------------------------------------------------------------------

    def update(self) -> n.Update:
        seen: dict[str, tuple[Any, ...]] = {}
        while self.tok.kind != "eof":
            word = self.tok.keyword()
            if word not in CLAUSES:
                raise self.syntax_error()
            if word in seen:
                raise self.error(f'The "{word}" section can only be used once in an update expression;')
            self.i += 1
            if word == "SET":
                seen[word] = self.comma_list(self.set_action)
            elif word == "REMOVE":
                seen[word] = self.comma_list(lambda: n.Remove(self.path()))
            else:
                node = n.Add if word == "ADD" else n.Delete
                seen[word] = self.comma_list(lambda: node(self.path(), self.clause_value()))
        return n.Update(seen.get("SET", ()), seen.get("REMOVE", ()), seen.get("ADD", ()), seen.get("DELETE", ()))

    def clause_value(self) -> n.Value:
        t = self.tok
        if t.kind != "value":
            raise self.syntax_error()
        self.i += 1
        return n.Value(t.text)

    def set_action(self) -> n.Set:
        path = self.path()
        self.expect("=")
        return n.Set(path, self.set_value())

    def set_value(self) -> object:
        left = self.set_operand()
        if self.at("+") or self.at("-"):
            self.operator()
            op = self.advance().text
            return n.Arith(op, left, self.set_operand())
        return left

    def set_operand(self) -> object:
        t = self.tok
        if self.at("("):
            self.i += 1
            self.nest()
            inner = self.set_value()
            self.expect(")")
            self.depth -= 1
            return inner
        if t.kind == "value":
            self.i += 1
            return n.Value(t.text)
        if self.is_function():
            return self.function()
        return self.path()
