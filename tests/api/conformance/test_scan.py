"""Conformance facts for Scan, recorded against AWS by nubo-db/dynamodb-conformance (conftest.py says how
they are checked and which tables they use)."""
from __future__ import annotations

import pytest
from apiconfhelpers import fails, H, MISSING, N, NOT_FOUND, OVERLAP, pks, put, S

from logstore.errors import ResourceNotFoundException, ValidationException


# =====================================================================================================================
# tier3 error-messages/scan.test.ts
# =====================================================================================================================

SCAN_ERRORS = [
    # (request extras, accepted messages: the suite's pinned form first, then the other recorded regional form)
    ({"Segment": 0}, ["The TotalSegments parameter is required but was not present in the request when Segment "
                      "parameter is present"]),
    ({"TotalSegments": 4}, ["The Segment parameter is required but was not present in the request when parameter "
                            "TotalSegments is present"]),
    ({"Segment": 5, "TotalSegments": 5},
     ["The Segment parameter is zero-based and must be less than parameter TotalSegments",
      "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 5 is not less "
      "than TotalSegments: 5"]),
    ({"Limit": 0},
     ["1 validation error detected: Value at 'Limit' failed to satisfy constraint: Member must have value greater "
      "than or equal to 1",
      "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater "
      "than or equal to 1"]),
    ({"Segment": -1, "TotalSegments": 4},
     ["1 validation error detected: Value at 'Segment' failed to satisfy constraint: Member must have value greater "
      "than or equal to 0",
      "1 validation error detected: Value '-1' at 'segment' failed to satisfy constraint: Member must have value "
      "greater than or equal to 0"]),
    ({"ExclusiveStartKey": {"bad": S("p")}},
     ["The provided starting key is invalid",
      "The provided starting key is invalid: The provided key element does not match the schema"]),
    ({"Select": "SPECIFIC_ATTRIBUTES"},
     ["1 validation error detected: Must specify the AttributesToGet or ProjectionExpression when choosing to get "
      "SPECIFIC_ATTRIBUTES",
      "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES"]),
    ({"FilterExpression": "begins_with(#a, :n)", "ExpressionAttributeNames": {"#a": "data"},
      "ExpressionAttributeValues": {":n": N(1)}},
     ["Invalid FilterExpression: Incorrect operand type for operator or function; operator or function: "
      "begins_with, operand type: N"]),
    ({"FilterExpression": "((#a = :v))", "ExpressionAttributeNames": {"#a": "data"},
      "ExpressionAttributeValues": {":v": S("x")}},
     ["Invalid FilterExpression: The expression has redundant parentheses;"]),
]


@pytest.mark.parametrize("extra, messages", SCAN_ERRORS, ids=[m[0][:60] for _, m in SCAN_ERRORS])
def test_scan_errors(db, extra, messages):
    # source: tests/tier3/error-messages/scan.test.ts
    put(db, H, {"pk": S("x"), "data": S("x")})
    e = fails(ValidationException, db.scan, TableName=H, **extra)
    assert e.message in messages


def test_scan_missing_table(db):
    # source: tests/tier3/error-messages/scan.test.ts
    e = fails(ResourceNotFoundException, db.scan, TableName=MISSING)
    assert e.message == NOT_FOUND


@pytest.mark.parametrize("seed", [False, True], ids=["filter matches nothing", "control: filter matches"])
@pytest.mark.parametrize("expr, names, message", [
    ("a, a", None, OVERLAP.format("[a]", "[a]")),
    ("#a, #b", {"#a": "a", "#b": "a"}, OVERLAP.format("[a]", "[a]")),
    ("a, a.b", None, OVERLAP.format("[a]", "[a, b]")),
    ("#undef", None, "Invalid ProjectionExpression: An expression attribute name used in the document path is not "
                     "defined; attribute name: #undef"),
], ids=["dup", "aliases", "parent-child", "undefined name"])
def test_scan_projection_rejections(db, expr, names, message, seed):
    # source: tests/tier3/error-messages/scan.test.ts ("ProjectionExpression rejection messages"),
    # tests/tier1/getItem/projectionValidation.test.ts (undefined name on an empty scan)
    if seed:
        put(db, H, {"pk": S("p"), "a": S("alpha")})
    request = dict(TableName=H, FilterExpression="pk = :pk", ExpressionAttributeValues={":pk": S("p")},
                   ProjectionExpression=expr)
    if names:
        request["ExpressionAttributeNames"] = names
    e = fails(ValidationException, db.scan, **request)
    assert e.message == message


