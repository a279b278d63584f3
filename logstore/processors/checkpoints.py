"""Checkpoints: how far a processor got in each shard, kept durably in a store (the store it reads, or, for a
remote stream, a local store directory), and the one write transaction that advances a checkpoint together with
what the handler wrote to that store.

Format (normative, docs/format.md "Processor checkpoints"): LMDB named database ``processor_checkpoints``;
key = UTF-8 ``<processor name> NUL <stream ARN> NUL <shard id>``; value = msgpack array
``[1, after, done, updated_ms, start]``: ``after`` the wire sequence number (decimal string) of the last record
handled (delivered, filtered out or given up on), or nil when none has been; ``done`` true once a closed shard
has been handled to its end (its children may start); ``updated_ms`` the store clock's time of the write;
``start`` where reading begins while ``after`` is nil ("TRIM_HORIZON", or "LATEST" for a shard that was open
when a LATEST processor first started and whose newest record could not be known: a remote stream).

A checkpoint only moves forward: ``commit`` refuses to go back (it compares sequence numbers as integers).
Records after ``after`` are delivered again after a restart: at least once. Whatever the handler wrote through
``context.batch`` commits in the same transaction as the checkpoint that covers its records: exactly once.

Thread-safety: shard workers of one processor share a Checkpoints; each commit is one ``env.write`` (group
commit), and each key is written by one shard worker only.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import msgpack

from logstore.api.store import Store
from logstore.errors import InvalidProcessorConfig
from logstore.storage.sealed import open_sealed, seal
from logstore.storage.txn import Txn

DB_NAME = "processor_checkpoints"
VERSION = 1
KEY_LIMIT = 511         # LMDB's largest key
SHARD_ID_MAX = 65       # AWS's ShardId length bound: a key's room kept for the shard id


@dataclass(frozen=True, slots=True)
class Checkpoint:
    shard_id: str
    after: str | None = None
    done: bool = False
    updated_ms: int = 0
    start: str = "TRIM_HORIZON"

    def __post_init__(self) -> None:
        if self.after is not None and not self.after.isdigit():
            raise ValueError(f"checkpoint sequence number must be decimal digits, not {self.after!r}")


def _key(name: str, stream_arn: str, shard_id: str) -> bytes:
    return f"{name}\0{stream_arn}\0{shard_id}".encode()


def encode(cp: Checkpoint) -> bytes:
    return msgpack.packb([VERSION, cp.after, cp.done, cp.updated_ms, cp.start])


def _body(shard_id: str, body: bytes) -> Checkpoint:
    version, after, done, updated, start = msgpack.unpackb(body)
    if version != VERSION:
        raise ValueError(f"checkpoint of {shard_id}: unknown version {version}")
    return Checkpoint(shard_id, after, done, updated, start)


def decode(key: bytes, shard_id: str, raw: bytes) -> Checkpoint:
    """The checkpoint stored (sealed) under ``key``; CorruptionError naming it if it is damaged."""
    return open_sealed(key, raw, lambda: f"{DB_NAME} entry {bytes(key).decode('utf-8', 'replace')!r}",
                       lambda body: _body(shard_id, body))


class Checkpoints:
    """The checkpoints of one processor (``name``) over one stream, in ``store``."""

    def __init__(self, store: Store, name: str, stream_arn: str):
        self.store = store
        self.env = store.env
        self.db = self.env.db(DB_NAME)
        self.name = name
        self.stream_arn = stream_arn
        self._prefix = _key(name, stream_arn, "")
        if len(self._prefix) + SHARD_ID_MAX > KEY_LIMIT:
            room = KEY_LIMIT - SHARD_ID_MAX - len(_key("", stream_arn, ""))
            raise InvalidProcessorConfig(f"processor name too long for its checkpoints: {len(name.encode())} "
                                         f"bytes in UTF-8, at most {room} with this stream's ARN")

    def load(self) -> dict[str, Checkpoint]:
        """Every shard's checkpoint, by shard id."""
        out = {}
        with self.env.begin_read() as txn, txn.cursor(db=self.db) as cur:
            ok = cur.set_range(self._prefix)
            while ok and cur.key().startswith(self._prefix):
                shard_id = bytes(cur.key()[len(self._prefix):]).decode()
                out[shard_id] = decode(bytes(cur.key()), shard_id, bytes(cur.value()))
                ok = cur.next()
        return out

    def get(self, shard_id: str) -> Checkpoint | None:
        with self.env.begin_read() as txn:
            key = _key(self.name, self.stream_arn, shard_id)
            raw = txn.get(key, db=self.db)
        return decode(key, shard_id, raw) if raw is not None else None

    def commit(self, cp: Checkpoint, also: Callable[[Txn], None] | None = None) -> Checkpoint:
        """Write ``cp`` (stamped with the store's time), after running ``also(txn)`` in the same transaction (the
        handler's buffered writes, an on-failure record). Returns what was written; a checkpoint behind the stored
        one is not written (the stored one is returned)."""
        key = _key(self.name, self.stream_arn, cp.shard_id)
        now = self.store.clock.now_ms()

        def write(txn):
            if also is not None:
                also(txn)
            raw = txn.get(key, db=self.db)
            if raw is not None:
                old = decode(key, cp.shard_id, raw)
                if old.after is not None and (cp.after is None or int(cp.after) < int(old.after)):
                    return old
                if old.done and not cp.done:
                    return old
            new = Checkpoint(cp.shard_id, cp.after, cp.done, now, cp.start)
            txn.put(key, seal(key, encode(new)), db=self.db)
            return new
        return self.env.write(write)

    def forget(self) -> int:
        """Delete every checkpoint of this processor and stream (start over). Returns how many there were."""
        def delete(txn):
            n = 0
            with txn.cursor(db=self.db) as cur:
                ok = cur.set_range(self._prefix)
                while ok and cur.key().startswith(self._prefix):
                    ok = cur.delete()
                    n += 1
            return n
        return self.env.write(delete)
