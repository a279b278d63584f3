"""The DynamoDB table and item operations a streams backend's users need, with AWS's validation and errors:
CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable, UpdateTimeToLive, DescribeTimeToLive, PutItem,
GetItem, DeleteItem, UpdateItem, BatchWriteItem, BatchGetItem, TransactWriteItems, TransactGetItems — with
condition, update and projection expressions and their legacy twins (expressions.py binds them; the tables
layer's ``expr`` package evaluates them). Query and Scan live in reads_api.py.

Every write becomes ``Mutation``s handed to the tables layer's one write path (one LMDB transaction each call).
Thread-safety: stateless between calls.
"""
from __future__ import annotations

import decimal

from logstore.errors import (AwsError, ResourceNotFoundException, SerializationException,
                             TransactionCanceledException, ValidationException)
from logstore.stream import VIEW_TYPES
from logstore.tables import TableEngine, attrs
from logstore.tables.expr import projection, updates
from logstore.tables.writes import Cancelled, Mutation, StaleTable

from . import render
from .expressions import RequestExpressions, check_condition
from .validation import Checks, table_name

KEY_TYPES = ("S", "N", "B")
BILLING_MODES = ("PROVISIONED", "PAY_PER_REQUEST")
PUT_RETURN_VALUES = ("NONE", "ALL_OLD")
UPDATE_RETURN_VALUES = ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW")
INVALID = "One or more parameter values were invalid: "


CONDITION_MEMBERS = (("ConditionExpression",), ("Expected", "ConditionalOperator"))
UPDATE_MEMBERS = (("UpdateExpression", "ConditionExpression"), ("AttributeUpdates", "Expected", "ConditionalOperator"))


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


def _on_fail(request: dict) -> bool:
    return request.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD"


class TablesService:
    def __init__(self, tables: TableEngine, region: str, account: str):
        self.tables = tables
        self.region = region
        self.account = account

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

    def update_mutation(self, tdef, key, exprs: RequestExpressions, request: dict) -> tuple[Mutation, list]:
        """A validated UpdateItem of ``key`` (UpdateExpression or AttributeUpdates, with its condition), and the
        paths it updates (for ReturnValues UPDATED_*)."""
        k = self._key(tdef, key)
        condition = exprs.condition()
        return_old = _on_fail(request)
        tree = exprs.bound("UpdateExpression")
        if tree is not None:
            updates.check(tree, tdef.key_names)
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

    def _conditional(self, request: dict) -> tuple:
        """(bound condition or None, whether to return the old item on failure) of a Put/DeleteItem request."""
        exprs = RequestExpressions(request, *CONDITION_MEMBERS)
        condition = exprs.condition()
        exprs.done()
        return condition, _on_fail(request)

    def put_item(self, request: dict) -> dict:
        checks = Checks(request)
        name = table_name(checks)
        item = checks.get("Item", dict, required=True)
        rv = self._return_values(checks, PUT_RETURN_VALUES)
        _common(checks)
        checks.done()
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
        checks = Checks(request)
        name = table_name(checks)
        key = checks.get("Key", dict, required=True)
        rv = self._return_values(checks, PUT_RETURN_VALUES)
        _common(checks)
        checks.done()
        condition, return_old = self._conditional(request)
        _, [outcome] = self._write(name, lambda tdef: [self.delete_mutation(tdef, key, condition, return_old)])
        return {"Attributes": outcome.old} if rv == "ALL_OLD" and outcome.old is not None else {}

    def update_item(self, request: dict) -> dict:
        checks = Checks(request)
        name = table_name(checks)
        key = checks.get("Key", dict, required=True)
        checks.get("AttributeUpdates", dict)
        checks.get("UpdateExpression", str)
        rv = self._return_values(checks, UPDATE_RETURN_VALUES)
        _common(checks)
        checks.done()
        changed: list = []

        def build(tdef):
            exprs = RequestExpressions(request, *UPDATE_MEMBERS)
            mutation, paths = self.update_mutation(tdef, key, exprs, request)
            exprs.done()
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
        total = sum(len(v.get("Keys", [])) for v in requests.values() if isinstance(v, dict))
        if not 1 <= total <= 100:
            raise ValidationException("Too many items requested for the BatchGetItem call" if total > 100
                                      else "1 validation error detected: Value at 'requestItems' failed to "
                                      "satisfy constraint: Member must have length greater than or equal to 1")
        out = {}
        for name, spec in requests.items():
            tdef = self.tables.get(name, item_level=True)
            keys = [self._key(tdef, k) for k in spec.get("Keys", [])]
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
        checks.done()
        if not 1 <= len(entries) <= 100:
            raise ValidationException("1 validation error detected: Value at 'transactItems' failed to satisfy "
                                      "constraint: Member must have length less than or equal to 100")
        try:
            self._write_all(lambda: self._transact_mutations(entries), all_or_nothing=True)
        except Cancelled as e:
            raise _cancelled(e.reasons) from None
        return {}

    def _transact_mutations(self, entries: list) -> list[Mutation]:
        mutations, seen = [], set()
        for entry in entries:
            if not isinstance(entry, dict) or len(entry) != 1:
                raise ValidationException("TransactItems can only contain one of Check, Put, Update or Delete")
            (op, body), = entry.items()
            if op not in ("Put", "Delete", "Update", "ConditionCheck") or not isinstance(body, dict):
                raise ValidationException("TransactItems can only contain one of Check, Put, Update or Delete")
            checks = Checks(body)
            name = table_name(checks)
            _common(checks)
            checks.done()
            tdef = self.tables.get(name, item_level=True)
            return_old = _on_fail(body)
            if op == "Update":
                if body.get("UpdateExpression") is None:
                    raise ValidationException("1 validation error detected: Value null at "
                                              "'transactItems.member.update.updateExpression' failed to satisfy "
                                              "constraint: Member must not be null")
                exprs = RequestExpressions(body, *UPDATE_MEMBERS)
                mutation, _ = self.update_mutation(tdef, body.get("Key"), exprs, body)
            else:
                exprs = RequestExpressions(body, *CONDITION_MEMBERS)
                condition = exprs.condition()
                if op == "Put":
                    mutation = self.put_mutation(tdef, body.get("Item"), condition, return_old)
                elif op == "Delete":
                    mutation = self.delete_mutation(tdef, body.get("Key"), condition, return_old)
                else:
                    if body.get("ConditionExpression") is None:
                        raise ValidationException("1 validation error detected: Value null at "
                                                  "'transactItems.member.conditionCheck.conditionExpression' failed "
                                                  "to satisfy constraint: Member must not be null")
                    mutation = self.check_mutation(tdef, body.get("Key"), condition, return_old)
            exprs.done()
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
    for kind in ("lsi", "gsi"):
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

