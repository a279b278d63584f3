"""Item operations over HTTP with boto3: put, get, delete, update (AttributeUpdates), batch and transactional
reads and writes; binary values round-trip as base64; bad input gets AWS's error and changes nothing."""
from __future__ import annotations

import pytest
from serverhelpers import read_shard


def test_put_get_delete_with_binary_and_return_values(ddb, table):
    name, _ = table
    item = {"pk": {"S": "a"}, "blob": {"B": b"\x00\xff\x10"}, "set": {"BS": [b"x", b"\x00"]},
            "n": {"N": "1.50"}, "m": {"M": {"l": {"L": [{"BOOL": True}, {"NULL": True}]}}}}
    assert "Attributes" not in ddb.put_item(TableName=name, Item=item, ReturnValues="ALL_OLD")
    got = ddb.get_item(TableName=name, Key={"pk": {"S": "a"}})["Item"]
    assert got["blob"] == {"B": b"\x00\xff\x10"}
    assert sorted(got["set"]["BS"]) == [b"\x00", b"x"]
    assert got["n"] == {"N": "1.5"}
    old = ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "v": {"S": "2"}}, ReturnValues="ALL_OLD")
    assert old["Attributes"]["blob"] == {"B": b"\x00\xff\x10"}
    assert ddb.get_item(TableName=name, Key={"pk": {"S": "a"}}, AttributesToGet=["v"])["Item"] == {"v": {"S": "2"}}
    gone = ddb.delete_item(TableName=name, Key={"pk": {"S": "a"}}, ReturnValues="ALL_OLD")
    assert gone["Attributes"] == {"pk": {"S": "a"}, "v": {"S": "2"}}
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": {"S": "a"}})


def test_update_item_attribute_updates(ddb, table):
    name, _ = table
    out = ddb.update_item(TableName=name, Key={"pk": {"S": "u"}}, ReturnValues="ALL_NEW",
                          AttributeUpdates={"count": {"Action": "ADD", "Value": {"N": "2"}},
                                            "tags": {"Action": "PUT", "Value": {"SS": ["a", "b"]}}})
    assert out["Attributes"]["count"] == {"N": "2"}
    out = ddb.update_item(TableName=name, Key={"pk": {"S": "u"}}, ReturnValues="UPDATED_NEW",
                          AttributeUpdates={"count": {"Action": "ADD", "Value": {"N": "3"}}})
    assert out["Attributes"] == {"count": {"N": "5"}}


def test_batch_write_and_get(ddb, table):
    name, _ = table
    out = ddb.batch_write_item(RequestItems={name: [
        {"PutRequest": {"Item": {"pk": {"S": f"k{i}"}, "i": {"N": str(i)}}}} for i in range(25)]})
    assert out["UnprocessedItems"] == {}
    got = ddb.batch_get_item(RequestItems={name: {"Keys": [{"pk": {"S": f"k{i}"}} for i in range(0, 25, 5)]}})
    assert sorted(int(i["i"]["N"]) for i in got["Responses"][name]) == [0, 5, 10, 15, 20]
    ddb.batch_write_item(RequestItems={name: [{"DeleteRequest": {"Key": {"pk": {"S": "k0"}}}}]})
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": {"S": "k0"}})
    with pytest.raises(ddb.exceptions.ClientError) as err:       # 26 requests: refused whole
        ddb.batch_write_item(RequestItems={name: [
            {"PutRequest": {"Item": {"pk": {"S": f"x{i}"}}}} for i in range(26)]})
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": {"S": "x0"}})


def test_transactions(ddb, table):
    name, arn = table
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": name, "Item": {"pk": {"S": "t1"}}}},
        {"Put": {"TableName": name, "Item": {"pk": {"S": "t2"}, "b": {"B": b"\x01"}}}}])
    got = ddb.transact_get_items(TransactItems=[{"Get": {"TableName": name, "Key": {"pk": {"S": "t2"}}}},
                                                {"Get": {"TableName": name, "Key": {"pk": {"S": "zz"}}}}])
    assert got["Responses"][0]["Item"]["b"] == {"B": b"\x01"}
    assert got["Responses"][1] == {}
    with pytest.raises(ddb.exceptions.ClientError) as err:       # two operations on one item: nothing written
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": name, "Item": {"pk": {"S": "t3"}}}},
            {"Delete": {"TableName": name, "Key": {"pk": {"S": "t3"}}}}])
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": {"S": "t3"}})


def test_item_errors_change_nothing(ddb, streams, table):
    name, arn = table
    cases = [dict(Item={"nokey": {"S": "x"}}),
             dict(Item={"pk": {"N": "1"}}),
             dict(Item={"pk": {"S": "a"}, "bad": {"N": "not-a-number"}}),
             dict(Item={"pk": {"S": "a"}, "two": {"S": "x", "N": "1"}}),
             dict(Item={"pk": {"S": "a"}, "empty": {"SS": []}})]
    for case in cases:
        with pytest.raises(ddb.exceptions.ClientError) as err:
            ddb.put_item(TableName=name, **case)
        assert err.value.response["Error"]["Code"] == "ValidationException", case
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ddb.exceptions.ResourceNotFoundException):
        ddb.put_item(TableName=name + "-missing", Item={"pk": {"S": "a"}})
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    assert read_shard(streams, arn, shard) == []
    assert ddb.describe_table(TableName=name)["Table"]["ItemCount"] == 0


def test_batch_requests_keyed_by_a_table_arn(ddb, table):
    name, _ = table
    table_arn = ddb.describe_table(TableName=name)["Table"]["TableArn"]
    out = ddb.batch_write_item(RequestItems={table_arn: [{"PutRequest": {"Item": {"pk": {"S": "arn1"}}}}]},
                               ReturnConsumedCapacity="TOTAL")
    assert out["UnprocessedItems"] == {}
    assert out["ConsumedCapacity"] == [{"TableName": table_arn, "CapacityUnits": 1.0}]
    got = ddb.batch_get_item(RequestItems={table_arn: {"Keys": [{"pk": {"S": "arn1"}}]}})
    assert got["Responses"] == {table_arn: [{"pk": {"S": "arn1"}}]}
    assert ddb.get_item(TableName=name, Key={"pk": {"S": "arn1"}})["Item"] == {"pk": {"S": "arn1"}}
