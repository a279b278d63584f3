"""Integrity walk of the segment log, for ``logstore check``: every segment of a shard validated whole, and the
order of segments checked against each other and against the shard's trim point. Reports problems; never raises
for damaged data and never stops at the first problem.

What one shard's walk checks (docs/format.md, "Segment" and "Across the segments of one shard"):
* each segment validates (magic, version, both checksums, framing, index, order within it): one C call per
  segment (``codec.validate``, or ``codec.read`` when the caller wants the records too), no per-record Python;
* the segment key's sequence number equals the segment's last record's;
* each segment's first sequence number is above the previous segment's last, and its first timestamp is not
  below the previous segment's last timestamp.
A damaged segment is reported and then left out of the order checks (its header cannot be trusted), so one bad
segment yields one problem, not a cascade.

Also a ``Problem`` value shared by the layers above (stream/verify.py, tables/verify.py), so every finding has
one shape. Read-only: runs inside the caller's read transaction. Stateless functions; thread-safe.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, TypedDict

from logstore import codec
from logstore.errors import CorruptionError

from .segment_log import SegmentLog
from .txn import Txn

U64_MAX = 0xFFFFFFFFFFFFFFFF


class Where(TypedDict, total=False):
    """Problem's location fields, as keyword arguments gathered before the Problem is made."""
    shard: int | None
    segment: int | None
    stream: str | None
    shard_id: str | None
    table: str | None
    key: str | None


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing found wrong, and where. ``kind``: "segment" (a segment fails validation), "order" (sequence or
    time order across segments or along a lineage), "lineage" (shards and their parents), "metadata" (streams,
    shards, tables and counters against each other and the log), "items" (items against their latest record),
    "index" (stored indexes against their tables), "pages" (LMDB's own pages: storage/pages.py).
    The location fields that apply are set; the rest are None."""

    kind: str
    message: str
    shard: int | None = None
    segment: int | None = None
    stream: str | None = None
    shard_id: str | None = None
    table: str | None = None
    key: str | None = None

    def where(self) -> str:
        """The location in words, e.g. ``shard 3 (shardId-...), segment 1200``."""
        parts = []
        if self.table is not None:
            parts.append(f"table {self.table}")
        if self.stream is not None:
            parts.append(f"stream {self.stream}")
        if self.shard is not None:
            parts.append(f"shard {self.shard}" + (f" ({self.shard_id})" if self.shard_id else ""))
        elif self.shard_id is not None:
            parts.append(f"shard {self.shard_id}")
        if self.segment is not None:
            parts.append(f"segment {self.segment}")
        if self.key is not None:
            parts.append(f"key {self.key}")
        return ", ".join(parts) or "store"

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"kind": self.kind, "where": self.where(), "message": self.message}
        for name in ("shard", "segment", "stream", "shard_id", "table", "key"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out


@dataclass(slots=True)
class ShardScan:
    """What the walk of one shard's log found. ``records``/``bytes`` count valid segments only (records below the
    trim point are not counted as readable); ``first_seq``..``last_seq`` and the timestamps span the readable
    records; ``last_key_seq`` is the last segment's key (damaged or not), i.e. the shard's last sequence number as
    the log stores it. Built by ``scan_shard``; not shared between threads."""

    shard: int
    trim_seq: int
    segments: int = 0
    records: int = 0
    bytes: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    first_ts: int | None = None
    last_ts: int | None = None
    last_key_seq: int | None = None
    stored: int = 0                                             # records in valid segments, trimmed ones too
    spans: list[tuple[int, int]] = field(default_factory=list)  # (first, last) seq of each valid segment
    damaged: list[tuple[int, int]] = field(default_factory=list)  # (previous seq, key seq) around a bad segment
    problems: list[Problem] = field(default_factory=list)


# visit(shard, segment bytes, read result): called for each valid segment when the caller wants its records
Visitor = Callable[[int, bytes, codec.SegmentRead], None]


def scan_shard(log: SegmentLog, txn: Txn, shard: int, visit: Visitor | None = None,
               progress: Callable[[int], None] | None = None) -> ShardScan:
    """Walk every segment of ``shard`` (see the module docstring). ``visit`` receives each valid segment with
    its records described (``codec.read``: validation and record offsets in one C call); without it, segments are
    only validated. ``progress(n)`` is called with the number of segments done, after each."""
    scan = ShardScan(shard, log.trim_seq(txn, shard))
    prev_seq = prev_ts = None
    for key_seq, value in log.raw_segments(txn, shard):
        scan.segments += 1
        scan.last_key_seq = key_seq
        try:
            if visit is not None:
                r = codec.read(value, 0, U64_MAX, U64_MAX, True)
                head = r.header
            else:
                head = codec.validate(value)
        except CorruptionError as e:
            scan.problems.append(Problem("segment", f"{e.reason} (codec status {e.status})", shard=shard,
                                         segment=key_seq))
            lo = prev_seq or 0
            try:   # a damaged body under an intact header: the header still says where the segment began
                head = codec.read_header(value)
                if head.last_seq == key_seq and head.first_seq > lo:
                    lo = head.first_seq - 1
            except CorruptionError:
                pass
            scan.damaged.append((lo, key_seq))
            prev_seq = max(prev_seq or 0, key_seq)  # what follows must still be above the damaged segment's key
            if progress:
                progress(1)
            continue
        if head.last_seq != key_seq:
            scan.problems.append(Problem("order", f"segment key names sequence number {key_seq} but the "
                                         f"segment's last record is {head.last_seq}", shard=shard, segment=key_seq))
        if prev_seq is not None and head.first_seq <= prev_seq:
            scan.problems.append(Problem("order", f"sequence regression: segment starts at {head.first_seq}, not "
                                         f"above the previous segment's last {prev_seq}", shard=shard,
                                         segment=key_seq))
        if prev_ts is not None and head.first_ts < prev_ts:
            scan.problems.append(Problem("order", f"time goes backwards: segment starts at {head.first_ts} ms, "
                                         f"before the previous segment's last {prev_ts} ms", shard=shard,
                                         segment=key_seq))
        prev_seq, prev_ts = max(prev_seq or 0, head.last_seq), max(prev_ts or 0, head.last_ts)
        scan.bytes += head.total_len
        scan.stored += head.count
        scan.spans.append((head.first_seq, head.last_seq))
        if head.last_seq >= scan.trim_seq:
            skipped = codec.locate(value, scan.trim_seq) if head.first_seq < scan.trim_seq else 0
            scan.records += head.count - skipped
            if scan.first_seq is None:
                if skipped:  # a segment straddling the trim point: its first readable record
                    first = codec.read(value, scan.trim_seq, 1, 0, True)
                    scan.first_seq, scan.first_ts = first.seqs[0], first.timestamps[0]
                else:
                    scan.first_seq, scan.first_ts = head.first_seq, head.first_ts
            scan.last_seq, scan.last_ts = head.last_seq, head.last_ts
        if visit is not None:
            visit(shard, value, r)
        if progress:
            progress(1)
    return scan


def segment_seqs(log: SegmentLog, txn: Txn, shard: int) -> list[int]:
    """The sequence numbers of every record in the shard's valid segments (damaged ones are skipped), in order.
    One C call per segment; used only to locate records that a check found missing."""
    out: list[int] = []
    for _key_seq, value in log.raw_segments(txn, shard):
        try:
            out += codec.read(value, 0, U64_MAX, U64_MAX, True).seqs
        except CorruptionError:
            continue
    return out
