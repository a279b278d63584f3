"""The stream engine: where change records go, how shards roll over and split, retention, and reading.

Owns the lifecycle rules of docs/streams.md:
* Each stream's partition-hash space is cut into partitions; every partition has exactly one open shard while the
  stream is ENABLED, and a record goes to the open shard of its partition. Records of one partition key therefore
  stay in one lineage: a shard, then its children.
* Rollover closes a shard and opens one child over the same range; a split closes it and opens two children over
  the halves. Children name the closed shard as their parent. Closed shards never take records again.
* Sequence numbers come from the store-wide ``seq`` counter (one per record, one reserved as each shard's starting
  number), so they increase in every shard and from a parent to its children, and are never reused.
* Time comes from the injected clock, raised to a store-wide high-water mark (``clock`` counter) so that record
  timestamps and shard creation times never go backwards even when the clock does.

Every method takes the caller's transaction; state is read inside it, never from a cache that could be stale.
Thread-safety: holds only handles and settings; safe to share.
"""
from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, replace


from logstore.clock import Clock
from logstore.errors import ResourceNotFoundException, TrimmedDataAccessException, ValidationException
from logstore.storage import Counters, LogBatch, SegmentLog, trim_shard

from . import ids
from .catalog import DISABLED, ENABLED, HASH_SPACE, ShardInfo, StreamCatalog, StreamInfo, StreamPolicy
from logstore.storage.txn import Txn

MAX_READ_BYTES = 1 << 20
TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER = (
    "TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER")


@dataclass(frozen=True, slots=True)
class MaintenanceReport:
    rolled: int = 0
    records_trimmed: int = 0
    shards_deleted: int = 0
    streams_deleted: int = 0


