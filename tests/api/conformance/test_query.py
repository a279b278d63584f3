"""Conformance facts for Query, recorded against AWS by nubo-db/dynamodb-conformance (conftest.py says how
they are checked and which tables they use)."""
from __future__ import annotations

import pytest
from apiconfhelpers import C, fails, H, MISSING, N, OVERLAP, put, q, S, sks

from logstore.errors import ResourceNotFoundException, ValidationException


# =====================================================================================================================
# tier3 error-messages/query.test.ts
# =====================================================================================================================

@pytest.mark.parametrize("kce", ["sk = :v", "attr1 = :v"])
def test_query_condition_missing_hash_key(db, kce):
    # source: tests/tier3/error-messages/query.test.ts
    e = fails(ValidationException, db.query, TableName=C, KeyConditionExpression=kce,
              ExpressionAttributeValues={":v": S("val")})
    assert e.message == "Query condition missed key schema element: pk"


def test_query_unused_names(db):
    # source: tests/tier3/error-messages/query.test.ts
    e = fails(ValidationException, db.query, TableName=C, KeyConditionExpression="pk = :v",
              ExpressionAttributeValues={":v": S("val")}, ExpressionAttributeNames={"#unused": "someattr"})
    assert e.message == "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}"


def test_query_invalid_select(db):
    # source: tests/tier3/error-messages/query.test.ts
    e = fails(ValidationException, db.query, TableName=C, KeyConditionExpression="pk = :v",
              ExpressionAttributeValues={":v": S("val")}, Select="INVALID_VALUE")
    assert e.message == ("1 validation error detected: Value 'INVALID_VALUE' at 'select' failed to satisfy constraint: "
                         "Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, "
                         "ALL_PROJECTED_ATTRIBUTES]")


def test_query_consistent_read_on_gsi(db):
    # source: tests/tier3/error-messages/query.test.ts (older recorded version)
    e = fails(ValidationException, db.query, TableName=C, IndexName="gsi1", KeyConditionExpression="#hk = :v",
              ExpressionAttributeNames={"#hk": "lsi1sk"}, ExpressionAttributeValues={":v": S("val")},
              ConsistentRead=True)
    assert e.message == "Consistent reads are not supported on global secondary indexes"


def test_query_limit_zero(db):
    # source: tests/tier3/error-messages/query.test.ts
    e = fails(ValidationException, db.query, TableName=C, KeyConditionExpression="pk = :v",
              ExpressionAttributeValues={":v": S("val")}, Limit=0)
    assert e.message == ("1 validation error detected: Value at 'Limit' failed to satisfy constraint: Member must have "
                         "value greater than or equal to 1")


def test_query_empty_key_condition(db):
    # source: tests/tier3/error-messages/query.test.ts
    e = fails(ValidationException, db.query, TableName=C, KeyConditionExpression="",
              ExpressionAttributeValues={":v": S("val")})
    assert e.message == "Invalid KeyConditionExpression: The expression can not be empty;"


def test_query_filter_undefined_name(db):
    # source: tests/tier3/error-messages/query.test.ts
    e = fails(ValidationException, db.query, TableName=C, KeyConditionExpression="pk = :pk",
              FilterExpression="#missing = :fv", ExpressionAttributeValues={":pk": S("val"), ":fv": S("x")})
    assert e.message == ("Invalid FilterExpression: An expression attribute name used in the document path is not "
                         "defined; attribute name: #missing")


def test_query_redundant_parentheses(db):
    # source: tests/tier3/error-messages/query.test.ts
    e = fails(ValidationException, db.query, TableName=H, KeyConditionExpression="((pk = :v))",
              ExpressionAttributeValues={":v": S("val")})
    assert e.message == "Invalid KeyConditionExpression: The expression has redundant parentheses;"


def test_query_bad_exclusive_start_key(db):
    # source: tests/tier3/error-messages/query.test.ts
    e = fails(ValidationException, db.query, TableName=C, KeyConditionExpression="pk = :v",
              ExpressionAttributeValues={":v": S("val")}, ExclusiveStartKey={"bad": S("p")})
    assert e.message == "The provided starting key is invalid"


def test_query_specific_attributes_without_projection(db):
    # source: tests/tier3/error-messages/query.test.ts
    e = fails(ValidationException, db.query, TableName=C, KeyConditionExpression="pk = :v",
              ExpressionAttributeValues={":v": S("val")}, Select="SPECIFIC_ATTRIBUTES")
    assert e.message == ("1 validation error detected: Must specify the AttributesToGet or ProjectionExpression when "
                         "choosing to get SPECIFIC_ATTRIBUTES")


