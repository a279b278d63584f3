"""The shape of a Query's key condition: equality on the hash key, and at most one condition on the range key
(``=``, ``<``, ``<=``, ``>``, ``>=``, BETWEEN or ``begins_with``), joined by AND.

``split(condition, hash_name, range_name)`` checks a bound KeyConditionExpression (or the tree built from legacy
KeyConditions) and returns ``KeyCondition``: the hash key's value and the range key's condition (a bound condition
the Query path evaluates, or None). Every other shape is a ValidationException in AWS's words.

Pure; thread-safe.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from logstore.errors import ValidationException
from logstore.stream.records import AttributeValue

from . import nodes as n

_NOT_SUPPORTED = "Query key condition not supported"


@dataclass(frozen=True, slots=True)
class KeyCondition:
    hash_value: AttributeValue
    range_condition: object | None      # a bound condition on the range key, or None

    def exact(self) -> bool:
        """Whether the condition fixes both keys (``=`` on the range key too)."""
        c = self.range_condition
        return isinstance(c, n.Compare) and c.op == "="

    def range_bounds(self) -> tuple[AttributeValue | None, str | None]:
        """(a value every match is >= to, the operator that gave it) for seeking, or (None, None)."""
        c = self.range_condition
        if isinstance(c, n.Compare) and c.op in ("=", ">=", ">"):
            return _bound(c.right), c.op
        if isinstance(c, n.Between):
            return _bound(c.low), ">="
        if isinstance(c, n.Func):
            return _bound(c.args[1]), ">="
        return None, None


def _conjuncts(c: object) -> list[object]:
    if isinstance(c, n.And):
        return _conjuncts(c.left) + _conjuncts(c.right)
    if isinstance(c, n.Or):
        raise ValidationException("Invalid operator used in KeyConditionExpression: OR")
    if isinstance(c, n.Not):
        raise ValidationException("Invalid operator used in KeyConditionExpression: NOT")
    if isinstance(c, n.In):
        raise ValidationException("Invalid operator used in KeyConditionExpression: IN")
    return [c]


def _key_name(operand: object) -> str:
    if isinstance(operand, n.Func):
        raise ValidationException(f"Invalid operator used in KeyConditionExpression: {operand.name}")
    if not isinstance(operand, n.Path):
        raise ValidationException("Invalid condition in KeyConditionExpression: No key attribute specified")
    if len(operand.parts) != 1:
        raise ValidationException("KeyConditionExpressions cannot have conditions on nested attributes")
    return str(operand.parts[0])


def _literal(operand: object) -> AttributeValue:
    if isinstance(operand, n.Path):
        raise ValidationException("Invalid condition in KeyConditionExpression: Multiple attribute names used in "
                                  "one condition")
    if not isinstance(operand, n.Literal):
        raise ValidationException(_NOT_SUPPORTED)
    return operand.value


_FLIP = {"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<=", "<>": "<>"}


def _normalise(c: object) -> tuple[str, object]:
    """(key attribute name, the conjunct with the key as its first operand)."""
    if isinstance(c, n.Compare):
        if isinstance(c.left, n.Literal) and isinstance(c.right, n.Path):
            c = n.Compare(_FLIP[c.op], c.right, c.left)
        name = _key_name(c.left)
        _literal(c.right)
        if c.op == "<>":
            raise ValidationException("Invalid operator used in KeyConditionExpression: <>")
        return name, c
    if isinstance(c, n.Between):
        name = _key_name(c.operand)
        _literal(c.low)
        _literal(c.high)
        return name, c
    if isinstance(c, n.Func):
        if c.name != "begins_with":
            raise ValidationException(f"Invalid operator used in KeyConditionExpression: {c.name}")
        name = _key_name(c.args[0])
        _literal(c.args[1])
        return name, c
    raise ValidationException(_NOT_SUPPORTED)


def split(condition: object, key_schema: Sequence[tuple[str, str]]) -> KeyCondition:
    """Check ``condition`` against the key schema ((name, type) pairs) and split it."""
    by_name: dict[str, object] = {}
    for c in _conjuncts(condition):
        name, c = _normalise(c)
        if name in by_name:
            raise ValidationException("KeyConditionExpressions must only contain one condition per key")
        by_name[name] = c
    if len(by_name) > 2:
        raise ValidationException("Conditions can be of length 1 or 2 only")
    hash_name, hash_type = key_schema[0]
    range_name, range_type = key_schema[1] if len(key_schema) > 1 else (None, None)
    if hash_name not in by_name:
        raise ValidationException(f"Query condition missed key schema element: {hash_name}")
    if set(by_name) - {hash_name, range_name}:
        if range_name is not None and range_name not in by_name:
            raise ValidationException(f"Query condition missed key schema element: {range_name}")
        raise ValidationException(_NOT_SUPPORTED)
    hc = by_name[hash_name]
    if not isinstance(hc, n.Compare) or hc.op != "=":
        raise ValidationException(_NOT_SUPPORTED)
    _check_type(_bound(hc.right), hash_type)
    rc = by_name.get(range_name) if range_name else None
    if rc is not None:
        for lit in _literals(rc):
            _check_type(lit, range_type)   # type: ignore[arg-type]  # a range key's type: rc exists only with one
        if isinstance(rc, n.Func) and range_type == "N":
            raise ValidationException("Invalid KeyConditionExpression: Incorrect operand type for operator or "
                                      "function; operator or function: begins_with, operand type: N")
    return KeyCondition(_bound(hc.right), rc)


def _literals(c: object) -> list[AttributeValue]:
    if isinstance(c, n.Compare):
        return [_bound(c.right)]
    if isinstance(c, n.Between):
        return [_bound(c.low), _bound(c.high)]
    assert isinstance(c, n.Func), c   # begins_with: _normalise took nothing else
    return [_bound(c.args[1])]


def _bound(operand: object) -> AttributeValue:
    """The value of a split conjunct's literal operand (``_normalise`` checked it is one)."""
    assert isinstance(operand, n.Literal), operand
    return operand.value


def _check_type(av: AttributeValue, key_type: str) -> None:
    if next(iter(av)) != key_type:
        raise ValidationException("One or more parameter values were invalid: Condition parameter type does not "
                                  "match schema type")
