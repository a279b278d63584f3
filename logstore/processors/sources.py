"""Where a processor's records come from: a stream's shards and a reader per shard, over either an open store
(``EmbeddedSource``: the engine's read path, records rendered straight from the segment log) or a DynamoDB
Streams endpoint (``RemoteSource``: a boto3 ``dynamodbstreams`` client against ``logstore serve`` or AWS).

Both give the same things: ``shards()`` (every shard, parents before children), and ``reader(shard, after,
start)`` whose ``read(limit)`` returns a ``Page``: Lambda-form records in sequence order, their timestamps in
milliseconds, and whether a closed shard has been read to its end. A reader resumes after the wire sequence
number ``after`` (a checkpoint), else at ``start`` (TRIM_HORIZON or LATEST). A position that retention has
trimmed meanwhile moves to the shard's oldest record (``Page.skipped_trimmed``), as Lambda does.

A remote reader retries throttling (LimitExceededException...) and transient failures (5xx, connection
trouble) through the processor's ``Retrier`` (capped exponential backoff, full jitter), re-resolves an expired
iterator from the position it reached (AFTER_SEQUENCE_NUMBER of the last record read, else the checkpoint's
start), and counts all three. At most ``MAX_READERS_PER_SHARD`` (2, DynamoDB Streams' documented limit of
concurrent readers of a shard) GetRecords calls on one shard are in flight in a process at once, however many
processors read it; across processes, leases keep it to one reader per processor (two during a takeover).

Thread-safety: a source may be shared by shard workers; a reader belongs to one worker.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from logstore.api.store import Store
from logstore.errors import ProcessorError, TrimmedDataAccessException
from logstore.stream import LATEST, TRIM_HORIZON, ids

from .events import Renderer, from_boto3
from .retry import STARTUP_THROTTLE_ATTEMPTS, Backoff, Interrupted, Retrier, error_code

log = logging.getLogger("logstore.processors")
MAX_READERS_PER_SHARD = 2
_gates: dict[tuple[str, str], threading.BoundedSemaphore] = {}
_gates_lock = threading.Lock()


def _gate(stream_arn: str, shard_id: str) -> threading.BoundedSemaphore:
    with _gates_lock:
        gate = _gates.get((stream_arn, shard_id))
        if gate is None:
            gate = _gates[(stream_arn, shard_id)] = threading.BoundedSemaphore(MAX_READERS_PER_SHARD)
        return gate


@dataclass(frozen=True, slots=True)
class ShardView:
    shard_id: str
    parent_id: str | None
    closed: bool
    start_seq: str          # StartingSequenceNumber (wire)


@dataclass(frozen=True, slots=True)
class Page:
    records: list = field(default_factory=list)
    ts_ms: list = field(default_factory=list)
    ended: bool = False
    skipped_trimmed: bool = False


class EmbeddedSource:
    """The stream of ``table`` in an open store, read through ``StreamEngine.read``."""

    remote = False

    def __init__(self, store: Store, table: str):
        self.store = store
        try:
            desc = store.describe_table(TableName=table)["Table"]
        except Exception as e:  # a missing table is the user's mistake, said so
            if error_code(e) == "ResourceNotFoundException":
                raise ProcessorError(f"no table {table} in the store") from None
            raise
        arn = desc.get("LatestStreamArn")
        if arn is None or not desc.get("StreamSpecification", {}).get("StreamEnabled"):
            raise ProcessorError(f"table {table} has no enabled stream")
        self.stream_arn = arn
        with store.env.begin_read() as txn:
            self.info = store.streams.catalog.stream_by_arn(txn, arn)
        self.renderer = Renderer(self.info, store.region, store.event_key)

    def shards(self) -> list[ShardView]:
        with self.store.env.begin_read() as txn:
            shards = self.store.streams.catalog.shards(txn, self.info.stream_no)
        return [ShardView(s.shard_id, s.parent_id, s.end_seq is not None, ids.seq_to_wire(s.start_seq))
                for s in shards]

    def tail(self, shard: ShardView) -> str:
        """The wire sequence number after which LATEST starts now (the newest record, or the shard's start)."""
        with self.store.env.begin_read() as txn:
            info = self.store.streams.shard_of(txn, self.info, shard.shard_id)
            position = self.store.streams.position(txn, info, LATEST, None)
        return ids.seq_to_wire(max(position - 1, info.start_seq))

    def reader(self, shard: ShardView, after: str | None, start: str) -> "EmbeddedReader":
        return EmbeddedReader(self, shard.shard_id, after, start)


class EmbeddedReader:
    def __init__(self, source: EmbeddedSource, shard_id: str, after: str | None, start: str):
        self.source = source
        self.engine = source.store.streams
        self.env = source.store.env
        with self.env.begin_read() as txn:
            self.shard = self.engine.shard_of(txn, source.info, shard_id)
            if after is not None:
                self.position = ids.seq_from_wire(after) + 1
            else:
                self.position = self.engine.position(txn, self.shard, start, None)
        self.ended = False

    def read(self, limit: int) -> Page:
        if self.ended:
            return Page(ended=True)
        skipped = False
        with self.env.begin_read() as txn:
            if self.shard.end_seq is None:   # an open shard may have closed since: read its state again
                shard = self.source.store.streams.catalog.shard(txn, self.shard.shard_no)
                if shard is not None:
                    self.shard = shard
            try:
                batch, following = self.engine.read(txn, self.shard, self.position, limit)
            except TrimmedDataAccessException:
                self.position = self.engine.position(txn, self.shard, TRIM_HORIZON, None)
                batch, following = self.engine.read(txn, self.shard, self.position, limit)
                skipped = True
        if following is None:
            self.ended = True
        else:
            self.position = following
        records = self.source.renderer.records(batch.seqs, batch.timestamps, batch.payloads)
        return Page(records, list(batch.timestamps), self.ended, skipped)


class RemoteSource:
    """The stream of ``table`` behind a DynamoDB Streams endpoint. ``streams`` is a boto3 ``dynamodbstreams``
    client; ``stream_arn`` may be given, else the table's newest stream is looked up with ListStreams."""

    remote = True

    def __init__(self, streams, table: str, stream_arn: str | None = None, tables=None,
                 retrier: Retrier | None = None):
        self.client = streams
        self.retrier = retrier or Retrier(what=f"stream of {table}")     # the processor hands in its own
        # the first contact retries a few times only: an endpoint that is down or throttles for good at startup is
        # reported, not waited on forever (throttling, which many instances starting at once meet, for ~10 s)
        first = Retrier(Backoff(0.1, 1.0), max_attempts=4, throttle_attempts=STARTUP_THROTTLE_ATTEMPTS,
                        what=f"stream of {table}")
        if stream_arn is None:
            if tables is not None:   # DynamoDB tells a missing table from one without a stream; Streams does not
                try:
                    desc = first.call(tables.describe_table, TableName=table)["Table"]
                except Exception as e:
                    if error_code(e) == "ResourceNotFoundException":
                        where = getattr(getattr(streams, "meta", None), "endpoint_url", "the endpoint")
                        raise ProcessorError(f"no table {table} at {where}") from None
                    raise
                if not desc.get("StreamSpecification", {}).get("StreamEnabled") or "LatestStreamArn" not in desc:
                    raise ProcessorError(f"table {table} has no enabled stream")
            found = first.call(streams.list_streams, TableName=table).get("Streams", [])
            if not found:
                raise ProcessorError(f"table {table} has no stream (or does not exist)")
            stream_arn = max(found, key=lambda s: s["StreamLabel"])["StreamArn"]
        self.stream_arn = stream_arn

    def shards(self) -> list[ShardView]:
        out, start = [], None
        while True:
            request = {"StreamArn": self.stream_arn}
            if start is not None:
                request["ExclusiveStartShardId"] = start
            desc = self.client.describe_stream(**request)["StreamDescription"]
            for s in desc["Shards"]:
                rng = s["SequenceNumberRange"]
                out.append(ShardView(s["ShardId"], s.get("ParentShardId"), "EndingSequenceNumber" in rng,
                                     rng["StartingSequenceNumber"]))
            start = desc.get("LastEvaluatedShardId")
            if start is None:
                return out

    def tail(self, shard: ShardView) -> None:
        return None   # not knowable without reading: LATEST is resolved by the first GetShardIterator

    def reader(self, shard: ShardView, after: str | None, start: str) -> "RemoteReader":
        return RemoteReader(self, shard.shard_id, after, start)


class RemoteReader:
    def __init__(self, source: RemoteSource, shard_id: str, after: str | None, start: str):
        self.source = source
        self.client = source.client
        self.shard_id = shard_id
        self.after = after
        self.start = start
        self.iterator: str | None = None
        self.ended = False
        self.throttles = self.retries = self.expired_iterators = 0
        self.gate = _gate(source.stream_arn, shard_id)

    def _count(self, kind: str, e: BaseException) -> None:
        if kind == "throttle":
            self.throttles += 1
        else:
            self.retries += 1

    def _get_records(self, limit: int) -> dict:
        with self.gate:
            return self.client.get_records(ShardIterator=self.iterator, Limit=min(limit, 1000))

    def _iterator(self, trimmed: bool = False) -> str:
        request = {"StreamArn": self.source.stream_arn, "ShardId": self.shard_id}
        if self.after is not None and not trimmed:
            request.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=self.after)
        else:
            request["ShardIteratorType"] = TRIM_HORIZON if trimmed else self.start
        return self.client.get_shard_iterator(**request)["ShardIterator"]

    def read(self, limit: int) -> Page:
        if self.ended:
            return Page(ended=True)
        skipped = False
        retrier = self.source.retrier
        for attempt in range(5):
            try:
                if self.iterator is None:
                    self.iterator = retrier.call(self._iterator, trimmed=skipped, on_retry=self._count)
                page = retrier.call(self._get_records, limit, on_retry=self._count)
                break
            except Interrupted:
                return Page()           # stopping: the worker sees it and ends
            except Exception as e:  # the two the stream answers that a new iterator cures
                code = error_code(e)
                if code == "ExpiredIteratorException":
                    self.expired_iterators += 1
                    log.info("shard %s: iterator expired; resolving it again after %s", self.shard_id,
                             self.after or self.start)
                    self.iterator = None
                elif code == "TrimmedDataAccessException":
                    self.iterator, skipped = None, True
                else:
                    raise
        else:
            raise ProcessorError(f"shard {self.shard_id}: no readable iterator after 5 attempts")
        arn = self.source.stream_arn
        records = [from_boto3(r, arn) for r in page.get("Records", [])]
        if records:
            self.after = records[-1]["dynamodb"]["SequenceNumber"]
            self.start = TRIM_HORIZON   # from now on resume by sequence number
        self.iterator = page.get("NextShardIterator")
        if self.iterator is None:
            self.ended = True
        ts = [r["dynamodb"]["ApproximateCreationDateTime"] * 1000 for r in records]
        return Page(records, ts, self.ended, skipped)
