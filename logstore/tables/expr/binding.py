"""Binding: from a parsed (cached, shared) tree and one request's ExpressionAttributeNames/Values to the bound tree
the evaluators run, with DynamoDB's checks of both maps.

A ``Binder`` serves one request: every expression of the request is bound through it, then ``check_unused``
reports a name or value no expression used. Checks, each a ValidationException in AWS's words:

* the maps: not empty when given; keys shaped ``#x`` / ``:x``; values valid (``attrs.canonical_item``);
* an undefined ``#name`` or ``:value``; an unused one;
* operand types known from the literal alone: ADD takes a number or a set, DELETE a set, ``+``/``-`` numbers,
  ``list_append`` lists, ``<`` ``<=`` ``>`` ``>=`` and BETWEEN numbers, strings or binaries of one type,
  ``begins_with`` a string or binary, ``attribute_type`` a type name; BETWEEN's bounds in order.

Pure; a Binder is used by one request on one thread.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Sequence

from logstore.errors import ValidationException
from logstore.stream.records import AttributeValue

from .. import attrs
from . import nodes as n
from . import parser, paths

TYPE_NAMES = ("S", "N", "B", "SS", "NS", "BS", "BOOL", "NULL", "L", "M")
_LONG_TYPE = {"S": "STRING", "N": "NUMBER", "B": "BINARY", "SS": "STRING_SET", "NS": "NUMBER_SET",
              "BS": "BINARY_SET", "BOOL": "BOOLEAN", "NULL": "NULL", "L": "LIST", "M": "MAP"}
_KEY = re.compile(r"[A-Za-z0-9_]+")


def type_of(av: AttributeValue) -> str:
    return next(iter(av))


def order_key(av: AttributeValue) -> Any:
    """A sort key for N, S and B values of one type (numbers by value, strings by code point, bytes unsigned)."""
    t, v = next(iter(av.items()))
    return Decimal(v) if t == "N" else v


class Binder:
    def __init__(self, names: dict[str, Any] | None, values: dict[str, Any] | None) -> None:
        if names is not None:
            if not names:
                raise ValidationException("ExpressionAttributeNames must not be empty")
            for key, value in names.items():
                if not (isinstance(key, str) and key.startswith("#") and _KEY.fullmatch(key[1:])):
                    raise ValidationException(f'ExpressionAttributeNames contains invalid key: Syntax error; '
                                              f'key: "{key}"')
                if not isinstance(value, str) or not value:
                    raise ValidationException("ExpressionAttributeNames contains invalid value: Empty attribute "
                                              f"name for key {key}")
                if len(value) > attrs.MAX_NAME_BYTES // 4:
                    attrs.check_name_size(value, f"ExpressionAttributeNames contains invalid value for key {key}: "
                                                 "the attribute name")
        canonical: dict[str, AttributeValue] = {}
        if values is not None:
            if not values:
                raise ValidationException("ExpressionAttributeValues must not be empty")
            for key, value in values.items():
                if not (isinstance(key, str) and key.startswith(":") and _KEY.fullmatch(key[1:])):
                    raise ValidationException(f'ExpressionAttributeValues contains invalid key: Syntax error; '
                                              f'key: "{key}"')
                try:
                    canonical[key] = attrs.canonical_item({key: value})[key]
                except ValidationException as e:
                    raise ValidationException(f"ExpressionAttributeValues contains invalid value: {e.message} "
                                              f"for key {key}") from None
        self.names: dict[str, Any] = names or {}
        self.values = canonical
        self.used_names: set[str] = set()
        self.used_values: set[str] = set()
        self.kind = "ConditionExpression"

    # -- the entry points ------------------------------------------------------------------------------------------

    def bind(self, kind: str, text: str) -> object:
        """Parse (cached) and bind expression ``text`` of ``kind``."""
        tree = parser.parse(kind, text)
        self.kind = kind
        if isinstance(tree, n.Update):
            return n.Update(tuple(n.Set(self.path(a.path), self.set_value(a.value)) for a in tree.sets),
                            tuple(n.Remove(self.path(a.path)) for a in tree.removes),
                            tuple(n.Add(self.path(a.path), self.clause_value(a.value, "ADD")) for a in tree.adds),
                            tuple(n.Delete(self.path(a.path), self.clause_value(a.value, "DELETE"))
                                  for a in tree.deletes))
        if isinstance(tree, n.Projection):
            return n.Projection(tuple(self.path(p) for p in tree.paths))
        return self.condition(tree)

    def check_unused(self) -> None:
        unused = [k for k in self.names if k not in self.used_names]
        if unused:
            raise ValidationException("Value provided in ExpressionAttributeNames unused in expressions: keys: "
                                      "{" + ", ".join(unused) + "}")
        unused = [k for k in self.values if k not in self.used_values]
        if unused:
            raise ValidationException("Value provided in ExpressionAttributeValues unused in expressions: keys: "
                                      "{" + ", ".join(unused) + "}")

    # -- leaves ----------------------------------------------------------------------------------------------------

    def error(self, message: str) -> ValidationException:
        return ValidationException(f"Invalid {self.kind}: {message}")

    def path(self, p: n.Path) -> n.Path:
        if not any(isinstance(part, str) and part[0] == "#" for part in p.parts):
            return p  # no names to resolve: the parsed path is already bound
        parts: list[str | int] = []
        for part in p.parts:
            if isinstance(part, str) and part.startswith("#"):
                name: str | None = self.names.get(part)
                if name is None:
                    raise self.error("An expression attribute name used in the document path is not defined; "
                                     f"attribute name: {part}")
                self.used_names.add(part)
                parts.append(name)
            else:
                parts.append(part)
        return n.Path(tuple(parts))

    def value(self, v: n.Value) -> n.Literal:
        av = self.values.get(v.name)
        if av is None:
            raise self.error("An expression attribute value used in expression is not defined; attribute value: "
                             f"{v.name}")
        self.used_values.add(v.name)
        return n.Literal(av)

    def operand(self, o: Any) -> object:
        if isinstance(o, n.Path):
            return self.path(o)
        if isinstance(o, n.Value):
            return self.value(o)
        if isinstance(o, n.Func):
            return self.function(o)
        return n.Arith(o.op, self.operand(o.left), self.operand(o.right))

    def operand_type(self, operand: object, function: str, allowed: tuple[str, ...]) -> None:
        if isinstance(operand, n.Literal) and type_of(operand.value) not in allowed:
            raise self.error(f"Incorrect operand type for operator or function; operator or function: {function}, "
                             f"operand type: {type_of(operand.value)}")

    def distinct(self, operator: str, operands: Sequence[object]) -> None:
        """DynamoDB refuses an operator whose first operand is a path that appears again among the others."""
        first = operands[0]
        if isinstance(first, n.Path) and any(o == first for o in operands[1:]):
            raise self.error("The first operand must be distinct from the remaining operands for this operator or "
                             f"function; operator: {operator}, first operand: {paths.show(first.parts)}")

    def function(self, f: n.Func) -> n.Func:
        args = tuple(self.operand(a) for a in f.args)
        if f.name in ("begins_with", "contains"):
            self.distinct(f.name, args)
        if f.name == "attribute_type":
            t = args[1]
            if isinstance(t, n.Literal):
                given = t.value.get("S")
                if given is None:
                    self.operand_type(t, f.name, ("S",))
                if given not in TYPE_NAMES:
                    raise self.error(f"Invalid attribute type name found; type: {given}, valid types: "
                                     "{ B; NULL; SS; BOOL; L; BS; N; NS; S; M }")
        elif f.name == "begins_with":
            for a in args:
                self.operand_type(a, f.name, ("S", "B"))
        elif f.name == "list_append":
            for a in args:
                self.operand_type(a, f.name, ("L",))
        return n.Func(f.name, args)

    # -- conditions and updates ------------------------------------------------------------------------------------

    def condition(self, c: Any) -> object:
        if isinstance(c, n.Compare):
            left, right = self.operand(c.left), self.operand(c.right)
            self.distinct(c.op, (left, right))
            if c.op not in ("=", "<>"):
                for o in (left, right):
                    self.operand_type(o, c.op, ("N", "S", "B"))
            return n.Compare(c.op, left, right)
        if isinstance(c, n.Between):
            operand, low, high = self.operand(c.operand), self.operand(c.low), self.operand(c.high)
            self.distinct("BETWEEN", (operand, low, high))
            for o in (operand, low, high):
                self.operand_type(o, "BETWEEN", ("N", "S", "B"))
            if isinstance(low, n.Literal) and isinstance(high, n.Literal):
                lt, ht = type_of(low.value), type_of(high.value)
                if lt != ht or order_key(low.value) > order_key(high.value):
                    raise self.error("The BETWEEN operator requires upper bound to be greater than or equal to "
                                     f"lower bound; lower bound operand: AttributeValue: {_show(low.value)}, "
                                     f"upper bound operand: AttributeValue: {_show(high.value)}")
            return n.Between(operand, low, high)
        if isinstance(c, n.In):
            bound = (self.operand(c.operand),) + tuple(self.operand(o) for o in c.choices)
            self.distinct("IN", bound)
            return n.In(bound[0], bound[1:])
        if isinstance(c, n.And):
            return n.And(self.condition(c.left), self.condition(c.right))
        if isinstance(c, n.Or):
            return n.Or(self.condition(c.left), self.condition(c.right))
        if isinstance(c, n.Not):
            return n.Not(self.condition(c.operand))
        return self.function(c)

    def set_value(self, v: object) -> object:
        bound = self.operand(v)
        if isinstance(bound, n.Arith):
            for o in (bound.left, bound.right):
                self.operand_type(o, bound.op, ("N",))
        return bound

    def clause_value(self, v: object, clause: str) -> n.Literal:
        assert isinstance(v, n.Value), v   # the parser takes only a :value after ADD and DELETE
        lit = self.value(v)
        t = type_of(lit.value)
        allowed = ("N", "SS", "NS", "BS") if clause == "ADD" else ("SS", "NS", "BS")
        if t not in allowed:
            raise self.error(f"Incorrect operand type for operator or function; operator: {clause}, operand type: "
                             f"{_LONG_TYPE[t]}, typeSet: ALLOWED_FOR_{clause}_OPERAND")
        return lit


def _show(av: AttributeValue) -> str:
    t, v = next(iter(av.items()))
    return "{" + f"{t}:{v}" + "}"
