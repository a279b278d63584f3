"""The DynamoDB table and item operations a streams backend's users need, with AWS's validation and errors:
CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable, UpdateTimeToLive, DescribeTimeToLive, PutItem,
GetItem, DeleteItem, UpdateItem, BatchWriteItem, BatchGetItem, TransactWriteItems, TransactGetItems — with
condition, update and projection expressions and their legacy twins (expressions.py binds them; the tables
layer's ``expr`` package evaluates them). Query and Scan live in reads_api.py.

Every write becomes ``Mutation``s handed to the tables layer's one write path (one LMDB transaction each call).
Thread-safety: stateless between calls.
"""
from __future__ import annotations

import base64
import decimal
import hashlib
import json
import re
import threading

from logstore.errors import (AwsError, IdempotentParameterMismatchException, ResourceNotFoundException,
                             SerializationException, TransactionCanceledException, ValidationException)
from logstore.stream import VIEW_TYPES
from logstore.tables import TableEngine, attrs
from logstore.tables.expr import nodes, projection, updates
from logstore.tables.writes import Cancelled, Mutation, StaleTable

from . import render
from .expressions import RequestExpressions, check_condition
from .validation import TABLE_NAME_PATTERN, Checks, request_validation, table_name

KEY_TYPES = ("S", "N", "B")
BILLING_MODES = ("PROVISIONED", "PAY_PER_REQUEST")
PUT_RETURN_VALUES = ("NONE", "ALL_OLD")
UPDATE_RETURN_VALUES = ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW")
INVALID = "One or more parameter values were invalid: "


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


class ClientTokens:
    """TransactWriteItems' ClientRequestToken: a token seen again within 10 minutes with the same request makes the
    call a no-op that succeeds; with another request it is IdempotentParameterMismatchException. Kept in memory (a
    restart forgets tokens: docs/streams-compat.md). Thread-safe."""

    WINDOW_MS = 10 * 60 * 1000

    def __init__(self):
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[str, int]] = {}

    @staticmethod
    def _digest(request: dict) -> str:
        return hashlib.sha256(repr(sorted((k, repr(v)) for k, v in request.items()
                                          if k != "ClientRequestToken")).encode()).hexdigest()

    def done_before(self, token: str, request: dict, now_ms: int) -> bool:
        """Whether this request already succeeded under ``token`` (IdempotentParameterMismatchException if the
        token came with another request)."""
        with self._lock:
            for old in [t for t, (_, at) in self._seen.items() if now_ms - at > self.WINDOW_MS]:
                del self._seen[old]
            previous = self._seen.get(token)
        if previous is None:
            return False
        if previous[0] != self._digest(request):
            raise IdempotentParameterMismatchException("The request uses the same client token as a previous, "
                                                       "but non-identical request.")
        return True

    def remember(self, token: str, request: dict, now_ms: int) -> None:
        with self._lock:
            self._seen[token] = (self._digest(request), now_ms)


def _on_fail(request: dict) -> bool:
    return request.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD"


