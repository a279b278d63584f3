"""The DynamoDB transactions: TransactWriteItems (Put, Update, Delete and ConditionCheck actions, all or nothing,
with AWS's per-action CancellationReasons and ClientRequestToken idempotency) and TransactGetItems (reads from one
LMDB snapshot). Actions are validated by the single-item operations' mutation builders (items_api.py).

Thread-safety: stateless between calls but for the ClientRequestToken memory (locked).
"""
from __future__ import annotations

import hashlib
import threading

from logstore.errors import (AwsError, IdempotentParameterMismatchException, ResourceNotFoundException,
                             TransactionCanceledException, ValidationException)
from logstore.tables import attrs
from logstore.tables.expr import projection
from logstore.tables.writes import Cancelled, Mutation

from .expressions import RequestExpressions
from .items_api import CONDITION_MEMBERS, INVALID, ItemsService, _common, _on_fail
from .validation import Checks, table_name

TRANSACT_OPERATIONS = ("Put", "Update", "Delete", "ConditionCheck")
CANCELLING = (attrs.KEY_SCHEMA_MISMATCH, INVALID + "Type mismatch for key ", INVALID + "Type mismatch for Index Key ")
"""Item validation failures that TransactWriteItems reports per action (a ValidationError CancellationReason)
rather than for the whole request, as AWS does."""

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


class TransactService:
    def __init__(self, items: ItemsService):
        self.items = items
        self.tables = items.tables
        self._tokens = ClientTokens()

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
            self.items.write_all(lambda: self._transact_mutations(actions), all_or_nothing=True)
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
                    mutation, _ = self.items.update_mutation(tdef, body.get("Key"), parsed, body)
                elif op == "Put":
                    mutation = self.items.put_mutation(tdef, body.get("Item"), parsed, return_old)
                elif op == "Delete":
                    mutation = self.items.delete_mutation(tdef, body.get("Key"), parsed, return_old)
                else:
                    mutation = self.items.check_mutation(tdef, body.get("Key"), parsed, return_old)
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
                item = self.tables.get_item(name, self.items.checked_key(tdef, body.get("Key")), txn)
                if item is not None and wanted is not None:
                    item = projection.project(wanted, item)
                out.append({"Item": item} if item is not None else {})
        return {"Responses": out}


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
