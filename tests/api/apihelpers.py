"""Shared constants and the ``Api`` helper of the embedded-API behaviour tests (tests/api). Test modules import
from here (``from apihelpers import ...``); conftest.py turns it into fixtures.

Reference for every expectation: /work/shared/spec/dynamodb-streams.md ("the spec", cited by section).
"""
from __future__ import annotations

import re

from logstore.clock import FakeClock

START_MS = 1_700_000_000_000          # 2023-11-14T22:13:20.000Z
START_LABEL = "2023-11-14T22:13:20.000"
SECOND_MS = 1000
MINUTE_MS = 60 * SECOND_MS
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS
REGION = "us-east-1"
ACCOUNT = "000000000000"

SHARD_ID_RE = re.compile(r"shardId-\d{20}-[0-9a-f]{8}")
LABEL_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}")
SEQ_RE = re.compile(r"[0-9]{21,40}")
EVENT_ID_RE = re.compile(r"[0-9a-f]{32}")

VIEW_TYPES = ("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES")
ITERATOR_TYPE_ENUM = "[TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER]"


def stream_arn(table: str, label: str = START_LABEL, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:aws:dynamodb:{region}:{account}:table/{table}/stream/{label}"


def item(pk: str, **attrs) -> dict:
    """An item of a table keyed by S ``pk``; keyword values: str -> S, int -> N."""
    out = {"pk": {"S": pk}}
    for name, value in attrs.items():
        out[name] = {"N": str(value)} if isinstance(value, int) else {"S": value}
    return out


class Api:
    """Stream chores over one store."""

    def __init__(self, store, clock: FakeClock):
        self.store = store
        self.clock = clock

    def create_table(self, name: str = "table1", view_type: str | None = "NEW_AND_OLD_IMAGES", *,
                     key_schema=(("pk", "S"),)) -> str | None:
        """Create a table (HASH, then optional RANGE from ``key_schema``) with a stream of ``view_type`` (None:
        no stream). Returns the stream ARN (or None)."""
        request = dict(
            TableName=name,
            KeySchema=[{"AttributeName": n, "KeyType": "HASH" if i == 0 else "RANGE"}
                       for i, (n, _) in enumerate(key_schema)],
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in key_schema],
            BillingMode="PAY_PER_REQUEST")
        if view_type is not None:
            request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view_type}
        desc = self.store.create_table(**request)["TableDescription"]
        return desc.get("LatestStreamArn")

    def enable(self, name: str, view_type: str = "NEW_AND_OLD_IMAGES") -> str:
        desc = self.store.update_table(TableName=name, StreamSpecification={"StreamEnabled": True,
                                                                            "StreamViewType": view_type})
        return desc["TableDescription"]["LatestStreamArn"]

    def disable(self, name: str) -> dict:
        return self.store.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})

    def describe(self, arn: str) -> dict:
        return self.store.describe_stream(StreamArn=arn)["StreamDescription"]

    def shards(self, arn: str) -> list[dict]:
        """Every shard of the stream, following DescribeStream pages."""
        out, start = [], None
        while True:
            request = {"StreamArn": arn}
            if start is not None:
                request["ExclusiveStartShardId"] = start
            desc = self.store.describe_stream(**request)["StreamDescription"]
            out += desc["Shards"]
            start = desc.get("LastEvaluatedShardId")
            if start is None:
                return out

    def open_shards(self, arn: str) -> list[dict]:
        return [s for s in self.shards(arn) if "EndingSequenceNumber" not in s["SequenceNumberRange"]]

    def only_shard(self, arn: str) -> str:
        [shard] = self.shards(arn)
        return shard["ShardId"]

    def iterator(self, arn: str, shard_id: str | None = None, kind: str = "TRIM_HORIZON",
                 seq: str | None = None) -> str:
        request = {"StreamArn": arn, "ShardId": shard_id or self.only_shard(arn), "ShardIteratorType": kind}
        if seq is not None:
            request["SequenceNumber"] = seq
        return self.store.get_shard_iterator(**request)["ShardIterator"]

    def read(self, iterator: str, limit: int | None = None) -> dict:
        request = {"ShardIterator": iterator}
        if limit is not None:
            request["Limit"] = limit
        return self.store.get_records(**request)

    def drain(self, iterator: str, limit: int | None = None, max_pages: int = 10_000) -> tuple[list[dict], dict]:
        """Read from ``iterator`` until the shard ends (no NextShardIterator) or an open shard has nothing more
        (an empty page). Returns (records, last response)."""
        records = []
        for _ in range(max_pages):
            page = self.read(iterator, limit)
            records += page["Records"]
            if "NextShardIterator" not in page or not page["Records"]:
                return records, page
            iterator = page["NextShardIterator"]
        raise AssertionError("shard never ended")

    def records(self, arn: str, shard_id: str | None = None, kind: str = "TRIM_HORIZON") -> list[dict]:
        """Every record of one shard (default: the only shard) from ``kind``."""
        return self.drain(self.iterator(arn, shard_id, kind))[0]

    def all_records(self, arn: str) -> list[dict]:
        """Every record of the stream, shard by shard in DescribeStream order (parents before children)."""
        out = []
        for shard in self.shards(arn):
            out += self.records(arn, shard["ShardId"])
        return out

    def events(self, arn: str) -> list[str]:
        return [r["eventName"] for r in self.all_records(arn)]
