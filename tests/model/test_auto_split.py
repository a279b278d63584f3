"""A partition whose write rate stays above the threshold for a full window splits by itself; one below it does
not; children name their parent and every record is still read exactly once along lineage."""
from __future__ import annotations

import logstore
from logstore.clock import FakeClock
from logstore.stream import StreamPolicy

POLICY = StreamPolicy(split_rate=10.0, split_window_ms=10_000, max_partitions=4)   # 100 records per 10 s


def setup(tmp_path):
    clock = FakeClock()
    store = logstore.open(tmp_path / "s", clock=clock, stream_policy=POLICY)
    store.create_table(TableName="tbl", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                       BillingMode="PAY_PER_REQUEST",
                       StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    arn = store.list_streams(TableName="tbl")["Streams"][0]["StreamArn"]
    return clock, store, arn


def write(store, clock, n, per_ms, start=0):
    for i in range(start, start + n):
        store.put_item(TableName="tbl", Item={"pk": {"S": f"key-{i}"}})
        clock.advance(per_ms)


def shards(store, arn):
    return store.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]


def test_sustained_rate_splits_the_partition(tmp_path):
    clock, store, arn = setup(tmp_path)
    with store:
        write(store, clock, 300, 50)           # 20 records/s for 15 s: above 10/s for a full window
        found = shards(store, arn)
        assert len(found) == 3
        root, *children = found
        assert "EndingSequenceNumber" in root["SequenceNumberRange"]
        assert [c["ParentShardId"] for c in children] == [root["ShardId"]] * 2
        seen = []
        for shard in found:
            it = store.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            while it:
                page = store.get_records(ShardIterator=it)
                seen += [r["dynamodb"]["Keys"]["pk"]["S"] for r in page["Records"]]
                if not page["Records"]:
                    break
                it = page.get("NextShardIterator")
        assert sorted(seen) == sorted(f"key-{i}" for i in range(300))


def test_low_rate_does_not_split(tmp_path):
    clock, store, arn = setup(tmp_path)
    with store:
        write(store, clock, 100, 200)          # 5 records/s for 20 s
        assert len(shards(store, arn)) == 1