# =====================================================================================================================
# tier1 scan/*
# =====================================================================================================================

FO = [{"pk": S("fo-1"), "strVal": S("apple"), "numVal": N(10), "binVal": {"B": bytes([1, 2])}, "setVal": {"SS": ["a", "b"]}},
      {"pk": S("fo-2"), "strVal": S("banana"), "numVal": N(20), "binVal": {"B": bytes([3, 4])}, "setVal": {"SS": ["b", "c"]}},
      {"pk": S("fo-3"), "strVal": S("cherry"), "numVal": N(30), "binVal": {"B": bytes([5, 6])}, "setVal": {"SS": ["a", "c"]}}]

SCAN_FILTERS = [
    ("EQ string", "#a = :v", {"#a": "strVal"}, {":v": S("banana")}, ["fo-2"]),
    ("NE number", "#a <> :v", {"#a": "numVal"}, {":v": N(20)}, ["fo-1", "fo-3"]),
    ("GT number", "#a > :v", {"#a": "numVal"}, {":v": N(15)}, ["fo-2", "fo-3"]),
    ("LE string", "#a <= :v", {"#a": "strVal"}, {":v": S("banana")}, ["fo-1", "fo-2"]),
    ("contains string", "contains(#a, :v)", {"#a": "strVal"}, {":v": S("an")}, ["fo-2"]),
    ("attribute_exists", "attribute_exists(#a)", {"#a": "strVal"}, {}, ["fo-1", "fo-2", "fo-3"]),
    ("GT binary", "#a > :v", {"#a": "binVal"}, {":v": {"B": bytes([3, 4])}}, ["fo-3"]),
    ("begins_with binary", "begins_with(#a, :v)", {"#a": "binVal"}, {":v": {"B": bytes([3])}}, ["fo-2"]),
    ("BETWEEN binary", "#a BETWEEN :lo AND :hi", {"#a": "binVal"},
     {":lo": {"B": bytes([1, 2])}, ":hi": {"B": bytes([3, 4])}}, ["fo-1", "fo-2"]),
    ("set EQ ignores order", "#a = :v", {"#a": "setVal"}, {":v": {"SS": ["b", "a"]}}, ["fo-1"]),
    ("set NE", "#a <> :v", {"#a": "setVal"}, {":v": {"SS": ["a", "b"]}}, ["fo-2", "fo-3"]),
]


@pytest.mark.parametrize("case", SCAN_FILTERS, ids=[c[0] for c in SCAN_FILTERS])
def test_scan_filter_operators(db, case):
    # source: tests/tier1/scan/filterOperators.test.ts
    _, flt, names, values, expected = case
    put(db, H, *FO, {"pk": S("other"), "strVal": S("apple")})
    r = db.scan(TableName=H, FilterExpression=f"{flt} AND begins_with(#pk, :prefix)",
                ExpressionAttributeNames={**names, "#pk": "pk"},
                ExpressionAttributeValues={**values, ":prefix": S("fo-")}, ConsistentRead=True)
    assert pks(r["Items"]) == expected


def test_scan_filter_validation(db):
    # source: tests/tier1/scan/filterOperators.test.ts, filterOperandOrder.test.ts (patterns/codes only)
    put(db, H, *FO)
    e = fails(ValidationException, db.scan, TableName=H, FilterExpression="begins_with(#a, :n)",
              ExpressionAttributeNames={"#a": "strVal"}, ExpressionAttributeValues={":n": N(1)})
    assert "Incorrect operand type" in e.message
    e = fails(ValidationException, db.scan, TableName=H, FilterExpression="((#a = :v))",
              ExpressionAttributeNames={"#a": "strVal"}, ExpressionAttributeValues={":v": S("apple")})
    assert "redundant parentheses" in e.message
    # the operand check fires before rows are evaluated, also when nothing could match
    fails(ValidationException, db.scan, TableName=H, FilterExpression="begins_with(#p, :n)",
          ExpressionAttributeNames={"#p": "no_such_attr_xyz"}, ExpressionAttributeValues={":n": N(5)})


