"""Reading a table's whole stream in order: its shards along lineage (every parent before its children), each from
TRIM_HORIZON to its end (closed) or to what is there now (open). One function over a ``call(operation, **request)``
that answers the Streams API as JSON, so the mock (over its Store) and the live server (over HTTP) read alike.

Pure orchestration; thread-safe as its ``call`` is.
"""
from __future__ import annotations

from typing import Callable

Call = Callable[..., dict]
MAX_PAGES = 100_000   # bound on GetRecords calls of one shard (a shard holds far fewer pages than that)


def latest_stream(call: Call, table: str) -> str | None:
    arn, start = None, None
    while True:
        page = call("ListStreams", TableName=table, **({"ExclusiveStartStreamArn": start} if start else {}))
        for stream in page.get("Streams", []):
            arn = stream["StreamArn"]   # listed oldest first; the table's current stream is the last
        start = page.get("LastEvaluatedStreamArn")
        if not start:
            return arn


def shards_in_lineage_order(call: Call, arn: str) -> list[dict]:
    shards, start = [], None
    while True:
        page = call("DescribeStream", StreamArn=arn, **({"ExclusiveStartShardId": start} if start else {}))
        description = page["StreamDescription"]
        shards += description.get("Shards", [])
        start = description.get("LastEvaluatedShardId")
        if not start:
            break
    known = {s["ShardId"] for s in shards}
    ordered, placed = [], set()
    pending = list(shards)
    while pending:   # parents first; a parent trimmed away (unknown) counts as placed
        ready = [s for s in pending if s.get("ParentShardId") in placed or s.get("ParentShardId") not in known]
        if not ready:   # a cycle cannot happen; guard anyway
            ready = pending[:1]
        for s in ready:
            ordered.append(s)
            placed.add(s["ShardId"])
        pending = [s for s in pending if s["ShardId"] not in placed]
    return ordered


def read_shard(call: Call, arn: str, shard_id: str) -> list[dict]:
    iterator = call("GetShardIterator", StreamArn=arn, ShardId=shard_id,
                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    out: list[dict] = []
    for _ in range(MAX_PAGES):   # an empty page is the end: a closed shard's last, or an open shard caught up
        if not iterator:
            break
        page = call("GetRecords", ShardIterator=iterator, Limit=1000)
        if not page["Records"]:
            break
        out += page["Records"]
        iterator = page.get("NextShardIterator")
    return out


def records_along_lineage(call: Call, table: str) -> list[dict]:
    """Every readable record of ``table``'s latest stream, in lineage order; [] when it has no stream."""
    arn = latest_stream(call, table)
    if arn is None:
        return []
    out: list[dict] = []
    for shard in shards_in_lineage_order(call, arn):
        out += read_shard(call, arn, shard["ShardId"])
    return out
