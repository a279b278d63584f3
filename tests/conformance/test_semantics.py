"""Item and read semantics DynamoDB has that logstore got wrong (issue 11), embedded and over HTTP: REMOVE- or
DELETE-only updates of a missing item create nothing (no item, no record, no Attributes), also through
AttributeUpdates; AttributeUpdates ADD appends to a list; Expected NOT_CONTAINS fails on a missing attribute;
``size`` and ``attribute_type`` of a value reference; KeyConditions mixed with FilterExpression and
ProjectionExpression; restarting index queries with EQ on both keys; start keys outside a query's range or a parallel
Scan's segment. Messages from AWS-verified suites (ExtendDB's dual-target tests, ScyllaDB Alternator's)."""
from __future__ import annotations

import pytest
from confhelpers import make_table, state


def S(v):
    return {"S": v}


def N(v):
    return {"N": str(v)}


@pytest.mark.parametrize("update", ["REMOVE a", "REMOVE a, b.c[2]", "DELETE s :set", "REMOVE a DELETE s :set"])
@pytest.mark.parametrize("rv", ["ALL_NEW", "UPDATED_NEW", "ALL_OLD", "NONE"])
def test_remove_or_delete_only_update_of_a_missing_item_creates_nothing(db, update, rv):
    table = make_table(db)
    values = {":set": {"SS": ["x"]}} if ":set" in update else None
    before = state(db, table)
    out = db.update_item(TableName=table, Key={"pk": S("missing")}, UpdateExpression=update, ReturnValues=rv,
                         **({"ExpressionAttributeValues": values} if values else {}))
    assert "Attributes" not in out
    assert "Item" not in db.get_item(TableName=table, Key={"pk": S("missing")})
    assert state(db, table) == before
    # the same update of an existing item does change it
    db.put_item(TableName=table, Item={"pk": S("there"), "a": N(1), "s": {"SS": ["x", "y"]},
                                       "b": {"M": {"c": {"L": [N(0), N(1), N(2)]}}}})
    db.update_item(TableName=table, Key={"pk": S("there")}, UpdateExpression=update,
                   **({"ExpressionAttributeValues": values} if values else {}))
    assert "a" not in db.get_item(TableName=table, Key={"pk": S("there")})["Item"] or "DELETE" in update


def test_set_or_add_update_of_a_missing_item_creates_it(db):
    table = make_table(db)
    out = db.update_item(TableName=table, Key={"pk": S("k")}, UpdateExpression="REMOVE a SET b = :v",
                         ExpressionAttributeValues={":v": N(1)}, ReturnValues="ALL_NEW")
    assert out["Attributes"] == {"pk": S("k"), "b": N(1)}


def test_attribute_updates_delete_only_on_a_missing_item_creates_nothing(db):
    table = make_table(db)
    before = state(db, table)
    for updates in ({"a": {"Action": "DELETE"}},
                    {"a": {"Action": "DELETE"}, "s": {"Action": "DELETE", "Value": {"SS": ["x"]}}}):
        out = db.update_item(TableName=table, Key={"pk": S("missing")}, AttributeUpdates=updates,
                             ReturnValues="ALL_NEW")
        assert "Attributes" not in out
    assert state(db, table) == before
    # no updates at all create the key-only item, as in DynamoDB
    db.update_item(TableName=table, Key={"pk": S("bare")})
    assert db.get_item(TableName=table, Key={"pk": S("bare")})["Item"] == {"pk": S("bare")}


def test_attribute_updates_add_appends_to_a_list(db):
    table = make_table(db)
    db.put_item(TableName=table, Item={"pk": S("k"), "l": {"L": [N(1)]}})
    db.update_item(TableName=table, Key={"pk": S("k")},
                   AttributeUpdates={"l": {"Action": "ADD", "Value": {"L": [N(2), S("x")]}},
                                     "new": {"Action": "ADD", "Value": {"L": [N(3)]}}})
    item = db.get_item(TableName=table, Key={"pk": S("k")})["Item"]
    assert item["l"] == {"L": [N(1), N(2), S("x")]} and item["new"] == {"L": [N(3)]}
    before = state(db, table)
    r = db.refused("update_item", TableName=table, Key={"pk": S("k")},
                   AttributeUpdates={"pk2": {"Action": "ADD", "Value": {"M": {}}}})
    assert r.code == "ValidationException" and "ADD action is not supported for the type M" in r.message
    assert state(db, table) == before


