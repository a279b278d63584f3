"""Streams and shards as stored: their values, their databases, and the policy that decides rollover and splits.

Format (docs/format.md, "streams"):
* ``streams``: key u64 BE stream number -> msgpack array of a ``StreamInfo``.
* ``stream_arns``: key the stream ARN (UTF-8) -> u64 BE stream number.
* ``shards``: key u64 BE shard number -> msgpack array of a ``ShardInfo``.
* ``stream_shards``: key u64 BE stream number || u64 BE shard number -> empty (a stream's shards).
* ``meta`` / ``stream_policy``: the store's ``StreamPolicy`` (msgpack ``[1, retention_ms, rollover_ms,
  split_rate, split_window_ms, max_partitions, initial_partitions]``), so inspection judges by the store's own.

Every value above is sealed (storage/sealed.py: CRC32C of key and body, format version 2) and checked on every
read: a damaged one is CorruptionError naming the database and key, never a decoding error or a wrong answer.

A stream's key space is the 32-bit partition-hash space ``[0, 2**32)``; ``StreamInfo.partitions`` lists the open
shard of each partition as ``(lo, shard_no, created_ms)`` sorted by ``lo`` (a partition ends where the next begins),
so routing a record is a bisect and the rollover check needs no extra read. Closed shards are never written again.

Values are immutable; ``StreamCatalog`` holds only database handles and is safe to share between threads.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field, replace
from typing import Iterator

import msgpack

from logstore.errors import CorruptionError
from logstore.storage import Environment
from logstore.storage.sealed import open_sealed, seal, unseal

from . import ids
from logstore.storage.txn import Txn

HASH_SPACE = 1 << 32
HOUR_MS = 3600 * 1000

_U64 = struct.Struct(">Q")
_PAIR = struct.Struct(">QQ")
_EMPTY = b""


def _u64(body: bytes) -> int:
    value: int = _U64.unpack(body)[0]
    return value


def decode_stream(key: bytes, raw: bytes) -> "StreamInfo":
    """The StreamInfo stored (sealed) under ``streams`` key ``key``; CorruptionError if it is damaged."""
    return open_sealed(key, raw, lambda: f"streams entry {_where_no(key)}", StreamInfo.from_msgpack)


def decode_shard(key: bytes, raw: bytes) -> "ShardInfo":
    """The ShardInfo stored (sealed) under ``shards`` key ``key``; CorruptionError if it is damaged."""
    return open_sealed(key, raw, lambda: f"shards entry {_where_no(key)}", ShardInfo.from_msgpack)


def decode_arn(key: bytes, raw: bytes) -> int:
    """The stream number a ``stream_arns`` entry names; CorruptionError if it is damaged."""
    return open_sealed(key, raw, lambda: f"stream_arns entry {bytes(key).decode('utf-8', 'replace')!r}", _u64)


def decode_listed(key: bytes, raw: bytes) -> tuple[int, int]:
    """(stream number, shard number) of a ``stream_shards`` entry; CorruptionError if it is damaged."""
    unseal(key, raw, lambda: f"stream_shards entry {bytes(key).hex()}")
    return _PAIR.unpack(key)


def _where_no(key: bytes) -> str:
    return str(_U64.unpack(key)[0]) if len(key) == 8 else bytes(key).hex()

POLICY_KEY = b"stream_policy"
ENABLED = "ENABLED"
DISABLED = "DISABLED"
VIEW_TYPES = ("NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY")


@dataclass(frozen=True, slots=True)
class StreamPolicy:
    """Lifecycle settings of every stream in a store.

    retention_ms: records older than this are trimmed (24 h). rollover_ms: an open shard older than this is closed
    and replaced by a child (4 h). split_rate / split_window_ms: a partition whose write rate over a full window
    is at least ``split_rate`` records/s splits in two (None: never automatically). max_partitions bounds splits.
    initial_partitions: partitions of a new stream."""

    retention_ms: int = 24 * HOUR_MS
    rollover_ms: int = 4 * HOUR_MS
    split_rate: float | None = 5000.0
    split_window_ms: int = 60_000
    max_partitions: int = 64
    initial_partitions: int = 1

    def __post_init__(self) -> None:
        if self.retention_ms <= 0 or self.rollover_ms <= 0 or self.split_window_ms <= 0:
            raise ValueError("retention, rollover and split window must be positive")
        if not 1 <= self.initial_partitions <= self.max_partitions <= 1 << 16:
            raise ValueError("need 1 <= initial_partitions <= max_partitions <= 65536")

    def rolls(self, created_ms: int, now_ms: int) -> bool:
        """Whether an open shard created at ``created_ms`` is due to be replaced by a child."""
        return now_ms - created_ms >= self.rollover_ms

    def to_msgpack(self) -> bytes:
        return msgpack.packb([1, self.retention_ms, self.rollover_ms, self.split_rate, self.split_window_ms,
                              self.max_partitions, self.initial_partitions])

    @classmethod
    def from_msgpack(cls, raw: bytes) -> "StreamPolicy":
        version, *fields = msgpack.unpackb(raw)
        if version != 1:
            raise ValueError(f"stream policy record version {version}")
        return cls(*fields)

    def split_threshold(self) -> int | None:
        """Records in one window at or above which a partition splits (None: never automatically)."""
        if self.split_rate is None:
            return None
        return max(1, int(self.split_rate * self.split_window_ms / 1000))


@dataclass(frozen=True, slots=True)
class StreamInfo:
    stream_no: int
    table: str
    label: str
    arn: str
    view_type: str
    key_schema: tuple[tuple[str, str], ...]   # (attribute name, "HASH" | "RANGE")
    created_ms: int
    status: str = ENABLED
    disabled_ms: int | None = None
    partitions: tuple[tuple[int, int, int], ...] = field(default=())   # (lo, open shard_no, created_ms)

    def to_msgpack(self) -> bytes:
        return msgpack.packb([self.stream_no, self.table, self.label, self.arn, self.view_type,
                              [list(k) for k in self.key_schema], self.created_ms, self.status, self.disabled_ms,
                              [list(p) for p in self.partitions]])

    @classmethod
    def from_msgpack(cls, raw: bytes) -> "StreamInfo":
        no, table, label, arn, vt, ks, created, status, disabled, parts = msgpack.unpackb(raw)
        return cls(no, table, label, arn, vt, tuple(tuple(k) for k in ks), created, status, disabled,
                   tuple(tuple(p) for p in parts))


@dataclass(frozen=True, slots=True)
class ShardInfo:
    shard_no: int
    stream_no: int
    shard_id: str
    parent_no: int | None
    parent_id: str | None
    lo: int
    hi: int
    start_seq: int
    created_ms: int
    end_seq: int | None = None
    closed_ms: int | None = None

    @property
    def is_open(self) -> bool:
        return self.end_seq is None

    def closed(self, end_seq: int, now_ms: int) -> "ShardInfo":
        return replace(self, end_seq=end_seq, closed_ms=now_ms)

    def to_msgpack(self) -> bytes:
        return msgpack.packb([self.shard_no, self.stream_no, self.shard_id, self.parent_no, self.parent_id,
                              self.lo, self.hi,
                              self.start_seq, self.created_ms, self.end_seq, self.closed_ms])

    @classmethod
    def from_msgpack(cls, raw: bytes) -> "ShardInfo":
        return cls(*msgpack.unpackb(raw))


class StreamCatalog:
    """Reads and writes stream and shard records inside the caller's transactions."""

    DBS = ("streams", "stream_arns", "shards", "stream_shards")

    def __init__(self, env: Environment):
        for name in self.DBS:
            env.db(name)
        self.streams_db = env.db("streams")
        self.arns_db = env.db("stream_arns")
        self.shards_db = env.db("shards")
        self.stream_shards_db = env.db("stream_shards")
        self.meta_db = env.db("meta")
        self._cache: dict[bytes, StreamInfo] = {}

    # the store's policy
    def policy(self, txn: Txn) -> StreamPolicy | None:
        """The StreamPolicy the store was last opened for writing with (``meta`` key ``stream_policy``), or None
        for a store that never recorded one."""
        raw = txn.get(POLICY_KEY, db=self.meta_db) if self.meta_db is not None else None
        if raw is None:
            return None
        return open_sealed(POLICY_KEY, raw, "meta entry stream_policy", StreamPolicy.from_msgpack)

    def put_policy(self, txn: Txn, policy: StreamPolicy) -> None:
        txn.put(POLICY_KEY, seal(POLICY_KEY, policy.to_msgpack()), db=self.meta_db)

    # streams
    def stream(self, txn: Txn, stream_no: int) -> StreamInfo | None:
        if self.streams_db is None:
            return None
        key = _U64.pack(stream_no)
        raw = txn.get(key, db=self.streams_db)
        if raw is None:
            return None
        info = self._cache.get(raw)   # decoded values keyed by their exact stored bytes (seal included): never stale
        if info is None:
            info = decode_stream(key, raw)
            if len(self._cache) > 1024:
                self._cache.clear()
            self._cache[raw] = info
        return info

    def put_stream(self, txn: Txn, info: StreamInfo) -> None:
        key, arn = _U64.pack(info.stream_no), info.arn.encode()
        txn.put(key, seal(key, info.to_msgpack()), db=self.streams_db)
        txn.put(arn, seal(arn, key), db=self.arns_db)

    def delete_stream(self, txn: Txn, info: StreamInfo) -> None:
        txn.delete(_U64.pack(info.stream_no), db=self.streams_db)
        txn.delete(info.arn.encode(), db=self.arns_db)

    def stream_by_arn(self, txn: Txn, arn: str) -> StreamInfo | None:
        if self.arns_db is None:
            return None
        key = arn.encode()
        raw = txn.get(key, db=self.arns_db)
        return self.stream(txn, decode_arn(key, raw)) if raw is not None else None

    def streams(self, txn: Txn) -> Iterator[StreamInfo]:
        """Every stream, in ARN order."""
        if self.arns_db is None:
            return
        for key, raw in list(txn.cursor(db=self.arns_db)):
            info = self.stream(txn, decode_arn(key, raw))
            if info is not None:
                yield info

    # shards
    def shard(self, txn: Txn, shard_no: int) -> ShardInfo | None:
        if self.shards_db is None:
            return None
        key = _U64.pack(shard_no)
        raw = txn.get(key, db=self.shards_db)
        return decode_shard(key, raw) if raw is not None else None

    def listed_shard(self, txn: Txn, info: StreamInfo, shard_no: int) -> ShardInfo:
        """Shard ``shard_no``, which stream ``info`` lists among its open shards; CorruptionError if it is missing
        (a stream's entry and its shards are written in one transaction, so only damage parts them)."""
        shard = self.shard(txn, shard_no)
        if shard is None:
            raise CorruptionError(f"stream {info.stream_no} lists shard {shard_no}, which is missing",
                                  where=f"streams entry {info.stream_no}")
        return shard

    def put_shard(self, txn: Txn, shard: ShardInfo) -> None:
        key, listed = _U64.pack(shard.shard_no), _PAIR.pack(shard.stream_no, shard.shard_no)
        txn.put(key, seal(key, shard.to_msgpack()), db=self.shards_db)
        txn.put(listed, seal(listed, _EMPTY), db=self.stream_shards_db)

    def delete_shard(self, txn: Txn, shard: ShardInfo) -> None:
        txn.delete(_U64.pack(shard.shard_no), db=self.shards_db)
        txn.delete(_PAIR.pack(shard.stream_no, shard.shard_no), db=self.stream_shards_db)

    def shard_by_id(self, txn: Txn, stream_no: int, shard_id: str) -> ShardInfo | None:
        """The stream's shard with id ``shard_id``, by key: a shard id ends in its shard number mod 2**32
        (ids.shard_id), so it is one get per 2**32 shards ever made (in practice one)."""
        low = ids.shard_salt(shard_id)
        if low is None or self.shards_db is None:
            return None
        with txn.cursor(db=self.shards_db) as cur:
            highest = _U64.unpack(cur.key())[0] if cur.last() else 0
        for shard_no in range(low, highest + 1, 1 << 32):
            shard = self.shard(txn, shard_no)
            if shard is not None and shard.shard_id == shard_id:
                return shard if shard.stream_no == stream_no else None
        return None

    def shards_page(self, txn: Txn, stream_no: int, after: int | None, limit: int) -> list[ShardInfo]:
        """Up to ``limit`` of a stream's shards in shard id order, strictly after shard number ``after``: one seek
        and a step per shard. (Shard numbers and creation times both only grow, so shard number order is shard id
        order: see ids.shard_id.)"""
        if self.stream_shards_db is None:
            return []
        out: list[ShardInfo] = []
        prefix = _U64.pack(stream_no)
        with txn.cursor(db=self.stream_shards_db) as cur:
            ok = cur.set_range(_PAIR.pack(stream_no, after + 1) if after is not None else prefix)
            while ok and cur.key()[:8] == prefix and len(out) < limit:
                shard = self.shard(txn, decode_listed(cur.key(), cur.value())[1])
                if shard is not None:
                    out.append(shard)
                ok = cur.next()
        return out

    def children(self, txn: Txn, parent: ShardInfo) -> list[ShardInfo]:
        """The shards whose parent is ``parent``. They were made when it closed, so they come after it in number
        and no shard made after its close precedes them: a walk from the parent's number to the first shard
        created after its close, which passes only the shards the stream made while the parent was open (about
        one per partition per rollover period)."""
        if parent.closed_ms is None or self.stream_shards_db is None:
            return []
        out = []
        prefix = _U64.pack(parent.stream_no)
        with txn.cursor(db=self.stream_shards_db) as cur:
            ok = cur.set_range(_PAIR.pack(parent.stream_no, parent.shard_no + 1))
            while ok and cur.key()[:8] == prefix:
                shard = self.shard(txn, decode_listed(cur.key(), cur.value())[1])
                if shard is not None:
                    if shard.created_ms > parent.closed_ms:
                        break
                    if shard.parent_no == parent.shard_no:
                        out.append(shard)
                ok = cur.next()
        return out

    def streams_page(self, txn: Txn, after: str | None, prefix: str, limit: int) -> list[StreamInfo]:
        """Up to ``limit`` streams whose ARN starts with ``prefix``, in ARN order, strictly after ARN ``after``:
        one seek and a step per stream."""
        if self.arns_db is None:
            return []
        out: list[StreamInfo] = []
        start = prefix.encode()
        if after is not None and after.encode() >= start:
            start = after.encode() + b"\0"
        with txn.cursor(db=self.arns_db) as cur:
            ok = cur.set_range(start)
            while ok and len(out) < limit and bytes(cur.key()).startswith(prefix.encode()):
                info = self.stream(txn, decode_arn(cur.key(), cur.value()))
                if info is not None:
                    out.append(info)
                ok = cur.next()
        return out

    def shards(self, txn: Txn, stream_no: int) -> list[ShardInfo]:
        """A stream's shards sorted by shard id (creation order; parents before children)."""
        if self.stream_shards_db is None:
            return []
        out = []
        prefix = _U64.pack(stream_no)
        with txn.cursor(db=self.stream_shards_db) as cur:
            ok = cur.set_range(prefix)
            while ok and cur.key()[:8] == prefix:
                shard = self.shard(txn, decode_listed(cur.key(), cur.value())[1])
                if shard is not None:
                    out.append(shard)
                ok = cur.next()
        out.sort(key=lambda s: s.shard_id)
        return out