@pytest.mark.parametrize("seed", [False, True], ids=["no partition", "control: partition has a row"])
@pytest.mark.parametrize("expr, names, message", [
    ("a, a", None, OVERLAP.format("[a]", "[a]")),
    ("#a, #b", {"#a": "a", "#b": "a"}, OVERLAP.format("[a]", "[a]")),
    ("a, a.b", None, OVERLAP.format("[a]", "[a, b]")),
], ids=["dup", "aliases", "parent-child"])
def test_query_projection_rejections(db, expr, names, message, seed):
    # source: tests/tier3/error-messages/query.test.ts ("ProjectionExpression rejection messages")
    if seed:
        put(db, H, {"pk": S("p"), "a": S("alpha")})
    request = dict(TableName=H, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": S("p")},
                   ProjectionExpression=expr)
    if names:
        request["ExpressionAttributeNames"] = names
    e = fails(ValidationException, db.query, **request)
    assert e.message == message


# =====================================================================================================================
# tier1 query/*
# =====================================================================================================================


def test_key_condition_value_on_the_left(db):
    # source: tests/tier1/query/keyConditionSemantics.test.ts
    put(db, C, {"pk": S("kce"), "sk": S("m")})
    r = q(db, "#pk = :pk AND :lo <= #sk", {":pk": S("kce"), ":lo": S("a")}, {"#pk": "pk", "#sk": "sk"})
    assert [i["sk"] for i in r["Items"]] == [S("m")]


def test_key_condition_nested_path_on_key(db):
    # source: tests/tier1/query/keyConditionSemantics.test.ts
    e = fails(ValidationException, q, db, "#pk = :pk AND #sk.foo = :v", {":pk": S("kce"), ":v": S("x")},
              {"#pk": "pk", "#sk": "sk"})
    assert "KeyConditionExpressions cannot have conditions on nested attributes" in e.message


@pytest.mark.parametrize("kce, sk, data", [
    ("(#pk = :pk) AND (#sk = :sk)", "1", "a"),
    ("(#pk = :pk AND #sk = :sk)", "2", "b"),
    ("((#pk = :pk)) AND ((#sk = :sk))", "3", "c"),
], ids=["per-condition", "whole", "double per-condition"])
def test_key_condition_parens(db, kce, sk, data):
    # source: tests/tier1/query/keyConditionParens.test.ts
    put(db, C, *[{"pk": S("kp"), "sk": S(s), "data": S(d)} for s, d in (("1", "a"), ("2", "b"), ("3", "c"))])
    r = q(db, kce, {":pk": S("kp"), ":sk": S(sk)}, {"#pk": "pk", "#sk": "sk"})
    assert [i["data"] for i in r["Items"]] == [S(data)]


QX = "query-expr"
QUERY_ITEMS = [
    {"pk": S(QX), "sk": S("1"), "name": S("alice"), "age": N(30), "tags": {"SS": ["admin", "user"]},
     "mapAttr": {"M": {"nested": S("deep-value")}}, "listAttr": {"L": [S("first"), S("second")]}},
    {"pk": S(QX), "sk": S("2"), "name": S("bob"), "age": N(25), "tags": {"SS": ["user"]},
     "mapAttr": {"M": {"nested": S("other-value")}}, "listAttr": {"L": [S("alpha"), S("beta")]}},
    {"pk": S(QX), "sk": S("3"), "name": S("carol"), "age": N(35), "tags": {"SS": ["admin", "manager"]},
     "mapAttr": {"M": {"nested": S("deep-value")}}, "listAttr": {"L": [S("first"), S("gamma")]}},
    {"pk": S(QX), "sk": S("4"), "name": S("dave"), "age": N(28), "tags": {"SS": ["viewer"]},
     "mapAttr": {"M": {"nested": S("v0"), "k1": S("v1"), "k2": S("v2"), "k3": S("v3")}},
     "listAttr": {"L": [S("x"), S("y"), S("z"), S("w")]}, "binAttr": {"B": bytes([1, 2, 3, 4, 5])}},
]

