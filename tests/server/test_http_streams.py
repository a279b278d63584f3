"""The four DynamoDB Streams operations over HTTP with boto3's ``dynamodbstreams`` client, and the spec's error
paths (docs/streams-compat.md, ../shared/spec/dynamodb-streams.md §3)."""
from __future__ import annotations

import datetime

import pytest
from serverhelpers import read_shard, unique


def code(err) -> str:
    return err.value.response["Error"]["Code"]


def test_records_images_and_shapes(ddb, streams, table):
    name, arn = table
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "v": {"N": "1"}, "b": {"B": b"\x00\x01"}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "v": {"N": "2"}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "v": {"N": "2"}})          # identical: no record
    ddb.delete_item(TableName=name, Key={"pk": {"S": "a"}})
    desc = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert desc["StreamStatus"] == "ENABLED" and desc["TableName"] == name
    assert isinstance(desc["CreationRequestDateTime"], datetime.datetime)
    assert desc["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    [shard] = desc["Shards"]
    records = read_shard(streams, arn, shard["ShardId"])
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    insert, modify, remove = (r["dynamodb"] for r in records)
    assert insert["NewImage"]["b"] == {"B": b"\x00\x01"} and "OldImage" not in insert
    assert modify["OldImage"]["v"] == {"N": "1"} and modify["NewImage"]["v"] == {"N": "2"}
    assert remove["OldImage"] == {"pk": {"S": "a"}, "v": {"N": "2"}} and "NewImage" not in remove
    assert isinstance(insert["ApproximateCreationDateTime"], datetime.datetime)
    seqs = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    assert records[0]["eventSource"] == "aws:dynamodb" and records[0]["awsRegion"] == "us-east-1"


def test_list_streams_filter_and_pages(ddb, streams, table):
    name, arn = table
    assert streams.list_streams(TableName=name)["Streams"] == [
        {"StreamArn": arn, "TableName": name, "StreamLabel": arn.rsplit("/", 1)[1]}]
    assert streams.list_streams(TableName=unique("nostream"))["Streams"] == []
    seen, start = [], {}
    while True:
        page = streams.list_streams(Limit=1, **start)
        seen += [s["StreamArn"] for s in page["Streams"]]
        if "LastEvaluatedStreamArn" not in page:
            break
        start = {"ExclusiveStartStreamArn": page["LastEvaluatedStreamArn"]}
    assert arn in seen and len(seen) == len(set(seen))
    for bad in (dict(Limit=101), dict(ExclusiveStartStreamArn="x" * 40)):
        with pytest.raises(streams.exceptions.ClientError) as err:
            streams.list_streams(**bad)
        assert code(err) == "ValidationException", bad


def test_iterator_types(ddb, streams, table):
    name, arn = table
    for i in range(3):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"k{i}"}})
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    records = read_shard(streams, arn, shard["ShardId"])
    second = records[1]["dynamodb"]["SequenceNumber"]
    at = read_shard(streams, arn, shard["ShardId"], "AT_SEQUENCE_NUMBER", SequenceNumber=second)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in at] == ["k1", "k2"]
    after = read_shard(streams, arn, shard["ShardId"], "AFTER_SEQUENCE_NUMBER", SequenceNumber=second)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in after] == ["k2"]
    start = shard["SequenceNumberRange"]["StartingSequenceNumber"]
    assert len(read_shard(streams, arn, shard["ShardId"], "AT_SEQUENCE_NUMBER", SequenceNumber=start)) == 3
    latest = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                        ShardIteratorType="LATEST")["ShardIterator"]
    page = streams.get_records(ShardIterator=latest)
    assert page["Records"] == [] and page["NextShardIterator"] != latest
    ddb.put_item(TableName=name, Item={"pk": {"S": "k3"}})
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in streams.get_records(ShardIterator=latest)["Records"]] == ["k3"]


