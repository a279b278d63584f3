"""The ``context`` a handler receives with each event: Lambda's context attributes, and ``batch``, writes to the
checkpoint store that commit in the transaction advancing the checkpoint over this invocation's records.

``context.batch`` (a ``TransactionalBatch``) buffers ``put_item``, ``delete_item`` and ``update_item`` (a pure
function from the stored item to the new one, run inside the transaction: a read-modify-write no other writer
can interleave with). Nothing is written while the handler runs: when it returns successfully the buffered
writes are applied in the checkpoint's write transaction, so they are in the store if and only if the
checkpoint moved past the records that caused them. An invocation that raises writes nothing; one that reports
batch item failures commits its writes with the checkpoint just before the first failure.

Thread-safety: a Context belongs to one invocation on one thread.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Callable

import lmdb

from logstore.api.store import Store
from logstore.errors import ValidationException
from logstore.tables.writes import Mutation


def items_service(store: Store):
    """The store's item-request service (validation into Mutations), as ``Store.batch`` uses it."""
    return store.item_requests


class TransactionalBatch:
    """Writes to ``store`` buffered for the checkpoint's transaction (see the module docstring)."""

    def __init__(self, store: Store):
        self.store = store
        self.ops: list[tuple] = []

    def put_item(self, TableName: str, Item: dict) -> None:  # noqa: N803 - boto3's member names
        self._validated("put", TableName, Item)
        self.ops.append(("put", TableName, Item))

    def delete_item(self, TableName: str, Key: dict) -> None:  # noqa: N803
        self._validated("delete", TableName, Key)
        self.ops.append(("delete", TableName, Key))

    def update_item(self, TableName: str, Key: dict, apply: Callable[[dict | None], dict | None]) -> None:  # noqa: N803
        """Replace the item at ``Key`` by ``apply(stored item or None)`` (None deletes it). ``apply`` runs inside
        the write transaction and may run more than once: keep it pure."""
        self._validated("delete", TableName, Key)
        self.ops.append(("update", TableName, (Key, apply)))

    def _validated(self, op: str, table: str, value, fresh: bool = False) -> Mutation:
        api = items_service(self.store)
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
        return [self._validated(op, table, value, fresh) for op, table, value in self.ops]

    def applier(self, fresh: bool = False) -> Callable[[lmdb.Transaction], None] | None:
        """A function applying the buffered writes inside the checkpoint's transaction (None if there are none).
        Validated now; if a table was replaced meanwhile the transaction raises StaleTable and the caller
        builds the applier again with ``fresh=True``."""
        if not self.ops:
            return None
        mutations, writer = self.mutations(fresh), self.store.tables.writer
        return lambda txn: writer.apply(txn, mutations)

    def __len__(self) -> int:
        return len(self.ops)


@dataclass
class Context:
    """Lambda's context, as far as it means something here, plus logstore's additions."""

    function_name: str
    stream_arn: str
    shard_id: str
    batch: TransactionalBatch | None = None
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 0
    invoked_function_arn: str = ""
    log_group_name: str = ""
    log_stream_name: str = ""
    deadline: float = field(default_factory=lambda: time.monotonic() + 900)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))