class StreamEngine:
    def __init__(self, log: SegmentLog, counters: Counters, catalog: StreamCatalog, policy: StreamPolicy,
                 clock: Clock, region: str, account: str):
        self.log = log
        self.counters = counters
        self.catalog = catalog
        self.policy = policy
        self.clock = clock
        self.region = region
        self.account = account
        # shard -> when its write rate was last judged. Only decides *when to look*: the judgement itself reads
        # the log inside the transaction, so a stale or missing entry costs one extra look, never a wrong split.
        self._rate_checked: dict[int, int] = {}

    # -- time and numbers ----------------------------------------------------------------------------------------

    def now(self, txn: Txn) -> int:
        """The clock's time, never earlier than any time this store has used (write transactions only)."""
        return self.counters.raise_to(txn, "clock", self.clock.now_ms())

    def _new_shard(self, txn: Txn, stream_no: int, parent: ShardInfo | None, lo: int, hi: int, now: int) -> ShardInfo:
        shard_no = self.counters.allocate(txn, "shard")
        start = self.counters.allocate(txn, "seq")
        shard = ShardInfo(shard_no, stream_no, ids.shard_id(now, shard_no),
                          parent.shard_no if parent is not None else None,
                          parent.shard_id if parent is not None else None, lo, hi, start, now)
        self.catalog.put_shard(txn, shard)
        return shard

    def _close(self, txn: Txn, shard: ShardInfo, now: int) -> ShardInfo:
        last = self.log.last_seq(txn, shard.shard_no)
        closed = shard.closed(last if last is not None and last > shard.start_seq else shard.start_seq, now)
        self.catalog.put_shard(txn, closed)
        return closed

    # -- lifecycle -----------------------------------------------------------------------------------------------

    def enable(self, txn: Txn, table: str, key_schema: Iterable[tuple[str, str]], view_type: str) -> StreamInfo:
        """Create a new ENABLED stream for ``table`` with its initial partitions."""
        now = self.now(txn)
        created = now
        while True:  # labels are unique per table: bump a millisecond on a clash
            label = ids.stream_label(created)
            arn = ids.stream_arn(self.region, self.account, table, label)
            if self.catalog.stream_by_arn(txn, arn) is None:
                break
            created += 1
        stream_no = self.counters.allocate(txn, "stream")
        n = self.policy.initial_partitions
        bounds = [HASH_SPACE * i // n for i in range(n)] + [HASH_SPACE]
        shards = [self._new_shard(txn, stream_no, None, bounds[i], bounds[i + 1], now) for i in range(n)]
        info = StreamInfo(stream_no, table, label, arn, view_type, tuple((name, role) for name, role in key_schema),
                          created, ENABLED, None, tuple((s.lo, s.shard_no, s.created_ms) for s in shards))
        self.catalog.put_stream(txn, info)
        return info

    def disable(self, txn: Txn, stream_no: int) -> StreamInfo | None:
        """Close every open shard; the stream stays readable, DISABLED, for the retention period."""
        info = self.catalog.stream(txn, stream_no)
        if info is None or info.status != ENABLED:
            return info
        now = self.now(txn)
        for _, shard_no, _ in info.partitions:
            self._close(txn, self.catalog.listed_shard(txn, info, shard_no), now)
        info = replace(info, status=DISABLED, disabled_ms=now, partitions=())
        self.catalog.put_stream(txn, info)
        return info

    def _replace(self, txn: Txn, info: StreamInfo, index: int, pieces: int, now: int) -> StreamInfo:
        """Close the open shard of partition ``index`` and open ``pieces`` children over its range."""
        parts = list(info.partitions)
        lo, shard_no, _ = parts[index]
        hi = parts[index + 1][0] if index + 1 < len(parts) else HASH_SPACE
        if pieces > 1 and hi - lo < pieces:
            raise ValidationException("Shard range too small to split")
        parent = self._close(txn, self.catalog.listed_shard(txn, info, shard_no), now)
        cuts = [lo + (hi - lo) * i // pieces for i in range(pieces)] + [hi]
        children = [self._new_shard(txn, info.stream_no, parent, cuts[i], cuts[i + 1], now)
                    for i in range(pieces)]
        parts[index:index + 1] = [(c.lo, c.shard_no, c.created_ms) for c in children]
        return replace(info, partitions=tuple(parts))

    def split(self, txn: Txn, stream_no: int, shard_no: int) -> list[ShardInfo]:
        """Split an open shard's partition in two (the API call). Returns the children."""
        info = self.catalog.stream(txn, stream_no)
        index = next((i for i, p in enumerate(info.partitions) if p[1] == shard_no), None) if info else None
        if info is None or index is None:
            raise ValidationException("Only an open shard of an enabled stream can be split")
        if len(info.partitions) >= self.policy.max_partitions:
            raise ValidationException(f"Stream already has the maximum of {self.policy.max_partitions} partitions")
        info = self._replace(txn, info, index, 2, self.now(txn))
        self.catalog.put_stream(txn, info)
        return [self.catalog.listed_shard(txn, info, p[1]) for p in info.partitions[index:index + 2]]

    def roll(self, txn: Txn, stream_no: int) -> int:
        """Roll over every open shard of the stream that is due; return how many rolled."""
        info = self.catalog.stream(txn, stream_no)
        if info is None or info.status != ENABLED:
            return 0
        now = self.now(txn)
        due = [i for i, p in enumerate(info.partitions) if self.policy.rolls(p[2], now)]
        for i in due:
            info = self._replace(txn, info, i, 1, now)
        if due:
            self.catalog.put_stream(txn, info)
        return len(due)

    # -- the write path's entry ----------------------------------------------------------------------------------

    def append(self, txn: Txn, stream_no: int, hashes: list[int], payloads: list[bytes]) -> list[int]:
        """Append change records (each with its partition hash) to the stream's open shards, in order, inside
        the caller's transaction. Rolls or splits the partitions they touch first when due. Returns the
        sequence numbers given, in input order. A stream that is not ENABLED takes nothing."""
        info = self.catalog.stream(txn, stream_no)
        if info is None or info.status != ENABLED or not payloads:
            return []
        now = self.now(txn)
        n = len(payloads)
        if len(info.partitions) == 1:  # the common case: one partition takes every record
            touched: list[int] = [0]
        else:
            los = [p[0] for p in info.partitions]
            touched = sorted({bisect.bisect_right(los, h) - 1 for h in hashes}, reverse=True)
        changed = False
        for i in touched:  # right to left, so earlier indexes stay valid while partitions are replaced
            lo, shard_no, created = info.partitions[i]
            if self.policy.rolls(created, now):
                info, changed = self._replace(txn, info, i, 1, now), True
                continue
            if self._hot(txn, shard_no, now):
                hi = info.partitions[i + 1][0] if i + 1 < len(info.partitions) else HASH_SPACE
                if hi - lo >= 2 and len(info.partitions) < self.policy.max_partitions:
                    info, changed = self._replace(txn, info, i, 2, now), True
        if changed:
            self.catalog.put_stream(txn, info)
        first = self.counters.allocate(txn, "seq", n)
        seqs = list(range(first, first + n))
        if len(info.partitions) == 1:
            self.log.append(txn, info.partitions[0][1], seqs, [now] * n, payloads)
            return seqs
        los = [p[0] for p in info.partitions]
        groups: dict[int, list[int]] = {}
        for i, h in enumerate(hashes):
            groups.setdefault(bisect.bisect_right(los, h) - 1, []).append(i)
        for index, members in groups.items():
            shard_no = info.partitions[index][1]
            self.log.append(txn, shard_no, [first + i for i in members], [now] * len(members),
                            [payloads[i] for i in members])
        return seqs

    def _hot(self, txn: Txn, shard_no: int, now: int) -> bool:
        """Whether the shard took at least the split threshold of records in the last full window. Looked at
        once per window per shard (and once more after a restart); counted from the log's segment headers."""
        checked = self._rate_checked.setdefault(shard_no, now)
        if now - checked < self.policy.split_window_ms:
            return False
        threshold = self.policy.split_threshold()
        if threshold is None:
            return False
        if self.log.count_since(txn, shard_no, now - self.policy.split_window_ms, threshold) >= threshold:
            self._rate_checked.pop(shard_no, None)  # the split closes it; if the split rolls back, look again
            return True
        self._rate_checked[shard_no] = now
        return False

    # -- maintenance ---------------------------------------------------------------------------------------------

    def maintain(self, txn: Txn, cursor: tuple[str, int | None] | None = None, budget: int | None = None
                 ) -> tuple[MaintenanceReport, tuple[str, int | None] | None]:
        """Roll due shards, trim records past retention, delete closed shards with nothing readable left once
        they have been closed for the retention period, and DISABLED streams once retention has passed since.

        Streams in ARN order, each one's shards in number order, from ``cursor`` (where the previous step
        stopped: a stream ARN and the last shard number done in it, or None for the stream's start), visiting at
        most ``budget`` shards (None: all). Returns the report and the cursor to continue from, or None when the
        round is complete, so a round can be a series of bounded transactions (``Store.maintain``)."""
        now = self.now(txn)
        horizon = now - self.policy.retention_ms
        rolled = trimmed = shards_deleted = streams_deleted = visited = 0
        arn, after = cursor if cursor is not None else (None, None)
        info = self.catalog.stream_by_arn(txn, arn) if arn is not None and after is not None else None
        if info is None:
            after = None
            info = next(iter(self.catalog.streams_page(txn, arn, "", 1)), None)
        while info is not None:
            if after is None:
                rolled += self.roll(txn, info.stream_no)
            gone = info.status == DISABLED and info.disabled_ms is not None and info.disabled_ms < horizon
            while True:
                shards = self.catalog.shards_page(txn, info.stream_no, after, 100)
                for shard in shards:
                    if budget is not None and visited >= budget:
                        return (MaintenanceReport(rolled, trimmed, shards_deleted, streams_deleted),
                                (info.arn, after if after is not None else -1))
                    visited += 1
                    after = shard.shard_no
                    trimmed += trim_shard(self.log, txn, shard.shard_no, horizon).records_trimmed
                    closed = shard.closed_ms   # set with end_seq
                    empty = shard.end_seq is not None and closed is not None and closed < horizon and not self.log.read(
                        txn, shard.shard_no, self.log.trim_seq(txn, shard.shard_no), 1, 0)
                    if gone or empty:
                        self.log.drop(txn, shard.shard_no)
                        self.catalog.delete_shard(txn, shard)
                        shards_deleted += 1
                if len(shards) < 100:
                    break
            if gone:
                self.catalog.delete_stream(txn, info)
                streams_deleted += 1
            arn, after = info.arn, None
            info = next(iter(self.catalog.streams_page(txn, arn, "", 1)), None)
        return MaintenanceReport(rolled, trimmed, shards_deleted, streams_deleted), None

    # -- reading -------------------------------------------------------------------------------------------------

    def shard_of(self, txn: Txn, info: StreamInfo, shard_id: str) -> ShardInfo:
        shard = self.catalog.shard_by_id(txn, info.stream_no, shard_id)
        if shard is not None:
            return shard
        raise ResourceNotFoundException(f"Requested resource not found: Shard: {shard_id} in Stream: {info.arn} "
                                        "not found")

    def position(self, txn: Txn, shard: ShardInfo, kind: str, seq: int | None) -> int:
        """The sequence-space position (next sequence number to read) an iterator of ``kind`` starts at. A shard's
        starting sequence number is reserved, never a record's, so its first record is at ``start_seq + 1`` or
        later; a closed shard's records all lie at or below ``end_seq``."""
        trim = self.log.trim_seq(txn, shard.shard_no)
        if kind == TRIM_HORIZON:
            return max(shard.start_seq + 1, trim)
        if kind == LATEST and shard.end_seq is not None:
            return shard.end_seq + 1
        last = self.log.last_seq(txn, shard.shard_no)
        if kind == LATEST:
            return max(last + 1 if last is not None else shard.start_seq + 1, trim)
        assert seq is not None
        newest = shard.end_seq if shard.end_seq is not None else max(last or 0, shard.start_seq)
        if not shard.start_seq <= seq <= newest:
            raise ValidationException(
                f"Invalid SequenceNumber {ids.seq_to_wire(seq)} for shard {shard.shard_id}: outside the shard's "
                f"sequence number range")
        position = seq if kind == AT_SEQUENCE_NUMBER else seq + 1
        if position < trim:
            raise TrimmedDataAccessException()
        return position

    def read(self, txn: Txn, shard: ShardInfo, position: int, limit: int) -> tuple[LogBatch, int | None]:
        """Records from ``position``: at most ``limit`` and about 1 MB. The position to continue from, or None
        once a closed shard has been read to its end."""
        batch = self.log.read(txn, shard.shard_no, position, limit, MAX_READ_BYTES)
        following = batch.next_seq
        # a read returns at least one record if any is left, so an empty read of a closed shard is its end
        if shard.end_seq is not None and (following > shard.end_seq or not batch):
            return batch, None
        return batch, following

