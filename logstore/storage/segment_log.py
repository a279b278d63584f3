"""The per-shard segment log: append-only runs of records kept as segments in LMDB.

Format (docs/format.md is normative):
* database ``segments``: key = u64 BE shard || u64 BE last sequence number of the segment; value = one segment
  (csrc/logseg.h). Because keys end in the segment's *last* sequence number, one cursor ``set_range`` to
  (shard, seq) lands on the segment holding ``seq`` (or the first one after it).
* database ``trims``: key = u64 BE shard; value = u64 LE ``trim_seq``, the first sequence number that was not
  trimmed (see retention.py). Records below it are never served, even when their segment still exists.

Invariants: within a shard sequence numbers strictly increase and timestamps never decrease, across segments as
within them; segments of a shard do not overlap; every stored segment validates.

Appends happen inside the caller's write transaction (the layer above commits an item change and its record
together). A small tail segment is extended in place (rewritten under a new key) rather than followed by another
tiny segment; when to extend and how to split a large batch is decided by ``SegmentPolicy``.

Thread-safety: a SegmentLog holds only database handles and its policy; it is safe to share. Transactions are
the caller's.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Iterator, Sequence


from logstore import codec
from logstore.errors import CorruptionError, TrimmedDataAccessException

from . import keys
from .env import Environment
from .txn import Cursor, Txn

DEFAULT_MAX_RECORDS = 1000
DEFAULT_MAX_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class SegmentPolicy:
    """When a segment is extended, and how large one may grow: the roll decision, in one place.

    ``extend_below``: the tail segment is rewritten with new records only while it is smaller than this (so a
    run of single-record appends costs one small rewrite each, not a new segment each). The default keeps a
    tail small enough to live inside its LMDB leaf page (values over ~2 KB move to overflow pages, and rewriting
    those on every append doubles the pages a commit writes).
    ``max_segment_bytes`` / ``max_segment_records``: a segment is not grown past these; a larger batch is split.
    A single record larger than ``max_segment_bytes`` gets a segment of its own.
    """

    extend_below: int = 1536
    max_segment_bytes: int = 1 << 20
    max_segment_records: int = 16384

    def __post_init__(self) -> None:
        if not 0 <= self.extend_below <= self.max_segment_bytes:
            raise ValueError("extend_below must be between 0 and max_segment_bytes")
        if self.max_segment_records < 1 or self.max_segment_bytes < codec.encoded_size(1, 0):
            raise ValueError("segment limits too small")

    def extends(self, tail: codec.SegmentHeader, add_count: int, add_bytes: int) -> bool:
        """Whether a batch of ``add_count`` records (``add_bytes`` of payload) goes into the tail segment."""
        return (tail.total_len < self.extend_below
                and tail.total_len + codec.encoded_size(add_count, add_bytes) <= self.max_segment_bytes
                and tail.count + add_count <= self.max_segment_records)

    def split(self, lengths: Sequence[int]) -> Iterator[tuple[int, int]]:
        """[start, end) ranges of a batch, each making one segment within the limits."""
        start, size = 0, codec.encoded_size(0, 0)
        per_record = codec.RECORD_HEADER_SIZE + codec.INDEX_ENTRY_SIZE
        if 0 < len(lengths) <= self.max_segment_records and \
                size + per_record * len(lengths) + sum(lengths) <= self.max_segment_bytes:
            yield 0, len(lengths)   # the whole batch fits one segment (a batch of small records): no loop
            return
        for i, n in enumerate(lengths):
            if i > start and (size + per_record + n > self.max_segment_bytes
                              or i - start >= self.max_segment_records):
                yield start, i
                start, size = i, codec.encoded_size(0, 0)
            size += per_record + n
        if start < len(lengths):
            yield start, len(lengths)


@dataclass(frozen=True, slots=True)
class LogBatch:
    """Records read from one shard, as parallel sequences; iterating yields (seq, timestamp_ms, payload).
    ``payloads`` is a list, or (the C codec's read) codec Spans: each payload sliced from its segment when asked
    for, and rendered where it lies by the record renderers.

    ``next_seq`` is where the next read should start: one past the last record returned, or the position read
    from when nothing was returned. ``nbytes`` is the payload bytes returned."""

    seqs: list[int]
    timestamps: list[int]
    payloads: Sequence[bytes]
    next_seq: int
    nbytes: int

    def __len__(self) -> int:
        return len(self.seqs)

    def __iter__(self) -> Iterator[tuple[int, int, bytes]]:
        return zip(self.seqs, self.timestamps, self.payloads)


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    """One stored segment of a shard, as its header tells (header checksum verified)."""

    shard: int
    key_seq: int
    header: codec.SegmentHeader


@dataclass(frozen=True, slots=True)
class ShardLogInfo:
    """A shard's log at a glance. ``first_seq``/``last_seq`` are the first readable and the last record's
    sequence numbers (None when no record is readable); ``trim_seq`` the first untrimmed sequence number."""

    shard: int
    segments: int
    records: int
    bytes: int
    first_seq: int | None
    last_seq: int | None
    trim_seq: int
    oldest_ts: int | None
    newest_ts: int | None


class SegmentLog:
    """Per-shard record logs stored as segments in one store. See the module docstring."""

    def __init__(self, env: Environment, policy: SegmentPolicy = SegmentPolicy()):
        self.env = env
        self.policy = policy
        self.segments_db = env.db("segments")
        self.trims_db = env.db("trims")

    # -- reading positions ---------------------------------------------------------------------------------------

    def _tail(self, cursor: Cursor, shard: int) -> tuple[bytes, bytes] | None:
        """(key, value) of the shard's last segment, cursor left on it; None if the shard has none."""
        if cursor.set_range(keys.segment_key(shard, keys.U64_MAX)):
            if cursor.key()[:8] == keys.shard_key(shard):  # a segment keyed exactly at U64_MAX
                return cursor.key(), cursor.value()
            found = cursor.prev()
        else:
            found = cursor.last()
        if found and cursor.key()[:8] == keys.shard_key(shard):
            return cursor.key(), cursor.value()
        return None

    def trim_seq(self, txn: Txn, shard: int) -> int:
        """The first sequence number of the shard that has not been trimmed (0 if nothing ever was)."""
        if self.trims_db is None:
            return 0
        raw = txn.get(keys.shard_key(shard), db=self.trims_db)
        return keys.unpack_trim(raw) if raw is not None else 0

    def last_seq(self, txn: Txn, shard: int) -> int | None:
        """The sequence number of the shard's last record ever appended (trimmed or not); None if none."""
        if self.segments_db is not None:
            with txn.cursor(db=self.segments_db) as cur:
                tail = self._tail(cur, shard)
            if tail is not None:
                return keys.unpack_segment_key(tail[0])[1]
        trim = self.trim_seq(txn, shard)
        return trim - 1 if trim else None

    # -- append --------------------------------------------------------------------------------------------------

    def append(self, txn: Txn, shard: int, seqs: Sequence[int], timestamps: Sequence[int],
               payloads: Sequence[bytes]) -> None:
        """Append records to ``shard`` inside the caller's write transaction ``txn``.

        ``seqs`` must strictly increase and exceed every sequence number the shard has had (trimmed ones too);
        ``timestamps`` (ms) must not decrease nor go below the shard's last record's. Raises ValueError
        otherwise, having written nothing. Raises CorruptionError if the tail segment it would extend is
        corrupt."""
        n = len(payloads)
        if n == 0:
            return
        if len(seqs) != n or len(timestamps) != n:
            raise ValueError("append: seqs, timestamps and payloads differ in length")
        if n > 1 and not (all(map(operator.lt, seqs, seqs[1:]))
                          and all(map(operator.le, timestamps, timestamps[1:]))):
            # checked here for the whole batch: the codec checks each segment, and a batch may become several
            raise ValueError("append: sequence numbers not increasing or timestamps decreasing")
        with txn.cursor(db=self.segments_db) as cur:
            tail = self._tail(cur, shard)
            if tail is None:
                floor = self.trim_seq(txn, shard)
                if seqs[0] < floor:
                    raise ValueError(f"append: sequence number {seqs[0]} is not above shard {shard}'s last "
                                     f"({floor - 1})")
            else:
                key, value = tail
                try:
                    head = codec.read_header(value)
                except CorruptionError as e:
                    raise e.located(shard, keys.unpack_segment_key(key)[1]) from None
                if seqs[0] <= head.last_seq or timestamps[0] < head.last_ts:
                    raise ValueError(f"append: record ({seqs[0]}, ts {timestamps[0]}) does not follow shard "
                                     f"{shard}'s last ({head.last_seq}, ts {head.last_ts})")
                add_bytes = sum(map(len, payloads))
                if self.policy.extends(head, n, add_bytes):
                    try:
                        extended = codec.extend(value, seqs, timestamps, payloads)
                    except CorruptionError as e:
                        raise e.located(shard, head.last_seq) from None
                    cur.delete()
                    txn.put(keys.segment_key(shard, seqs[-1]), extended, db=self.segments_db)
                    return
        if n == 1:  # the common single-record case skips the split
            txn.put(keys.segment_key(shard, seqs[0]), codec.encode(seqs, timestamps, payloads),
                    db=self.segments_db)
            return
        for start, end in self.policy.split(list(map(len, payloads))):
            segment = codec.encode(seqs[start:end], timestamps[start:end], payloads[start:end])
            txn.put(keys.segment_key(shard, seqs[end - 1]), segment, db=self.segments_db)

    # -- read ----------------------------------------------------------------------------------------------------

    def read(self, txn: Txn, shard: int, from_seq: int, max_records: int = DEFAULT_MAX_RECORDS,
             max_bytes: int = DEFAULT_MAX_BYTES) -> LogBatch:
        """Records of ``shard`` with sequence number >= ``from_seq``, in order: at most ``max_records``, and no
        more than ``max_bytes`` of payload except that the first record is always returned whole.

        Raises TrimmedDataAccessException if ``from_seq`` is below the shard's trim point, CorruptionError
        (naming shard and segment) if a segment it reads fails validation."""
        if max_records < 1:
            raise ValueError("max_records must be at least 1")
        if from_seq < self.trim_seq(txn, shard):
            raise TrimmedDataAccessException()
        page = codec.PageReader(from_seq, max_records, max_bytes)
        prefix = keys.shard_key(shard)
        if self.segments_db is not None:
            with txn.cursor(db=self.segments_db) as cur:
                found = cur.set_range(keys.segment_key(shard, from_seq))
                last = -1
                while found and page.count < max_records and page.nbytes <= max_bytes:
                    key = cur.key()
                    if key[:8] != prefix:
                        break
                    seg_seq = keys.unpack_segment_key(key)[1]
                    try:
                        header_last, first, taken_last = page.take(cur.value())
                    except CorruptionError as e:
                        raise e.located(shard, seg_seq) from None
                    if header_last != seg_seq or 0 <= first <= last:
                        raise CorruptionError("segment out of place (key and contents disagree)",
                                              shard=shard, segment=seg_seq)
                    if taken_last != seg_seq:  # stopped inside this segment (or took nothing): a limit
                        break
                    last = taken_last
                    found = cur.next()
        seqs, tss, payloads = page.records()
        return LogBatch(seqs, tss, payloads, seqs[-1] + 1 if seqs else from_seq, page.nbytes)

    # -- inspection ----------------------------------------------------------------------------------------------

    def shards(self, txn: Txn) -> Iterator[int]:
        """Every shard that has segments or a trim record, in ascending order."""
        found: set[int] = set()
        if self.segments_db is not None:
            with txn.cursor(db=self.segments_db) as cur:
                ok = cur.first()
                while ok:
                    shard = keys.unpack_segment_key(cur.key())[0]
                    found.add(shard)
                    if shard == keys.U64_MAX:
                        break
                    ok = cur.set_range(keys.segment_key(shard + 1, 0))
        if self.trims_db is not None:
            with txn.cursor(db=self.trims_db) as cur:
                found.update(keys.unpack_shard_key(k) for k in cur.iternext(values=False))
        return iter(sorted(found))

    def raw_segments(self, txn: Txn, shard: int) -> Iterator[tuple[int, bytes]]:
        """(key sequence number, stored bytes) of each segment of the shard, in order, unvalidated."""
        if self.segments_db is None:
            return
        prefix = keys.shard_key(shard)
        with txn.cursor(db=self.segments_db) as cur:
            ok = cur.set_range(keys.segment_key(shard, 0))
            while ok and cur.key()[:8] == prefix:
                yield keys.unpack_segment_key(cur.key())[1], cur.value()
                ok = cur.next()

    def segments(self, txn: Txn, shard: int) -> Iterator[SegmentInfo]:
        """Each segment's header (header checksum verified; CorruptionError otherwise), in order."""
        for key_seq, value in self.raw_segments(txn, shard):
            try:
                yield SegmentInfo(shard, key_seq, codec.read_header(value))
            except CorruptionError as e:
                raise e.located(shard, key_seq) from None

    def info(self, txn: Txn, shard: int) -> ShardLogInfo:
        """A summary from the segment headers (plus one read of the first readable record)."""
        trim = self.trim_seq(txn, shard)
        segs = list(self.segments(txn, shard))
        if not segs:
            return ShardLogInfo(shard, 0, 0, 0, None, None, trim, None, None)
        records = sum(s.header.count for s in segs)
        if segs[0].header.first_seq < trim:  # a straddling segment: its older records are not readable
            records -= codec.locate(next(self.raw_segments(txn, shard))[1], trim)
        first = self.read(txn, shard, trim, 1, 0)
        return ShardLogInfo(shard=shard, segments=len(segs), records=records,
                            bytes=sum(s.header.total_len for s in segs), first_seq=first.seqs[0],
                            last_seq=segs[-1].header.last_seq, trim_seq=trim, oldest_ts=first.timestamps[0],
                            newest_ts=segs[-1].header.last_ts)

    def count_since(self, txn: Txn, shard: int, since_ms: int, enough: int) -> int:
        """How many records of ``shard`` have timestamps >= ``since_ms``, counted from the newest segment back
        (headers only, except for the one segment straddling ``since_ms``); stops early at ``enough``."""
        count = 0
        if self.segments_db is None:
            return 0
        prefix = keys.shard_key(shard)
        with txn.cursor(db=self.segments_db) as cur:
            found = self._tail(cur, shard) is not None
            while found and cur.key()[:8] == prefix and count < enough:
                value = cur.value()
                try:
                    head = codec.read_header(value)
                    if head.first_ts >= since_ms:
                        count += head.count
                    else:
                        if head.last_ts >= since_ms:
                            r = codec.read(value, 0, head.count, codec.MAX_SEGMENT_SIZE, True)
                            count += sum(1 for ts in r.timestamps if ts >= since_ms)
                        break
                except CorruptionError as e:
                    raise e.located(shard, keys.unpack_segment_key(cur.key())[1]) from None
                found = cur.prev()
        return count

    def drop(self, txn: Txn, shard: int) -> int:
        """Delete every segment and the trim record of ``shard``; return the number of segments deleted."""
        deleted = 0
        if self.segments_db is not None:
            prefix = keys.shard_key(shard)
            with txn.cursor(db=self.segments_db) as cur:
                ok = cur.set_range(keys.segment_key(shard, 0))
                while ok and cur.key()[:8] == prefix:
                    ok = cur.delete()
                    deleted += 1
        if self.trims_db is not None:
            txn.delete(keys.shard_key(shard), db=self.trims_db)
        return deleted
