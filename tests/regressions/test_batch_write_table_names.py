"""Regression: BatchWriteItem with a RequestItems key that is no table name (empty, over LMDB's 511-byte key
limit) let py-lmdb's BadValsizeError out of the catalogue (a 500 from a server); one of the right length but
badly formed was a ResourceNotFoundException. Each is AWS's validation error for the map's keys, as BatchGetItem
gives, and nothing is written. Found by tests/api/test_embedded_fuzz.py (seed 3431287787, pure codec)."""
from __future__ import annotations

import json

import pytest

import logstore
from logstore.errors import ValidationException

PUT = [{"PutRequest": {"Item": {"pk": {"S": "a"}}}}]
MAP_KEYS = ("failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or "
            "equal to 255, Member must have length greater than or equal to 3, Member must satisfy regular "
            "expression pattern: [a-zA-Z0-9_.-]+]")


@pytest.mark.parametrize("name", ["", "x" * 600, "x" * 256, "ab", "bad!name"],
                         ids=["empty", "over-lmdb-key-limit", "over-255", "short", "bad-character"])
def test_batch_write_refuses_a_request_map_key_that_is_no_table_name(store_path, name):
    with logstore.open(store_path) as store:
        store.create_table(TableName="tbl", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                           AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                           BillingMode="PAY_PER_REQUEST")
        request = {name: PUT, "tbl": [{"PutRequest": {"Item": {"pk": {"S": "b"}}}}]}
        with pytest.raises(ValidationException) as err:
            store.batch_write_item(RequestItems=request)
        echo = json.dumps(request, separators=(",", ":"))
        assert err.value.message == f"1 validation error detected: Value '{echo}' at 'requestItems' {MAP_KEYS}"
        assert store.scan(TableName="tbl")["Count"] == 0
        with pytest.raises(ValidationException, match="Map keys must satisfy constraint"):
            store.batch_get_item(RequestItems={name: {"Keys": [{"pk": {"S": "a"}}]}})
