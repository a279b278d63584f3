"""Store.submit: the single-item writes committed by the committer thread answer exactly as ``call`` does, raise
the request's own errors at once, deliver an invalid item's and a write's own failure to its callback, and
re-validate against a table that was replaced."""
from __future__ import annotations

import json
import threading

import pytest

from logstore.errors import ConditionalCheckFailedException, ValidationException

TABLE = dict(BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
             StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})


def submitted(store, operation: str, request: dict):
    """(response, error) of one submitted request, once its callback ran."""
    got: list = []
    ready = threading.Event()

    def done(response, error):
        got.append((response, error))
        ready.set()
    store.submit(operation, request, done)
    assert ready.wait(30)
    return got[0]


REQUESTS = [
    ("PutItem", {"TableName": "{t}", "Item": {"pk": {"S": "a"}, "n": {"N": "1"}}, "ReturnConsumedCapacity": "TOTAL"}),
    ("PutItem", {"TableName": "{t}", "Item": {"pk": {"S": "a"}, "n": {"N": "2"}}, "ReturnValues": "ALL_OLD"}),
    ("UpdateItem", {"TableName": "{t}", "Key": {"pk": {"S": "a"}}, "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}, "ReturnValues": "UPDATED_NEW"}),
    ("UpdateItem", {"TableName": "{t}", "Key": {"pk": {"S": "b"}}, "UpdateExpression": "SET m = :v",
                    "ExpressionAttributeValues": {":v": {"S": "x"}}, "ReturnValues": "ALL_NEW"}),
    ("DeleteItem", {"TableName": "{t}", "Key": {"pk": {"S": "a"}}, "ReturnValues": "ALL_OLD",
                    "ReturnConsumedCapacity": "INDEXES"}),
    ("DeleteItem", {"TableName": "{t}", "Key": {"pk": {"S": "zz"}}}),
]


def _named(request: dict, name: str) -> dict:
    return {k: (name if v == "{t}" else v) for k, v in request.items()}


def test_submit_answers_as_call_does(store):
    store.create_table(TableName="bycall", **TABLE)
    store.create_table(TableName="bysubmit", **TABLE)
    for operation, request in REQUESTS:
        expected = store.call(operation, _named(request, "bycall"))
        response, error = submitted(store, operation, _named(request, "bysubmit"))
        assert error is None
        assert json.loads(json.dumps(response).replace("bysubmit", "bycall")) == expected, (operation, response)
    assert store.scan(TableName="bysubmit")["Items"] == store.scan(TableName="bycall")["Items"]


def test_validation_errors_raise_at_once_and_failures_reach_the_callback(store):
    store.create_table(TableName="tbl", **TABLE)
    with pytest.raises(ValidationException):   # a member's type: checked before anything is submitted
        store.submit("PutItem", {"TableName": "tbl", "Item": {"pk": {"S": "a"}}, "ReturnValues": "ALL_NEW"},
                     lambda r, e: None)
    with pytest.raises(ValidationException):
        store.submit("GetItem", {"TableName": "tbl", "Key": {"pk": {"S": "a"}}}, lambda r, e: None)
    response, error = submitted(store, "PutItem", {"TableName": "tbl", "Item": {"pk": {"S": ""}}})
    assert response is None and isinstance(error, ValidationException)    # the item, against the table
    assert submitted(store, "PutItem", {"TableName": "tbl", "Item": {"pk": {"S": "a"}}})[1] is None
    response, error = submitted(store, "PutItem", {"TableName": "tbl", "Item": {"pk": {"S": "a"}, "v": {"N": "1"}},
                                                   "ConditionExpression": "attribute_not_exists(pk)"})
    assert response is None and isinstance(error, ConditionalCheckFailedException)
    assert store.get_item(TableName="tbl", Key={"pk": {"S": "a"}})["Item"] == {"pk": {"S": "a"}}
    assert store.submit.__self__ is store and "PutItem" in store.SUBMITTABLE


def test_a_replaced_table_is_validated_again(store):
    store.create_table(TableName="tbl", **TABLE)
    assert submitted(store, "PutItem", {"TableName": "tbl", "Item": {"pk": {"S": "a"}}})[1] is None  # cached
    store.delete_table(TableName="tbl")
    store.create_table(TableName="tbl", **{**TABLE, "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                                           "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}]})
    response, error = submitted(store, "PutItem", {"TableName": "tbl", "Item": {"id": {"S": "b"}}})
    assert error is None and response == {}
    assert store.scan(TableName="tbl")["Items"] == [{"id": {"S": "b"}}]
    response, error = submitted(store, "PutItem", {"TableName": "tbl", "Item": {"pk": {"S": "c"}}})
    assert response is None and isinstance(error, ValidationException)   # against the new definition
    assert store.scan(TableName="tbl")["Items"] == [{"id": {"S": "b"}}]


