"""The four DynamoDB Streams operations, with AWS's semantics and errors: ListStreams, DescribeStream,
GetShardIterator, GetRecords. Requests and responses are AWS-shaped dicts (JSON-level values; B as bytes).

Order of checks in GetRecords (docs/streams-compat.md): request validation and token verification
(ValidationException) -> expiry (ExpiredIteratorException) -> stream and shard exist (ResourceNotFoundException) ->
position not trimmed (TrimmedDataAccessException) -> read <= Limit records and ~1 MB -> NextShardIterator, a fresh
token, unless a closed shard has been read to its end.

Thread-safety: stateless between calls; each call uses its own read transaction.
"""
from __future__ import annotations

import orjson

from logstore.clock import Clock
from logstore.errors import ExpiredIteratorException, ResourceNotFoundException, ValidationException
from logstore.storage import Environment
from logstore.stream import (AFTER_SEQUENCE_NUMBER, AT_SEQUENCE_NUMBER, LATEST, TRIM_HORIZON, StreamEngine,
                             StreamInfo, ids, iterators)

from . import render
from .validation import Checks, table_name

ITERATOR_TYPES = (TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER)


class StreamsService:
    def __init__(self, env: Environment, streams: StreamEngine, clock: Clock, region: str, iterator_key: bytes):
        self.env = env
        self.streams = streams
        self.catalog = streams.catalog
        self.clock = clock
        self.region = region
        self.key = iterator_key
        self.event_key = ids.store_event_key(env)

    def _stream(self, txn, arn: str) -> StreamInfo:
        info = self.catalog.stream_by_arn(txn, arn)
        if info is None:
            raise ResourceNotFoundException(f"Requested resource not found: Stream: {arn} not found")
        return info

    @staticmethod
    def _arn(checks: Checks, name: str, required: bool) -> str | None:
        arn = checks.string(name, required=required, min_len=37, max_len=1024)
        checks.done()
        if arn is not None and ids.parse_stream_arn(arn) is None:
            raise ValidationException(f"Invalid {name}: {arn}")
        return arn

    # -- ListStreams ---------------------------------------------------------------------------------------------

    def list_streams(self, request: dict) -> dict:
        checks = Checks(request)
        table = table_name(checks, required=False)
        limit = checks.integer("Limit", min_value=1, max_value=100) or 100
        start = self._arn(checks, "ExclusiveStartStreamArn", required=False)
        # by key, O(log n + page): a table's streams are the ARNs under its prefix in this store's region
        prefix = "" if table is None else ids.stream_arn(self.region, self.streams.account, table, "")
        with self.env.begin_read() as txn:
            found = self.catalog.streams_page(txn, start, prefix, limit + 1)
        page = found[:limit]
        out = {"Streams": [{"StreamArn": s.arn, "TableName": s.table, "StreamLabel": s.label} for s in page]}
        if len(found) > limit:
            out["LastEvaluatedStreamArn"] = page[-1].arn
        return out

    # -- DescribeStream ------------------------------------------------------------------------------------------

    def describe_stream(self, request: dict) -> dict:
        checks = Checks(request)
        limit = checks.integer("Limit", min_value=1, max_value=100) or 100
        start = checks.string("ExclusiveStartShardId", min_len=28, max_len=65)
        shard_filter = checks.get("ShardFilter")
        filter_type = filter_shard = None
        if shard_filter is not None:
            sub = Checks(shard_filter)
            filter_type = sub.string("Type", required=True, enum=["CHILD_SHARDS"])
            filter_shard = sub.string("ShardId", min_len=28, max_len=65)
            checks.errors += [e.replace("at '", "at 'shardFilter.", 1) for e in sub.errors]
        arn = self._arn(checks, "StreamArn", required=True)
        if filter_type == "CHILD_SHARDS" and filter_shard is None:
            raise ValidationException("ShardFilter of type CHILD_SHARDS requires a ShardId")
        with self.env.begin_read() as txn:   # by key: O(log n + page), whatever the stream's shard count
            info = self._stream(txn, arn)
            if filter_shard is not None:
                parent = self.catalog.shard_by_id(txn, info.stream_no, filter_shard)
                shards = self.catalog.children(txn, parent) if parent is not None else []
                if start is not None:  # AWS (observed): an id that is not one of the shards gives an empty page
                    ids_ = [s.shard_id for s in shards]
                    shards = shards[ids_.index(start) + 1:] if start in ids_ else []
            else:
                after = None
                if start is not None:
                    first = self.catalog.shard_by_id(txn, info.stream_no, start)
                    after = first.shard_no if first is not None else None
                shards = [] if start is not None and after is None else \
                    self.catalog.shards_page(txn, info.stream_no, after, limit + 1)
        page = shards[:limit]
        desc = {"StreamArn": info.arn, "StreamLabel": info.label, "StreamStatus": info.status,
                "StreamViewType": info.view_type, "CreationRequestDateTime": info.created_ms / 1000,
                "TableName": info.table, "KeySchema": render.key_schema(info),
                "Shards": [render.shard(s) for s in page]}
        if len(shards) > limit:
            desc["LastEvaluatedShardId"] = page[-1].shard_id
        return {"StreamDescription": desc}

    # -- GetShardIterator ----------------------------------------------------------------------------------------

    def get_shard_iterator(self, request: dict) -> dict:
        checks = Checks(request)
        shard_id = checks.string("ShardId", required=True, min_len=28, max_len=65)
        kind = checks.string("ShardIteratorType", required=True, enum=list(ITERATOR_TYPES))
        seq_text = checks.string("SequenceNumber", min_len=21, max_len=40, pattern="[0-9]+")
        arn = self._arn(checks, "StreamArn", required=True)
        if kind in (AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER) and seq_text is None:
            raise ValidationException(f"Must specify a sequence number for iterator type {kind}")
        if kind in (TRIM_HORIZON, LATEST) and seq_text is not None:
            raise ValidationException(f"Sequence number must not be specified for iterator type {kind}")
        seq = None
        if seq_text is not None:
            seq = ids.seq_from_wire(seq_text)
            if seq is None:
                raise ValidationException(f"Invalid SequenceNumber: {seq_text}")
        with self.env.begin_read() as txn:
            info = self._stream(txn, arn)
            shard = self.streams.shard_of(txn, info, shard_id)
            position = self.streams.position(txn, shard, kind, seq)
        token = iterators.IteratorToken(info.stream_no, shard.shard_no, position, self.clock.now_ms())
        return {"ShardIterator": iterators.encode(token, info.arn, self.key)}

    # -- GetRecords ----------------------------------------------------------------------------------------------

    def _read(self, request: dict):
        checks = Checks(request)
        text = checks.string("ShardIterator", required=True, min_len=1, max_len=2048)
        limit = checks.integer("Limit", min_value=1, max_value=1000) or 1000
        checks.done()
        arn, token = iterators.decode(text, self.key)
        now = self.clock.now_ms()
        if now - token.issued_ms > iterators.LIFETIME_MS:
            raise ExpiredIteratorException()
        with self.env.begin_read() as txn:
            info = self.catalog.stream(txn, token.stream_no)
            shard = self.catalog.shard(txn, token.shard_no)
            if info is None or info.arn != arn or shard is None or shard.stream_no != info.stream_no:
                raise ResourceNotFoundException(f"Requested resource not found: Stream: {arn} not found"
                                                if info is None else
                                                "Requested resource not found: Shard does not exist")
            batch, following = self.streams.read(txn, shard, token.position, limit)
        return info, token, batch, following, now

    def get_records(self, request: dict) -> dict:
        info, token, batch, following, now = self._read(request)
        region = self.region
        event_key = self.event_key
        out = {"Records": render.records(batch.seqs, batch.timestamps, batch.payloads, stream_no=info.stream_no,
                                         view_type=info.view_type, key_names=render.key_names(info),
                                         region=region, event_key=event_key)}
        if following is not None:
            nxt = iterators.IteratorToken(info.stream_no, token.shard_no, following, now)
            out["NextShardIterator"] = iterators.encode(nxt, info.arn, self.key)
        return out

    def get_records_json(self, request: dict) -> bytes:
        """GetRecords' response body as JSON bytes, the same bytes the server's JSON layer writes for
        ``get_records(request)``, with the records rendered straight from their stored bytes (render.records_json):
        for the server's GetRecords."""
        info, token, batch, following, now = self._read(request)
        records = render.records_json(
            batch.seqs, batch.timestamps, batch.payloads, stream_no=info.stream_no, view_type=info.view_type,
            key_names=render.key_names(info), region=self.region, event_key=self.event_key)
        if following is None:
            return b"".join((b'{"Records":', *records, b"}"))
        nxt = iterators.IteratorToken(info.stream_no, token.shard_no, following, now)
        return b"".join((b'{"Records":', *records, b',"NextShardIterator":',
                         orjson.dumps(iterators.encode(nxt, info.arn, self.key)), b"}"))