def test_scan_select_count(db):
    # source: tests/tier1/scan/select.test.ts
    put(db, H, *[{"pk": S(f"ss-{i}"), "category": S(c)} for i, c in enumerate(("alpha", "beta", "alpha"))])
    r = db.scan(TableName=H, Select="COUNT", ConsistentRead=True)
    assert r["Count"] == 3 and "Items" not in r
    r = db.scan(TableName=H, Select="COUNT", FilterExpression="#c = :cat AND begins_with(pk, :p)",
                ExpressionAttributeNames={"#c": "category"}, ExpressionAttributeValues={":cat": S("alpha"),
                                                                                       ":p": S("ss-")})
    assert r["Count"] == 2 and r["ScannedCount"] == 3 and "Items" not in r


def test_scan_missing_table_code(db):
    # source: tests/tier1/scan/validation.test.ts
    fails(ResourceNotFoundException, db.scan, TableName=MISSING)


def test_parallel_scan(db):
    # source: tests/tier1/scan/parallel.test.ts
    put(db, H, *[{"pk": S(f"parallel-scan-{i:03d}"), "val": N(i)} for i in range(20)])
    seen = []
    for segment in range(4):
        start = None
        while True:
            extra = {"ExclusiveStartKey": start} if start else {}
            r = db.scan(TableName=H, TotalSegments=4, Segment=segment, FilterExpression="begins_with(pk, :p)",
                        ExpressionAttributeValues={":p": S("parallel-scan-")}, ConsistentRead=True, **extra)
            seen += [i["pk"]["S"] for i in r["Items"]]
            start = r.get("LastEvaluatedKey")
            if not start:
                break
    assert sorted(seen) == [f"parallel-scan-{i:03d}" for i in range(20)]   # disjoint and complete


def test_scan_basics(db):
    # source: tests/tier1/scan/basic.test.ts
    put(db, H, *[{"pk": S(f"sf-{i}"), "status": S(st)} for i, st in enumerate(("active", "inactive", "active"))])
    r = db.scan(TableName=H, ConsistentRead=True)
    assert len(r["Items"]) == 3 and r["Count"] == 3 and r["ScannedCount"] == 3
    r = db.scan(TableName=H, FilterExpression="pk = :x", ExpressionAttributeValues={":x": S("no-such")})
    assert r["Count"] == 0 and r["ScannedCount"] == 3 and r["Items"] == []
    r = db.scan(TableName=H, FilterExpression="#s = :st AND begins_with(pk, :p)", ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":st": S("active"), ":p": S("sf-")})
    assert len(r["Items"]) == 2 and r["ScannedCount"] >= r["Count"]
    r = db.scan(TableName=H, Limit=2)
    assert len(r["Items"]) == 2 and "LastEvaluatedKey" in r
    got, start = [], None
    while True:
        r = db.scan(TableName=H, Limit=2, **({"ExclusiveStartKey": start} if start else {}))
        got += r["Items"]
        start = r.get("LastEvaluatedKey")
        if not start:
            break
    assert len(got) == 3


def test_scan_projection_and_start_keys(db):
    # source: tests/tier1/scan/basic.test.ts
    put(db, H, {"pk": S("scan-proj"), "a": S("alpha"), "b": S("beta")},
        *[{"pk": S(f"sesk-{i}"), "val": N(i)} for i in range(4)])
    r = db.scan(TableName=H, ProjectionExpression="a", FilterExpression="pk = :pk",
                ExpressionAttributeValues={":pk": S("scan-proj")})
    assert r["Items"] == [{"a": S("alpha")}]
    e = fails(ValidationException, db.scan, TableName=H, ExclusiveStartKey={"bad": S("p")})
    assert "provided starting key is invalid" in e.message
    flt = dict(FilterExpression="begins_with(pk, :p)", ExpressionAttributeValues={":p": S("sesk-")})
    first = db.scan(TableName=H, Limit=1, **flt)
    start = first["LastEvaluatedKey"]
    second = db.scan(TableName=H, ExclusiveStartKey=start, **flt)
    assert start["pk"] not in [i["pk"] for i in second["Items"]]
    r = db.scan(TableName=H, Limit=1, FilterExpression="val > :hi", ExpressionAttributeValues={":hi": N(100)})
    assert r["ScannedCount"] == 1 and r["Count"] == 0 and "LastEvaluatedKey" in r
