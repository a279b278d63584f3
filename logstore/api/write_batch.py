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
from logstore.tables.catalog import TableDef
from logstore.tables.items import PACK_REQUEST as _pack_request
from logstore.tables.items import prepared_packed, put_checker, unpack_item
from logstore.tables.writes import Mutation
from logstore.storage.txn import Txn

from .items_api import has_index_keys

if TYPE_CHECKING:
    from .store import Store


class Batch:
    """Writes collected for one transaction (see the module docstring)."""

    def __init__(self, store: Store):
        self.store = store
        self.ops: list[tuple[str, str, object]] = []   # (op, table, what ``_validate`` takes), in order
        self._validated: list[Mutation] = []
        # While every write so far is a put of a common-case item into one table without indexes (the bulk
        # load), the items are kept as validated msgpack only (``_packed``, for ``_table``'s definition
        # ``_tdef``; not yet in ``ops``), and the writer stores them all with a few calls (Writer.put_new); the
        # first other write turns them into ops and mutations (``_unpack``) and the batch carries on with those.
        self._table: str | None = None
        self._tdef: TableDef | None = None
        self._takes: Callable[[bytes], bool] | None = None   # items.put_checker of ``_tdef``
        self._packed: list[bytes] | None = []

    def put_item(self, TableName: str, Item: dict) -> None:  # boto3's member names
        takes = self._takes
        if takes is None and self._packed is not None and not self._packed:   # the first put: which table
            tdef = self.store.tables.schema(TableName)
            if not has_index_keys(tdef):
                self._table, self._tdef, takes = TableName, tdef, put_checker(tdef)
                self._takes = takes
        if takes is not None and TableName == self._table and type(Item) is dict:
            try:
                one = _pack_request(Item)
            except (TypeError, ValueError, OverflowError):
                one = None
            if one is not None and takes(one):   # validated: the common case
                self._packed.append(one)   # type: ignore[union-attr]  # set while _takes is
                return
        self._add("put", TableName, Item)

    def delete_item(self, TableName: str, Key: dict) -> None:
        self._add("delete", TableName, Key)

    def update_item(self, TableName: str, Key: dict, apply: Callable[[dict | None], dict | None]) -> None:
        """Replace the item at ``Key`` by ``apply(stored item or None)`` (None deletes it). ``apply`` runs inside
        the write transaction and may run more than once: keep it pure."""
        self._add("update", TableName, (Key, apply))

    def _add(self, op: str, table: str, value) -> None:
        mutation = self._validate(op, table, value)
        self._unpack()
        self._validated.append(mutation)
        self.ops.append((op, table, value))

    def _unpack(self) -> None:
        """The packed puts as ops and mutations, from here on (see ``__init__``)."""
        packed, self._packed, self._takes = self._packed, None, None
        if packed and self._tdef is not None and self._table is not None:
            self.ops[:0] = self._packed_ops(packed)
            tdef, api = self._tdef, self.store.item_requests
            for one in packed:
                parts = prepared_packed(tdef, one)
                assert parts is not None   # validated as it was added
                self._validated.append(api.prepared_mutation(tdef, parts))

    def _packed_ops(self, packed: list[bytes]) -> list[tuple[str, str, object]]:
        return [("packed", self._table or "", one) for one in packed]

    def _validate(self, op: str, table: str, value, fresh: bool = False) -> Mutation:
        api = self.store.item_requests
        tdef = self.store.tables.schema(table, fresh)
        if op == "put":
            return api.put_mutation(tdef, value)
        if op == "packed":   # a put whose item was packed as it was added (the same item, as msgpack gives it back)
            return api.put_mutation(tdef, unpack_item(value))
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
            self._unpack()
            return self._validated
        ops = self._packed_ops(self._packed) + self.ops if self._packed else self.ops
        return [self._validate(op, table, value, fresh) for op, table, value in ops]

    def applier(self, fresh: bool = False) -> Callable[[Txn], None] | None:
        """A function applying the buffered writes inside the caller's write transaction (None if there are
        none); validated now (``fresh``: see ``mutations``)."""
        return self.committer(fresh) if len(self) else None

    def committer(self, fresh: bool = False) -> Callable[[Txn], None]:
        """``applier`` of a batch that has writes."""
        writer = self.store.tables.writer
        packed, table, tdef = self._packed, self._table, self._tdef
        if not fresh and packed and table is not None and tdef is not None:
            def apply_packed(txn: Txn) -> None:   # the bulk load's few calls, else the mutations
                if not writer.put_new(txn, table, tdef.table_no, packed):
                    writer.apply(txn, self.mutations())
            return apply_packed
        mutations = self.mutations(fresh)
        return lambda txn: writer.apply(txn, mutations)

    def __len__(self) -> int:
        return len(self.ops) + len(self._packed or ())
