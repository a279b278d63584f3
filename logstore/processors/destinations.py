"""On-failure destinations: where a processor records the batches it gave up on (Lambda's OnFailure destination),
each as Lambda's invocation record (``events.failure_record``): the shard, the first and last sequence numbers,
the batch size, the condition (RetryAttemptsExhausted or RecordAgeExceeded). As on Lambda, the records
themselves are not copied: read them from the stream by their sequence numbers while retention keeps them.

* ``"table:NAME"``: an item per failure in table NAME of the checkpoint store, written in the same transaction as
  the checkpoint that skips the batch (so a failure is recorded if and only if it was skipped). The table's
  partition key (type S) gets the requestId; attributes: ``shardId``, ``startSequenceNumber``,
  ``endSequenceNumber``, ``condition``, ``timestamp`` (S) and ``failure`` (S, the whole record as JSON).
* ``"file:PATH"``: one JSON line per failure appended to PATH and fsynced before the checkpoint moves (so a crash
  in between records a failure twice, never not at all).

Thread-safety: a FileDestination serialises appends with a lock; a TableDestination holds only names.
"""
from __future__ import annotations

import json
import os
import threading
from typing import Callable


from logstore.api.store import Store
from logstore.errors import InvalidProcessorConfig

from .context import items_service
from logstore.storage.txn import Txn

Apply = Callable[[Txn], None]


class TableDestination:
    def __init__(self, store: Store, table: str):
        self.store = store
        self.table = table
        tdef = store.tables.schema(table)
        (self.key_name, key_type), *rest = [(n, dict(tdef.attribute_definitions).get(n)) for n in tdef.key_names]
        if rest or key_type != "S":
            raise InvalidProcessorConfig(f"on-failure table {table} needs a partition key of type S and no sort key")

    def prepare(self, failure: dict) -> Apply:
        info = failure["DDBStreamBatchInfo"]
        item = {self.key_name: {"S": failure["requestContext"]["requestId"]},
                "shardId": {"S": info["shardId"]}, "startSequenceNumber": {"S": info["startSequenceNumber"]},
                "endSequenceNumber": {"S": info["endSequenceNumber"]},
                "condition": {"S": failure["requestContext"]["condition"]},
                "timestamp": {"S": failure["timestamp"]}, "failure": {"S": json.dumps(failure)}}
        mutation = items_service(self.store).put_mutation(self.store.tables.schema(self.table), item)
        writer = self.store.tables.writer
        return lambda txn: writer.apply(txn, [mutation])


class FileDestination:
    def __init__(self, path: str):
        self.path = path
        self._lock = threading.Lock()

    def prepare(self, failure: dict) -> None:
        line = (json.dumps(failure) + "\n").encode()
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
        return None


def destination(spec: str | None, store: Store) -> TableDestination | FileDestination | None:
    """The destination named by ``spec`` ("table:NAME", "file:PATH" or None)."""
    if spec is None:
        return None
    kind, _, where = spec.partition(":")
    if kind == "table":
        return TableDestination(store, where)
    if kind == "file":
        return FileDestination(where)
    raise InvalidProcessorConfig(f"on_failure must be 'table:NAME' or 'file:PATH', not {spec!r}")