def test_error_paths(ddb, streams, table):
    name, arn = table
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    missing = arn.replace(name, name + "-gone")
    cases = [
        (streams.get_records, dict(ShardIterator=it, Limit=1001), "ValidationException", "at 'limit'"),
        (streams.get_records, dict(ShardIterator="garbage-iterator"), "ValidationException", None),
        (streams.get_records, dict(ShardIterator=it[:-4] + "AAAA"), "ValidationException", None),
        (streams.get_shard_iterator, dict(StreamArn=arn, ShardId=shard, ShardIteratorType="AT_TIMESTAMP"),
         "ValidationException", "enum value set"),
        (streams.get_shard_iterator, dict(StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER"),
         "ValidationException", None),
        (streams.get_shard_iterator, dict(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST",
                                          SequenceNumber="1" * 21), "ValidationException", None),
        (streams.get_shard_iterator, dict(StreamArn=arn, ShardId="shardId-00000000000000000000-00000000",
                                          ShardIteratorType="LATEST"), "ResourceNotFoundException", None),
        (streams.describe_stream, dict(StreamArn=missing), "ResourceNotFoundException", "not found"),
        (streams.describe_stream, dict(StreamArn="arn:aws:dynamodb:us-east-1:000000000000:nonsense"),
         "ValidationException", None),
        (streams.describe_stream, dict(StreamArn=arn, Limit=101), "ValidationException", "at 'limit'"),
    ]
    for call, args, expected, text in cases:
        with pytest.raises(streams.exceptions.ClientError) as err:
            call(**args)
        assert code(err) == expected, (args, err.value.response)
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        if text:
            assert text in err.value.response["Error"]["Message"]


def test_closed_shard_has_no_next_iterator_and_describe_pages(ddb, streams, table, server):
    name, arn = table
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}})
    parent = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    children = server.admin("/logstore-admin/split-shard", {"StreamArn": arn, "ShardId": parent})["Shards"]
    assert len(children) == 2 and all(c["ParentShardId"] == parent for c in children)
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=parent, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    page = streams.get_records(ShardIterator=it)
    assert len(page["Records"]) == 1 and "NextShardIterator" not in page
    latest = streams.get_shard_iterator(StreamArn=arn, ShardId=parent, ShardIteratorType="LATEST")["ShardIterator"]
    page = streams.get_records(ShardIterator=latest)
    assert page["Records"] == [] and "NextShardIterator" not in page
    filtered = streams.describe_stream(StreamArn=arn, ShardFilter={"Type": "CHILD_SHARDS", "ShardId": parent})
    assert sorted(s["ShardId"] for s in filtered["StreamDescription"]["Shards"]) == \
        sorted(c["ShardId"] for c in children)
    first = streams.describe_stream(StreamArn=arn, Limit=1)["StreamDescription"]
    assert len(first["Shards"]) == 1 and first["LastEvaluatedShardId"] == first["Shards"][0]["ShardId"]
    rest = streams.describe_stream(StreamArn=arn, ExclusiveStartShardId=first["LastEvaluatedShardId"])
    assert len(rest["StreamDescription"]["Shards"]) == 2


def test_expired_iterator_and_trimmed_data(tmp_path):
    # The clock moves for the whole server, so this test runs on a fresh one of its own making.
    from serverhelpers import ServerProcess
    own = ServerProcess(tmp_path / "store", tmp_path / "log", "--enable-test-endpoints").start()
    try:
        d, s = own.client("dynamodb"), own.client("dynamodbstreams")
        arn = d.create_table(TableName="expiry", BillingMode="PAY_PER_REQUEST",
                             KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                             StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
                             )["TableDescription"]["LatestStreamArn"]
        shard = s.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        it = s.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        own.admin("/logstore-admin/advance-clock", {"Seconds": 16 * 60})
        with pytest.raises(s.exceptions.ExpiredIteratorException):
            s.get_records(ShardIterator=it)
        d.put_item(TableName="expiry", Item={"pk": {"S": "old"}})
        old = read_shard(s, arn, shard)[0]["dynamodb"]["SequenceNumber"]
        own.admin("/logstore-admin/advance-clock", {"Seconds": 3600})
        d.put_item(TableName="expiry", Item={"pk": {"S": "young"}})
        own.admin("/logstore-admin/advance-clock", {"Seconds": 23 * 3600 + 60})
        own.admin("/logstore-admin/maintain")                   # the 24-hour retention trim
        with pytest.raises(s.exceptions.TrimmedDataAccessException):
            s.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER",
                                 SequenceNumber=old)
        assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in read_shard(s, arn, shard)] == ["young"]
    finally:
        own.stop()


def test_background_maintenance_rolls_shards_and_sweeps_ttl(tmp_path):
    # ServerProcess passes --maintenance-interval 0; a later option wins, so this server maintains every 0.3 s.
    import time

    from serverhelpers import ServerProcess
    own = ServerProcess(tmp_path / "store", tmp_path / "log", "--rollover-seconds", "1",
                        "--maintenance-interval", "0.3").start()
    try:
        d, s = own.client("dynamodb"), own.client("dynamodbstreams")
        arn = d.create_table(TableName="maint", BillingMode="PAY_PER_REQUEST",
                             KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                             StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
                             )["TableDescription"]["LatestStreamArn"]
        d.update_time_to_live(TableName="maint", TimeToLiveSpecification={"Enabled": True, "AttributeName": "x"})
        d.put_item(TableName="maint", Item={"pk": {"S": "gone"}, "x": {"N": str(int(time.time()) - 10)}})
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            shards = s.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
            if len(shards) > 1 and "Item" not in d.get_item(TableName="maint", Key={"pk": {"S": "gone"}}):
                break
            time.sleep(0.2)
        assert len(shards) > 1, shards                                   # rolled over with no request
        assert "Item" not in d.get_item(TableName="maint", Key={"pk": {"S": "gone"}})  # swept
    finally:
        own.stop()
    assert "Traceback" not in own.log()
