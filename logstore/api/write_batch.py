"""``Batch``: item writes buffered for one LMDB write transaction, validated as they are added. The one batch
class: ``Store.batch()`` commits one in a transaction of its own; a stream processor's ``context.batch`` commits
one inside the transaction that advances its checkpoint (processors/worker.py).

``put_item`` and ``delete_item`` take boto3's members; ``update_item(TableName, Key, apply)`` replaces the stored
item by ``apply(stored item or None)`` inside the transaction (None deletes it; the key may not change), a
read-modify-write no other writer can interleave with. ``mutations(fresh)`` are the validated ``Mutation``s;
with ``fresh`` they are validated again against the tables' current definitions, for the one retry
``tables.writes.revalidated`` makes when a table was replaced between validation and commit.

Thread-safety: a Batch belongs to one thread.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable


from logstore.errors import ValidationException
from logstore.tables.writes import Mutation
from logstore.storage.txn import Txn

if TYPE_CHECKING:
    from .store import Store


class Batch:
    """Writes collected for one transaction (see the module docstring)."""

    def __init__(self, store: Store):
        self.store = store
        self.ops: list[tuple[str, str, object]] = []
        self._validated: list[Mutation] = []

    def put_item(self, TableName: str, Item: dict) -> None:  # boto3's member names
        self._add("put", TableName, Item)

    def delete_item(self, TableName: str, Key: dict) -> None:
        self._add("delete", TableName, Key)

    def update_item(self, TableName: str, Key: dict, apply: Callable[[dict | None], dict | None]) -> None:
        """Replace the item at ``Key`` by ``apply(stored item or None)`` (None deletes it). ``apply`` runs inside
        the write transaction and may run more than once: keep it pure."""
        self._add("update", TableName, (Key, apply))

    def _add(self, op: str, table: str, value) -> None:
        self._validated.append(self._validate(op, table, value))
        self.ops.append((op, table, value))

    def _validate(self, op: str, table: str, value, fresh: bool = False) -> Mutation:
        api = self.store.item_requests
        tdef = self.store.tables.schema(table, fresh)
        if op == "put":
            return api.put_mutation(tdef, value)
        if op == "delete":
            return api.delete_mutation(tdef, value)
        key, fn = value
        base = api.delete_mutation(tdef, key)

        def apply(old):
            new = fn(old)
            if new is None:
                return None
            new = api.checked_item(tdef, new)   # validated and canonical, as a put's item
            if any(new.get(k) != base.key[k] for k in tdef.key_names):
                raise ValidationException("update_item's function may not change the item's key")
            return new
        return Mutation(base.table, base.key, apply, table_no=tdef.table_no, check_size=True)

    def mutations(self, fresh: bool = False) -> list[Mutation]:
        """The validated mutations; with ``fresh``, validated again against the tables' current definitions."""
        if not fresh:
            return self._validated
        return [self._validate(op, table, value, fresh) for op, table, value in self.ops]

    def applier(self, fresh: bool = False) -> Callable[[Txn], None] | None:
        """A function applying the buffered writes inside the caller's write transaction (None if there are
        none); validated now (``fresh``: see ``mutations``)."""
        if not self.ops:
            return None
        mutations, writer = self.mutations(fresh), self.store.tables.writer
        return lambda txn: writer.apply(txn, mutations)

    def __len__(self) -> int:
        return len(self.ops)
