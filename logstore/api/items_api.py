"""The DynamoDB item operations: PutItem, GetItem, DeleteItem, UpdateItem, BatchWriteItem, BatchGetItem,
TransactWriteItems, TransactGetItems — with condition, update and projection expressions and their legacy twins
(expressions.py binds them; the tables layer's ``expr`` package evaluates them), AWS's validation and errors.

Every write becomes ``Mutation``s handed to the tables layer's one write path (one LMDB transaction each call): a
condition or an update is the mutation's ``apply``, so a refused condition writes nothing and records nothing.
Thread-safety: stateless (ClientRequestTokens are stored in the store: tables/tokens.py); safe to share.
"""
from __future__ import annotations

import base64
import decimal
import json
import re

from logstore.errors import (AwsError, ResourceNotFoundException,
                             TransactionCanceledException, ValidationException)
from logstore.tables import TableEngine, attrs, tokens
from logstore.tables.expr import nodes, projection, updates
from logstore.tables.writes import Cancelled, Mutation, StaleTable

from .expressions import RequestExpressions, check_condition
from .validation import TABLE_NAME_PATTERN, Checks, request_validation, table_name

INVALID = "One or more parameter values were invalid: "
PUT_RETURN_VALUES = ("NONE", "ALL_OLD")
UPDATE_RETURN_VALUES = ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW")


TRANSACT_OPERATIONS = ("Put", "Update", "Delete", "ConditionCheck")
CANCELLING = (attrs.KEY_SCHEMA_MISMATCH, INVALID + "Type mismatch for key ", INVALID + "Type mismatch for Index Key ")
"""Item validation failures that TransactWriteItems reports per action (a ValidationError CancellationReason)
rather than for the whole request, as AWS does."""
CONDITION_MEMBERS = (("ConditionExpression",), ("Expected", "ConditionalOperator"), ())
UPDATE_MEMBERS = (("UpdateExpression", "ConditionExpression"), ("AttributeUpdates", "Expected", "ConditionalOperator"),
                  ())


def _common(checks: Checks, condition: bool = True) -> None:
    """Type-check the members every conditional item operation shares."""
    checks.get("ExpressionAttributeNames", dict)
    checks.get("ExpressionAttributeValues", dict)
    checks.string("ReturnConsumedCapacity", enum=["INDEXES", "TOTAL", "NONE"])
    if condition:
        checks.get("ConditionExpression", str)
        checks.get("Expected", dict)
        checks.string("ConditionalOperator", enum=["AND", "OR"])
        checks.string("ReturnValuesOnConditionCheckFailure", enum=["ALL_OLD", "NONE"])
        checks.string("ReturnItemCollectionMetrics", enum=["SIZE", "NONE"])


def _never(old):
    raise AssertionError("a refused mutation is never applied")


def _on_fail(request: dict) -> bool:
    return request.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD"