def test_a_group_of_writes_shares_one_append_and_keeps_each_outcome(store):
    """Writes submitted together are committed as one group whose stream records are appended with one call
    (tables/writes.py Writer.finish): the records are exactly the writes that succeeded, in submission order,
    each with its own images; a write refused by its condition, or by its item, adds nothing; the tables' and
    the index's counts are those of the items left."""
    store.create_table(TableName="plain", **TABLE)
    store.create_table(TableName="indexed", **{**TABLE, "AttributeDefinitions": TABLE["AttributeDefinitions"] + [
        {"AttributeName": "g", "AttributeType": "S"}], "GlobalSecondaryIndexes": [
        {"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
         "Projection": {"ProjectionType": "ALL"}}]})
    store.put_item(TableName="plain", Item={"pk": {"S": "old"}, "v": {"N": "0"}})
    requests = []
    for n in range(12):
        table = "plain" if n % 2 else "indexed"
        requests.append(("PutItem", {"TableName": table, "Item": {"pk": {"S": f"k{n}"}, "g": {"S": f"g{n % 3}"}}}))
    requests += [
        ("PutItem", {"TableName": "plain", "Item": {"pk": {"S": "old"}, "v": {"N": "1"}},
                     "ConditionExpression": "v = :two", "ExpressionAttributeValues": {":two": {"N": "2"}}}),
        ("PutItem", {"TableName": "indexed", "Item": {"pk": {"S": "bad"}, "g": {"N": "1"}}}),   # g must be S
        ("UpdateItem", {"TableName": "plain", "Key": {"pk": {"S": "old"}}, "UpdateExpression": "SET v = :v",
                        "ExpressionAttributeValues": {":v": {"N": "5"}}}),
        ("DeleteItem", {"TableName": "indexed", "Key": {"pk": {"S": "k0"}}}),
        ("PutItem", {"TableName": "indexed", "Item": {"pk": {"S": "k2"}, "g": {"S": "moved"}}}),
    ]
    answers: list = []
    all_in = threading.Event()
    release = threading.Event()
    store.env.submit(lambda txn: release.wait(30), lambda r, e: None)   # holds the committer: the rest is one group
    for operation, request in requests:
        store.submit(operation, request, lambda r, e: (answers.append((r, e)), len(answers) == len(requests)
                                                        and all_in.set()))
    before = store.env.info()["last_txnid"]
    release.set()
    assert all_in.wait(30)
    assert store.env.info()["last_txnid"] - before <= 2     # the held write's commit, then the group's
    errors = [e for _, e in answers]
    assert errors[:12] == [None] * 12 and errors[14:] == [None] * 3
    assert isinstance(errors[12], ConditionalCheckFailedException) and isinstance(errors[13], ValidationException)

    def records(table):
        arn = store.describe_table(TableName=table)["Table"]["LatestStreamArn"]
        shard = store.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        it = store.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        out = store.get_records(ShardIterator=it["ShardIterator"])["Records"]
        return [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"],
                 r["dynamodb"].get("NewImage", {}).get("g", r["dynamodb"].get("NewImage", {}).get("v")),
                 r["dynamodb"].get("OldImage", {}).get("g", r["dynamodb"].get("OldImage", {}).get("v")))
                for r in out]
    assert records("plain") == [("INSERT", "old", {"N": "0"}, None)] + [
        ("INSERT", f"k{n}", {"S": f"g{n % 3}"}, None) for n in range(1, 12, 2)] + [
        ("MODIFY", "old", {"N": "5"}, {"N": "0"})]
    assert records("indexed") == [("INSERT", f"k{n}", {"S": f"g{n % 3}"}, None) for n in range(0, 12, 2)] + [
        ("REMOVE", "k0", None, {"S": "g0"}), ("MODIFY", "k2", {"S": "moved"}, {"S": "g2"})]
    store.maintain()
    for table in ("plain", "indexed"):
        described = store.describe_table(TableName=table)["Table"]
        assert described["ItemCount"] == len(store.scan(TableName=table)["Items"]), table
    gsi = store.describe_table(TableName="indexed")["Table"]["GlobalSecondaryIndexes"][0]
    assert gsi["ItemCount"] == 5 == store.scan(TableName="indexed", IndexName="by_g")["Count"]
