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
