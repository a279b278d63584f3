"""The DynamoDB transactions: TransactWriteItems (Put, Update, Delete and ConditionCheck actions, all or nothing,
with AWS's per-action CancellationReasons and ClientRequestToken idempotency, the tokens kept in the store by
tables/tokens.py) and TransactGetItems (reads from one LMDB snapshot). Actions are validated by the single-item
operations' mutation builders (items_api.py).

Thread-safety: stateless; safe to share.
"""
from __future__ import annotations

from logstore.errors import (AwsError, ConstraintViolations, ItemKeyError, ResourceNotFoundException,
                             TransactionCanceledException, ValidationException)
from logstore.tables import attrs, tokens
from logstore.tables.expr import projection
from logstore.tables.writes import Cancelled, Mutation

from .capacity import MODES as CAPACITY_MODES
from .capacity import Consumed
from .expressions import RequestExpressions
from .items_api import CONDITION_MEMBERS, ItemsService, _common, _on_fail
from .validation import Checks, table_name

TRANSACT_OPERATIONS = ("Put", "Update", "Delete", "ConditionCheck")


def _never(old):
    raise AssertionError("a refused mutation is never applied")


class TransactService:
    def __init__(self, items: ItemsService):
        self.items = items
        self.tables = items.tables

    def transact_write_items(self, request: dict) -> dict:
        checks = Checks(request)
        entries = checks.get("TransactItems", required=True)
        token = checks.string("ClientRequestToken", min_len=1, max_len=36)
        checks.string("ReturnConsumedCapacity", enum=CAPACITY_MODES)
        checks.string("ReturnItemCollectionMetrics", enum=["SIZE", "NONE"])
        checks.done()
        if not entries:
            raise ConstraintViolations("Value '[]' at 'transactItems' failed to satisfy "
                                      "constraint: Member must have length greater than or equal to 1")
        if len(entries) > 100:
            raise ConstraintViolations("Value at 'TransactItems' failed to satisfy "
                                      "constraint: Member must have length less than or equal to 100")
        actions = [self._transact_action(i, entry) for i, entry in enumerate(entries, start=1)]
        _check_request_size(entries)
        once = (token, tokens.digest(request)) if token is not None else None
        tdefs: dict = {}

        def build():
            return self._transact_mutations(actions, tdefs)
        try:
            outcomes = self.items.write_all(build, all_or_nothing=True, token=once)
        except Cancelled as e:
            raise _cancelled(e.reasons) from None
        consumed = Consumed(request.get("ReturnConsumedCapacity"))
        if consumed.wanted and outcomes is not None:
            for (_, body, name, _), outcome in zip(actions, outcomes):   # one mutation per action, in order
                consumed.wrote(tdefs[name], outcome, factor=2, table=body["TableName"])
        return consumed.many({})

    @staticmethod
    def _transact_action(position: int, entry) -> tuple:
        """Check one TransactItems entry as far as it can be without its table: (operation, body, table name,
        parsed expressions)."""
        if not isinstance(entry, dict) or len(entry) != 1 or next(iter(entry)) not in TRANSACT_OPERATIONS:
            raise ConstraintViolations("Value '' at 'transactItems' failed to satisfy "
                                      "constraint: TransactWriteRequest should contain Delete or Put or Update or "
                                      "ConditionCheck")
        (op, body), = entry.items()
        checks = Checks(body, f"transactItems.{position}.member.{op[0].lower() + op[1:]}.")
        name = table_name(checks)
        _common(checks)
        checks.done()
        if op == "Update":
            if body.get("UpdateExpression") is None:
                raise ConstraintViolations(f"Value null at 'transactItems.{position}."
                                          "member.update.updateExpression' failed to satisfy constraint: Member "
                                          "must not be null")
            return op, body, name, ItemsService.parse_update(body)
        if op == "ConditionCheck" and body.get("ConditionExpression") is None:
            raise ConstraintViolations(f"Value null at 'transactItems.{position}.member."
                                      "conditionCheck.conditionExpression' failed to satisfy constraint: Member must "
                                      "not be null")
        exprs = RequestExpressions(body, *CONDITION_MEMBERS)
        condition = exprs.condition()
        exprs.done()
        return op, body, name, condition

    def _transact_mutations(self, actions: list[tuple], tdefs: dict) -> list[Mutation]:
        mutations, seen = [], set()
        for op, body, name, parsed in actions:
            tdef = tdefs[name] = self.tables.get(name, item_level=True)
            return_old = _on_fail(body)
            try:
                if op == "Update":
                    mutation, _ = self.items.update_mutation(tdef, body.get("Key"), parsed, body)
                elif op == "Put":
                    mutation = self.items.put_mutation(tdef, body.get("Item"), parsed, return_old)
                elif op == "Delete":
                    mutation = self.items.delete_mutation(tdef, body.get("Key"), parsed, return_old)
                else:
                    mutation = self.items.check_mutation(tdef, body.get("Key"), parsed, return_old)
            except ItemKeyError as e:   # reported per action (a ValidationError reason), as AWS does
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
        entries = checks.get("TransactItems", required=True)
        checks.string("ReturnConsumedCapacity", enum=CAPACITY_MODES)
        checks.done()
        if not 1 <= len(entries) <= 100:
            raise ConstraintViolations("Value at 'transactItems' failed to satisfy "
                                      "constraint: Member must have length less than or equal to 100")
        out = []
        consumed = Consumed(request.get("ReturnConsumedCapacity"))
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
                item = self.tables.get_item(name, self.items.checked_key(tdef, body.get("Key")), txn)
                consumed.read(body["TableName"], item, True, factor=2)
                if item is not None and wanted is not None:
                    item = projection.project(wanted, item)
                out.append({"Item": item} if item is not None else {})
        return consumed.many({"Responses": out})


MAX_TRANSACTION_BYTES = 4 * 1024 * 1024


def _check_request_size(entries: list) -> None:
    """DynamoDB refuses a TransactWriteItems whose items (Put items, keys, expression values) pass 4 MB."""
    total = 0
    for entry in entries:
        (_, body), = entry.items()
        for member in ("Item", "Key", "ExpressionAttributeValues"):
            value = body.get(member)
            if isinstance(value, dict):
                try:
                    total += attrs.item_size(attrs.canonical_item(value) if member != "ExpressionAttributeValues"
                                             else value)
                except (ValidationException, TypeError, AttributeError, ValueError, KeyError, StopIteration):
                    pass   # malformed values are refused, with their own message, where they are checked
    if total > MAX_TRANSACTION_BYTES:
        raise ValidationException("Transaction request cannot be larger than 4 MB")


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
