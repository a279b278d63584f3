"""The store's clock (its high-water mark of time) moves only when it commits something that records time. A write
that changes nothing (the same item put again) records nothing and must not move it: found by the streams model,
whose own notion of store time wrongly advanced on every write — after a no-op put 25 h later and the clock set
back 1 h, maintenance keeps the record written exactly 24 h before, as the store's time says."""
from __future__ import annotations

import logstore
from logstore.clock import FakeClock
from logstore.stream import StreamPolicy

HOUR = 3_600_000


def test_a_noop_write_does_not_move_the_store_clock(tmp_path):
    clock = FakeClock(1_700_000_000_000)
    policy = StreamPolicy(retention_ms=24 * HOUR, rollover_ms=4 * HOUR)
    with logstore.open(tmp_path / "s", clock=clock, stream_policy=policy, durable=False) as store:
        arn = store.create_table(
            TableName="tbl", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})["TableDescription"][
                "LatestStreamArn"]
        item = {"pk": {"S": "a"}, "v": {"N": "0"}}
        store.put_item(TableName="tbl", Item=item)
        clock.advance(25 * HOUR)
        store.put_item(TableName="tbl", Item=item)       # changes nothing, records nothing
        clock.advance(-HOUR)
        store.maintain()
        shards = store.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        events = []
        for shard in shards:
            it = store.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            events += [r["eventName"] for r in store.get_records(ShardIterator=it)["Records"]]
        assert events == ["INSERT"]