QUERY_FILTERS = [
    # (name, filter, names, values, expected sort keys)
    ("size of a string", "size(#n) > :len", {"#n": "name"}, {":len": N(3)}, ["1", "3", "4"]),
    ("contains substring", "contains(#n, :s)", {"#n": "name"}, {":s": S("lic")}, ["1"]),
    ("contains set member", "contains(tags, :e)", None, {":e": S("admin")}, ["1", "3"]),
    ("attribute_type", "attribute_type(#n, :t)", {"#n": "name"}, {":t": S("S")}, ["1", "2", "3", "4"]),
    ("begins_with", "begins_with(#n, :p)", {"#n": "name"}, {":p": S("car")}, ["3"]),
    ("IN", "#n IN (:v1, :v2)", {"#n": "name"}, {":v1": S("alice"), ":v2": S("carol")}, ["1", "3"]),
    ("NOT contains", "NOT contains(tags, :e)", None, {":e": S("admin")}, ["2", "4"]),
    ("AND", "#n = :name AND age > :min", {"#n": "name"}, {":name": S("alice"), ":min": N(20)}, ["1"]),
    ("OR", "#n = :v1 OR #n = :v2", {"#n": "name"}, {":v1": S("alice"), ":v2": S("bob")}, ["1", "2"]),
    ("BETWEEN", "age BETWEEN :lo AND :hi", None, {":lo": N(26), ":hi": N(34)}, ["1", "4"]),
    ("nested map path", "mapAttr.nested = :v", None, {":v": S("deep-value")}, ["1", "3"]),
    ("list index", "listAttr[0] = :v", None, {":v": S("first")}, ["1", "3"]),
    ("size of a list", "size(#la) = :sz", {"#la": "listAttr"}, {":sz": N(4)}, ["4"]),
    ("size of a string set", "size(#t) = :sz", {"#t": "tags"}, {":sz": N(1)}, ["2", "4"]),
    ("size of a map", "size(#ma) > :sz", {"#ma": "mapAttr"}, {":sz": N(2)}, ["4"]),
    ("size of a binary", "size(#ba) > :sz", {"#ba": "binAttr"}, {":sz": N(3)}, ["4"]),
]


@pytest.mark.parametrize("case", QUERY_FILTERS, ids=[c[0] for c in QUERY_FILTERS])
def test_query_filters(db, case):
    # source: tests/tier1/query/expressions.test.ts
    _, flt, names, values, expected = case
    put(db, C, *QUERY_ITEMS)
    r = q(db, "pk = :pk", {":pk": S(QX), **values}, names, FilterExpression=flt, ConsistentRead=True)
    assert sks(r["Items"]) == expected
    assert r["Count"] == len(expected) and r["ScannedCount"] == 4


@pytest.mark.parametrize("value, matches", [(3, True), (6, False)])
def test_size_counts_utf16_code_units(db, value, matches):
    # source: tests/tier1/query/expressions.test.ts ("size() string encoding": "é𝄞" is 3 UTF-16 units, 6 UTF-8 bytes)
    put(db, C, {"pk": S("size-enc"), "sk": S("1"), "s": S("\u00e9\U0001d11e")})
    r = q(db, "#pk = :pk", {":pk": S("size-enc"), ":n": N(value)}, {"#pk": "pk", "#s": "s"},
          FilterExpression="size(#s) = :n")
    assert len(r["Items"]) == (1 if matches else 0)


def test_size_of_missing_attribute_matches_nothing(db):
    # source: tests/tier1/query/expressions.test.ts
    put(db, C, {"pk": S("size-enc"), "sk": S("1"), "s": S("x")})
    r = q(db, "#pk = :pk", {":pk": S("size-enc"), ":zero": N(0)}, {"#pk": "pk", "#m": "no_such_attr"},
          FilterExpression="size(#m) = :zero")
    assert r["Items"] == []


SELECT_ITEMS = [{"pk": S("sel"), "sk": S(s), "status": S(st)} for s, st in (("a", "active"), ("b", "inactive"),
                                                                           ("c", "active"))]


def test_query_select_count(db):
    # source: tests/tier1/query/select.test.ts
    put(db, C, *SELECT_ITEMS)
    r = q(db, "pk = :pk", {":pk": S("sel")}, Select="COUNT", ConsistentRead=True)
    assert r["Count"] == 3 and r["ScannedCount"] == 3 and "Items" not in r
    r = q(db, "pk = :pk", {":pk": S("sel"), ":st": S("active")}, {"#s": "status"}, FilterExpression="#s = :st",
          Select="COUNT", ConsistentRead=True)
    assert r["Count"] == 2 and r["ScannedCount"] == 3 and "Items" not in r


INDEX_ITEMS = [
    {"pk": S("idx"), "sk": S("a"), "lsi1sk": S("gsi-hash-1"), "lsi2sk": S("gsi-range-1"), "data": S("projected-data"),
     "extra": S("not-projected")},
    {"pk": S("idx"), "sk": S("b"), "lsi1sk": S("gsi-hash-1"), "lsi2sk": S("gsi-range-2"),
     "data": S("projected-data-2"), "extra": S("also-not-projected")},
]


