"""One request's expressions, from AWS member names to the bound trees the tables layer evaluates.

``RequestExpressions(request, expression_members, legacy_members)`` applies DynamoDB's request-level rules:
expression and legacy parameters are not mixed (``Can not use both expression and non-expression parameters in
the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}``);
ExpressionAttributeNames/Values only come with an expression; then ``condition`` / ``update`` / ``projection``
give each bound tree (from the expression, else from its legacy twin), and ``done`` reports names or values no
expression used.

Also the helpers that turn a failed condition into AWS's errors. Pure; one per request, on one thread.
"""
from __future__ import annotations

from logstore.errors import (ConditionalCheckFailedException, ConstraintViolations, ValidationException)
from logstore.tables import attrs
from logstore.tables.expr import Binder, conditions, legacy, nodes, projection

def _null_list(names: list[str]) -> str:
    if len(names) == 1:
        return f"{names[0]} is null"
    return ", ".join(names[:-1]) + f" and {names[-1]} are null"


class RequestExpressions:
    def __init__(self, request: dict, expression_members: tuple[str, ...], legacy_members: tuple[str, ...],
                 value_members: tuple[str, ...] | None = None):
        """``expression_members`` and ``legacy_members`` in the order AWS lists them when they are mixed;
        ``value_members``: the expressions that can use values, in the order AWS names them when values come
        without any (default: every expression member but ProjectionExpression; empty: the message names none,
        as AWS's item writes say it)."""
        self.request = request
        present = [m for m in expression_members if request.get(m) is not None]
        old = [m for m in legacy_members if request.get(m) is not None]
        if present and old:
            raise ValidationException("Can not use both expression and non-expression parameters in the same "
                                      "request: Non-expression parameters: {" + ", ".join(old) + "} Expression "
                                      "parameters: {" + ", ".join(present) + "}")
        if request.get("ConditionalOperator") is not None and "ConditionalOperator" in legacy_members:
            spec = next((request[m] for m in ("Expected", "QueryFilter", "ScanFilter")
                         if m in legacy_members and request.get(m) is not None), None)
            if not spec:
                raise ValidationException("ConditionalOperator cannot be used without Filter or Expected")
            if isinstance(spec, dict) and len(spec) < 2:
                raise ValidationException("ConditionalOperator can only be used when Filter or Expected has two or "
                                          "more elements")
        names, values = request.get("ExpressionAttributeNames"), request.get("ExpressionAttributeValues")
        if names is not None and not present:
            raise ValidationException("ExpressionAttributeNames can only be specified when using expressions")
        if value_members is None:
            value_members = tuple(m for m in expression_members if m != "ProjectionExpression")
        if values is not None and not any(request.get(m) is not None for m in value_members or expression_members):
            raise ValidationException("ExpressionAttributeValues can only be specified when using expressions"
                                      + (": " + _null_list(list(value_members)) if value_members else ""))
        self.binder = Binder(names, values)

    def bound(self, member: str):
        text = self.request.get(member)
        return self.binder.bind(member, text) if text is not None else None

    def condition(self, member: str = "ConditionExpression", operator_member: str = "ConditionalOperator"):
        """The bound condition of ``member``, else of its legacy twin (Expected / QueryFilter / ScanFilter /
        KeyConditions), else None."""
        tree = self.bound(member)
        if tree is not None:
            return tree
        twin = {"ConditionExpression": "Expected", "KeyConditionExpression": "KeyConditions"}.get(member)
        if member == "FilterExpression":
            twin = "QueryFilter" if "QueryFilter" in self.request else "ScanFilter"
        spec = self.request.get(twin) if twin else None
        if spec is None:
            return None
        if twin == "Expected":
            return legacy.expected(spec, self.request.get(operator_member))
        if twin == "KeyConditions":
            return legacy.conditions(spec, None, key_conditions=True)
        return legacy.conditions(spec, self.request.get(operator_member))

    def projection(self) -> list[tuple] | None:
        """The paths to project (ProjectionExpression, else AttributesToGet), or None for whole items."""
        tree = self.bound("ProjectionExpression")
        if tree is not None:
            found = [p.parts for p in tree.paths]
            projection.check(found)
            return found
        names = self.request.get("AttributesToGet")
        if names is None:
            return None
        if not names:
            raise ConstraintViolations("Value '[]' at 'attributesToGet' failed to "
                                      "satisfy constraint: Member must have length greater than or equal to 1")
        for name in names:
            if not name:
                raise ValidationException(attrs.EMPTY_NAME)
            if len(name) > attrs.MAX_NAME_BYTES // 4:
                attrs.check_name_size(name)
        if len(set(names)) != len(names):
            raise ValidationException("One or more parameter values were invalid: Duplicate value in attribute "
                                      "name: " + next(x for x in names if names.count(x) > 1))
        return [(x,) for x in names]

    def done(self) -> None:
        self.binder.check_unused()


def check_condition(condition, old: dict | None, return_old: bool) -> None:
    """Raise ConditionalCheckFailedException unless ``condition`` holds for ``old`` (with the item when the
    request asked for ReturnValuesOnConditionCheckFailure ALL_OLD)."""
    if condition is not None and not conditions.evaluate(condition, old):
        details = {"Item": old} if return_old and old is not None else None
        raise ConditionalCheckFailedException(details=details)


def condition_paths(tree) -> list[tuple]:
    """Every document path a bound condition reads."""
    found: list[tuple] = []

    def walk(node):
        if isinstance(node, nodes.Path):
            found.append(node.parts)
        elif isinstance(node, (nodes.And, nodes.Or)):
            walk(node.left)
            walk(node.right)
        elif isinstance(node, nodes.Not):
            walk(node.operand)
        elif isinstance(node, nodes.Compare):
            walk(node.left)
            walk(node.right)
        elif isinstance(node, nodes.Between):
            for x in (node.operand, node.low, node.high):
                walk(x)
        elif isinstance(node, nodes.In):
            for x in (node.operand,) + node.choices:
                walk(x)
        elif isinstance(node, nodes.Func):
            for x in node.args:
                walk(x)
    walk(tree)
    return found
