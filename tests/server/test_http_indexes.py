"""Stored indexes over HTTP with boto3: a GSI created on a populated table with UpdateTable is CREATING
(Backfilling) and refuses reads, the server's store builds it in the background while writes go on, and it
becomes ACTIVE with exact counts; Query and paginated Scan of it through boto3's paginators; deleting it."""
from __future__ import annotations

import time

import botocore.exceptions
import pytest

from serverhelpers import unique


def _wait_active(ddb, name: str, index: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        desc = next(ix for ix in ddb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"]
                    if ix["IndexName"] == index)
        if desc["IndexStatus"] == "ACTIVE":
            return desc
        assert time.monotonic() < deadline, desc
        time.sleep(0.05)


def test_gsi_created_on_a_populated_table_over_http(ddb):
    name = unique()
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    for start in range(0, 2000, 25):
        ddb.batch_write_item(RequestItems={name: [
            {"PutRequest": {"Item": {"pk": {"S": f"k{i:05}"}, "g": {"S": f"g{i % 4}"}, "n": {"N": str(i)}}}}
            for i in range(start, start + 25)]})
    out = ddb.update_table(TableName=name, AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"},
                                                                 {"AttributeName": "n", "AttributeType": "N"}],
                           GlobalSecondaryIndexUpdates=[{"Create": {
                               "IndexName": "by_g", "Projection": {"ProjectionType": "KEYS_ONLY"},
                               "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                             {"AttributeName": "n", "KeyType": "RANGE"}]}}])
    created = out["TableDescription"]["GlobalSecondaryIndexes"][0]
    assert created["IndexStatus"] == "CREATING" and created["Backfilling"] is True
    try:
        ddb.query(TableName=name, IndexName="by_g", KeyConditionExpression="g = :g",
                  ExpressionAttributeValues={":g": {"S": "g1"}})
    except botocore.exceptions.ClientError as e:   # unless the build already finished
        assert e.response["Error"]["Message"] == "Cannot read from backfilling global secondary index: by_g"
    ddb.put_item(TableName=name, Item={"pk": {"S": "late"}, "g": {"S": "g1"}, "n": {"N": "-1"}})
    desc = _wait_active(ddb, name, "by_g")
    assert desc["ItemCount"] == 2001 and "Backfilling" not in desc
    items = [i for page in ddb.get_paginator("query").paginate(
        TableName=name, IndexName="by_g", KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": "g1"}}, PaginationConfig={"PageSize": 70}) for i in page["Items"]]
    assert [int(i["n"]["N"]) for i in items] == [-1] + list(range(1, 2000, 4))
    assert set(items[0]) == {"pk", "g", "n"}                         # KEYS_ONLY
    scanned = sum(page["Count"] for page in ddb.get_paginator("scan").paginate(
        TableName=name, IndexName="by_g", PaginationConfig={"PageSize": 300}))
    assert scanned == 2001
    ddb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by_g"}}])
    assert "GlobalSecondaryIndexes" not in ddb.describe_table(TableName=name)["Table"]
    with pytest.raises(botocore.exceptions.ClientError, match="does not have the specified index"):
        ddb.query(TableName=name, IndexName="by_g", KeyConditionExpression="g = :g",
                  ExpressionAttributeValues={":g": {"S": "g1"}})
