"""Applying a bound UpdateExpression to an item: SET (with ``+``/``-``, ``if_not_exists``, ``list_append``),
REMOVE, ADD (numbers, sets) and DELETE (set members).

``check_paths(update)`` and ``check_keys(update, key_names)`` run the static checks once per request: no two
paths overlap or conflict, no action touches a key attribute. ``apply(update, key, old)`` is the pure function the
write path calls with the stored item (or None: UpdateItem creates the item from its key); it returns the new item
and never mutates ``old``.

Order of evaluation, as DynamoDB's: every SET value is computed from the item as it was before the update; then SETs
are applied (list indexes ascending, so ``l[5]``, ``l[6]`` past the end append in order), REMOVEs (list indexes
descending, so each index names the element it named before), ADDs, DELETEs. Run-time type problems are
ValidationExceptions: arithmetic on a non-number, ``list_append`` of a non-list, ADD/DELETE on an attribute of
another type (worded ``mismatch``: legacy AttributeUpdates, compiled by legacy.py, say it their own way), an
operand path that does not exist. ADD of a list appends to a stored list (only AttributeUpdates can ask for it:
binding refuses a list operand of ADD).

Pure; thread-safe.
"""
from __future__ import annotations

from decimal import Context, Decimal
from typing import Any, Collection

from logstore.errors import ValidationException
from logstore.stream.records import AttributeValue, Image

from .. import attrs
from . import nodes as n
from . import paths
from .binding import type_of
from .paths import Path

WRONG_TYPE = "An operand in the update expression has an incorrect data type"
MISSING = "The provided expression refers to an attribute that does not exist in the item"
_EXACT = Context(prec=300)


def action_paths(update: n.Update) -> list[Path]:
    return [a.path.parts for a in update.actions()]


def check_paths(update: n.Update) -> None:
    """No two paths of a bound update overlap or conflict (checked before the table is known)."""
    paths.check_overlaps(action_paths(update), "UpdateExpression")


def check_keys(update: n.Update, key_names: Collection[str]) -> None:
    """No action of a bound update touches one of the table's key attributes."""
    for parts in action_paths(update):
        if parts[0] in key_names:
            raise ValidationException("One or more parameter values were invalid: Cannot update attribute "
                                      f"{parts[0]}. This attribute is part of the key")


def _value(o: Any, old: Image | None) -> AttributeValue:
    if isinstance(o, n.Literal):
        return o.value
    if isinstance(o, n.Path):
        v = paths.get(old, o.parts)
        if v is None:
            raise ValidationException(MISSING)
        return v
    if isinstance(o, n.Arith):
        a, b = _value(o.left, old), _value(o.right, old)
        if type_of(a) != "N" or type_of(b) != "N":
            raise ValidationException(WRONG_TYPE)
        x, y = Decimal(a["N"]), Decimal(b["N"])
        return {"N": _number(_EXACT.add(x, y) if o.op == "+" else _EXACT.subtract(x, y))}
    if o.name == "if_not_exists":
        existing = paths.get(old, o.args[0].parts)
        return existing if existing is not None else _value(o.args[1], old)
    # list_append
    a, b = _value(o.args[0], old), _value(o.args[1], old)
    if type_of(a) != "L" or type_of(b) != "L":
        raise ValidationException(WRONG_TYPE)
    return {"L": a["L"] + b["L"]}


def _number(d: Decimal) -> str:
    return attrs.canonical_number(str(d))


def _index_order(parts: Path) -> tuple[tuple[int, int, str], ...]:
    return tuple((1, p, "") if isinstance(p, int) else (0, 0, p) for p in parts)


def apply(update: n.Update, key: Image, old: Image | None, mismatch: str = WRONG_TYPE) -> Image | None:
    """The item after ``update``; ``old`` is the stored item or None (then the item starts as its key). An update
    of a missing item that only REMOVEs attributes or DELETEs from sets creates nothing (None), as in DynamoDB (an
    update with no actions at all, which only empty AttributeUpdates are, creates the key-only item). ``mismatch``
    is the message of an ADD or DELETE on an attribute of another type."""
    if old is None and not update.sets and not update.adds and (update.removes or update.deletes):
        return None
    computed = [(a.path.parts, _value(a.value, old)) for a in update.sets]
    item = dict(old) if old is not None else dict(key)
    for parts, value in sorted(computed, key=lambda pv: _index_order(pv[0])) if len(computed) > 1 else computed:
        paths.set_at(item, parts, value)
    removes = [a.path.parts for a in update.removes]
    for parts in sorted(removes, key=_index_order, reverse=True) if len(removes) > 1 else removes:
        paths.remove_at(item, parts)
    for a in update.adds:
        value = a.value.value   # type: ignore[attr-defined]  # bound: a Literal
        current = paths.get(item, a.path.parts)
        if current is None:
            paths.set_at(item, a.path.parts, value)
            continue
        t = type_of(value)
        if type_of(current) != t:
            raise ValidationException(mismatch)
        if t == "N":
            total = _EXACT.add(Decimal(current["N"]), Decimal(value["N"]))
            paths.set_at(item, a.path.parts, {"N": _number(total)})
        elif t == "L":
            paths.set_at(item, a.path.parts, {"L": current["L"] + value["L"]})
        else:
            paths.set_at(item, a.path.parts, _union(t, current[t], value[t]))
    for d in update.deletes:
        value = d.value.value   # type: ignore[attr-defined]  # bound: a Literal
        current = paths.get(item, d.path.parts)
        if current is None:
            continue
        t = type_of(value)
        if type_of(current) != t:
            raise ValidationException(mismatch)
        drop = set(value[t]) if t != "NS" else {Decimal(m) for m in value[t]}
        left = [m for m in current[t] if (Decimal(m) if t == "NS" else m) not in drop]
        if left:
            paths.set_at(item, d.path.parts, {t: left})
        else:
            paths.remove_at(item, d.path.parts)
    return item


def _union(t: str, current: list[Any], extra: list[Any]) -> AttributeValue:
    union: AttributeValue = attrs.canonical_item({"v": {t: current + [m for m in extra if m not in current]}})["v"]
    return union