def test_expected_not_contains_fails_on_a_missing_attribute(db):
    table = make_table(db)
    db.put_item(TableName=table, Item={"pk": S("k"), "s": S("abc")})
    before = state(db, table)
    r = db.refused("put_item", TableName=table, Item={"pk": S("k"), "z": N(1)},
                   Expected={"missing": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [S("x")]}})
    assert r.code == "ConditionalCheckFailedException"
    assert state(db, table) == before
    db.put_item(TableName=table, Item={"pk": S("k"), "s": S("abc"), "z": N(1)},
                Expected={"s": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [S("x")]}})
    # a scan filter agrees
    assert db.scan(TableName=table, ScanFilter={
        "missing": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [S("x")]}})["Count"] == 0


def test_size_and_attribute_type_of_a_value_reference(db):
    table = make_table(db)
    db.put_item(TableName=table, Item={"pk": S("k"), "n": N(3)})
    assert db.scan(TableName=table, FilterExpression="size(:v) = n",
                   ExpressionAttributeValues={":v": S("abc")})["Count"] == 1
    assert db.scan(TableName=table, FilterExpression="attribute_type(:v, :t)",
                   ExpressionAttributeValues={":v": S("abc"), ":t": S("S")})["Count"] == 1
    r = db.refused("scan", TableName=table, FilterExpression="attribute_type(n, n)")
    assert r.code == "ValidationException" and "attribute_type" in r.message


def test_key_conditions_mix_with_filter_and_projection_expressions(db):
    table = make_table(db, keys=(("pk", "S"), ("sk", "N")))
    for i in range(3):
        db.put_item(TableName=table, Item={"pk": S("a"), "sk": N(i), "x": N(i), "y": S("y")})
    kc = {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [S("a")]}}
    out = db.query(TableName=table, KeyConditions=kc, FilterExpression="x > :v",
                   ExpressionAttributeValues={":v": N(0)}, ProjectionExpression="x")
    assert out["Items"] == [{"x": N(1)}, {"x": N(2)}]
    for extra, legacy, expression in (
            (dict(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": S("a")}),
             "KeyConditions", "KeyConditionExpression"),
            (dict(QueryFilter={"x": {"ComparisonOperator": "GT", "AttributeValueList": [N(0)]}},
                  ProjectionExpression="x"), "QueryFilter", "ProjectionExpression"),
            (dict(AttributesToGet=["x"], FilterExpression="x > :v", ExpressionAttributeValues={":v": N(0)}),
             "AttributesToGet", "FilterExpression")):
        r = db.refused("query", TableName=table, KeyConditions=kc, **extra)
        assert r.code == "ValidationException", r
        assert "Can not use both expression and non-expression parameters" in r.message, r.message
        assert legacy in r.message and expression in r.message


ENVELOPE = "1 validation error detected: "
CONDOP_WITHOUT = "ConditionalOperator cannot be used without Filter or Expected"
CONDOP_TWO = "ConditionalOperator can only be used when Filter or Expected has two or more elements"


def test_conditional_operator_needs_two_conditions(db):
    table = make_table(db)
    db.put_item(TableName=table, Item={"pk": S("k"), "a": S("x"), "b": S("y")})
    before = state(db, table)
    one = {"a": {"ComparisonOperator": "EQ", "AttributeValueList": [S("x")]}}
    two = dict(one, b={"ComparisonOperator": "EQ", "AttributeValueList": [S("y")]})
    kc = {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [S("k")]}}
    for op, request, message in (
            ("scan", {}, CONDOP_WITHOUT), ("scan", dict(ScanFilter={}), CONDOP_WITHOUT),
            ("scan", dict(ScanFilter=one), CONDOP_TWO), ("query", dict(KeyConditions=kc), CONDOP_WITHOUT),
            ("query", {}, CONDOP_WITHOUT), ("query", dict(KeyConditions=kc, QueryFilter=one), CONDOP_TWO),
            ("put_item", dict(Item={"pk": S("k")}), CONDOP_WITHOUT),
            ("put_item", dict(Item={"pk": S("k")}, Expected=one), CONDOP_TWO),
            ("delete_item", dict(Key={"pk": S("k")}), CONDOP_WITHOUT),
            ("update_item", dict(Key={"pk": S("k")}), CONDOP_WITHOUT),
            ("update_item", dict(Key={"pk": S("k")}, Expected=one,
                                 AttributeUpdates={"c": {"Action": "PUT", "Value": S("z")}}), CONDOP_TWO)):
        r = db.refused(op, TableName=table, ConditionalOperator="AND", **request)
        # PutItem/DeleteItem/UpdateItem word it inside the request-validation envelope in some regions
        assert r.code == "ValidationException" and r.message in (message, ENVELOPE + message), (op, request)
    assert state(db, table) == before
    assert db.scan(TableName=table, ScanFilter=two, ConditionalOperator="AND")["Count"] == 1
    db.put_item(TableName=table, Item={"pk": S("k"), "a": S("x"), "b": S("y"), "c": N(1)}, Expected=two,
                ConditionalOperator="OR")