class ItemsService:
    def __init__(self, tables: TableEngine):
        self.tables = tables

    # -- helpers -------------------------------------------------------------------------------------------------

    def _write(self, name: str, build):
        """Validate against the table's (cached) definition and write: ``build(tdef)`` validates and returns the
        mutations. If that fails and the table has since been replaced by another of the same name, once more
        against the new definition. Returns (tdef, outcomes)."""
        tdef = self.tables.schema(name)
        try:
            return tdef, self.tables.writer.write(build(tdef))
        except (StaleTable, ResourceNotFoundException, ValidationException):
            fresh = self.tables.schema(name, fresh=True)
            if fresh.table_no == tdef.table_no:
                raise
            return fresh, self.tables.writer.write(build(fresh))

    def _write_all(self, build, all_or_nothing: bool = False, token: tuple[str, bytes] | None = None):
        """Write ``build()``'s mutations (built from fresh table definitions); once more if a table was replaced
        between validation and the write."""
        try:
            return self.tables.writer.write(build(), all_or_nothing=all_or_nothing, token=token)
        except StaleTable:
            return self.tables.writer.write(build(), all_or_nothing=all_or_nothing, token=token)

    def _key(self, tdef, key) -> dict:
        if not isinstance(key, dict):
            raise ValidationException("The provided key element does not match the schema")
        key = attrs.canonical_item(key)
        attrs.check_key(key, list(tdef.key_schema), exact=True)
        return key

    def _item(self, tdef, item) -> dict:
        if not isinstance(item, dict):
            raise ValidationException(INVALID + "Item must be a map")
        item = attrs.canonical_item(item, key_names=tdef.key_names)
        attrs.check_key(item, list(tdef.key_schema), exact=False)
        attrs.check_item_size(item)
        if tdef.indexes:
            check_index_keys(tdef, item)
        return item

    def put_mutation(self, tdef, item, condition=None, return_old: bool = False) -> Mutation:
        """A validated put of ``item`` into ``tdef``'s table (ValidationException if the item is invalid), refused
        with ConditionalCheckFailedException unless the bound ``condition`` holds for the stored item."""
        new = self._item(tdef, item)
        if condition is None:
            apply = lambda old: new  # noqa: E731 - the hot path: no closure over a condition
        else:
            def apply(old):
                check_condition(condition, old, return_old)
                return new
        return Mutation(tdef.name, {k: new[k] for k in tdef.key_names}, apply, table_no=tdef.table_no)

    def delete_mutation(self, tdef, key, condition=None, return_old: bool = False) -> Mutation:
        """A validated delete of the item with ``key`` from ``tdef``'s table (conditional as put_mutation)."""
        if condition is None:
            apply = lambda old: None  # noqa: E731
        else:
            def apply(old):
                check_condition(condition, old, return_old)
                return None
        return Mutation(tdef.name, self._key(tdef, key), apply, table_no=tdef.table_no)

    def check_mutation(self, tdef, key, condition, return_old: bool = False) -> Mutation:
        """A ConditionCheck: refuses unless ``condition`` holds; changes nothing."""
        def apply(old):
            check_condition(condition, old, return_old)
            return old
        return Mutation(tdef.name, self._key(tdef, key), apply, table_no=tdef.table_no)

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
        k = self._key(tdef, key)
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
            actions = attribute_updates(raw, tdef.key_names)
            changed = [(name,) for name in actions]
            change = lambda old: apply_attribute_updates(old, k, actions)  # noqa: E731

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

    def _whole_item_write(self, request: dict, member: str, mutation) -> dict:
        """PutItem (``member`` Item) or DeleteItem (Key): ``mutation(self, tdef, value, condition, return_old)``."""
        with request_validation():
            checks = Checks(request)
            name = table_name(checks)
            value = checks.get(member, dict, required=True)
            _common(checks)
            rv = self._put_return_values(checks)
            condition, return_old = self._conditional(request)
        _, [outcome] = self._write(name, lambda tdef: [mutation(self, tdef, value, condition, return_old)])
        return {"Attributes": outcome.old} if rv == "ALL_OLD" and outcome.old is not None else {}

    def put_item(self, request: dict) -> dict:
        return self._whole_item_write(request, "Item", ItemsService.put_mutation)

    def get_item(self, request: dict) -> dict:
        checks = Checks(request)
        name = table_name(checks)
        key = checks.get("Key", dict, required=True)
        checks.get("ConsistentRead", bool)
        checks.get("ProjectionExpression", str)
        checks.get("AttributesToGet", list)
        _common(checks, condition=False)
        checks.done()
        exprs = RequestExpressions(request, ("ProjectionExpression",), ("AttributesToGet",))
        wanted = exprs.projection()
        exprs.done()
        tdef = self.tables.get(name, item_level=True)
        item = self.tables.get_item(name, self._key(tdef, key))
        if item is not None and wanted is not None:
            item = projection.project(wanted, item)
        return {"Item": item} if item is not None else {}

    def delete_item(self, request: dict) -> dict:
        return self._whole_item_write(request, "Key", ItemsService.delete_mutation)

    def update_item(self, request: dict) -> dict:
        with request_validation():
            checks = Checks(request)
            name = table_name(checks)
            key = checks.get("Key", dict, required=True)
            checks.get("AttributeUpdates", dict)
            checks.get("UpdateExpression", str)
            rv = self._return_values(checks, UPDATE_RETURN_VALUES)
            _common(checks)
            checks.done()
            update = self.parse_update(request)
        changed: list = []

        def build(tdef):
            mutation, paths = self.update_mutation(tdef, key, update, request)
            changed[:] = paths
            return [mutation]
        _, [outcome] = self._write(name, build)
        return update_return(rv, outcome.old, outcome.new, changed)

    def batch_write_item(self, request: dict) -> dict:
        checks = Checks(request)
        requests = checks.get("RequestItems", dict, required=True)
        checks.done()
        total = sum(len(v) if isinstance(v, list) else 0 for v in requests.values())
        if not 1 <= total <= 25:
            raise ValidationException("1 validation error detected: Value at 'requestItems' failed to satisfy "
                                      "constraint: Map value must satisfy constraint: [Member must have length "
                                      "less than or equal to 25, Member must have length greater than or equal "
                                      "to 1]")
        self._write_all(lambda: self._batch_mutations(requests))
        return {"UnprocessedItems": {}}

    def _batch_mutations(self, requests: dict) -> list[Mutation]:
        mutations, seen = [], set()
        for name, entries in requests.items():
            tdef = self.tables.get(name, item_level=True)
            for entry in entries:
                if not isinstance(entry, dict) or len(entry) != 1:
                    raise ValidationException("Supplied AttributeValue has more than one datatypes set, must "
                                              "contain exactly one of the supported datatypes")
                if "PutRequest" in entry:
                    mutation = self.put_mutation(tdef, entry["PutRequest"].get("Item"))
                elif "DeleteRequest" in entry:
                    mutation = self.delete_mutation(tdef, entry["DeleteRequest"].get("Key"))
                else:
                    raise ValidationException("Invalid request: neither PutRequest nor DeleteRequest")
                mutations.append(mutation)
                ident = (name, repr(sorted(mutation.key.items())))
                if ident in seen:
                    raise ValidationException("Provided list of item keys contains duplicates")
                seen.add(ident)
        return mutations

    def batch_get_item(self, request: dict) -> dict:
        checks = Checks(request)
        requests = checks.get("RequestItems", dict, required=True)
        checks.done()
        if not requests:
            raise ValidationException("1 validation error detected: Value at 'RequestItems' failed to satisfy "
                                      "constraint: Member must have length greater than or equal to 1")
        bad_names = [n for n in requests if not (3 <= len(n) <= 255 and re.fullmatch(TABLE_NAME_PATTERN, n))]
        if bad_names:
            echo = json.dumps(requests, separators=(",", ":"), default=lambda b: base64.b64encode(b).decode())
            raise ValidationException(f"1 validation error detected: Value '{echo}' at 'requestItems' failed to "
                                      "satisfy constraint: Map keys must satisfy constraint: [Member must have length "
                                      "less than or equal to 255, Member must have length greater than or equal to "
                                      f"3, Member must satisfy regular expression pattern: {TABLE_NAME_PATTERN}]")
        styles = set()
        for name, spec in requests.items():
            keys = spec.get("Keys") if isinstance(spec, dict) else None
            if not isinstance(keys, list) or not 1 <= len(keys) <= 100:
                bound = "less than or equal to 100" if isinstance(keys, list) and keys else \
                    "greater than or equal to 1"
                raise ValidationException(f"1 validation error detected: Value at 'RequestItems.{name}.member.Keys' "
                                          f"failed to satisfy constraint: Member must have length {bound}")
            styles.update(m for m in ("ProjectionExpression", "AttributesToGet") if spec.get(m) is not None)
        if len(styles) > 1:
            raise ValidationException("Can not use both expression and non-expression parameters in the same "
                                      "request: Non-expression parameters: {AttributesToGet} Expression parameters: "
                                      "{ProjectionExpression}")
        if sum(len(spec["Keys"]) for spec in requests.values()) > 100:
            raise ValidationException("Too many items requested for the BatchGetItem call")
        out = {}
        for name, spec in requests.items():
            tdef = self.tables.get(name, item_level=True)
            keys = [self._key(tdef, k) for k in spec["Keys"]]
            if len({repr(sorted(k.items())) for k in keys}) != len(keys):
                raise ValidationException("Provided list of item keys contains duplicates")
            exprs = RequestExpressions(spec, ("ProjectionExpression",), ("AttributesToGet",))
            wanted = exprs.projection()
            exprs.done()
            found = []
            for key in keys:
                item = self.tables.get_item(name, key)
                if item is not None:
                    found.append(projection.project(wanted, item) if wanted is not None else item)
            out[name] = found
        return {"Responses": out, "UnprocessedKeys": {}}

    def transact_write_items(self, request: dict) -> dict:
        checks = Checks(request)
        entries = checks.get("TransactItems", list, required=True)
        token = checks.string("ClientRequestToken", min_len=1, max_len=36)
        checks.string("ReturnConsumedCapacity", enum=["INDEXES", "TOTAL", "NONE"])
        checks.string("ReturnItemCollectionMetrics", enum=["SIZE", "NONE"])
        checks.done()
        if not entries:
            raise ValidationException("1 validation error detected: Value '[]' at 'transactItems' failed to satisfy "
                                      "constraint: Member must have length greater than or equal to 1")
        if len(entries) > 100:
            raise ValidationException("1 validation error detected: Value at 'TransactItems' failed to satisfy "
                                      "constraint: Member must have length less than or equal to 100")
        actions = [self._transact_action(i, entry) for i, entry in enumerate(entries, start=1)]
        once = (token, tokens.digest(request)) if token is not None else None
        try:
            self._write_all(lambda: self._transact_mutations(actions), all_or_nothing=True, token=once)
        except Cancelled as e:
            raise _cancelled(e.reasons) from None
        return {}

    @staticmethod
    def _transact_action(position: int, entry) -> tuple:
        """Check one TransactItems entry as far as it can be without its table: (operation, body, table name,
        parsed expressions)."""
        if not isinstance(entry, dict) or len(entry) != 1 or next(iter(entry)) not in TRANSACT_OPERATIONS:
            raise ValidationException("1 validation error detected: Value '' at 'transactItems' failed to satisfy "
                                      "constraint: TransactWriteRequest should contain Delete or Put or Update or "
                                      "ConditionCheck")
        (op, body), = entry.items()
        checks = Checks(body, f"transactItems.{position}.member.{op[0].lower() + op[1:]}.")
        name = table_name(checks)
        _common(checks)
        checks.done()
        if op == "Update":
            if body.get("UpdateExpression") is None:
                raise ValidationException(f"1 validation error detected: Value null at 'transactItems.{position}."
                                          "member.update.updateExpression' failed to satisfy constraint: Member "
                                          "must not be null")
            return op, body, name, ItemsService.parse_update(body)
        if op == "ConditionCheck" and body.get("ConditionExpression") is None:
            raise ValidationException(f"1 validation error detected: Value null at 'transactItems.{position}.member."
                                      "conditionCheck.conditionExpression' failed to satisfy constraint: Member must "
                                      "not be null")
        exprs = RequestExpressions(body, *CONDITION_MEMBERS)
        condition = exprs.condition()
        exprs.done()
        return op, body, name, condition

    def _transact_mutations(self, actions: list[tuple]) -> list[Mutation]:
        mutations, seen = [], set()
        for op, body, name, parsed in actions:
            tdef = self.tables.get(name, item_level=True)
            return_old = _on_fail(body)
            try:
                if op == "Update":
                    mutation, _ = self.update_mutation(tdef, body.get("Key"), parsed, body)
                elif op == "Put":
                    mutation = self.put_mutation(tdef, body.get("Item"), parsed, return_old)
                elif op == "Delete":
                    mutation = self.delete_mutation(tdef, body.get("Key"), parsed, return_old)
                else:
                    mutation = self.check_mutation(tdef, body.get("Key"), parsed, return_old)
            except ValidationException as e:
                if not e.message.startswith(CANCELLING):
                    raise
                mutations.append(Mutation(name, {}, _never, table_no=tdef.table_no, refused=e))
                continue
            mutations.append(mutation)
            ident = (name, repr(sorted(mutation.key.items())))
            if ident in seen:
                raise ValidationException("Transaction request cannot include multiple operations on one item")
            seen.add(ident)
        return mutations

    def transact_get_items(self, request: dict) -> dict:
        checks = Checks(request)
        entries = checks.get("TransactItems", list, required=True)
        checks.done()
        if not 1 <= len(entries) <= 100:
            raise ValidationException("1 validation error detected: Value at 'transactItems' failed to satisfy "
                                      "constraint: Member must have length less than or equal to 100")
        out = []
        with self.tables.env.begin_read() as txn:
            for i, entry in enumerate(entries, 1):
                body = entry.get("Get") if isinstance(entry, dict) else None
                if not isinstance(body, dict):
                    raise ValidationException("TransactItems can only contain Get")
                sub = Checks(body)
                name = table_name(sub)
                sub.errors = [e.replace("at '", f"at 'transactItems.{i}.member.get.", 1) for e in sub.errors]
                sub.done()
                tdef = self.tables.catalog.get(txn, name)
                if tdef is None:
                    raise ResourceNotFoundException("Requested resource not found")
                exprs = RequestExpressions(body, ("ProjectionExpression",), ())
                wanted = exprs.projection()
                exprs.done()
                item = self.tables.get_item(name, self._key(tdef, body.get("Key")), txn)
                if item is not None and wanted is not None:
                    item = projection.project(wanted, item)
                out.append({"Item": item} if item is not None else {})
        return {"Responses": out}


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
                    raise ValidationException(INVALID + f"Type mismatch for Index Key {name} Expected: {types[name]} "
                                              f"Actual: {actual} IndexName: {ix['IndexName']}")
                if av[actual] in ("", b""):
                    raise ValidationException("One or more parameter values are not valid. A value specified for a "
                                              "secondary index key is not supported. The AttributeValue for a key "
                                              "attribute cannot contain an empty "
                                              f"{'string' if actual == 'S' else 'binary'} value. IndexName: "
                                              f"{ix['IndexName']}, IndexKey: {name}")


