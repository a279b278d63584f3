"""Shared helpers of the processor tests (tests/processors): a table with a stream, writes that number each
item's versions, a handler that records what it was given, and the per-key order check."""
from __future__ import annotations

import threading

START_MS = 1_700_000_000_000
HOUR_MS = 3600 * 1000


def create_table(store, name: str = "orders", view_type: str = "NEW_AND_OLD_IMAGES") -> str:
    desc = store.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": view_type})["TableDescription"]
    return desc["LatestStreamArn"]


def create_plain_table(store, name: str) -> None:
    store.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                       KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])


def put(store, pk: str, version: int, table: str = "orders", **extra) -> None:
    item = {"pk": {"S": pk}, "v": {"N": str(version)}}
    for k, v in extra.items():
        item[k] = {"N": str(v)} if isinstance(v, int) else {"S": v}
    store.put_item(TableName=table, Item=item)


def open_shards(store, arn: str) -> list[str]:
    shards = store.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    return [s["ShardId"] for s in shards if "EndingSequenceNumber" not in s["SequenceNumberRange"]]


class Recorder:
    """A handler that keeps every batch it was given (thread-safe)."""

    def __init__(self):
        self.batches: list[list[dict]] = []
        self.shards: list[str] = []      # the shard of each batch
        self.lock = threading.Lock()

    def __call__(self, event, context):
        with self.lock:
            self.batches.append(list(event["Records"]))
            self.shards.append(context.shard_id)

    @property
    def records(self) -> list[dict]:
        with self.lock:
            return [r for b in self.batches for r in b]

    def versions(self) -> dict[str, list[int]]:
        """pk -> the versions delivered, in delivery order."""
        out: dict[str, list[int]] = {}
        for r in self.records:
            image = r["dynamodb"].get("NewImage") or r["dynamodb"].get("OldImage")
            out.setdefault(r["dynamodb"]["Keys"]["pk"]["S"], []).append(int(image["v"]["N"]))
        return out


def assert_in_order_once(versions: dict[str, list[int]], expected: dict[str, int]) -> None:
    """Every key got versions 1..expected[key] exactly once, in order."""
    assert set(versions) == set(expected), (sorted(set(expected) - set(versions))[:10])
    for pk, n in expected.items():
        assert versions[pk] == list(range(1, n + 1)), f"{pk}: {versions[pk][:30]}"


def assert_at_least_once_in_order(deliveries, expected: dict[str, int]) -> None:
    """``deliveries``: (time, pk, version) of every record handed to a handler, by any instance. Every key got every
    version 1..expected[key] at least once, and never a version before all earlier ones had been delivered (no
    gap in per-key order; redelivery after a takeover may repeat a run of versions)."""
    reached: dict[str, int] = {}
    for _, pk, v in sorted(deliveries):
        assert v <= reached.get(pk, 0) + 1, f"{pk}: version {v} delivered before version {reached.get(pk, 0) + 1}"
        reached[pk] = max(reached.get(pk, 0), v)
    missing = {pk: (reached.get(pk, 0), n) for pk, n in expected.items() if reached.get(pk, 0) < n}
    assert not missing, f"keys not delivered to their last version (reached, written): {dict(list(missing.items())[:10])}"
