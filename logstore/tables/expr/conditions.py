"""Evaluating bound conditions (ConditionExpression, FilterExpression, KeyConditionExpression) against an item.

DynamoDB's semantics, where a missing attribute or a type mismatch is not an error but a comparison that fails:

* ``=`` holds when both operands exist, have the same type and are equal (numbers by value; sets as sets, which
  canonical form makes plain equality); ``<>`` is its negation, so it holds when an operand is missing;
* ``<`` ``<=`` ``>`` ``>=`` and BETWEEN hold only for two (three) N, S or B values of one type, ordered as
  DynamoDB orders them (numbers by value, strings by code point, binaries as unsigned bytes);
* IN holds when the operand equals one of the choices;
* ``attribute_exists``/``attribute_not_exists``/``attribute_type(path, type)``; ``begins_with`` on S or B;
  ``contains``: a substring of an S, a subsequence of a B, a member of a set, an element of a list;
* ``size``: UTF-16 code units of an S (as Java's String.length, which AWS uses), bytes of a B, members of a set,
  entries of an M or L (no size for N, BOOL, NULL).

Pure; thread-safe.
"""
from __future__ import annotations

from typing import Any

from logstore.stream.records import AttributeValue, Image

from . import nodes as n
from . import paths
from .binding import order_key, type_of

_ORDERED = ("N", "S", "B")


def operand_value(o: object, item: Image | None) -> AttributeValue | None:
    """The AttributeValue an operand stands for in ``item`` (None if missing or undefined)."""
    if isinstance(o, n.Literal):
        return o.value
    if isinstance(o, n.Path):
        return paths.get(item, o.parts)
    if isinstance(o, n.Func) and o.name == "size":
        return size(operand_value(o.args[0], item))
    raise TypeError(f"not a condition operand: {o!r}")


def size(av: AttributeValue | None) -> AttributeValue | None:
    if av is None:
        return None
    t, v = next(iter(av.items()))
    if t in ("N", "BOOL", "NULL"):
        return None
    if t == "S":
        return {"N": str(len(v.encode("utf-16-le", "surrogatepass")) // 2)}  # UTF-16 code units, as AWS counts
    return {"N": str(len(v))}


def equal(a: AttributeValue | None, b: AttributeValue | None) -> bool:
    if a is None or b is None:
        return False
    ta, tb = type_of(a), type_of(b)
    if ta != tb:
        return False
    if ta == "N":
        return bool(order_key(a) == order_key(b))
    return a == b


def compare(a: AttributeValue | None, b: AttributeValue | None) -> int | None:
    """-1, 0 or 1 for two ordered values of one type; None if they are not comparable."""
    if a is None or b is None:
        return None
    ta = type_of(a)
    if ta not in _ORDERED or ta != type_of(b):
        return None
    ka, kb = order_key(a), order_key(b)
    return int((ka > kb) - (ka < kb))


def evaluate(c: object, item: Image | None) -> bool:
    """Whether bound condition ``c`` holds for ``item`` (None: no item)."""
    if isinstance(c, n.And):
        return evaluate(c.left, item) and evaluate(c.right, item)
    if isinstance(c, n.Or):
        return evaluate(c.left, item) or evaluate(c.right, item)
    if isinstance(c, n.Not):
        return not evaluate(c.operand, item)
    if isinstance(c, n.Compare):
        a, b = operand_value(c.left, item), operand_value(c.right, item)
        if c.op == "=":
            return equal(a, b)
        if c.op == "<>":
            return not equal(a, b)
        r = compare(a, b)
        if r is None:
            return False
        return {"<": r < 0, "<=": r <= 0, ">": r > 0, ">=": r >= 0}[c.op]
    if isinstance(c, n.Between):
        v = operand_value(c.operand, item)
        lo, hi = compare(v, operand_value(c.low, item)), compare(v, operand_value(c.high, item))
        return lo is not None and hi is not None and lo >= 0 and hi <= 0
    if isinstance(c, n.In):
        v = operand_value(c.operand, item)
        return any(equal(v, operand_value(o, item)) for o in c.choices)
    assert isinstance(c, n.Func), c
    return _function(c, item)


def _function(f: n.Func, item: Image | None) -> bool:
    target = paths.get(item, f.args[0].parts) if isinstance(f.args[0], n.Path) else operand_value(f.args[0], item)
    if f.name == "attribute_exists":
        return target is not None
    if f.name == "attribute_not_exists":
        return target is None
    if target is None:
        return False
    arg = operand_value(f.args[1], item)
    if arg is None:
        return False
    t: str
    v: Any
    t, v = next(iter(target.items()))
    if f.name == "attribute_type":
        return arg.get("S") == t
    ta, va = next(iter(arg.items()))
    if f.name == "begins_with":
        return t in ("S", "B") and t == ta and bool(v.startswith(va))
    # contains
    if t in ("S", "B"):
        return t == ta and va in v
    if t in ("SS", "NS", "BS"):
        if ta != t[0]:
            return False
        return any(equal({ta: m}, arg) for m in v)
    if t == "L":
        return any(equal(e, arg) for e in v)
    return False
