"""The recipes of docs/testing.md, as they are written there (through the plugin's ``logstore_mock`` fixture, which
this test suite gets from the installed entry point like any project)."""
from __future__ import annotations

import boto3
import pytest

from logstore.processors import Processor, ProcessorConfig


def make_orders_table():
    boto3.client("dynamodb").create_table(
        TableName="orders", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})


def place_order(order_id: str, qty: int) -> None:          # the code under test: plain boto3
    boto3.resource("dynamodb").Table("orders").put_item(Item={"id": order_id, "qty": qty})


def test_a_function_that_writes(logstore_mock):
    make_orders_table()
    place_order("o1", 3)
    item = boto3.resource("dynamodb").Table("orders").get_item(Key={"id": "o1"})["Item"]
    assert item["qty"] == 3
    [record] = logstore_mock.records("orders")
    assert record["eventName"] == "INSERT" and record["dynamodb"]["NewImage"]["qty"] == {"N": "3"}


class Consumer:
    """A stream consumer that remembers its position (as an application's would)."""

    def __init__(self, stream_arn: str):
        self.streams = boto3.client("dynamodbstreams")
        self.arn = stream_arn
        self.last_seq: dict[str, str] = {}
        self.seen: list[str] = []

    def poll(self) -> None:
        shards = self.streams.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"]
        for shard in shards:
            sid = shard["ShardId"]
            if sid in self.last_seq:
                it = self.streams.get_shard_iterator(StreamArn=self.arn, ShardId=sid,
                                                     ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                                                     SequenceNumber=self.last_seq[sid])
            else:
                it = self.streams.get_shard_iterator(StreamArn=self.arn, ShardId=sid,
                                                     ShardIteratorType="TRIM_HORIZON")
            for record in self.streams.get_records(ShardIterator=it["ShardIterator"])["Records"]:
                self.seen.append(record["dynamodb"]["Keys"]["id"]["S"])
                self.last_seq[sid] = record["dynamodb"]["SequenceNumber"]


def test_a_consumer_across_rollover_and_trim(logstore_mock):
    make_orders_table()
    arn = boto3.client("dynamodb").describe_table(TableName="orders")["Table"]["LatestStreamArn"]
    consumer = Consumer(arn)
    place_order("o1", 1)
    consumer.poll()
    logstore_mock.advance(hours=5)          # the shard rolls over: a closed parent and an open child
    place_order("o2", 1)
    consumer.poll()
    assert consumer.seen == ["o1", "o2"]
    place_order("o3", 1)                    # written, then the consumer is away for a day:
    logstore_mock.advance(hours=25)         # o3 is trimmed before it was read
    streams = boto3.client("dynamodbstreams")
    with pytest.raises(streams.exceptions.TrimmedDataAccessException):
        consumer.poll()


def test_a_lambda_style_handler_with_the_processors(logstore_mock):
    make_orders_table()
    for n in range(5):
        place_order(f"o{n}", n)
    totals = []

    def handler(event, context):            # Lambda's DynamoDB stream event
        totals.extend(int(r["dynamodb"]["NewImage"]["qty"]["N"]) for r in event["Records"])

    with Processor.embedded(logstore_mock.store, "orders", handler, ProcessorConfig(batch_size=2),
                            name="totals") as proc:
        proc.wait_idle()
    assert sorted(totals) == [0, 1, 2, 3, 4]


def test_the_same_handler_remote_through_boto3(logstore_mock, tmp_path):
    """The remote processor's boto3 streams client is answered by the mock too (checkpoints in a local store)."""
    import logstore
    make_orders_table()
    place_order("o1", 7)
    seen = []
    with logstore.open(tmp_path / "checkpoints", durable=False) as checkpoints:
        with Processor.remote(boto3.client("dynamodbstreams"), "orders", lambda e, c: seen.extend(e["Records"]),
                              checkpoints, ProcessorConfig(), name="remote") as proc:
            proc.wait_idle()
    assert [r["dynamodb"]["Keys"]["id"]["S"] for r in seen] == ["o1"]
