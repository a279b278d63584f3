"""The legacy parameters, translated into the bound trees the evaluators run, so there is one semantics for both:
the conditions ``Expected`` (PutItem, UpdateItem, DeleteItem), ``KeyConditions`` (Query) and ``QueryFilter`` /
``ScanFilter``, each joined by ``ConditionalOperator`` (AND by default); and UpdateItem's ``AttributeUpdates``,
compiled into the update tree that updates.apply runs (``attribute_updates``).

ComparisonOperator mapping: EQ ``=``, NE ``<>``, LT/LE/GT/GE, BETWEEN, IN, BEGINS_WITH ``begins_with``,
CONTAINS ``contains``, NOT_CONTAINS ``attribute_exists AND NOT contains``, NULL ``attribute_not_exists``, NOT_NULL
``attribute_exists``. Expected's short form ``{"Value": v}`` is EQ and ``{"Exists": false}`` is NULL.

AttributeUpdates mapping: PUT is SET to the value, DELETE without a value REMOVE, DELETE with a set DELETE of its
members, ADD ADD (of a number or a set, and of a list, which appends). Each action is its own one-action tree,
applied by updates.apply in the request's order (``apply_attribute_updates``): an UpdateExpression's clauses run
SET, REMOVE, ADD, DELETE, but AttributeUpdates have always added new attributes to the item in the order asked
(DynamoDB keeps no attribute order; ours shows in items, stream images and tests/golden). Legacy updates differ
from an UpdateExpression only in that order, their validation (their own messages, below) and the word for a
run-time type mismatch (``TYPE_MISMATCH``).

Pure; thread-safe.
"""
from __future__ import annotations

from typing import Any, Collection

from logstore.errors import ConstraintViolations, ValidationException
from logstore.stream.records import AttributeValue, Image

from .. import attrs
from . import nodes as n
from . import updates
from .binding import order_key

_INVALID = "One or more parameter values were invalid: "
ARGUMENTS = {"EQ": 1, "NE": 1, "LE": 1, "LT": 1, "GE": 1, "GT": 1, "NOT_NULL": 0, "NULL": 0, "CONTAINS": 1,
             "NOT_CONTAINS": 1, "BEGINS_WITH": 1, "IN": None, "BETWEEN": 2}
_COMPARE = {"EQ": "=", "NE": "<>", "LE": "<=", "LT": "<", "GE": ">=", "GT": ">"}
_SCALAR_TYPES: dict[str, tuple[str, ...]] = {
    op: ("N", "S", "B") for op in ("LE", "LT", "GE", "GT", "BETWEEN", "IN", "CONTAINS", "NOT_CONTAINS")}
_SCALAR_TYPES["BEGINS_WITH"] = ("S", "B")
INDEXABLE = ("EQ", "LE", "LT", "GE", "GT", "BEGINS_WITH", "BETWEEN")
TYPE_MISMATCH = "Type mismatch for attribute to update"   # AttributeUpdates' ADD/DELETE on another type


def _literal(av: Any) -> n.Literal:
    canonical: AttributeValue = attrs.canonical_item({"v": av})["v"]
    return n.Literal(canonical)


def comparison(name: str, operator: Any, values: Any) -> object:
    """The bound condition of one legacy ``{ComparisonOperator, AttributeValueList}`` on attribute ``name``."""
    if operator not in ARGUMENTS:
        raise ConstraintViolations(f"Value '{operator}' at 'comparisonOperator' failed "
                                  "to satisfy constraint: Member must satisfy enum value set: "
                                  f"[{', '.join(ARGUMENTS)}]")
    values = values or []
    want = ARGUMENTS[operator]
    if (want is None and not values) or (want is not None and len(values) != want):
        raise ValidationException(_INVALID + f"Invalid number of argument(s) for the {operator} ComparisonOperator")
    path = n.Path((name,))
    lits = [_literal(v) for v in values]
    allowed = _SCALAR_TYPES.get(operator)
    for lit in lits:
        t = next(iter(lit.value))
        if allowed is not None and t not in allowed:
            raise ValidationException(_INVALID + f"ComparisonOperator {operator} is not valid for {t} "
                                      "AttributeValue type")
    if len({next(iter(lit.value)) for lit in lits}) > 1:
        raise ValidationException(_INVALID + "AttributeValues inside AttributeValueList must be of same type")
    if operator == "BETWEEN" and order_key(lits[0].value) > order_key(lits[1].value):
        raise ValidationException("The BETWEEN condition was provided a range where the lower bound is greater "
                                  "than the upper bound")
    if operator in _COMPARE:
        return n.Compare(_COMPARE[operator], path, lits[0])
    if operator == "NULL":
        return n.Func("attribute_not_exists", (path,))
    if operator == "NOT_NULL":
        return n.Func("attribute_exists", (path,))
    if operator == "CONTAINS":
        return n.Func("contains", (path, lits[0]))
    if operator == "NOT_CONTAINS":   # false on a missing attribute, as in DynamoDB (unlike NOT contains())
        return n.And(n.Func("attribute_exists", (path,)), n.Not(n.Func("contains", (path, lits[0]))))
    if operator == "BEGINS_WITH":
        return n.Func("begins_with", (path, lits[0]))
    if operator == "IN":
        return n.In(path, tuple(lits))
    return n.Between(path, lits[0], lits[1])