# -- AttributeUpdates (the legacy update parameter) -----------------------------------------------------------


def attribute_updates(updates: dict, key_names) -> dict:
    """Validate AttributeUpdates into {name: (action, canonical value or None)}."""
    actions = {}
    for name, spec in updates.items():
        if name in key_names:
            raise ValidationException(f"One or more parameter values were invalid: Cannot update attribute "
                                      f"{name}. This attribute is part of the key")
        action = spec.get("Action", "PUT")
        value = spec.get("Value")
        if action not in ("PUT", "DELETE", "ADD"):
            raise ValidationException(f"1 validation error detected: Value '{action}' at "
                                      f"'attributeUpdates.{name}.member.action' failed to satisfy constraint: "
                                      "Member must satisfy enum value set: [ADD, PUT, DELETE]")
        if value is not None:
            value = attrs.canonical_item({name: value})[name]
        elif action != "DELETE":
            raise ValidationException("One or more parameter values were invalid: Only DELETE action is allowed "
                                      "when no attribute value is specified")
        if action == "ADD" and next(iter(value)) not in ("N", "SS", "NS", "BS"):
            raise ValidationException("One or more parameter values were invalid: ADD action is not supported "
                                      f"for the type {next(iter(value))}")
        if action == "DELETE" and value is not None and next(iter(value)) not in ("SS", "NS", "BS"):
            raise ValidationException("One or more parameter values were invalid: DELETE action with value is not "
                                      "supported for the type " + next(iter(value)))
        actions[name] = (action, value)
    return actions


