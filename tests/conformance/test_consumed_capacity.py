"""ReturnConsumedCapacity on every operation that takes it (issue 11), embedded and over HTTP, with DynamoDB's
units (docs/capacity.md): 4 KB read units (half when eventually consistent, a missing item still one), 1 KB write
units (the larger of the old and new item), per-item rounding in batches, one rounding per Query/Scan page over
everything evaluated, transactions doubled, indexes per index under INDEXES, nothing under NONE. The item-size
cases are the ones ScyllaDB Alternator's test_returnconsumedcapacity.py checks against DynamoDB."""
from __future__ import annotations

import pytest
from confhelpers import make_table

KB = 1024


def S(v):
    return {"S": v}


def _filler(*names_and_values, total: int) -> str:
    """A string that brings an item of the given (name, S value) pairs plus an ``another`` attribute to
    ``total`` bytes (DynamoDB's size: UTF-8 names and values)."""
    used = sum(len(n) + len(v) for n, v in names_and_values) + len("another")
    return "a" * (total - used)


def _cu(out):
    return out["ConsumedCapacity"]["CapacityUnits"]


@pytest.fixture
def table(db):
    return make_table(db, keys=(("p", "S"), ("c", "S")))


def test_get_item_units(db, table):
    key = {"p": S("p1"), "c": S("c1")}
    for consistent, units in ((True, 1), (False, 0.5)):       # a missing item still costs a read
        assert _cu(db.get_item(TableName=table, Key=key, ConsistentRead=consistent,
                               ReturnConsumedCapacity="TOTAL")) == units
    item = dict(key, att=S("v"))
    item["another"] = S(_filler(("p", "p1"), ("c", "c1"), ("att", "v"), total=4 * KB))
    db.put_item(TableName=table, Item=item)
    out = db.get_item(TableName=table, Key=key, ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"] == {"TableName": table, "CapacityUnits": 1}
    item["another"] = S(item["another"]["S"] + "a")          # one byte over 4 KB
    db.put_item(TableName=table, Item=item)
    assert _cu(db.get_item(TableName=table, Key=key, ConsistentRead=True, ReturnConsumedCapacity="TOTAL")) == 2
    # a projection reads the whole item all the same
    assert _cu(db.get_item(TableName=table, Key=key, ConsistentRead=False, ProjectionExpression="p, att",
                           ReturnConsumedCapacity="TOTAL")) == 1
    assert "ConsumedCapacity" not in db.get_item(TableName=table, Key=key, ReturnConsumedCapacity="NONE")
    assert "ConsumedCapacity" not in db.get_item(TableName=table, Key=key)


def test_write_units(db, table):
    base = {"p": S("p2"), "c": S("c2"), "att": S("v")}
    fill = _filler(("p", "p2"), ("c", "c2"), ("att", "v"), total=KB)
    assert _cu(db.put_item(TableName=table, Item=dict(base, another=S(fill)), ReturnConsumedCapacity="TOTAL")) == 1
    assert _cu(db.put_item(TableName=table, Item=dict(base, another=S(fill + "a")),
                           ReturnConsumedCapacity="TOTAL")) == 2
    big = dict(base, another=S("a" * 2 * KB))
    assert _cu(db.put_item(TableName=table, Item=big, ReturnConsumedCapacity="TOTAL")) == 3
    # a small put over the big item costs the big one
    assert _cu(db.put_item(TableName=table, Item=dict(base, another=S("a")), ReturnConsumedCapacity="TOTAL")) == 3
    db.put_item(TableName=table, Item=big)
    out = db.update_item(TableName=table, Key={"p": S("p2"), "c": S("c2")}, UpdateExpression="SET another = :v",
                         ExpressionAttributeValues={":v": S("a")}, ReturnConsumedCapacity="TOTAL")
    assert _cu(out) == 3
    assert _cu(db.delete_item(TableName=table, Key={"p": S("p2"), "c": S("c2")}, ReturnConsumedCapacity="TOTAL")) == 1
    assert _cu(db.delete_item(TableName=table, Key={"p": S("nope"), "c": S("x")}, ReturnConsumedCapacity="TOTAL")) == 1
    assert _cu(db.update_item(TableName=table, Key={"p": S("new"), "c": S("x")}, UpdateExpression="SET a = :v",
                              ExpressionAttributeValues={":v": S("v")}, ReturnConsumedCapacity="TOTAL")) == 1


def test_batches_round_each_item(db, table):
    hash_only = make_table(db, keys=(("p", "S"),))
    keys1 = [{"p": S(f"h{i}")} for i in range(5)]
    keys2 = [{"p": S(f"r{i}"), "c": S("c")} for i in range(3)]
    out = db.batch_write_item(RequestItems={
        hash_only: [{"PutRequest": {"Item": dict(k, a=S("hi"))}} for k in keys1[:4]]
        + [{"PutRequest": {"Item": dict(keys1[4], a=S("a" * KB))}}],
        table: [{"PutRequest": {"Item": k}} for k in keys2]}, ReturnConsumedCapacity="TOTAL")
    units = {c["TableName"]: c["CapacityUnits"] for c in out["ConsumedCapacity"]}
    assert units == {hash_only: 6, table: 3}
    out = db.batch_get_item(RequestItems={hash_only: {"Keys": keys1, "ConsistentRead": True},
                                          table: {"Keys": keys2, "ConsistentRead": False}},
                            ReturnConsumedCapacity="TOTAL")
    units = {c["TableName"]: c["CapacityUnits"] for c in out["ConsumedCapacity"]}
    assert units == {hash_only: 5, table: 1.5}
    assert "ConsumedCapacity" not in db.batch_get_item(RequestItems={table: {"Keys": keys2}})


def test_query_and_scan_round_once_per_page(db, table):
    for i in range(10):
        db.put_item(TableName=table, Item={"p": S("q"), "c": S(f"{i:02}"), "v": S("x" * 1000)})
    # ten items of about 1 KB: about 10 KB read, 3 units strongly consistent, 1.5 eventually
    out = db.query(TableName=table, KeyConditionExpression="p = :p", ExpressionAttributeValues={":p": S("q")},
                   ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
    assert _cu(out) == 3
    out = db.query(TableName=table, KeyConditionExpression="p = :p", ExpressionAttributeValues={":p": S("q"),
                   ":n": S("zz")}, FilterExpression="v = :n", ReturnConsumedCapacity="TOTAL")
    assert out["Count"] == 0 and _cu(out) == 1.5          # filtered-out items were read all the same
    assert _cu(db.scan(TableName=table, ConsistentRead=True, ReturnConsumedCapacity="TOTAL")) == 3
    empty = make_table(db)
    assert _cu(db.scan(TableName=empty, ReturnConsumedCapacity="TOTAL")) == 0.5


def test_transactions_cost_double(db, table):
    out = db.transact_write_items(TransactItems=[
        {"Put": {"TableName": table, "Item": {"p": S("t1"), "c": S("c")}}},
        {"Put": {"TableName": table, "Item": {"p": S("t2"), "c": S("c"), "big": S("a" * 2 * KB)}}},
        {"Update": {"TableName": table, "Key": {"p": S("t3"), "c": S("c")}, "UpdateExpression": "SET a = :v",
                    "ExpressionAttributeValues": {":v": S("v")}}}], ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"] == [{"TableName": table, "CapacityUnits": 2 + 6 + 2}]
    out = db.transact_get_items(TransactItems=[{"Get": {"TableName": table, "Key": {"p": S(p), "c": S("c")}}}
                                               for p in ("t1", "t2", "missing")], ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"] == [{"TableName": table, "CapacityUnits": 6}]


def test_indexes_mode_reports_each_index(db):
    table = make_table(db, keys=(("p", "S"), ("c", "S")), more=(("g", "S"), ("l", "S")), GlobalSecondaryIndexes=[
        {"IndexName": "gsi", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
         "Projection": {"ProjectionType": "ALL"}}], LocalSecondaryIndexes=[
        {"IndexName": "lsi", "KeySchema": [{"AttributeName": "p", "KeyType": "HASH"},
                                           {"AttributeName": "l", "KeyType": "RANGE"}],
         "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    out = db.put_item(TableName=table, Item={"p": S("a"), "c": S("b"), "g": S("x"), "l": S("y")},
                      ReturnConsumedCapacity="INDEXES")
    assert out["ConsumedCapacity"] == {"TableName": table, "CapacityUnits": 3, "Table": {"CapacityUnits": 1},
                                       "LocalSecondaryIndexes": {"lsi": {"CapacityUnits": 1}},
                                       "GlobalSecondaryIndexes": {"gsi": {"CapacityUnits": 1}}}
    # an item without the index keys writes the table only
    out = db.put_item(TableName=table, Item={"p": S("b"), "c": S("b")}, ReturnConsumedCapacity="INDEXES")
    assert out["ConsumedCapacity"] == {"TableName": table, "CapacityUnits": 1, "Table": {"CapacityUnits": 1}}
    # moving an item to another GSI key deletes one entry and writes another
    out = db.update_item(TableName=table, Key={"p": S("a"), "c": S("b")}, UpdateExpression="SET g = :g",
                         ExpressionAttributeValues={":g": S("z")}, ReturnConsumedCapacity="INDEXES")
    assert out["ConsumedCapacity"]["GlobalSecondaryIndexes"] == {"gsi": {"CapacityUnits": 2}}
    assert "LocalSecondaryIndexes" not in out["ConsumedCapacity"]          # its entry did not change
    out = db.query(TableName=table, IndexName="gsi", KeyConditionExpression="g = :g",
                   ExpressionAttributeValues={":g": S("z")}, ReturnConsumedCapacity="INDEXES")
    assert out["ConsumedCapacity"] == {"TableName": table, "CapacityUnits": 0.5, "Table": {"CapacityUnits": 0},
                                       "GlobalSecondaryIndexes": {"gsi": {"CapacityUnits": 0.5}}}
    out = db.query(TableName=table, IndexName="gsi", KeyConditionExpression="g = :g",
                   ExpressionAttributeValues={":g": S("z")}, ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"] == {"TableName": table, "CapacityUnits": 0.5}


def test_bad_mode_is_refused_and_writes_nothing(db, table):
    r = db.refused("put_item", TableName=table, Item={"p": S("x"), "c": S("y")}, ReturnConsumedCapacity="DUMMY")
    assert r.code == "ValidationException" and "returnConsumedCapacity" in r.message
    assert "Item" not in db.get_item(TableName=table, Key={"p": S("x"), "c": S("y")})
    for op, request in (("get_item", dict(TableName=table, Key={"p": S("x"), "c": S("y")})),
                        ("scan", dict(TableName=table)),
                        ("batch_get_item", dict(RequestItems={table: {"Keys": [{"p": S("x"), "c": S("y")}]}})),
                        ("transact_get_items", dict(TransactItems=[{"Get": {"TableName": table,
                                                                            "Key": {"p": S("x"), "c": S("y")}}}]))):
        r = db.refused(op, ReturnConsumedCapacity="DUMMY", **request)
        assert r.code == "ValidationException", op