def test_index_query_with_both_keys_equal_is_restartable(db):
    table = make_table(db, keys=(("pk", "S"), ("sk", "N")), more=(("g", "S"),), GlobalSecondaryIndexes=[
        {"IndexName": "gsi", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                           {"AttributeName": "sk", "KeyType": "RANGE"}],
         "Projection": {"ProjectionType": "ALL"}}])
    for p in ("a", "b", "c"):
        db.put_item(TableName=table, Item={"pk": S(p), "sk": N(1), "g": S("same")})
    query = dict(TableName=table, IndexName="gsi", KeyConditionExpression="g = :g AND sk = :s",
                 ExpressionAttributeValues={":g": S("same"), ":s": N(1)}, Limit=1)
    seen, start = [], None
    for _ in range(10):
        page = db.query(**query, **({"ExclusiveStartKey": start} if start else {}))
        seen += [i["pk"]["S"] for i in page["Items"]]
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    assert sorted(seen) == ["a", "b", "c"]


def test_query_start_keys_outside_the_query(db):
    table = make_table(db)
    db.put_item(TableName=table, Item={"pk": S("a")})
    query = dict(TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": S("a")})
    assert db.query(**query, ExclusiveStartKey={"pk": S("a")})["Count"] == 0
    r = db.refused("query", **query, ExclusiveStartKey={"pk": S("b")})
    assert (r.code, r.message) == ("ValidationException",
                                   "The query can return at most one row and cannot be restarted")
    ranged = make_table(db, keys=(("pk", "S"), ("sk", "N")))
    r = db.refused("query", TableName=ranged, KeyConditionExpression="pk = :p",
                   ExpressionAttributeValues={":p": S("a")}, ExclusiveStartKey={"pk": S("b"), "sk": N(1)})
    assert r.message == "The provided starting key is outside query boundaries based on provided conditions"


def test_parallel_scan_start_key_must_lie_in_its_segment(db):
    table = make_table(db)
    for i in range(40):
        db.put_item(TableName=table, Item={"pk": S(f"k{i}")})
    pages = {s: db.scan(TableName=table, Segment=s, TotalSegments=4)["Items"] for s in range(4)}
    assert sum(len(p) for p in pages.values()) == 40
    for s, items in pages.items():
        if not items:
            continue
        key = items[0]
        assert db.scan(TableName=table, Segment=s, TotalSegments=4, ExclusiveStartKey=key)["Count"] == len(items) - 1
        other = (s + 1) % 4
        r = db.refused("scan", TableName=table, Segment=other, TotalSegments=4, ExclusiveStartKey=key)
        assert r.code == "ValidationException"
        assert r.message == ("The provided starting key is invalid: Invalid ExclusiveStartKey. Please use "
                             f"ExclusiveStartKey with correct Segment. TotalSegments: 4 Segment: {other}")


def test_global_index_refuses_an_unprojected_attribute(db):
    table = make_table(db, keys=(("pk", "S"),), more=(("g", "S"),), GlobalSecondaryIndexes=[
        {"IndexName": "inc", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
         "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a"]}},
        {"IndexName": "keys", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
         "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    db.put_item(TableName=table, Item={"pk": S("k"), "g": S("x"), "a": N(1), "b": N(2)})
    query = dict(TableName=table, KeyConditionExpression="g = :g", ExpressionAttributeValues={":g": S("x")})
    assert db.query(IndexName="inc", ProjectionExpression="pk, a", **query)["Items"] == [{"pk": S("k"), "a": N(1)}]
    for index, wanted in (("inc", "b"), ("keys", "a"), ("inc", "a, b.c")):
        r = db.refused("query", IndexName=index, ProjectionExpression=wanted, **query)
        assert r.code == "ValidationException" and f"index {index} does not project" in r.message, r.message
        r = db.refused("scan", TableName=table, IndexName=index, ProjectionExpression=wanted)
        assert r.code == "ValidationException", r