class TablesService:
    def __init__(self, tables: TableEngine, region: str, account: str):
        self.tables = tables
        self.region = region
        self.account = account
        self._tokens = ClientTokens()

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

    def _write_all(self, build, all_or_nothing: bool = False):
        """Write ``build()``'s mutations (built from fresh table definitions); once more if a table was replaced
        between validation and the write."""
        try:
            return self.tables.writer.write(build(), all_or_nothing=all_or_nothing)
        except StaleTable:
            return self.tables.writer.write(build(), all_or_nothing=all_or_nothing)

    def _describe(self, tdef, status="ACTIVE") -> dict:
        count, size = self.tables.stats(tdef)
        return render.table(tdef, self.region, self.account, self.tables.stream_of(tdef), count, size, status)

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

    @staticmethod
    def _stream_spec(spec) -> tuple[bool, str | None] | None:
        if spec is None:
            return None
        checks = Checks(spec)
        enabled = checks.get("StreamEnabled", bool, required=True)
        view_type = checks.string("StreamViewType", enum=list(VIEW_TYPES))
        checks.done()
        if enabled and view_type is None:
            raise ValidationException(INVALID + "If stream is being enabled then UpdateViewType is required")
        if not enabled and view_type is not None:
            raise ValidationException(INVALID + "If stream is being disabled, then UpdateViewType must not be "
                                      "specified")
        return enabled, view_type

    @staticmethod
    def _throughput(checks: Checks, billing: str | None, required: bool) -> tuple[str, int, int]:
        pt = checks.get("ProvisionedThroughput", dict)
        mode = billing or "PROVISIONED"
        if mode == "PAY_PER_REQUEST":
            if pt is not None:
                raise ValidationException(INVALID + "Neither ReadCapacityUnits nor WriteCapacityUnits can be "
                                          "specified when BillingMode is PAY_PER_REQUEST")
            return mode, 0, 0
        if pt is None:
            if required:
                raise ValidationException("No provisioned throughput specified for the table")
            return mode, 0, 0
        sub = Checks(pt)
        rcu = sub.integer("ReadCapacityUnits", required=True, min_value=1)
        wcu = sub.integer("WriteCapacityUnits", required=True, min_value=1)
        sub.done()
        return mode, rcu, wcu

    # -- tables --------------------------------------------------------------------------------------------------

    def create_table(self, request: dict) -> dict:
        checks = Checks(request)
        name = table_name(checks)
        schema = checks.get("KeySchema", list, required=True)
        definitions = checks.get("AttributeDefinitions", list, required=True)
        billing = checks.string("BillingMode", enum=list(BILLING_MODES))
        checks.done()
        if not 1 <= len(schema) <= 2:
            raise ValidationException(f"1 validation error detected: Value '{schema}' at 'keySchema' failed to "
                                      "satisfy constraint: Member must have length less than or equal to 2"
                                      if schema else INVALID + "KeySchema must not be empty")
        types = {}
        for d in definitions:
            sub = Checks(d)
            n = sub.string("AttributeName", required=True, min_len=1, max_len=255)
            t = sub.string("AttributeType", required=True, enum=list(KEY_TYPES))
            sub.done()
            types[n] = t
        names = []
        for i, element in enumerate(schema):
            sub = Checks(element)
            n = sub.string("AttributeName", required=True, min_len=1, max_len=255)
            role = sub.string("KeyType", required=True, enum=["HASH", "RANGE"])
            sub.done()
            if role != ("HASH" if i == 0 else "RANGE"):
                raise ValidationException("Invalid KeySchema: The first KeySchemaElement is not a HASH key type"
                                          if i == 0 else
                                          "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
            names.append(n)
        if len(set(names)) != len(names):
            raise ValidationException(INVALID + "Duplicate key attribute names in KeySchema")
        missing = [n for n in names if n not in types]
        if missing:
            raise ValidationException(INVALID + "Some index key attributes are not defined in AttributeDefinitions. "
                                      f"Keys: [{', '.join(names)}], AttributeDefinitions: [{', '.join(types)}]")
        indexes = _indexes(request, types, names, billing or "PROVISIONED")
        used = set(names)
        for ix in indexes["lsi"] + indexes["gsi"]:
            used.update(k["AttributeName"] for k in ix["KeySchema"])
        if set(types) - used:
            raise ValidationException(INVALID + "Number of attributes in KeySchema does not exactly match number "
                                      "of attributes defined in AttributeDefinitions")
        mode, rcu, wcu = self._throughput(checks, billing, required=True)
        spec = self._stream_spec(request.get("StreamSpecification"))
        tags = {t["Key"]: t["Value"] for t in request.get("Tags") or [] if isinstance(t, dict) and "Key" in t}
        tdef = self.tables.create(dict(
            name=name, key_schema=tuple((n, types[n]) for n in names),
            attribute_definitions=tuple(types.items()), billing_mode=mode, read_capacity=rcu,
            write_capacity=wcu, indexes=indexes, tags=tags,
            deletion_protection=bool(request.get("DeletionProtectionEnabled"))),
            spec[1] if spec and spec[0] else None)
        return {"TableDescription": self._describe(tdef)}

    def describe_table(self, request: dict) -> dict:
        checks = Checks(request)
        name = table_name(checks)
        checks.done()
        return {"Table": self._describe(self.tables.get(name))}

    def list_tables(self, request: dict) -> dict:
        checks = Checks(request)
        start = table_name(checks, "ExclusiveStartTableName", required=False)
        limit = checks.integer("Limit", min_value=1, max_value=100) or 100
        checks.done()
        names = self.tables.names(start, limit + 1)
        out = {"TableNames": names[:limit]}
        if len(names) > limit:
            out["LastEvaluatedTableName"] = names[limit - 1]
        return out

    def update_table(self, request: dict) -> dict:
        checks = Checks(request)
        name = table_name(checks)
        billing = checks.string("BillingMode", enum=list(BILLING_MODES))
        checks.done()
        tdef = self.tables.get(name)
        spec = self._stream_spec(request.get("StreamSpecification"))
        changes = {}
        if billing is not None or request.get("ProvisionedThroughput") is not None:
            mode, rcu, wcu = self._throughput(checks, billing or tdef.billing_mode, required=False)
            changes.update(billing_mode=mode, read_capacity=rcu or tdef.read_capacity,
                           write_capacity=wcu or tdef.write_capacity)
        if request.get("DeletionProtectionEnabled") is not None:
            changes["deletion_protection"] = bool(request["DeletionProtectionEnabled"])
        tdef = self.tables.update(name, stream=None if spec is None else spec[0],
                                  view_type=spec[1] if spec else None, changes=changes or None)
        return {"TableDescription": self._describe(tdef)}

    def delete_table(self, request: dict) -> dict:
        checks = Checks(request)
        name = table_name(checks)
        checks.done()
        tdef = self.tables.get(name)
        described = self._describe(tdef, "DELETING")
        self.tables.delete(name)
        return {"TableDescription": described}

    def update_time_to_live(self, request: dict) -> dict:
        checks = Checks(request)
        name = table_name(checks)
        spec = checks.get("TimeToLiveSpecification", dict, required=True)
        checks.done()
        sub = Checks(spec)
        enabled = sub.get("Enabled", bool, required=True)
        attribute = sub.string("AttributeName", required=True, min_len=1, max_len=255)
        sub.done()
        self.tables.set_ttl(name, attribute, enabled)
        return {"TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": attribute}}

    def describe_time_to_live(self, request: dict) -> dict:
        checks = Checks(request)
        name = table_name(checks)
        checks.done()
        tdef = self.tables.get(name)
        desc = {"TimeToLiveStatus": "ENABLED" if tdef.ttl_enabled else "DISABLED"}
        if tdef.ttl_enabled:
            desc["AttributeName"] = tdef.ttl_attribute
        return {"TimeToLiveDescription": desc}

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

    def put_item(self, request: dict) -> dict:
        with request_validation():
            checks = Checks(request)
            name = table_name(checks)
            item = checks.get("Item", dict, required=True)
            _common(checks)
            rv = self._put_return_values(checks)
            condition, return_old = self._conditional(request)
        _, [outcome] = self._write(name, lambda tdef: [self.put_mutation(tdef, item, condition, return_old)])
        return {"Attributes": outcome.old} if rv == "ALL_OLD" and outcome.old is not None else {}

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
        with request_validation():
            checks = Checks(request)
            name = table_name(checks)
            key = checks.get("Key", dict, required=True)
            _common(checks)
            rv = self._put_return_values(checks)
            condition, return_old = self._conditional(request)
        _, [outcome] = self._write(name, lambda tdef: [self.delete_mutation(tdef, key, condition, return_old)])
        return {"Attributes": outcome.old} if rv == "ALL_OLD" and outcome.old is not None else {}

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
        clock = self.tables.streams.clock
        if token is not None and self._tokens.done_before(token, request, clock.now_ms()):
            return {}
        try:
            self._write_all(lambda: self._transact_mutations(actions), all_or_nothing=True)
        except Cancelled as e:
            raise _cancelled(e.reasons) from None
        if token is not None:
            self._tokens.remember(token, request, clock.now_ms())
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
            return op, body, name, TablesService.parse_update(body)
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
            for entry in entries:
                body = entry.get("Get") if isinstance(entry, dict) else None
                if not isinstance(body, dict):
                    raise ValidationException("TransactItems can only contain Get")
                name = body.get("TableName")
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