def apply_attribute_updates(old: dict | None, key: dict, actions: dict) -> dict:
    item = dict(old) if old is not None else dict(key)
    for name, (action, value) in actions.items():
        current = item.get(name)
        if action == "PUT":
            item[name] = value
        elif action == "DELETE":
            if value is None:
                item.pop(name, None)
            elif current is not None:
                (t, members), = value.items()
                if t not in current:
                    raise ValidationException("Type mismatch for attribute to update")
                left = [m for m in current[t] if m not in members]
                if left:
                    item[name] = {t: left}
                else:
                    item.pop(name)
        else:  # ADD
            (t, v), = value.items()
            if current is None:
                item[name] = value
            elif t not in current:
                raise ValidationException("Type mismatch for attribute to update")
            elif t == "N":
                item[name] = {"N": _add_numbers(current["N"], v)}
            else:
                item[name] = attrs.canonical_item({name: {t: current[t] + [m for m in v if m not in current[t]]}})[
                    name]
    return item


def _add_numbers(a: str, b: str) -> str:
    """Exact sum (DynamoDB's ADD is exact to 38 digits; canonical_number refuses more)."""
    return attrs.canonical_number(str(decimal.Context(prec=300).add(decimal.Decimal(a), decimal.Decimal(b))))


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


def _cancelled(reasons: list[AwsError | None]) -> TransactionCanceledException:
    """TransactionCanceledException with one CancellationReason per item, as AWS reports them."""
    out = []
    for r in reasons:
        if r is None:
            out.append({"Code": "None"})
            continue
        code = r.code().removesuffix("Exception")
        code = "ValidationError" if code == "Validation" else code
        reason = {"Code": code, "Message": r.message}
        if "Item" in r.details:
            reason["Item"] = r.details["Item"]
        out.append(reason)
    return TransactionCanceledException("Transaction cancelled, please refer cancellation reasons for specific "
                                        "reasons [" + ", ".join(x["Code"] for x in out) + "]",
                                        details={"CancellationReasons": out})
