"""Table operations over HTTP with boto3: create (streams, tags, billing modes, indexes), describe (waiters),
list (paged), update, delete, TTL, tags; and their error paths."""
from __future__ import annotations

import datetime

import pytest

from serverhelpers import read_shard, unique

KEYS = dict(KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "N"},
                                  {"AttributeName": "g", "AttributeType": "S"}])


def test_create_describe_with_stream_tags_indexes_and_waiter(ddb, server):
    name = unique()
    out = ddb.create_table(
        TableName=name, ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}, **KEYS,
        LocalSecondaryIndexes=[{"IndexName": "lsi", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                                  {"AttributeName": "g", "KeyType": "RANGE"}],
                                "Projection": {"ProjectionType": "ALL"}}],
        GlobalSecondaryIndexes=[{"IndexName": "gsi", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "KEYS_ONLY"},
                                 "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
        Tags=[{"Key": "team", "Value": "storage"}])
    desc = out["TableDescription"]
    assert desc["TableStatus"] == "ACTIVE"
    assert desc["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    assert desc["LatestStreamArn"].endswith("/stream/" + desc["LatestStreamLabel"])
    assert desc["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 3})
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["CreationDateTime"].year >= 2024        # epoch seconds on the wire -> datetime
    assert [ix["IndexName"] for ix in table["GlobalSecondaryIndexes"]] == ["gsi"]
    assert [ix["IndexName"] for ix in table["LocalSecondaryIndexes"]] == ["lsi"]
    tags = ddb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"]
    assert tags == [{"Key": "team", "Value": "storage"}]


def test_tag_and_untag(ddb):
    name = unique()
    arn = ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                           KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                           AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}]
                           )["TableDescription"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    ddb.untag_resource(ResourceArn=arn, TagKeys=["a"])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    with pytest.raises(ddb.exceptions.ResourceNotFoundException):
        ddb.tag_resource(ResourceArn=arn + "-gone", Tags=[{"Key": "a", "Value": "1"}])
    with pytest.raises(ddb.exceptions.ClientError) as err:
        ddb.list_tags_of_resource(ResourceArn="not-an-arn")
    assert err.value.response["Error"]["Code"] == "ValidationException"


def test_list_tables_pages(ddb):
    names = sorted(unique("list") for _ in range(5))
    for name in names:
        ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    seen = []
    for page in ddb.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 2}):
        assert len(page["TableNames"]) <= 2
        seen += page["TableNames"]
    assert len(seen) == len(set(seen))
    assert set(names) <= set(seen)
    with pytest.raises(ddb.exceptions.ClientError) as err:
        ddb.list_tables(Limit=101)
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert "at 'limit'" in err.value.response["Error"]["Message"]


def test_update_table_streams_and_billing(ddb, streams):
    name = unique()
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    on = ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": True,
                                                               "StreamViewType": "NEW_IMAGE"})["TableDescription"]
    first = on["LatestStreamArn"]
    with pytest.raises(ddb.exceptions.ClientError) as err:        # AWS: ValidationException, not ResourceInUse
        ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": True,
                                                              "StreamViewType": "KEYS_ONLY"})
    assert err.value.response["Error"]["Code"] == "ValidationException"
    off = ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})["TableDescription"]
    assert "StreamSpecification" not in off and off["LatestStreamArn"] == first
    assert streams.describe_stream(StreamArn=first)["StreamDescription"]["StreamStatus"] == "DISABLED"
    again = ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": True,
                                                                  "StreamViewType": "KEYS_ONLY"})
    assert again["TableDescription"]["LatestStreamArn"] != first
    prov = ddb.update_table(TableName=name, BillingMode="PROVISIONED",
                            ProvisionedThroughput={"ReadCapacityUnits": 2, "WriteCapacityUnits": 3})
    assert prov["TableDescription"]["ProvisionedThroughput"]["WriteCapacityUnits"] == 3
    with pytest.raises(ddb.exceptions.ClientError) as err:
        ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": True,
                                                              "StreamViewType": "NEW_IMAGES"})
    assert err.value.response["Error"]["Code"] == "ValidationException"


def test_capacity_changes_are_described_with_their_times(ddb):
    """After an increase and a decrease, DescribeTable's ProvisionedThroughput has LastIncreaseDateTime and
    LastDecreaseDateTime (botocore parses them as datetimes) and NumberOfDecreasesToday."""
    name = unique()
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    assert set(ddb.describe_table(TableName=name)["Table"]["ProvisionedThroughput"]) == {
        "NumberOfDecreasesToday", "ReadCapacityUnits", "WriteCapacityUnits"}
    ddb.update_table(TableName=name, ProvisionedThroughput={"ReadCapacityUnits": 9, "WriteCapacityUnits": 5})
    ddb.update_table(TableName=name, ProvisionedThroughput={"ReadCapacityUnits": 9, "WriteCapacityUnits": 2})
    pt = ddb.describe_table(TableName=name)["Table"]["ProvisionedThroughput"]
    assert isinstance(pt["LastIncreaseDateTime"], datetime.datetime)
    assert pt["LastDecreaseDateTime"] >= pt["LastIncreaseDateTime"]
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs((now - pt["LastDecreaseDateTime"]).total_seconds()) < 120
    assert (pt["NumberOfDecreasesToday"], pt["ReadCapacityUnits"], pt["WriteCapacityUnits"]) == (1, 9, 2)


def test_delete_table_and_waiter(ddb, streams, table):
    name, arn = table
    out = ddb.delete_table(TableName=name)
    assert out["TableDescription"]["TableStatus"] == "DELETING"
    ddb.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 3})
    with pytest.raises(ddb.exceptions.ResourceNotFoundException):
        ddb.describe_table(TableName=name)
    with pytest.raises(ddb.exceptions.ResourceNotFoundException):
        ddb.delete_table(TableName=name)
    assert streams.describe_stream(StreamArn=arn)["StreamDescription"]["StreamStatus"] == "DISABLED"


def test_create_table_errors_change_nothing(ddb):
    name = unique()
    with pytest.raises(ddb.exceptions.ClientError) as err:
        ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    assert err.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ddb.exceptions.ClientError) as err:
        ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         StreamSpecification={"StreamEnabled": True, "StreamViewType": "OLD_IMAGES"})
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert name not in ddb.list_tables()["TableNames"]
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    with pytest.raises(ddb.exceptions.ResourceInUseException):
        ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])


def test_time_to_live(ddb, table):
    name, _ = table
    assert ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]["TimeToLiveStatus"] == "DISABLED"
    out = ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True,
                                                                           "AttributeName": "expires"})
    assert out["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "expires"}
    desc = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert desc == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
    with pytest.raises(ddb.exceptions.ClientError) as err:
        ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True,
                                                                         "AttributeName": "expires"})
    assert err.value.response["Error"]["Code"] == "ValidationException"


def test_ttl_sweep_deletes_expired_items_as_the_service(ddb, streams, table, server):
    name, arn = table
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    import time
    now = int(time.time())
    ddb.put_item(TableName=name, Item={"pk": {"S": "old"}, "exp": {"N": str(now - 60)}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "new"}, "exp": {"N": str(now + 3600)}})
    server.admin("/logstore-admin/maintain")                   # what the background maintenance does
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": {"S": "old"}})
    assert "Item" in ddb.get_item(TableName=name, Key={"pk": {"S": "new"}})
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    removes = [r for r in read_shard(streams, arn, shard) if r["eventName"] == "REMOVE"]
    assert len(removes) == 1
    assert removes[0]["userIdentity"] == {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}
