"""The ``context`` a handler receives with each event: Lambda's context attributes, and ``batch``, writes to the
checkpoint store that commit in the transaction advancing the checkpoint over this invocation's records.

``context.batch`` (a ``TransactionalBatch``: the store's one ``Batch`` class, api/write_batch.py) buffers
``put_item``, ``delete_item`` and ``update_item`` (a pure function from the stored item to the new one, run inside
the transaction: a read-modify-write no other writer can interleave with). Nothing is written while the handler
runs: when it returns successfully the buffered writes are applied in the checkpoint's write transaction, so they
are in the store if and only if the checkpoint moved past the records that caused them. An invocation that
raises writes nothing; one that reports batch item failures commits its writes with the checkpoint just before
the first failure.

Thread-safety: a Context belongs to one invocation on one thread.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from logstore.api.store import Store
from logstore.api.write_batch import Batch


def items_service(store: Store):
    """The store's item-request service (validation into Mutations), as ``Store.batch`` uses it."""
    return store.item_requests


TransactionalBatch = Batch
"""``context.batch``: the store's one batch class (api/write_batch.py), committed in the checkpoint's transaction."""


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
