"""CreateTable's secondary index definitions: valid ones are described back; invalid ones are refused with a
message naming the index, and create nothing."""
from __future__ import annotations

import pytest

from logstore.errors import ResourceNotFoundException, ValidationException

DEFS = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"},
        {"AttributeName": "g", "AttributeType": "N"}]
KEYS = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]


def lsi(name="by_g", hash_key="pk", projection=None):
    return {"IndexName": name, "KeySchema": [{"AttributeName": hash_key, "KeyType": "HASH"},
                                             {"AttributeName": "g", "KeyType": "RANGE"}],
            "Projection": projection or {"ProjectionType": "ALL"}}


def gsi(name="g_index", projection=None, **extra):
    return {"IndexName": name, "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
            "Projection": projection or {"ProjectionType": "KEYS_ONLY"}, **extra}


def test_indexes_are_described(store):
    store.create_table(TableName="tab", KeySchema=KEYS, AttributeDefinitions=DEFS, BillingMode="PAY_PER_REQUEST",
                       LocalSecondaryIndexes=[lsi()],
                       GlobalSecondaryIndexes=[gsi(projection={"ProjectionType": "INCLUDE",
                                                               "NonKeyAttributes": ["x"]})])
    table = store.describe_table(TableName="tab")["Table"]
    [local] = table["LocalSecondaryIndexes"]
    [glob] = table["GlobalSecondaryIndexes"]
    assert local["IndexName"] == "by_g" and local["KeySchema"] == lsi()["KeySchema"]
    assert local["IndexArn"].endswith("table/tab/index/by_g")
    assert glob["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]}
    assert glob["IndexStatus"] == "ACTIVE"


@pytest.mark.parametrize("extra, keys, message", [
    ({"LocalSecondaryIndexes": [lsi()]}, KEYS[:1],
     "One or more parameter values were invalid: Table KeySchema does not have a range key, which is required "
     "when specifying a LocalSecondaryIndex"),
    ({"LocalSecondaryIndexes": [lsi(hash_key="sk")]}, KEYS,
     "One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table "
     "KeySchema for index: by_g. index hash key: sk, table hash key: pk"),
    ({"GlobalSecondaryIndexes": [gsi(), gsi()]}, KEYS,
     "One or more parameter values were invalid: Duplicate index name: g_index"),
    ({"GlobalSecondaryIndexes": [gsi(projection={"ProjectionType": "INCLUDE"})]}, KEYS,
     "One or more parameter values were invalid: ProjectionType is INCLUDE, but NonKeyAttributes is not specified "
     "for index: g_index"),
    ({"GlobalSecondaryIndexes": [{**gsi(), "KeySchema": [{"AttributeName": "nope", "KeyType": "HASH"}]}]}, KEYS,
     "One or more parameter values were invalid: Some index key attributes are not defined in "
     "AttributeDefinitions. Keys: [nope], AttributeDefinitions: [pk, sk, g]"),
    ({"GlobalSecondaryIndexes": []}, KEYS,
     "One or more parameter values were invalid: List of GlobalSecondaryIndexes is empty"),
])
def test_invalid_index_definitions(store, extra, keys, message):
    with pytest.raises(ValidationException) as err:
        store.create_table(TableName="tab", KeySchema=keys, AttributeDefinitions=DEFS,
                           BillingMode="PAY_PER_REQUEST", **extra)
    assert err.value.message == message
    with pytest.raises(ResourceNotFoundException):
        store.describe_table(TableName="tab")


def test_a_provisioned_table_needs_gsi_throughput(store):
    with pytest.raises(ValidationException) as err:
        store.create_table(TableName="tab", KeySchema=KEYS, AttributeDefinitions=DEFS,
                           ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
                           GlobalSecondaryIndexes=[gsi()])
    assert err.value.message == ("One or more parameter values were invalid: ProvisionedThroughput is not specified "
                                 "for index: g_index")
    store.create_table(TableName="tab", KeySchema=KEYS, AttributeDefinitions=DEFS,
                       ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
                       GlobalSecondaryIndexes=[gsi(ProvisionedThroughput={"ReadCapacityUnits": 2,
                                                                          "WriteCapacityUnits": 3})])
    [glob] = store.describe_table(TableName="tab")["Table"]["GlobalSecondaryIndexes"]
    assert glob["ProvisionedThroughput"] == {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 2,
                                             "WriteCapacityUnits": 3}
