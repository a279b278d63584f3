"""A table ARN names a table wherever AWS's model takes one: TableName members, and the keys of BatchWriteItem's
and BatchGetItem's RequestItems. What answers per table is keyed as the request named it: Responses, and every
ConsumedCapacity's TableName (AWS: "If you had specified the ARN of a table in the input, you'll see the table ARN
in the response")."""
from __future__ import annotations

import pytest

from logstore.errors import ValidationException

T = "orders"


@pytest.fixture
def table(store):
    store.create_table(TableName=T, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                       BillingMode="PAY_PER_REQUEST",
                       StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    return store.describe_table(TableName=T)["Table"]["TableArn"]


def _records(store) -> list[tuple[str, str]]:
    arn = store.list_streams(TableName=T)["Streams"][0]["StreamArn"]
    shard = store.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = store.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    return [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in store.get_records(ShardIterator=it)["Records"]]


def test_batch_write_keyed_by_a_table_arn_writes_the_table_and_records_each_change(store, table):
    out = store.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": {"pk": {"S": "a"}}}},
                                                       {"PutRequest": {"Item": {"pk": {"S": "b"}}}}]},
                                 ReturnConsumedCapacity="TOTAL")
    assert out == {"UnprocessedItems": {}, "ConsumedCapacity": [{"TableName": table, "CapacityUnits": 2.0}]}
    store.batch_write_item(RequestItems={table: [{"DeleteRequest": {"Key": {"pk": {"S": "a"}}}}]})
    assert [i["pk"]["S"] for i in store.scan(TableName=T)["Items"]] == ["b"]
    assert _records(store) == [("INSERT", "a"), ("INSERT", "b"), ("REMOVE", "a")]


def test_batch_get_answers_under_the_key_the_request_used(store, table):
    store.put_item(TableName=T, Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    store.put_item(TableName=T, Item={"pk": {"S": "b"}})
    out = store.batch_get_item(RequestItems={table: {"Keys": [{"pk": {"S": "a"}}, {"pk": {"S": "z"}}],
                                                     "ProjectionExpression": "v"},
                                             T: {"Keys": [{"pk": {"S": "b"}}]}},
                               ReturnConsumedCapacity="TOTAL")
    assert out["Responses"] == {table: [{"v": {"N": "1"}}], T: [{"pk": {"S": "b"}}]}
    assert out["UnprocessedKeys"] == {}
    assert sorted(c["TableName"] for c in out["ConsumedCapacity"]) == sorted([table, T])


def test_the_same_item_by_name_and_by_arn_in_one_batch_write_is_a_duplicate(store, table):
    with pytest.raises(ValidationException) as err:
        store.batch_write_item(RequestItems={T: [{"PutRequest": {"Item": {"pk": {"S": "a"}}}}],
                                             table: [{"DeleteRequest": {"Key": {"pk": {"S": "a"}}}}]})
    assert err.value.message == "Provided list of item keys contains duplicates"
    assert store.scan(TableName=T)["Count"] == 0


def test_an_arn_naming_no_table_is_resource_not_found_and_writes_nothing(store, table):
    from logstore.errors import ResourceNotFoundException
    other = table.replace(f"table/{T}", "table/nosuch")
    with pytest.raises(ResourceNotFoundException):
        store.batch_write_item(RequestItems={T: [{"PutRequest": {"Item": {"pk": {"S": "a"}}}}],
                                             other: [{"PutRequest": {"Item": {"pk": {"S": "b"}}}}]})
    with pytest.raises(ResourceNotFoundException):
        store.batch_get_item(RequestItems={other: {"Keys": [{"pk": {"S": "a"}}]}})
    assert store.scan(TableName=T)["Count"] == 0


@pytest.mark.parametrize("bad", ["arn:aws:dynamodb:us-east-1:000000000000:table/ab",
                                 "arn:aws:dynamodb:us-east-1:000000000000:table/bad!name",
                                 "arn:aws:dynamodb:us-east-1:000000000000:table/" + "x" * 256],
                         ids=["short-name", "bad-character", "over-255"])
def test_an_arn_whose_name_is_no_table_name_gets_the_map_keys_error(store, table, bad):
    with pytest.raises(ValidationException, match="Map keys must satisfy constraint"):
        store.batch_write_item(RequestItems={bad: [{"PutRequest": {"Item": {"pk": {"S": "a"}}}}]})
    with pytest.raises(ValidationException, match="Map keys must satisfy constraint"):
        store.batch_get_item(RequestItems={bad: {"Keys": [{"pk": {"S": "a"}}]}})
    assert store.scan(TableName=T)["Count"] == 0


@pytest.mark.parametrize("mode", ["TOTAL", "INDEXES"])
def test_single_item_and_read_operations_echo_an_arn_in_consumed_capacity(store, table, mode):
    item = {"pk": {"S": "a"}}
    calls = [lambda n: store.put_item(TableName=n, Item=item, ReturnConsumedCapacity=mode),
             lambda n: store.get_item(TableName=n, Key=item, ReturnConsumedCapacity=mode),
             lambda n: store.update_item(TableName=n, Key=item, UpdateExpression="SET v = :v",
                                         ExpressionAttributeValues={":v": {"N": "1"}}, ReturnConsumedCapacity=mode),
             lambda n: store.query(TableName=n, KeyConditionExpression="pk = :p",
                                   ExpressionAttributeValues={":p": item["pk"]}, ReturnConsumedCapacity=mode),
             lambda n: store.scan(TableName=n, ReturnConsumedCapacity=mode),
             lambda n: store.delete_item(TableName=n, Key=item, ReturnConsumedCapacity=mode)]
    for call in calls:
        for given in (table, T):
            assert call(given)["ConsumedCapacity"]["TableName"] == given


def test_transactions_echo_the_table_as_each_action_named_it(store, table):
    out = store.transact_write_items(TransactItems=[{"Put": {"TableName": table, "Item": {"pk": {"S": "a"}}}},
                                                    {"Put": {"TableName": T, "Item": {"pk": {"S": "b"}}}}],
                                     ReturnConsumedCapacity="TOTAL")
    assert sorted((c["TableName"], c["CapacityUnits"]) for c in out["ConsumedCapacity"]) == \
        sorted([(table, 2.0), (T, 2.0)])
    got = store.transact_get_items(TransactItems=[{"Get": {"TableName": table, "Key": {"pk": {"S": "a"}}}}],
                                   ReturnConsumedCapacity="TOTAL")
    assert got["Responses"] == [{"Item": {"pk": {"S": "a"}}}]
    assert got["ConsumedCapacity"] == [{"TableName": table, "CapacityUnits": 2.0}]