# -- secondary index definitions ------------------------------------------------------------------------------

PROJECTION_TYPES = ["ALL", "KEYS_ONLY", "INCLUDE"]


def _indexes(request: dict, types: dict, table_keys: list[str], billing: str) -> dict:
    """Validate CreateTable's LocalSecondaryIndexes / GlobalSecondaryIndexes into the stored form
    ``{"lsi": [...], "gsi": [...]}`` (each: IndexName, KeySchema, Projection; a GSI also ProvisionedThroughput)."""
    out: dict[str, list] = {"lsi": [], "gsi": []}
    seen: set[str] = set()
    for kind, member in (("lsi", "LocalSecondaryIndexes"), ("gsi", "GlobalSecondaryIndexes")):
        given = request.get(member)
        if given is None:
            continue
        if not isinstance(given, list):
            raise SerializationException(f"Unexpected value type in payload for '{member}': expected LIST")
        if not given:
            raise ValidationException(INVALID + f"List of {member} is empty")
        if kind == "lsi" and len(table_keys) < 2:
            raise ValidationException(INVALID + "Table KeySchema does not have a range key, which is required when "
                                      "specifying a LocalSecondaryIndex")
        for ix in given:
            checks = Checks(ix)
            name = checks.string("IndexName", required=True, min_len=3, max_len=255, pattern="[a-zA-Z0-9_.-]+")
            schema = checks.get("KeySchema", list, required=True)
            projection_spec = checks.get("Projection", dict, required=True)
            throughput = checks.get("ProvisionedThroughput", dict)
            checks.done()
            if name in seen:
                raise ValidationException(INVALID + f"Duplicate index name: {name}")
            seen.add(name)
            keys = []
            for i, element in enumerate(schema):
                sub = Checks(element)
                n = sub.string("AttributeName", required=True, min_len=1, max_len=255)
                role = sub.string("KeyType", required=True, enum=["HASH", "RANGE"])
                sub.done()
                if role != ("HASH" if i == 0 else "RANGE") or i > 1:
                    raise ValidationException(f"Invalid KeySchema: The {'first' if i == 0 else 'second'} "
                                              f"KeySchemaElement is not a {'HASH' if i == 0 else 'RANGE'} key type"
                                              if i <= 1 else INVALID + f"Too many key attributes for index: {name}")
                keys.append(n)
            if not keys:
                raise ValidationException(INVALID + f"Index KeySchema must not be empty for index: {name}")
            missing = [k for k in keys if k not in types]
            if missing:
                raise ValidationException(INVALID + "Some index key attributes are not defined in "
                                          f"AttributeDefinitions. Keys: [{', '.join(keys)}], AttributeDefinitions: "
                                          f"[{', '.join(types)}]")
            if kind == "lsi" and (keys[0] != table_keys[0] or len(keys) != 2):
                raise ValidationException(INVALID + "Index KeySchema does not have the same leading hash key as "
                                          f"table KeySchema for index: {name}. index hash key: {keys[0]}, table "
                                          f"hash key: {table_keys[0]}")
            sub = Checks(projection_spec)
            ptype = sub.string("ProjectionType", enum=PROJECTION_TYPES) or "ALL"
            non_key = sub.get("NonKeyAttributes", list)
            sub.done()
            if ptype == "INCLUDE" and not non_key:
                raise ValidationException(INVALID + "ProjectionType is INCLUDE, but NonKeyAttributes is not "
                                          f"specified for index: {name}")
            if ptype != "INCLUDE" and non_key is not None:
                raise ValidationException(INVALID + f"ProjectionType is {ptype}, but NonKeyAttributes is specified "
                                          f"for index: {name}")
            stored = {"IndexName": name,
                      "KeySchema": [{"AttributeName": k, "KeyType": "HASH" if i == 0 else "RANGE"}
                                    for i, k in enumerate(keys)],
                      "Projection": {"ProjectionType": ptype, **({"NonKeyAttributes": non_key} if non_key else {})}}
            if kind == "gsi":
                if billing == "PROVISIONED" and throughput is None:
                    raise ValidationException(INVALID + f"ProvisionedThroughput must be specified for index: {name}")
                if throughput is not None:
                    sub = Checks(throughput)
                    rcu = sub.integer("ReadCapacityUnits", required=True, min_value=1)
                    wcu = sub.integer("WriteCapacityUnits", required=True, min_value=1)
                    sub.done()
                    stored["ProvisionedThroughput"] = {"ReadCapacityUnits": rcu, "WriteCapacityUnits": wcu}
            out[kind].append(stored)
    return out


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

