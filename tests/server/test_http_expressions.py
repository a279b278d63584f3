"""The engine's expressions over HTTP (all behaviour is the engine's; this checks the translation): UpdateItem
with UpdateExpression and ConditionExpression, conditional failures with their envelope members, Query and Scan
with key conditions, filters, projections and paging, through both the low-level client and boto3's resource
layer (which builds the expressions itself)."""
from __future__ import annotations

import boto3
import pytest
from boto3.dynamodb.conditions import Attr, Key
from serverhelpers import REGION, read_shard, unique


@pytest.fixture
def ranged(ddb):
    name = unique("q")
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                {"AttributeName": "sk", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "N"}],
                     StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    for p in ("a", "b"):
        for s in range(10):
            ddb.put_item(TableName=name, Item={"pk": {"S": p}, "sk": {"N": str(s)}, "even": {"BOOL": s % 2 == 0},
                                               "bin1": {"B": bytes([s])}})
    return name


def test_update_expression_and_condition(ddb, streams, table):
    name, arn = table
    out = ddb.update_item(TableName=name, Key={"pk": {"S": "u"}}, ReturnValues="ALL_NEW",
                          UpdateExpression="SET #c = if_not_exists(#c, :zero) + :one, tags = :tags",
                          ExpressionAttributeNames={"#c": "count"},
                          ExpressionAttributeValues={":zero": {"N": "0"}, ":one": {"N": "1"},
                                                     ":tags": {"SS": ["x"]}})
    assert out["Attributes"]["count"] == {"N": "1"}
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException) as err:
        ddb.update_item(TableName=name, Key={"pk": {"S": "u"}}, UpdateExpression="SET #c = :v",
                        ConditionExpression="#c > :big", ExpressionAttributeNames={"#c": "count"},
                        ExpressionAttributeValues={":v": {"N": "9"}, ":big": {"N": "100"}},
                        ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert err.value.response["Item"]["count"] == {"N": "1"}
    with pytest.raises(ddb.exceptions.ClientError) as err:
        ddb.update_item(TableName=name, Key={"pk": {"S": "u"}}, UpdateExpression="SET = oops")
    assert err.value.response["Error"]["Code"] == "ValidationException"
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    assert [r["eventName"] for r in read_shard(streams, arn, shard)] == ["INSERT"]   # failures wrote nothing


def test_transaction_cancellation_reasons(ddb, table):
    name, _ = table
    ddb.put_item(TableName=name, Item={"pk": {"S": "x"}})
    with pytest.raises(ddb.exceptions.TransactionCanceledException) as err:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": name, "Item": {"pk": {"S": "y"}}}},
            {"ConditionCheck": {"TableName": name, "Key": {"pk": {"S": "x"}},
                                "ConditionExpression": "attribute_not_exists(pk)"}}])
    codes = [r.get("Code") for r in err.value.response["CancellationReasons"]]
    assert codes == ["None", "ConditionalCheckFailed"]
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": {"S": "y"}})


def test_query_and_scan_low_level(ddb, ranged):
    out = ddb.query(TableName=ranged, KeyConditionExpression="pk = :p AND sk BETWEEN :lo AND :hi",
                    FilterExpression="even = :t", ProjectionExpression="sk, bin1",
                    ExpressionAttributeValues={":p": {"S": "a"}, ":lo": {"N": "2"}, ":hi": {"N": "7"},
                                               ":t": {"BOOL": True}}, ScanIndexForward=False)
    assert [i["sk"]["N"] for i in out["Items"]] == ["6", "4", "2"]
    assert out["Items"][0]["bin1"] == {"B": bytes([6])} and out["ScannedCount"] == 6
    pages = list(ddb.get_paginator("query").paginate(
        TableName=ranged, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "b"}},
        PaginationConfig={"PageSize": 3}))
    assert [len(p["Items"]) for p in pages][:3] == [3, 3, 3]
    assert sum(p["Count"] for p in pages) == 10
    scanned = [i for p in ddb.get_paginator("scan").paginate(TableName=ranged, PaginationConfig={"PageSize": 7})
               for i in p["Items"]]
    assert len(scanned) == 20
    assert ddb.scan(TableName=ranged, Select="COUNT")["Count"] == 20
    with pytest.raises(ddb.exceptions.ClientError) as err:
        ddb.query(TableName=ranged, KeyConditionExpression="sk = :s", ExpressionAttributeValues={":s": {"N": "1"}})
    assert err.value.response["Error"]["Code"] == "ValidationException"


def test_resource_layer(server, ranged):
    table = boto3.resource("dynamodb", endpoint_url=server.url, region_name=REGION, aws_access_key_id="t",
                           aws_secret_access_key="t").Table(ranged)
    items = table.query(KeyConditionExpression=Key("pk").eq("a") & Key("sk").gte(8))["Items"]
    assert [int(i["sk"]) for i in items] == [8, 9]
    odd = table.scan(FilterExpression=Attr("even").eq(False) & Attr("pk").eq("b"))["Items"]
    assert sorted(int(i["sk"]) for i in odd) == [1, 3, 5, 7, 9]
    table.update_item(Key={"pk": "a", "sk": 1}, UpdateExpression="REMOVE bin1 ADD hits :n",
                      ExpressionAttributeValues={":n": 2})
    assert table.get_item(Key={"pk": "a", "sk": 1})["Item"]["hits"] == 2