def _join(conditions: list[object], operator: Any) -> object | None:
    if operator not in (None, "AND", "OR"):
        raise ConstraintViolations(f"Value '{operator}' at 'conditionalOperator' "
                                  "failed to satisfy constraint: Member must satisfy enum value set: [AND, OR]")
    if not conditions:
        return None
    tree = conditions[0]
    for c in conditions[1:]:
        tree = n.Or(tree, c) if operator == "OR" else n.And(tree, c)
    return tree


def conditions(spec: Any, operator: Any = None, key_conditions: bool = False) -> object | None:
    """KeyConditions / QueryFilter / ScanFilter: ``{name: {ComparisonOperator, AttributeValueList}}``. With
    ``key_conditions``, also KeyConditions' own rules (one or two conditions, indexable operators only)."""
    if not isinstance(spec, dict):
        raise ValidationException("Conditions must be a map")
    if key_conditions:
        if not 1 <= len(spec) <= 2:
            raise ValidationException("Conditions can be of length 1 or 2 only")
        for cond in spec.values():
            if isinstance(cond, dict) and cond.get("ComparisonOperator") in ARGUMENTS and \
                    cond.get("ComparisonOperator") not in INDEXABLE:
                raise ValidationException("Attempted conditional constraint is not an indexable operation")
    out: list[object] = []
    for name, cond in spec.items():
        if not isinstance(cond, dict):
            raise ValidationException(f"Condition for {name} must be a map")
        out.append(comparison(name, cond.get("ComparisonOperator"), cond.get("AttributeValueList")))
    return _join(out, operator)


def expected(spec: Any, operator: Any = None) -> object | None:
    """Expected: ``{name: {Value, Exists} | {ComparisonOperator, AttributeValueList}}``."""
    if not isinstance(spec, dict):
        raise ValidationException("Expected must be a map")
    out: list[object] = []
    for name, cond in spec.items():
        if not isinstance(cond, dict):
            raise ValidationException(f"Expected condition for {name} must be a map")
        op = cond.get("ComparisonOperator")
        value, exists, values = cond.get("Value"), cond.get("Exists"), cond.get("AttributeValueList")
        where = f" for Attribute: {name}"
        if exists is not None and op is not None:
            raise ValidationException(_INVALID + "Exists and ComparisonOperator cannot be used together" + where)
        if value is not None and values is not None:
            raise ValidationException(_INVALID + "Value and AttributeValueList cannot be used together" + where)
        if values is not None and op is None:
            raise ValidationException(_INVALID + "AttributeValueList can only be used with a ComparisonOperator"
                                      + where)
        if op is not None:
            if value is None and values is None and ARGUMENTS.get(op) not in (0, None):
                raise ValidationException(_INVALID + f"Value or AttributeValueList must be used with "
                                          f"ComparisonOperator: {op}" + where)
            out.append(comparison(name, op, [value] if value is not None else values))
        elif exists is False:
            if value is not None:
                raise ValidationException(_INVALID + "Value cannot be used when Exists is false" + where)
            out.append(n.Func("attribute_not_exists", (n.Path((name,)),)))
        elif value is None:
            state = "null" if exists is None else "true"
            raise ValidationException(_INVALID + f"Value must be provided when Exists is {state}" + where)
        else:
            out.append(n.Compare("=", n.Path((name,)), _literal(value)))
    return _join(out, operator)


def attribute_updates(spec: dict[str, Any], key_names: Collection[str]) -> tuple[n.Update, ...]:
    """AttributeUpdates ``{name: {Action, Value}}`` validated (each attribute in turn, as DynamoDB words it) and
    compiled into bound one-action update trees, in the request's order (see the module docstring)."""
    steps: list[n.Update] = []
    for name, action_spec in spec.items():
        if name in key_names:
            raise ValidationException(_INVALID + f"Cannot update attribute {name}. This attribute is part of the key")
        action = action_spec.get("Action", "PUT")
        value = action_spec.get("Value")
        if action not in ("PUT", "DELETE", "ADD"):
            raise ConstraintViolations(f"Value '{action}' at 'attributeUpdates.{name}.member.action' failed to "
                                       "satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]")
        if value is not None:
            value = attrs.canonical_item({name: value})[name]
        elif action != "DELETE":
            raise ValidationException(_INVALID + "Only DELETE action is allowed when no attribute value is specified")
        if action == "ADD" and next(iter(value)) not in ("N", "SS", "NS", "BS", "L"):
            raise ValidationException(_INVALID + f"ADD action is not supported for the type {next(iter(value))}")
        if action == "DELETE" and value is not None and next(iter(value)) not in ("SS", "NS", "BS"):
            raise ValidationException(_INVALID + "DELETE action with value is not supported for the type "
                                      + next(iter(value)))
        path = n.Path((name,))
        if action == "PUT":
            steps.append(n.Update(sets=(n.Set(path, n.Literal(value)),)))
        elif action == "ADD":
            steps.append(n.Update(adds=(n.Add(path, n.Literal(value)),)))
        elif value is None:
            steps.append(n.Update(removes=(n.Remove(path),)))
        else:
            steps.append(n.Update(deletes=(n.Delete(path, n.Literal(value)),)))
    return tuple(steps) or (n.Update(),)   # none: the key-only item, or the stored item as it is


def apply_attribute_updates(steps: tuple[n.Update, ...], key: Image, old: Image | None) -> Image | None:
    """The item after compiled AttributeUpdates ``steps``, each applied by updates.apply in turn. On a missing item,
    DELETE actions alone create nothing (None), as in DynamoDB; no actions at all create the key-only item."""
    item = old
    for step in steps:
        item = updates.apply(step, key, item, TYPE_MISMATCH)
    return item
