"""Retention: trimming a shard's log by record age.

Rule (docs/format.md, "trims"): given a horizon in ms, every record whose timestamp is older than the horizon is
trimmed. A segment whose *newest* record is older is deleted whole; judged from its header alone (the header has
its own checksum), so trimming never reads segment bodies it deletes. A segment that straddles the horizon stays
whole, and the shard's ``trim_seq`` moves to just past its last expired record, so that reads neither lose its
younger records nor serve its older ones. ``trim_seq`` is always one past the last trimmed record (so a reader
that consumed that record may still ask for what follows it), and never moves backwards.

Runs inside the caller's write transaction. Thread-safety: stateless functions.
"""
from __future__ import annotations

from dataclasses import dataclass


from logstore import codec
from logstore.errors import CorruptionError

from . import keys
from .segment_log import SegmentLog
from .txn import Txn


@dataclass(frozen=True, slots=True)
class TrimResult:
    """What one trim did to one shard: segments deleted, records made unreadable, and the new trim point."""

    shard: int
    segments_deleted: int
    records_trimmed: int
    trim_seq: int


def trim_shard(log: SegmentLog, txn: Txn, shard: int, horizon_ms: int) -> TrimResult:
    """Trim records of ``shard`` with timestamps < ``horizon_ms``."""
    old_trim = log.trim_seq(txn, shard)
    new_trim = old_trim
    deleted = trimmed = 0
    prefix = keys.shard_key(shard)
    with txn.cursor(db=log.segments_db) as cur:
        ok = cur.set_range(keys.segment_key(shard, 0))
        while ok and cur.key()[:8] == prefix:
            key_seq = keys.unpack_segment_key(cur.key())[1]
            value = cur.value()
            try:
                head = codec.read_header(value)
            except CorruptionError as e:
                raise e.located(shard, key_seq) from None
            if head.first_ts >= horizon_ms:
                break
            if head.last_ts < horizon_ms:  # wholly expired
                trimmed += head.count - (codec.locate(value, old_trim) if head.first_seq < old_trim else 0)
                new_trim = max(new_trim, head.last_seq + 1)
                deleted += 1
                ok = cur.delete()
                continue
            # straddles the horizon: find its first young record
            try:
                r = codec.read(value, 0, head.count, codec.MAX_SEGMENT_SIZE, True)
            except CorruptionError as e:
                raise e.located(shard, key_seq) from None
            young = next(i for i, ts in enumerate(r.timestamps) if ts >= horizon_ms)  # >= 1: first_ts expired
            if r.seqs[young - 1] + 1 > new_trim:
                trimmed += sum(1 for s in r.seqs[:young] if s >= new_trim)
                new_trim = r.seqs[young - 1] + 1
            break
    if new_trim != old_trim:
        txn.put(prefix, keys.pack_trim(new_trim), db=log.trims_db)
    return TrimResult(shard, deleted, trimmed, new_trim)


def trim_all(log: SegmentLog, txn: Txn, horizon_ms: int) -> list[TrimResult]:
    """Trim every shard of the store; return the shards where anything was trimmed."""
    results = []
    for shard in list(log.shards(txn)):
        r = trim_shard(log, txn, shard, horizon_ms)
        if r.segments_deleted or r.records_trimmed:
            results.append(r)
    return results
