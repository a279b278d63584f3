"""The DynamoDB single-item operations: PutItem, GetItem, DeleteItem, UpdateItem — with condition, update and
projection expressions and their legacy twins (expressions.py binds them; the tables layer's ``expr`` package
evaluates them), AWS's validation and errors — and the mutation builders the batches (batch_api.py), the
transactions (transact_api.py), ``Store.batch`` and the processors' checkpoints share.

Every write becomes ``Mutation``s handed to the tables layer's one write path (one LMDB transaction each call): a
condition or an update is the mutation's ``apply``, so a refused condition writes nothing and records nothing.
Each of PutItem, DeleteItem and UpdateItem is a ``WritePlan`` (the table, the validated mutations' builder, the
response's builder), run now (``put_item`` ...) or committed later by the store's committer thread (``submit``).
Thread-safety: stateless between calls.
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

from logstore.errors import ItemKeyError, ValidationException
from logstore.codec import ItemParts
from logstore.tables import TableEngine, attrs
from logstore.tables.items import prepared_put, unpack_item
from logstore.tables.expr import legacy, nodes, projection, updates
from logstore.tables.writes import Finished, Mutation, Outcome, revalidated, revalidated_later

from .capacity import MODES as CAPACITY_MODES
from .capacity import Consumed
from .expressions import RequestExpressions, check_condition
from .validation import Checks, request_validation, table_name

INVALID = "One or more parameter values were invalid: "
PUT_RETURN_VALUES = ("NONE", "ALL_OLD")
UPDATE_RETURN_VALUES = ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW")
CONDITION_MEMBERS = (("ConditionExpression",), ("Expected", "ConditionalOperator"), ())
# every member RequestExpressions reads for a Put/DeleteItem's condition: with none of them it finds no condition
# and nothing to refuse, so _conditional skips building it
CONDITION_INPUTS = ("ConditionExpression", "Expected", "ConditionalOperator", "ExpressionAttributeNames",
                    "ExpressionAttributeValues")
UPDATE_MEMBERS = (("UpdateExpression", "ConditionExpression"), ("AttributeUpdates", "Expected", "ConditionalOperator"),
                  ())


def _common(checks: Checks, condition: bool = True) -> None:
    """Check the members every conditional item operation shares (their types are members.py's, checked before)."""
    checks.string("ReturnConsumedCapacity", enum=CAPACITY_MODES)
    if condition:
        checks.string("ConditionalOperator", enum=["AND", "OR"])
        checks.string("ReturnValuesOnConditionCheckFailure", enum=["ALL_OLD", "NONE"])
        checks.string("ReturnItemCollectionMetrics", enum=["SIZE", "NONE"])


class WritePlan(NamedTuple):
    """A validated single-item write: its table's name; ``build(tdef)``, the mutations validated against a
    definition of it; ``respond(tdef, outcomes)``, the response once they are committed."""

    table: str
    build: Callable[[Any], list[Mutation]]
    respond: Callable[[Any, list[Outcome]], dict]


def _on_fail(request: dict) -> bool:
    return request.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD"


class ItemsService:
    PLANS = {"PutItem": "put_plan", "DeleteItem": "delete_plan", "UpdateItem": "update_plan"}
    """The operations ``submit`` commits later, by AWS name: each one's plan builder."""

    def __init__(self, tables: TableEngine):
        self.tables = tables

    # -- helpers -------------------------------------------------------------------------------------------------

    def write(self, name: str, build):
        """Validate against the table's (cached) definition and write: ``build(tdef)`` validates and returns the
        mutations. If that fails and the table has since been replaced by another of the same name, once more
        against the new definition (``tables.writes.revalidated``). Returns (tdef, outcomes)."""
        cached = self.tables.schema(name)

        def attempt(fresh: bool):
            tdef = self.tables.schema(name, fresh=True) if fresh else cached
            return tdef, self.tables.writer.write(build(tdef))
        return revalidated(attempt, outdated=self._replaced(name, cached))

    def _replaced(self, name: str, cached) -> Callable[[], bool]:
        return lambda: self.tables.schema(name, fresh=True).table_no != cached.table_no

    def run(self, plan: WritePlan) -> dict:
        """A plan written now; its response."""
        return plan.respond(*self.write(plan.table, plan.build))

    def submit(self, plan: WritePlan, done: Finished[dict]) -> None:
        """``run`` committed by the store's committer thread: an unknown table raises here; the mutations are
        built (the item validated against the table's definition) on that thread, before its group's
        transaction begins, and ``done(response, None)`` or ``done(None, error)`` is called there once the
        commit returned (``Writer.submit``), re-validated as ``write`` does. Building there keeps the item's
        validation and encoding off the caller's thread: the server's event loop takes up the next request
        meanwhile."""
        cached = self.tables.schema(plan.table)

        def attempt(fresh: bool, finished) -> None:
            tdef = self.tables.schema(plan.table, fresh=True) if fresh else cached
            self.tables.writer.submit(lambda: plan.build(tdef), lambda outcomes, error: finished((tdef, outcomes),
                                                                                                  error))

        def answered(result, error) -> None:
            if error is not None:
                return done(None, error)
            try:
                response = plan.respond(*result)
            except BaseException as e:
                return done(None, e)
            done(response, None)
        revalidated_later(attempt, answered, outdated=self._replaced(plan.table, cached))

    def write_all(self, build, all_or_nothing: bool = False, token: tuple[str, bytes] | None = None):
        """Write ``build()``'s mutations (built from fresh table definitions); once more if a table was replaced
        between validation and the write."""
        return revalidated(lambda fresh: self.tables.writer.write(build(), all_or_nothing=all_or_nothing,
                                                                  token=token))

    def checked_key(self, tdef, key) -> dict:
        if not isinstance(key, dict):
            raise ItemKeyError(attrs.KEY_SCHEMA_MISMATCH)
        key = attrs.canonical_item(key)
        attrs.check_key(key, list(tdef.key_schema), exact=True)
        return key

    def checked_item(self, tdef, item) -> dict:
        return self.checked_item_sized(tdef, item)[0]

    def checked_item_sized(self, tdef, item) -> tuple[dict, int]:
        """The validated canonical item and its size (attrs.item_size)."""
        return self.checked_item_parts(tdef, item)[:2]

    def checked_item_parts(self, tdef, item) -> tuple[dict, int, ItemParts | None]:
        """The validated canonical item, its size (attrs.item_size) and, in the common case, its stored parts
        (tables.items.prepared_put: one C call for what ``_checked_in_python`` does)."""
        if not isinstance(item, dict):
            raise ValidationException(INVALID + "Item must be a map")
        parts = prepared_put(tdef, item)
        if parts is None:
            return self._checked_in_python(tdef, item) + (None,)
        new = unpack_item(parts.body)
        if has_index_keys(tdef):
            check_index_keys(tdef, new)
        return new, parts.size, parts

    @staticmethod
    def _checked_in_python(tdef, item: dict) -> tuple[dict, int]:
        item = attrs.canonical_item(item, key_names=tdef.key_names)
        attrs.check_key(item, list(tdef.key_schema), exact=False)
        size = attrs.check_item_size(item)
        if has_index_keys(tdef):
            check_index_keys(tdef, item)
        return item, size

    def put_mutation(self, tdef, item, condition=None, return_old: bool = False) -> Mutation:
        """A validated put of ``item`` into ``tdef``'s table (ValidationException if the item is invalid), refused
        with ConditionalCheckFailedException unless the bound ``condition`` holds for the stored item."""
        if not isinstance(item, dict):
            raise ValidationException(INVALID + "Item must be a map")
        parts = prepared_put(tdef, item)
        if parts is not None:   # the common case: ``apply`` hands the write path the prepared parts
            return self.prepared_mutation(tdef, parts, condition, return_old)
        new, size = self._checked_in_python(tdef, item)
        return Mutation(tdef.name, {k: new[k] for k in tdef.key_names}, _putting(new, condition, return_old),
                        table_no=tdef.table_no, sized=(new, size))

    @staticmethod
    def prepared_mutation(tdef, parts: ItemParts, condition=None, return_old: bool = False) -> Mutation:
        """put_mutation of an item given as its prepared parts (items.prepared_put took it)."""
        if has_index_keys(tdef):
            check_index_keys(tdef, unpack_item(parts.body))
        return Mutation(tdef.name, unpack_item(parts.keys), _putting(parts, condition, return_old),
                        table_no=tdef.table_no, parts=parts)

    def delete_mutation(self, tdef, key, condition=None, return_old: bool = False) -> Mutation:
        """A validated delete of the item with ``key`` from ``tdef``'s table (conditional as put_mutation)."""
        if condition is None:
            apply = lambda old: None  # noqa: E731
        else:
            def apply(old):
                check_condition(condition, old, return_old)
                return None
        return Mutation(tdef.name, self.checked_key(tdef, key), apply, table_no=tdef.table_no)

    def check_mutation(self, tdef, key, condition, return_old: bool = False) -> Mutation:
        """A ConditionCheck: refuses unless ``condition`` holds; changes nothing."""
        def apply(old):
            check_condition(condition, old, return_old)
            return old
        return Mutation(tdef.name, self.checked_key(tdef, key), apply, table_no=tdef.table_no)

    @staticmethod
    def parse_update(request: dict) -> tuple:
        """An update request's (bound UpdateExpression or None, bound condition or None): everything that can be
        checked before the table is consulted."""
        exprs = RequestExpressions(request, *UPDATE_MEMBERS)
        tree = exprs.bound("UpdateExpression")
        if tree is not None:
            updates.check_paths(tree)
        condition = exprs.condition()
        exprs.done()
        return tree, condition

    def update_mutation(self, tdef, key, update: tuple, request: dict) -> tuple[Mutation, list]:
        """A validated UpdateItem of ``key`` (``update`` from parse_update: the UpdateExpression, else the
        request's AttributeUpdates; and the condition), and the paths it updates (for ReturnValues UPDATED_*)."""
        k = self.checked_key(tdef, key)
        tree, condition = update
        return_old = _on_fail(request)
        if tree is not None:
            updates.check_keys(tree, tdef.key_names)
            self._check_index_key_sets(tdef, tree)
            changed = updates.action_paths(tree)
            change = lambda old: updates.apply(tree, k, old)  # noqa: E731
        else:
            raw = request.get("AttributeUpdates") or {}
            if not isinstance(raw, dict):
                raise ValidationException("AttributeUpdates must be a map")
            steps = legacy.attribute_updates(raw, tdef.key_names)
            changed = [(name,) for name in raw]
            change = lambda old: legacy.apply_attribute_updates(steps, k, old)  # noqa: E731

        def apply(old):
            check_condition(condition, old, return_old)
            new = change(old)
            if tdef.indexes and new != old:
                check_index_keys(tdef, new)
            return new
        return Mutation(tdef.name, k, apply, table_no=tdef.table_no, check_size=True), changed

    # -- items ---------------------------------------------------------------------------------------------------

    def _return_values(self, checks: Checks, allowed) -> str:
        value = checks.string("ReturnValues", enum=list(allowed)) or "NONE"
        return value

    @staticmethod
    def _check_index_key_sets(tdef, tree) -> None:
        """SET of a secondary index key attribute to an empty string or binary is refused up front."""
        if not tdef.indexes:
            return
        index_keys = {e["AttributeName"] for kind in ("lsi", "gsi") for ix in tdef.indexes.get(kind, [])
                      for e in ix["KeySchema"]}
        for action in tree.sets:
            value = action.value
            if len(action.path.parts) == 1 and action.path.parts[0] in index_keys and \
                    isinstance(value, nodes.Literal) and next(iter(value.value.values())) in ("", b""):
                kind = "string" if "S" in value.value else "binary"
                raise ValidationException("One or more parameter values are not valid. The update expression "
                                          "attempted to update a secondary index key to a value that is not "
                                          "supported. The AttributeValue for a key attribute cannot contain an "
                                          f"empty {kind} value.")

    def _conditional(self, request: dict) -> tuple:
        """(bound condition or None, whether to return the old item on failure) of a Put/DeleteItem request."""
        if all(request.get(m) is None for m in CONDITION_INPUTS):   # nothing to bind, nothing to refuse
            return None, _on_fail(request)
        exprs = RequestExpressions(request, *CONDITION_MEMBERS)
        condition = exprs.condition()
        exprs.done()
        return condition, _on_fail(request)

    def _put_return_values(self, checks: Checks) -> str:
        """PutItem/DeleteItem's ReturnValues: any of the enum is well-formed, only NONE and ALL_OLD allowed."""
        rv = self._return_values(checks, UPDATE_RETURN_VALUES)
        checks.done()
        if rv not in PUT_RETURN_VALUES:
            raise ValidationException("ReturnValues can only be ALL_OLD or NONE")
        return rv

    def _whole_item_plan(self, request: dict, member: str, mutation) -> WritePlan:
        """PutItem (``member`` Item) or DeleteItem (Key): ``mutation(self, tdef, value, condition, return_old)``."""
        with request_validation():
            checks = Checks(request)
            name = table_name(checks)
            value = checks.get(member, required=True)
            _common(checks)
            rv = self._put_return_values(checks)
            condition, return_old = self._conditional(request)

        def respond(tdef, outcomes: list[Outcome]) -> dict:
            [outcome] = outcomes
            consumed = Consumed(request.get("ReturnConsumedCapacity"))
            consumed.wrote(tdef, outcome)
            out = {"Attributes": outcome.old} if rv == "ALL_OLD" and outcome.old is not None else {}
            return consumed.one(out, tdef.name, request["TableName"])
        return WritePlan(name, lambda tdef: [mutation(self, tdef, value, condition, return_old)], respond)

    def put_plan(self, request: dict) -> WritePlan:
        return self._whole_item_plan(request, "Item", ItemsService.put_mutation)

    def put_item(self, request: dict) -> dict:
        return self.run(self.put_plan(request))

    def get_item(self, request: dict) -> dict:
        checks = Checks(request)
        name = table_name(checks)
        key = checks.get("Key", required=True)
        _common(checks, condition=False)
        checks.done()
        exprs = RequestExpressions(request, ("ProjectionExpression",), ("AttributesToGet",))
        wanted = exprs.projection()
        exprs.done()
        tdef = self.tables.get(name, item_level=True)
        item = self.tables.get_item(name, self.checked_key(tdef, key))
        consumed = Consumed(request.get("ReturnConsumedCapacity"))
        consumed.read(tdef.name, item, bool(request.get("ConsistentRead")))
        if item is not None and wanted is not None:
            item = projection.project(wanted, item)
        return consumed.one({"Item": item} if item is not None else {}, tdef.name, request["TableName"])

    def delete_plan(self, request: dict) -> WritePlan:
        return self._whole_item_plan(request, "Key", ItemsService.delete_mutation)

    def delete_item(self, request: dict) -> dict:
        return self.run(self.delete_plan(request))

    def update_plan(self, request: dict) -> WritePlan:
        with request_validation():
            checks = Checks(request)
            name = table_name(checks)
            key = checks.get("Key", required=True)
            rv = self._return_values(checks, UPDATE_RETURN_VALUES)
            _common(checks)
            checks.done()
            update = self.parse_update(request)
        changed: list = []

        def build(tdef):
            mutation, paths = self.update_mutation(tdef, key, update, request)
            changed[:] = paths
            return [mutation]

        def respond(tdef, outcomes: list[Outcome]) -> dict:
            [outcome] = outcomes
            consumed = Consumed(request.get("ReturnConsumedCapacity"))
            consumed.wrote(tdef, outcome)
            return consumed.one(update_return(rv, outcome.old, outcome.new, changed), tdef.name,
                               request["TableName"])
        return WritePlan(name, build, respond)

    def update_item(self, request: dict) -> dict:
        return self.run(self.update_plan(request))


def _putting(result, condition, return_old: bool):
    """A put's ``apply``: ``result`` (the item, or a prepared put's ItemParts) once the bound ``condition``, if
    any, holds for the stored item."""
    if condition is None:
        return lambda old: result   # the hot path: no closure over a condition
    def apply(old):
        check_condition(condition, old, return_old)
        return result
    return apply


def has_index_keys(tdef) -> bool:
    """Whether the table has a secondary index, whose key attributes ``check_index_keys`` checks."""
    return bool(tdef.indexes and (tdef.indexes.get("gsi") or tdef.indexes.get("lsi")))


def check_index_keys(tdef, item: dict) -> None:
    """An item's secondary-index key attributes, where present, must have the defined type and not be empty."""
    types = dict(tdef.attribute_definitions)
    for kind in ("gsi", "lsi"):  # AWS names a global index first when several index one attribute
        for ix in tdef.indexes.get(kind, []):
            for element in ix["KeySchema"]:
                name = element["AttributeName"]
                av = item.get(name)
                if av is None or name in tdef.key_names:
                    continue
                actual = next(iter(av))
                if actual != types[name]:
                    raise ItemKeyError(INVALID + f"Type mismatch for Index Key {name} Expected: {types[name]} "
                                              f"Actual: {actual} IndexName: {ix['IndexName']}")
                if av[actual] in ("", b""):
                    raise ValidationException("One or more parameter values are not valid. A value specified for a "
                                              "secondary index key is not supported. The AttributeValue for a key "
                                              "attribute cannot contain an empty "
                                              f"{'string' if actual == 'S' else 'binary'} value. IndexName: "
                                              f"{ix['IndexName']}, IndexKey: {name}")


def update_return(rv: str, old: dict | None, new: dict | None, changed: list[tuple]) -> dict:
    """An UpdateItem's ``Attributes`` for ReturnValues ``rv``; UPDATED_* project the updated paths."""
    if rv == "NONE":
        return {}
    if rv == "ALL_OLD":
        return {"Attributes": old} if old else {}
    if rv == "ALL_NEW":
        return {"Attributes": new} if new else {}
    picked = projection.project(changed, old if rv == "UPDATED_OLD" else new)
    return {"Attributes": picked} if picked else {}