def test_query_all_projected_attributes_on_include_gsi(db):
    # source: tests/tier1/query/select.test.ts
    put(db, C, *INDEX_ITEMS)
    r = q(db, "#hk = :hk", {":hk": S("gsi-hash-1")}, {"#hk": "lsi1sk"}, IndexName="gsi2",
          Select="ALL_PROJECTED_ATTRIBUTES")
    assert len(r["Items"]) == 2
    for item in r["Items"]:
        assert {"pk", "sk", "lsi1sk", "lsi2sk", "data"} <= set(item) and "extra" not in item


def test_query_all_attributes_on_all_lsi(db):
    # source: tests/tier1/query/select.test.ts
    put(db, C, *INDEX_ITEMS)
    r = q(db, "#pk = :pk", {":pk": S("idx")}, {"#pk": "pk"}, IndexName="lsi1", Select="ALL_ATTRIBUTES",
          ConsistentRead=True)
    assert sorted(r["Items"], key=lambda i: i["sk"]["S"]) == INDEX_ITEMS


def test_query_specific_attributes(db):
    # source: tests/tier1/query/select.test.ts
    put(db, C, {"pk": S("sp"), "sk": S("a"), "data": S("hello"), "extra": S("world")},
        {"pk": S("sp"), "sk": S("b"), "data": S("foo"), "extra": S("bar")})
    r = q(db, "#pk = :pk", {":pk": S("sp")}, {"#pk": "pk", "#sk": "sk"}, ProjectionExpression="#pk, #sk",
          Select="SPECIFIC_ATTRIBUTES", ConsistentRead=True)
    assert r["Items"] == [{"pk": S("sp"), "sk": S("a")}, {"pk": S("sp"), "sk": S("b")}]
    fails(ValidationException, q, db, "#pk = :pk", {":pk": S("sp")}, {"#pk": "pk"}, Select="SPECIFIC_ATTRIBUTES",
          ConsistentRead=True)


@pytest.mark.parametrize("op", ["query", "scan"])
def test_select_projection_rejections(db, op):
    # source: tests/tier1/query/select.test.ts, tests/tier1/scan/select.test.ts (substring match)
    base = dict(TableName=C, KeyConditionExpression="#pk = :pk", ExpressionAttributeNames={"#pk": "pk"},
                ExpressionAttributeValues={":pk": S("x")}) if op == "query" else dict(TableName=H)
    e = fails(ValidationException, getattr(db, op), **base, Select="ALL_ATTRIBUTES",
              ProjectionExpression="sk" if op == "query" else "pk")
    assert "Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES" in e.message
    e = fails(ValidationException, getattr(db, op), **base, Select="ALL_PROJECTED_ATTRIBUTES")
    assert "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName" in e.message


def test_query_validation(db):
    # source: tests/tier1/query/validation.test.ts (codes only)
    fails(ResourceNotFoundException, db.query, TableName=MISSING, KeyConditionExpression="pk = :pk",
          ExpressionAttributeValues={":pk": S("test")})
    fails(ValidationException, db.query, TableName=C)


FEQ = [{"pk": S("feq"), "sk": S(s), "type": S(t), "status": S(st), "name": S(n)}
       for s, t, st, n in (("1", "alpha", "active", "alice"), ("2", "beta", "inactive", "bob"),
                           ("3", "gamma", "active", "alex"), ("4", "alpha", "active", "carol"))]


@pytest.mark.parametrize("flt, values, expected", [
    ("(#t = :a) OR (#t = :b)", {":a": S("alpha"), ":b": S("beta")}, ["1", "2", "4"]),
    ("(#t = :a OR #t = :b)", {":a": S("alpha"), ":b": S("beta")}, ["1", "2", "4"]),
    ("(#t = :a OR (#t = :b))", {":a": S("alpha"), ":b": S("beta")}, ["1", "2", "4"]),
    ("(#s = :s) AND (begins_with(#n, :p))", {":s": S("active"), ":p": S("al")}, ["1", "3"]),
], ids=["per-condition", "whole", "nested", "with begins_with"])
def test_query_filter_parens(db, flt, values, expected):
    # source: tests/tier1/query/filterExpressionParens.test.ts
    put(db, C, *FEQ)
    names = {"#pk": "pk", "#t": "type"} if "#t" in flt else {"#pk": "pk", "#s": "status", "#n": "name"}
    r = q(db, "#pk = :pk", {":pk": S("feq"), **values}, names, FilterExpression=flt)
    assert sks(r["Items"]) == expected


