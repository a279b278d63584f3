"""Time travel: ``advance`` moves the mock's clock and runs maintenance, so a stream consumer meets what it would
meet in production after that time: a shard rollover, TrimmedDataAccessException, TTL deletions made by the
service, expired iterators."""
from __future__ import annotations

import time

import boto3
import pytest
from mockhelpers import create_table

from logstore.testing import FakeClock, mock

SERVICE = {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}   # GetRecords's shape (Lambda: lower case)


def clients():
    return boto3.client("dynamodb", region_name="us-east-1"), boto3.client("dynamodbstreams", region_name="us-east-1")


def shards(streams, arn):
    return streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]


def test_consumer_meets_rollover_then_trim():
    with mock() as m:
        ddb, streams = clients()
        arn = create_table(ddb, "orders")["LatestStreamArn"]
        ddb.put_item(TableName="orders", Item={"pk": {"S": "first"}})
        first = shards(streams, arn)[0]
        assert "EndingSequenceNumber" not in first["SequenceNumberRange"]
        # a consumer takes an iterator at the first record and falls behind
        seq = streams.get_records(ShardIterator=streams.get_shard_iterator(
            StreamArn=arn, ShardId=first["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"],
        )["Records"][0]["dynamodb"]["SequenceNumber"]

        report = m.advance(hours=5)                          # past the 4-hour rollover
        assert report["rolled"] >= 1
        after = shards(streams, arn)
        assert len(after) == 2
        closed, child = after
        assert closed["ShardId"] == first["ShardId"] and "EndingSequenceNumber" in closed["SequenceNumberRange"]
        assert child["ParentShardId"] == first["ShardId"]
        ddb.put_item(TableName="orders", Item={"pk": {"S": "second"}})
        assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in m.records("orders")] == ["first", "second"]

        m.advance(hours=20)                                  # 25 hours since the first write: past retention
        with pytest.raises(streams.exceptions.TrimmedDataAccessException):
            streams.get_shard_iterator(StreamArn=arn, ShardId=first["ShardId"],
                                       ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber=seq)
        assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in m.records("orders")] == ["second"]


def test_ttl_remove_carries_the_service_identity():
    with mock() as m:
        ddb, streams = clients()
        create_table(ddb, "sessions")
        ddb.update_time_to_live(TableName="sessions",
                                TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
        soon = int(time.time()) + 3600                      # the mock's clock starts at the real time
        ddb.put_item(TableName="sessions", Item={"pk": {"S": "s1"}, "expires": {"N": str(soon)}})
        ddb.put_item(TableName="sessions", Item={"pk": {"S": "s2"}, "expires": {"N": str(soon + 86400)}})
        ddb.delete_item(TableName="sessions", Key={"pk": {"S": "other"}})   # a no-op: no record
        m.advance(hours=1, minutes=1)
        assert "Item" not in ddb.get_item(TableName="sessions", Key={"pk": {"S": "s1"}})
        assert "Item" in ddb.get_item(TableName="sessions", Key={"pk": {"S": "s2"}})
        removes = [r for r in m.records("sessions") if r["eventName"] == "REMOVE"]
        assert len(removes) == 1
        assert removes[0]["userIdentity"] == SERVICE
        assert removes[0]["dynamodb"]["OldImage"]["pk"] == {"S": "s1"}
        # and through boto3 the same identity
        shard = shards(streams, ddb.describe_table(TableName="sessions")["Table"]["LatestStreamArn"])[0]
        arn = ddb.describe_table(TableName="sessions")["Table"]["LatestStreamArn"]
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        got = streams.get_records(ShardIterator=it)["Records"]
        assert [r.get("userIdentity") for r in got] == [None, None, SERVICE]


def test_iterators_expire_after_fifteen_minutes():
    with mock() as m:
        ddb, streams = clients()
        arn = create_table(ddb, "orders")["LatestStreamArn"]
        shard = shards(streams, arn)[0]["ShardId"]
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
        m.advance(minutes=16)
        with pytest.raises(streams.exceptions.ExpiredIteratorException):
            streams.get_records(ShardIterator=it)


def test_a_fake_clock_stands_still_until_advanced():
    clock = FakeClock(1_800_000_000_000)
    with mock(clock=clock) as m:
        ddb, _ = clients()
        create_table(ddb, "orders")
        ddb.put_item(TableName="orders", Item={"pk": {"S": "a"}})
        time.sleep(0.01)
        assert m.now_ms() == 1_800_000_000_000
        assert m.records("orders")[0]["dynamodb"]["ApproximateCreationDateTime"] == 1_800_000_000
        assert m.advance(seconds=1.5)["now_ms"] == 1_800_000_001_500
        with pytest.raises(ValueError):
            m.advance(seconds=-1)


def test_a_long_jump_rolls_over_at_each_age_not_once():
    with mock() as m:
        ddb, streams = clients()
        arn = create_table(ddb, "orders")["LatestStreamArn"]
        m.advance(hours=12)          # rounds of an hour: rolls at about 4 h and 8 h and 12 h
        assert len(shards(streams, arn)) == 4
