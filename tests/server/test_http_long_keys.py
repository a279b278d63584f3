"""Keys as long as DynamoDB allows, over HTTP with unmodified boto3 against a real ``logstore serve``: a 2048-byte
partition key and 1024-byte sort keys work (put, get, query in both directions with paging), and one byte over
is a 400 ValidationException with AWS's message, never a 500 (before format version 2 such keys hit LMDB's
511-byte key limit and answered HTTP 500)."""
from __future__ import annotations

import botocore.exceptions
import pytest
from serverhelpers import unique


def test_long_keys_over_http(ddb):
    name = unique()
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "h", "KeyType": "HASH"}, {"AttributeName": "r", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "h", "AttributeType": "S"},
                                           {"AttributeName": "r", "AttributeType": "S"}])
    h = "h" * 2048
    ranges = ["a" * 1000 + f"{i:03d}" + "z" * 21 for i in range(12)] + ["a" * 600, "b"]
    for r in reversed(ranges):
        ddb.put_item(TableName=name, Item={"h": {"S": h}, "r": {"S": r}})
    got = ddb.get_item(TableName=name, Key={"h": {"S": h}, "r": {"S": ranges[3]}})["Item"]
    assert got["r"]["S"] == ranges[3]
    for forward in (True, False):
        seen, start = [], None
        while True:
            args = {"ExclusiveStartKey": start} if start else {}
            page = ddb.query(TableName=name, KeyConditionExpression="h = :h", ScanIndexForward=forward, Limit=5,
                             ExpressionAttributeValues={":h": {"S": h}}, **args)
            seen += [i["r"]["S"] for i in page["Items"]]
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        assert seen == (sorted(ranges) if forward else sorted(ranges, reverse=True))
    for key, message in [({"h": {"S": h + "x"}, "r": {"S": "b"}}, "Size of hashkey has exceeded the maximum size "
                                                                 "limit of2048 bytes"),
                         ({"h": {"S": h}, "r": {"S": "r" * 1025}}, "Aggregated size of all range keys has exceeded "
                                                                  "the size limit of 1024 bytes")]:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            ddb.put_item(TableName=name, Item=key)
        err = e.value.response
        assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert err["Error"]["Code"] == "ValidationException"
        assert err["Error"]["Message"] == "One or more parameter values were invalid: " + message
    assert ddb.scan(TableName=name, Select="COUNT")["Count"] == len(ranges)