def test_query_order_and_key_conditions(db):
    # source: tests/tier1/query/basic.test.ts
    put(db, C, *[{"pk": S("qb"), "sk": S(s), "val": N(i)} for i, s in enumerate("abcde", 1)])
    r = q(db, "pk = :pk", {":pk": S("qb")}, ConsistentRead=True)
    assert [i["sk"]["S"] for i in r["Items"]] == list("abcde") and r["Count"] == 5 and r["ScannedCount"] == 5
    r = q(db, "pk = :pk", {":pk": S("qb")}, ScanIndexForward=False)
    assert [i["sk"]["S"] for i in r["Items"]] == list("edcba")
    r = q(db, "pk = :pk", {":pk": S("nonexistent-pk")})
    assert r["Items"] == [] and r["Count"] == 0
    put(db, C, *[{"pk": S("kc"), "sk": S(s)} for s in ("alpha", "beta", "gamma", "delta")])
    for kce, values, expected in [
        ("pk = :pk AND begins_with(sk, :p)", {":p": S("b")}, ["beta"]),
        ("pk = :pk AND sk BETWEEN :lo AND :hi", {":lo": S("beta"), ":hi": S("delta")}, ["beta", "delta"]),
        ("pk = :pk AND sk < :v", {":v": S("c")}, ["alpha", "beta"]),
        ("pk = :pk AND sk >= :v", {":v": S("delta")}, ["delta", "gamma"]),
    ]:
        r = q(db, kce, {":pk": S("kc"), **values})
        assert [i["sk"]["S"] for i in r["Items"]] == expected, kce


def test_query_filter_counts(db):
    # source: tests/tier1/query/basic.test.ts
    put(db, C, *[{"pk": S("qf"), "sk": S(s), "status": S(st)} for s, st in (("1", "active"), ("2", "inactive"),
                                                                           ("3", "active"))])
    r = q(db, "pk = :pk", {":pk": S("qf"), ":st": S("active")}, {"#s": "status"}, FilterExpression="#s = :st")
    assert len(r["Items"]) == 2 and r["Count"] == 2 and r["ScannedCount"] == 3


def test_query_limit_and_pagination(db):
    # source: tests/tier1/query/basic.test.ts
    put(db, C, *[{"pk": S("qp"), "sk": S(f"{i:03d}"), "category": S("even" if i % 2 == 0 else "odd")}
                 for i in range(10)])
    r = q(db, "pk = :pk", {":pk": S("qp")}, Limit=3)
    assert len(r["Items"]) == 3 and "LastEvaluatedKey" in r
    got, start = [], None
    while True:
        extra = {"ExclusiveStartKey": start} if start else {}
        r = q(db, "pk = :pk", {":pk": S("qp")}, Limit=4, **extra)
        got += r["Items"]
        start = r.get("LastEvaluatedKey")
        if not start:
            break
    assert len(got) == 10
    r = q(db, "pk = :pk", {":pk": S("qp")})
    assert len(r["Items"]) == 10 and "LastEvaluatedKey" not in r
    flt = dict(FilterExpression="#cat = :cat")
    r = q(db, "#pk = :pk", {":pk": S("qp"), ":cat": S("even")}, {"#pk": "pk", "#cat": "category"}, Limit=3, **flt)
    assert r["ScannedCount"] == 3 and r["Count"] == len(r["Items"]) <= 3 and "LastEvaluatedKey" in r
    r = q(db, "#pk = :pk", {":pk": S("qp"), ":cat": S("even")}, {"#pk": "pk", "#cat": "category"}, Limit=2, **flt)
    assert r["ScannedCount"] == 2 and r["Count"] == 1 and len(r["Items"]) == 1 and "LastEvaluatedKey" in r


def test_query_bad_start_keys(db):
    # source: tests/tier1/query/basic.test.ts (substring "provided starting key is invalid")
    e = fails(ValidationException, q, db, "pk = :pk", {":pk": S("query-basic")}, ExclusiveStartKey={"bad": S("p")})
    assert "provided starting key is invalid" in e.message
    e = fails(ValidationException, q, db, "#hk = :v", {":v": S("x")}, {"#hk": "lsi1sk"}, IndexName="gsi1",
              ExclusiveStartKey={"pk": S("x")})
    assert "provided starting key is invalid" in e.message


def test_query_exclusive_start_key_is_exclusive(db):
    # source: tests/tier1/query/basic.test.ts
    put(db, C, *[{"pk": S("esk"), "sk": S(s)} for s in "abcde"])
    first = q(db, "pk = :pk", {":pk": S("esk")}, Limit=2)
    assert len(first["Items"]) == 2
    second = q(db, "pk = :pk", {":pk": S("esk")}, ExclusiveStartKey=first["LastEvaluatedKey"])
    assert [i["sk"]["S"] for i in second["Items"]] == ["c", "d", "e"]
