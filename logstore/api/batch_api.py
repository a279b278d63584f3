"""The DynamoDB batch operations: BatchWriteItem (puts and deletes over several tables, one LMDB transaction: all
written, never a part, so UnprocessedItems is always empty) and BatchGetItem; their items are validated by the
single-item operations' mutation builders (items_api.py). RequestItems are keyed by table names or table ARNs, and
what answers per table (Responses, ConsumedCapacity) is keyed as the request keyed it.

Thread-safety: stateless between calls.
"""
from __future__ import annotations

import base64
import json

from logstore.errors import ConstraintViolations, ValidationException
from logstore.tables.expr import projection
from logstore.tables.writes import Mutation

from .capacity import MODES as CAPACITY_MODES
from .capacity import Consumed
from .expressions import RequestExpressions
from .items_api import ItemsService
from .validation import TABLE_NAME_PATTERN, Checks, named_table


class BatchService:
    def __init__(self, items: ItemsService):
        self.items = items
        self.tables = items.tables

    def batch_write_item(self, request: dict) -> dict:
        checks = Checks(request)
        requests = checks.get("RequestItems", required=True)
        checks.string("ReturnConsumedCapacity", enum=CAPACITY_MODES)
        checks.string("ReturnItemCollectionMetrics", enum=["SIZE", "NONE"])
        checks.done()
        total = sum(len(v) if isinstance(v, list) else 0 for v in requests.values())
        if not 1 <= total <= 25 or any(isinstance(v, list) and not v for v in requests.values()):
            raise ConstraintViolations("Value at 'requestItems' failed to satisfy "
                                      "constraint: Map value must satisfy constraint: [Member must have length "
                                      "less than or equal to 25, Member must have length greater than or equal "
                                      "to 1]")
        names = _table_names(requests)
        built: list[Mutation] = []
        given: list[tuple] = []      # per mutation: (its RequestItems key, its table)

        def build():
            built[:] = self._batch_mutations(requests, names, given)
            return built
        outcomes = self.items.write_all(build)
        consumed = Consumed(request.get("ReturnConsumedCapacity"))
        for (label, tdef), outcome in zip(given, outcomes):
            consumed.wrote(tdef, outcome, table=label)
        return consumed.many({"UnprocessedItems": {}})

    def _batch_mutations(self, requests: dict, names: dict, given: list) -> list[Mutation]:
        mutations, seen = [], set()
        given.clear()
        for label, entries in requests.items():
            name = names[label]
            tdef = self.tables.get(name, item_level=True)
            for entry in entries:
                if not isinstance(entry, dict) or len(entry) != 1:
                    raise ValidationException("Supplied AttributeValue has more than one datatypes set, must "
                                              "contain exactly one of the supported datatypes")
                (kind, body), = entry.items()
                if kind == "PutRequest":
                    mutation = self.items.put_mutation(tdef, body.get("Item"))
                elif kind == "DeleteRequest":
                    mutation = self.items.delete_mutation(tdef, body.get("Key"))
                else:
                    raise ValidationException("Invalid request: neither PutRequest nor DeleteRequest")
                mutations.append(mutation)
                given.append((label, tdef))
                ident = (name, repr(sorted(mutation.key.items())))
                if ident in seen:
                    raise ValidationException("Provided list of item keys contains duplicates")
                seen.add(ident)
        return mutations

    def batch_get_item(self, request: dict) -> dict:
        checks = Checks(request)
        requests = checks.get("RequestItems", required=True)
        checks.string("ReturnConsumedCapacity", enum=CAPACITY_MODES)
        checks.done()
        if not requests:
            raise ConstraintViolations("Value at 'RequestItems' failed to satisfy "
                                      "constraint: Member must have length greater than or equal to 1")
        names = _table_names(requests)
        styles = set()
        for name, spec in requests.items():
            keys = spec.get("Keys") if isinstance(spec, dict) else None
            if not isinstance(keys, list) or not 1 <= len(keys) <= 100:
                bound = "less than or equal to 100" if isinstance(keys, list) and keys else \
                    "greater than or equal to 1"
                raise ConstraintViolations(f"Value at 'RequestItems.{name}.member.Keys' "
                                          f"failed to satisfy constraint: Member must have length {bound}")
            styles.update(m for m in ("ProjectionExpression", "AttributesToGet") if spec.get(m) is not None)
        if len(styles) > 1:
            raise ValidationException("Can not use both expression and non-expression parameters in the same "
                                      "request: Non-expression parameters: {AttributesToGet} Expression parameters: "
                                      "{ProjectionExpression}")
        if sum(len(spec["Keys"]) for spec in requests.values()) > 100:
            raise ValidationException("Too many items requested for the BatchGetItem call")
        out = {}
        consumed = Consumed(request.get("ReturnConsumedCapacity"))
        for label, spec in requests.items():
            name = names[label]
            tdef = self.tables.get(name, item_level=True)
            keys = [self.items.checked_key(tdef, k) for k in spec["Keys"]]
            if len({repr(sorted(k.items())) for k in keys}) != len(keys):
                raise ValidationException("Provided list of item keys contains duplicates")
            exprs = RequestExpressions(spec, ("ProjectionExpression",), ("AttributesToGet",))
            wanted = exprs.projection()
            exprs.done()
            found = []
            consistent = spec.get("ConsistentRead") is True
            with self.tables.env.begin_read() as txn:   # one snapshot for the table's keys, not one per key
                items = [self.tables.get_item(name, key, txn) for key in keys]
            for item in items:
                consumed.read(label, item, consistent)
                if item is not None:
                    found.append(projection.project(wanted, item) if wanted is not None else item)
            out[label] = found
        return consumed.many({"Responses": out, "UnprocessedKeys": {}})


def _table_names(requests: dict) -> dict[str, str]:
    """{RequestItems key: the table it names} of BatchWriteItem's and BatchGetItem's RequestItems, keyed by table
    names or table ARNs; AWS's validation error, the request echoed, when a key is neither."""
    names = {given: named_table(given) for given in requests}
    if None in names.values():
        echo = json.dumps(requests, separators=(",", ":"), default=_echo)
        raise ConstraintViolations(f"Value '{echo}' at 'requestItems' failed to "
                                  "satisfy constraint: Map keys must satisfy constraint: [Member must have length "
                                  "less than or equal to 255, Member must have length greater than or equal to "
                                  f"3, Member must satisfy regular expression pattern: {TABLE_NAME_PATTERN}]")
    return names  # type: ignore[return-value]


def _echo(value) -> str:
    """JSON for what the echo of a refused request holds beyond JSON: bytes as base64 (as on the wire), anything
    else an embedded caller passed as its repr."""
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    return repr(value)
