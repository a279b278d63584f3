"""The legacy (pre-expression) parameters through the embedded API: Expected, KeyConditions, QueryFilter /
ScanFilter with ConditionalOperator, AttributesToGet and AttributeUpdates, and the rule that a request may not mix
them with expression parameters.

Oracle: the DynamoDB Developer Guide's legacy-parameter pages (LegacyConditionalParameters.*) and API reference
(ExpectedAttributeValue, Condition, AttributeValueUpdate); exact error wording as real DynamoDB returns it (recorded
by the AWS-verified dynalite test-suite and the DynamoDB Local validator).
"""
from __future__ import annotations

import pytest

from logstore.errors import ConditionalCheckFailedException, ValidationException

INVALID = "One or more parameter values were invalid: "
ENVELOPE = "1 validation error detected: "
MIXED = "Can not use both expression and non-expression parameters in the same request: "


def S(v: str) -> dict:
    return {"S": v}


def N(v) -> dict:
    return {"N": str(v)}


def B(v: bytes) -> dict:
    return {"B": v}


def make_table(store, name, keys):
    store.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": n, "KeyType": "HASH" if i == 0 else "RANGE"} for i, (n, _) in enumerate(keys)],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in keys],
        BillingMode="PAY_PER_REQUEST")


def cond(op: str, *values) -> dict:
    c = {"ComparisonOperator": op}
    if values:
        c["AttributeValueList"] = list(values)
    return c


def scan_all(store, table) -> list[dict]:
    out, request = [], {"TableName": table}
    while True:
        page = store.scan(**request)
        out += page["Items"]
        if "LastEvaluatedKey" not in page:
            return sorted(out, key=repr)
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


ITEM = {"pk": S("a"), "sk": N(1), "n": N(5), "s": S("hello"), "ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1", "2"]},
        "b": B(b"\x01\x02\x03"), "l": {"L": [S("x"), N(1)]}, "m": {"M": {"k": S("v")}}, "t": {"BOOL": True}}
KEY = {"pk": S("a"), "sk": N(1)}


@pytest.fixture
def leg(store):
    make_table(store, "leg", [("pk", "S"), ("sk", "N")])
    store.put_item(TableName="leg", Item=ITEM)
    return "leg"


def get(store, key=KEY):
    return store.get_item(TableName="leg", Key=key).get("Item")


# -- Expected ------------------------------------------------------------------------------------------------------

EXPECTED_CASES = [
    # (Expected, holds for ITEM)
    ({"n": {"Value": N(5)}}, True),
    ({"n": {"Value": N("5.0")}}, True),
    ({"n": {"Value": S("5")}}, False),
    ({"n": {"Value": N(6)}}, False),
    ({"missing": {"Value": N(6)}}, False),
    ({"n": {"Value": N(5), "Exists": True}}, True),
    ({"missing": {"Exists": False}}, True),
    ({"n": {"Exists": False}}, False),
    ({"ss": {"Value": {"SS": ["y", "x"]}}}, True),
    ({"n": cond("EQ", N(5))}, True),
    ({"n": cond("NE", N(5))}, False),
    ({"n": cond("NE", S("5"))}, True),
    ({"missing": cond("NE", N(5))}, True),
    ({"n": cond("LT", N(6))}, True),
    ({"n": cond("LT", N(5))}, False),
    ({"n": cond("LE", N(5))}, True),
    ({"n": cond("GT", N(4))}, True),
    ({"n": cond("GT", N(5))}, False),
    ({"n": cond("GE", N(5))}, True),
    ({"s": cond("GT", S("hell"))}, True),
    ({"n": cond("GT", S("4"))}, False),
    ({"n": cond("NOT_NULL")}, True),
    ({"missing": cond("NOT_NULL")}, False),
    ({"missing": cond("NULL")}, True),
    ({"n": cond("NULL")}, False),
    ({"s": cond("CONTAINS", S("ell"))}, True),
    ({"ss": cond("CONTAINS", S("x"))}, True),
    ({"ns": cond("CONTAINS", N(2))}, True),
    ({"ns": cond("CONTAINS", N(3))}, False),
    ({"l": cond("CONTAINS", S("x"))}, True),
    ({"b": cond("CONTAINS", B(b"\x02\x03"))}, True),
    ({"s": cond("NOT_CONTAINS", S("xyz"))}, True),
    ({"ss": cond("NOT_CONTAINS", S("x"))}, False),
    ({"s": cond("BEGINS_WITH", S("he"))}, True),
    ({"s": cond("BEGINS_WITH", S("el"))}, False),
    ({"b": cond("BEGINS_WITH", B(b"\x01"))}, True),
    ({"n": cond("IN", N(1), N(5), N(9))}, True),
    ({"n": cond("IN", N(1), N(9))}, False),
    ({"s": cond("IN", S("hello"))}, True),
    ({"n": cond("BETWEEN", N(5), N(10))}, True),
    ({"n": cond("BETWEEN", N(-1), N(4.99))}, False),
    ({"s": cond("BETWEEN", S("a"), S("i"))}, True),
    ({"m": cond("EQ", {"M": {"k": S("v")}})}, True),
    ({"l": cond("EQ", {"L": [S("x"), N(1)]})}, True),
    ({"l": cond("EQ", {"L": [N(1), S("x")]})}, False),
    ({"t": cond("EQ", {"BOOL": True})}, True),
    ({"n": cond("EQ", N(5)), "s": cond("EQ", S("nope"))}, False),
    ({"n": cond("EQ", N(5)), "s": cond("EQ", S("hello"))}, True),
]


def _ids(cases):
    return [repr(c[0]) for c in cases]


@pytest.mark.parametrize("expected, holds", EXPECTED_CASES, ids=_ids(EXPECTED_CASES))
def test_expected_on_put_item(store, leg, expected, holds):
    new = dict(ITEM, n=N(99))
    if holds:
        store.put_item(TableName=leg, Item=new, Expected=expected)
        assert get(store) == new
    else:
        with pytest.raises(ConditionalCheckFailedException) as e:
            store.put_item(TableName=leg, Item=new, Expected=expected)
        assert e.value.message == "The conditional request failed"
        assert get(store) == ITEM


@pytest.mark.parametrize("expected, holds", EXPECTED_CASES[::3], ids=_ids(EXPECTED_CASES[::3]))
def test_expected_on_delete_item(store, leg, expected, holds):
    if holds:
        store.delete_item(TableName=leg, Key=KEY, Expected=expected)
        assert get(store) is None
    else:
        with pytest.raises(ConditionalCheckFailedException):
            store.delete_item(TableName=leg, Key=KEY, Expected=expected)
        assert get(store) == ITEM


@pytest.mark.parametrize("expected, holds", EXPECTED_CASES[1::3], ids=_ids(EXPECTED_CASES[1::3]))
def test_expected_on_update_item(store, leg, expected, holds):
    updates = {"n": {"Action": "PUT", "Value": N(99)}}
    if holds:
        store.update_item(TableName=leg, Key=KEY, AttributeUpdates=updates, Expected=expected)
        assert get(store)["n"] == N(99)
    else:
        with pytest.raises(ConditionalCheckFailedException):
            store.update_item(TableName=leg, Key=KEY, AttributeUpdates=updates, Expected=expected)
        assert get(store) == ITEM


def test_expected_conditional_operator_or(store, leg):
    expected = {"n": cond("EQ", N(6)), "s": cond("EQ", S("hello"))}
    with pytest.raises(ConditionalCheckFailedException):
        store.delete_item(TableName=leg, Key=KEY, Expected=expected)
    with pytest.raises(ConditionalCheckFailedException):
        store.delete_item(TableName=leg, Key=KEY, Expected=expected, ConditionalOperator="AND")
    assert get(store) == ITEM
    store.delete_item(TableName=leg, Key=KEY, Expected=expected, ConditionalOperator="OR")
    assert get(store) is None


def test_expected_or_with_no_true_condition_fails(store, leg):
    expected = {"n": {"Value": N(6)}, "missing": {"Exists": True, "Value": N(1)}}
    with pytest.raises(ConditionalCheckFailedException):
        store.put_item(TableName=leg, Item=KEY, Expected=expected, ConditionalOperator="OR")
    assert get(store) == ITEM


def test_expected_against_a_missing_item(store, leg):
    key = {"pk": S("new"), "sk": N(1)}
    store.put_item(TableName=leg, Item=key, Expected={"pk": {"Exists": False}})
    with pytest.raises(ConditionalCheckFailedException):
        store.put_item(TableName=leg, Item=key, Expected={"pk": {"Exists": False}})
    with pytest.raises(ConditionalCheckFailedException):
        store.delete_item(TableName=leg, Key={"pk": S("none"), "sk": N(1)}, Expected={"n": cond("NOT_NULL")})
    store.delete_item(TableName=leg, Key={"pk": S("none"), "sk": N(1)}, Expected={"n": cond("NULL")})


def test_expected_return_values_all_old(store, leg):
    r = store.put_item(TableName=leg, Item=KEY, Expected={"n": {"Value": N(5)}}, ReturnValues="ALL_OLD")
    assert r["Attributes"] == ITEM


EXPECTED_ERRORS = {
    "empty condition": ({"n": {}}, INVALID + "Value must be provided when Exists is null for Attribute: n"),
    "Exists true without Value": ({"n": {"Exists": True}},
                                  INVALID + "Value must be provided when Exists is true for Attribute: n"),
    "Exists false with Value": ({"n": {"Exists": False, "Value": N(5)}},
                                INVALID + "Value cannot be used when Exists is false for Attribute: n"),
    "Exists with ComparisonOperator": ({"n": {"Exists": True, "ComparisonOperator": "LT",
                                              "AttributeValueList": [N(1)]}},
                                       INVALID + "Exists and ComparisonOperator cannot be used together for "
                                       "Attribute: n"),
    "Value with AttributeValueList": ({"n": {"Value": N(5), "ComparisonOperator": "EQ",
                                             "AttributeValueList": [N(5)]}},
                                      INVALID + "Value and AttributeValueList cannot be used together for "
                                      "Attribute: n"),
    "AttributeValueList alone": ({"n": {"AttributeValueList": [N(5)]}},
                                 INVALID + "AttributeValueList can only be used with a ComparisonOperator for "
                                 "Attribute: n"),
    "ComparisonOperator without values": ({"n": {"ComparisonOperator": "LT"}},
                                          INVALID + "Value or AttributeValueList must be used with "
                                          "ComparisonOperator: LT for Attribute: n"),
    "EQ with two values": ({"n": cond("EQ", N(1), N(2))},
                           INVALID + "Invalid number of argument(s) for the EQ ComparisonOperator"),
    "NULL with a value": ({"n": cond("NULL", N(1))},
                          INVALID + "Invalid number of argument(s) for the NULL ComparisonOperator"),
    "BETWEEN with one value": ({"n": cond("BETWEEN", N(1))},
                               INVALID + "Invalid number of argument(s) for the BETWEEN ComparisonOperator"),
    "BETWEEN with three values": ({"n": cond("BETWEEN", N(1), N(2), N(3))},
                                  INVALID + "Invalid number of argument(s) for the BETWEEN ComparisonOperator"),
    "IN with an empty list": ({"n": {"ComparisonOperator": "IN", "AttributeValueList": []}},
                              INVALID + "Invalid number of argument(s) for the IN ComparisonOperator"),
    "IN of mixed types": ({"n": cond("IN", S("b"), N(1))},
                          INVALID + "AttributeValues inside AttributeValueList must be of same type"),
    "BETWEEN bounds reversed": ({"s": cond("BETWEEN", S("b"), S("a"))},
                                "The BETWEEN condition was provided a range where the lower bound is greater than the "
                                "upper bound"),
    "LT on a BOOL": ({"n": cond("LT", {"BOOL": True})},
                     INVALID + "ComparisonOperator LT is not valid for BOOL AttributeValue type"),
    "GE on a set": ({"n": cond("GE", {"SS": ["a"]})},
                    INVALID + "ComparisonOperator GE is not valid for SS AttributeValue type"),
    "IN on a set": ({"n": cond("IN", {"NS": ["1"]})},
                    INVALID + "ComparisonOperator IN is not valid for NS AttributeValue type"),
    "CONTAINS a set": ({"n": cond("CONTAINS", {"SS": ["a"]})},
                       INVALID + "ComparisonOperator CONTAINS is not valid for SS AttributeValue type"),
    "BEGINS_WITH a number": ({"n": cond("BEGINS_WITH", N(1))},
                             INVALID + "ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type"),
    "unknown operator": ({"n": cond("LIKE", S("a"))}, None),
}


@pytest.mark.parametrize("op", ["put", "delete", "update"])
@pytest.mark.parametrize("case", list(EXPECTED_ERRORS))
def test_invalid_expected(store, leg, case, op):
    expected, message = EXPECTED_ERRORS[case]
    with pytest.raises(ValidationException) as e:
        if op == "put":
            store.put_item(TableName=leg, Item=KEY, Expected=expected)
        elif op == "delete":
            store.delete_item(TableName=leg, Key=KEY, Expected=expected)
        else:
            store.update_item(TableName=leg, Key=KEY, Expected=expected,
                              AttributeUpdates={"n": {"Action": "PUT", "Value": N(1)}})
    if message is not None:
        # item writes check Expected before consulting the table: AWS (as recorded in 2026) wraps what it finds in
        # its validation envelope (docs/expressions.md)
        assert e.value.message == ENVELOPE + message
    assert scan_all(store, leg) == [ITEM]


# -- KeyConditions -------------------------------------------------------------------------------------------------

SKS = ["a", "ab", "abc", "b", "ba", "c"]


@pytest.fixture
def kc(store):
    make_table(store, "keyc", [("pk", "S"), ("sk", "S")])
    for sk in SKS:
        store.put_item(TableName="keyc", Item={"pk": S("h"), "sk": S(sk), "v": N(len(sk))})
    store.put_item(TableName="keyc", Item={"pk": S("other"), "sk": S("ab")})
    return "keyc"


HASH = {"pk": cond("EQ", S("h"))}
KC_CASES = [
    ({}, SKS),
    ({"sk": cond("EQ", S("ab"))}, ["ab"]),
    ({"sk": cond("LT", S("b"))}, ["a", "ab", "abc"]),
    ({"sk": cond("LE", S("b"))}, ["a", "ab", "abc", "b"]),
    ({"sk": cond("GT", S("b"))}, ["ba", "c"]),
    ({"sk": cond("GE", S("b"))}, ["b", "ba", "c"]),
    ({"sk": cond("BEGINS_WITH", S("ab"))}, ["ab", "abc"]),
    ({"sk": cond("BETWEEN", S("ab"), S("b"))}, ["ab", "abc", "b"]),
]


@pytest.mark.parametrize("forward", [True, False], ids=["asc", "desc"])
@pytest.mark.parametrize("range_cond, expected", KC_CASES, ids=[repr(c[0]) for c in KC_CASES])
def test_key_conditions(store, kc, range_cond, expected, forward):
    r = store.query(TableName=kc, KeyConditions={**HASH, **range_cond}, ScanIndexForward=forward)
    assert [i["sk"]["S"] for i in r["Items"]] == (expected if forward else expected[::-1])
    # paging with KeyConditions
    got, request = [], dict(TableName=kc, KeyConditions={**HASH, **range_cond}, ScanIndexForward=forward, Limit=2)
    for _ in range(20):
        page = store.query(**request)
        got += [i["sk"]["S"] for i in page["Items"]]
        if "LastEvaluatedKey" not in page:
            break
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    assert got == (expected if forward else expected[::-1])


def test_key_conditions_on_secondary_indexes(store):
    store.create_table(
        TableName="kidx", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t}
                              for n, t in (("pk", "S"), ("sk", "N"), ("l", "S"), ("g", "S"))],
        LocalSecondaryIndexes=[{"IndexName": "by_l", "Projection": {"ProjectionType": "ALL"},
                                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                              {"AttributeName": "l", "KeyType": "RANGE"}]}],
        GlobalSecondaryIndexes=[{"IndexName": "by_g", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}]}])
    for i, (lv, g) in enumerate([("c", "G"), ("a", "G"), ("b", None), (None, "G")]):
        item = {"pk": S("p"), "sk": N(i)}
        if lv:
            item["l"] = S(lv)
        if g:
            item["g"] = S(g)
        store.put_item(TableName="kidx", Item=item)
    r = store.query(TableName="kidx", IndexName="by_l",
                    KeyConditions={"pk": cond("EQ", S("p")), "l": cond("GE", S("b"))})
    assert [i["l"]["S"] for i in r["Items"]] == ["b", "c"]
    r = store.query(TableName="kidx", IndexName="by_g", KeyConditions={"g": cond("EQ", S("G"))},
                    QueryFilter={"l": cond("NULL")})
    assert [i["sk"]["N"] for i in r["Items"]] == ["3"] and r["ScannedCount"] == 3
    with pytest.raises(ValidationException):
        store.query(TableName="kidx", IndexName="by_g", KeyConditions={"g": cond("EQ", S("G"))},
                    QueryFilter={"g": cond("NOT_NULL")})


KC_ERRORS = {
    "hash LT": ({"pk": cond("LT", S("h"))}, "Query key condition not supported"),
    "hash BEGINS_WITH": ({"pk": cond("BEGINS_WITH", S("h"))}, "Query key condition not supported"),
    "range only": ({"sk": cond("EQ", S("a"))}, "Query condition missed key schema element: pk"),
    "three conditions": ({**HASH, "sk": cond("EQ", S("a")), "v": cond("EQ", N(1))},
                         "Conditions can be of length 1 or 2 only"),
    "empty": ({}, "Conditions can be of length 1 or 2 only"),
    "range NULL": ({**HASH, "sk": cond("NULL")}, "Attempted conditional constraint is not an indexable operation"),
    "range NOT_NULL": ({**HASH, "sk": cond("NOT_NULL")},
                       "Attempted conditional constraint is not an indexable operation"),
    "range NE": ({**HASH, "sk": cond("NE", S("a"))}, "Attempted conditional constraint is not an indexable operation"),
    "range CONTAINS": ({**HASH, "sk": cond("CONTAINS", S("a"))},
                       "Attempted conditional constraint is not an indexable operation"),
    "range NOT_CONTAINS": ({**HASH, "sk": cond("NOT_CONTAINS", S("a"))},
                           "Attempted conditional constraint is not an indexable operation"),
    "range IN": ({**HASH, "sk": cond("IN", S("a"))}, "Attempted conditional constraint is not an indexable operation"),
    "hash value of the wrong type": ({"pk": cond("EQ", N(1))},
                                     INVALID + "Condition parameter type does not match schema type"),
    "EQ without a value": ({"pk": {"ComparisonOperator": "EQ"}},
                           INVALID + "Invalid number of argument(s) for the EQ ComparisonOperator"),
    "BETWEEN with one value": ({**HASH, "sk": cond("BETWEEN", S("a"))},
                               INVALID + "Invalid number of argument(s) for the BETWEEN ComparisonOperator"),
    "BETWEEN bounds reversed": ({**HASH, "sk": cond("BETWEEN", S("b"), S("a"))},
                                "The BETWEEN condition was provided a range where the lower bound is greater than the "
                                "upper bound"),
}


@pytest.mark.parametrize("case", list(KC_ERRORS))
def test_invalid_key_conditions(store, kc, case):
    conditions, message = KC_ERRORS[case]
    before = scan_all(store, kc)
    with pytest.raises(ValidationException) as e:
        store.query(TableName=kc, KeyConditions=conditions)
    assert e.value.message == message
    assert scan_all(store, kc) == before


# -- QueryFilter / ScanFilter --------------------------------------------------------------------------------------

FILTER_ITEMS = {
    "i1": {"a": N(1), "s": S("apple"), "ss": {"SS": ["x", "y"]}, "l": {"L": [S("x"), N(1)]}, "b": B(b"\x01\x02")},
    "i2": {"a": N(2), "s": S("banana"), "ns": {"NS": ["1", "2"]}},
    "i3": {"a": S("2"), "s": S("apricot")},
    "i4": {"s": N(5)},
}

FILTER_CASES = [
    ({"a": cond("EQ", N(2))}, ["i2"]),
    ({"a": cond("NE", N(2))}, ["i1", "i3", "i4"]),
    ({"a": cond("LE", N(2))}, ["i1", "i2"]),
    ({"a": cond("LT", N(2))}, ["i1"]),
    ({"a": cond("GE", N(1))}, ["i1", "i2"]),
    ({"a": cond("GT", N(1))}, ["i2"]),
    ({"a": cond("GT", S("1"))}, ["i3"]),
    ({"a": cond("NOT_NULL")}, ["i1", "i2", "i3"]),
    ({"a": cond("NULL")}, ["i4"]),
    ({"s": cond("CONTAINS", S("an"))}, ["i2"]),
    ({"ss": cond("CONTAINS", S("y"))}, ["i1"]),
    ({"ns": cond("CONTAINS", N(2))}, ["i2"]),
    ({"l": cond("CONTAINS", N(1))}, ["i1"]),
    ({"b": cond("CONTAINS", B(b"\x02"))}, ["i1"]),
    ({"s": cond("NOT_CONTAINS", S("ap"))}, ["i2", "i4"]),
    ({"s": cond("BEGINS_WITH", S("ap"))}, ["i1", "i3"]),
    ({"b": cond("BEGINS_WITH", B(b"\x01"))}, ["i1"]),
    ({"a": cond("IN", N(1), N(2))}, ["i1", "i2"]),
    ({"a": cond("IN", S("2"))}, ["i3"]),
    ({"a": cond("BETWEEN", N(1), N(1))}, ["i1"]),
    ({"s": cond("BETWEEN", S("apple"), S("b"))}, ["i1", "i3"]),
    ({"a": cond("EQ", N(1)), "s": cond("BEGINS_WITH", S("ap"))}, ["i1"]),
]


@pytest.fixture
def flt(store):
    make_table(store, "flt", [("pk", "S")])
    make_table(store, "qflt", [("pk", "S"), ("sk", "S")])
    for name, attrs in FILTER_ITEMS.items():
        store.put_item(TableName="flt", Item={"pk": S(name), **attrs})
        store.put_item(TableName="qflt", Item={"pk": S("h"), "sk": S(name), **attrs})
    return "flt"


@pytest.mark.parametrize("spec, expected", FILTER_CASES, ids=[repr(c[0]) for c in FILTER_CASES])
def test_scan_filter(store, flt, spec, expected):
    r = store.scan(TableName=flt, ScanFilter=spec)
    assert sorted(i["pk"]["S"] for i in r["Items"]) == expected
    assert r["ScannedCount"] == 4


@pytest.mark.parametrize("spec, expected", FILTER_CASES, ids=[repr(c[0]) for c in FILTER_CASES])
def test_query_filter(store, flt, spec, expected):
    r = store.query(TableName="qflt", KeyConditions={"pk": cond("EQ", S("h"))}, QueryFilter=spec)
    assert [i["sk"]["S"] for i in r["Items"]] == expected
    assert r["ScannedCount"] == 4


def test_filter_conditional_operator_or(store, flt):
    spec = {"a": cond("EQ", N(1)), "s": cond("EQ", S("banana"))}
    r = store.scan(TableName=flt, ScanFilter=spec, ConditionalOperator="OR")
    assert sorted(i["pk"]["S"] for i in r["Items"]) == ["i1", "i2"]
    assert store.scan(TableName=flt, ScanFilter=spec, ConditionalOperator="AND")["Count"] == 0
    r = store.query(TableName="qflt", KeyConditions={"pk": cond("EQ", S("h"))}, QueryFilter=spec,
                    ConditionalOperator="OR")
    assert [i["sk"]["S"] for i in r["Items"]] == ["i1", "i2"]


def test_query_filter_applies_after_limit(store, flt):
    r = store.query(TableName="qflt", KeyConditions={"pk": cond("EQ", S("h"))}, QueryFilter={"a": cond("NULL")},
                    Limit=2)
    assert r["Count"] == 0 and r["ScannedCount"] == 2 and "LastEvaluatedKey" in r


FILTER_ERRORS = {
    "EQ without a value": ({"a": {"ComparisonOperator": "EQ"}},
                           INVALID + "Invalid number of argument(s) for the EQ ComparisonOperator"),
    "EQ with two values": ({"a": cond("EQ", N(1), N(2))},
                           INVALID + "Invalid number of argument(s) for the EQ ComparisonOperator"),
    "NOT_NULL with a value": ({"a": cond("NOT_NULL", N(1))},
                              INVALID + "Invalid number of argument(s) for the NOT_NULL ComparisonOperator"),
    "CONTAINS with two values": ({"a": cond("CONTAINS", S("a"), S("b"))},
                                 INVALID + "Invalid number of argument(s) for the CONTAINS ComparisonOperator"),
    "IN without values": ({"a": {"ComparisonOperator": "IN"}},
                          INVALID + "Invalid number of argument(s) for the IN ComparisonOperator"),
    "BETWEEN with three values": ({"a": cond("BETWEEN", N(1), N(2), N(3))},
                                  INVALID + "Invalid number of argument(s) for the BETWEEN ComparisonOperator"),
    "IN of mixed types": ({"a": cond("IN", N(1), S("1"))},
                          INVALID + "AttributeValues inside AttributeValueList must be of same type"),
    "BETWEEN bounds reversed": ({"a": cond("BETWEEN", N(2), N(1))},
                                "The BETWEEN condition was provided a range where the lower bound is greater than the "
                                "upper bound"),
    "LE on a list": ({"a": cond("LE", {"L": []})},
                     INVALID + "ComparisonOperator LE is not valid for L AttributeValue type"),
    "BEGINS_WITH a BOOL": ({"a": cond("BEGINS_WITH", {"BOOL": True})},
                           INVALID + "ComparisonOperator BEGINS_WITH is not valid for BOOL AttributeValue type"),
}


@pytest.mark.parametrize("case", list(FILTER_ERRORS))
def test_invalid_scan_filter(store, flt, case):
    spec, message = FILTER_ERRORS[case]
    with pytest.raises(ValidationException) as e:
        store.scan(TableName=flt, ScanFilter=spec)
    assert e.value.message == message


@pytest.mark.parametrize("case", list(FILTER_ERRORS))
def test_invalid_query_filter(store, flt, case):
    spec, message = FILTER_ERRORS[case]
    with pytest.raises(ValidationException) as e:
        store.query(TableName="qflt", KeyConditions={"pk": cond("EQ", S("h"))}, QueryFilter=spec)
    assert e.value.message == message


@pytest.mark.parametrize("key", ["pk", "sk"])
def test_query_filter_on_a_key_attribute(store, flt, key):
    with pytest.raises(ValidationException) as e:
        store.query(TableName="qflt", KeyConditions={"pk": cond("EQ", S("h"))},
                    QueryFilter={key: cond("EQ", S("i1"))})
    assert e.value.message == f"QueryFilter can only contain non-primary key attributes: Primary key attribute: {key}"


# -- AttributesToGet -----------------------------------------------------------------------------------------------

def test_attributes_to_get_on_get_item(store, leg):
    r = store.get_item(TableName=leg, Key=KEY, AttributesToGet=["n", "s", "missing"])
    assert r == {"Item": {"n": N(5), "s": S("hello")}}
    r = store.get_item(TableName=leg, Key=KEY, AttributesToGet=["missing"])
    assert r == {"Item": {}}
    assert store.get_item(TableName=leg, Key={"pk": S("z"), "sk": N(0)}, AttributesToGet=["n"]) == {}


def test_attributes_to_get_on_batch_get_item(store, leg):
    other = {"pk": S("b"), "sk": N(2)}
    store.put_item(TableName=leg, Item={**other, "n": N(7), "z": N(0)})
    r = store.batch_get_item(RequestItems={leg: {"Keys": [KEY, other, {"pk": S("none"), "sk": N(0)}],
                                                 "AttributesToGet": ["pk", "n"]}})
    assert sorted(r["Responses"][leg], key=repr) == sorted([{"pk": S("a"), "n": N(5)}, {"pk": S("b"), "n": N(7)}],
                                                          key=repr)


def test_attributes_to_get_on_query_and_scan(store, leg):
    r = store.query(TableName=leg, KeyConditions={"pk": cond("EQ", S("a"))}, AttributesToGet=["sk", "m"])
    assert r["Items"] == [{"sk": N(1), "m": ITEM["m"]}]
    r = store.query(TableName=leg, KeyConditions={"pk": cond("EQ", S("a"))}, AttributesToGet=["sk"],
                    Select="SPECIFIC_ATTRIBUTES")
    assert r["Items"] == [{"sk": N(1)}]
    r = store.scan(TableName=leg, AttributesToGet=["t"])
    assert r["Items"] == [{"t": {"BOOL": True}}]


@pytest.mark.parametrize("op", ["query", "scan"])
def test_attributes_to_get_with_select_count(store, leg, op):
    request = dict(TableName=leg, AttributesToGet=["n"], Select="COUNT")
    if op == "query":
        request["KeyConditions"] = {"pk": cond("EQ", S("a"))}
    with pytest.raises(ValidationException) as e:
        getattr(store, op)(**request)
    assert e.value.message == ENVELOPE + "Cannot specify the AttributesToGet when choosing to get only the Count"


def test_attributes_to_get_duplicates(store, leg):
    with pytest.raises(ValidationException) as e:
        store.get_item(TableName=leg, Key=KEY, AttributesToGet=["n", "s", "n"])
    assert e.value.message == INVALID + "Duplicate value in attribute name: n"
    with pytest.raises(ValidationException) as e:
        store.scan(TableName=leg, AttributesToGet=["n", "n"])
    assert e.value.message == INVALID + "Duplicate value in attribute name: n"


# -- AttributeUpdates ----------------------------------------------------------------------------------------------

def test_attribute_updates_put(store, leg):
    store.update_item(TableName=leg, Key=KEY, AttributeUpdates={"n": {"Value": N(6)},                 # PUT default
                                                                "new": {"Action": "PUT", "Value": S("v")}})
    item = get(store)
    assert item["n"] == N(6) and item["new"] == S("v") and item["s"] == S("hello")


def test_attribute_updates_delete(store, leg):
    store.update_item(TableName=leg, Key=KEY, AttributeUpdates={"s": {"Action": "DELETE"},
                                                                "ss": {"Action": "DELETE", "Value": {"SS": ["x", "q"]}},
                                                                "ns": {"Action": "DELETE", "Value": {"NS": ["1", "2"]}},
                                                                "missing": {"Action": "DELETE"}})
    item = get(store)
    assert "s" not in item and "ns" not in item and "missing" not in item
    assert item["ss"] == {"SS": ["y"]}


def test_attribute_updates_add(store, leg):
    store.update_item(TableName=leg, Key=KEY, AttributeUpdates={"n": {"Action": "ADD", "Value": N("-1.5")},
                                                                "ss": {"Action": "ADD", "Value": {"SS": ["y", "z"]}},
                                                                "cnt": {"Action": "ADD", "Value": N(3)},
                                                                "tags": {"Action": "ADD", "Value": {"NS": ["7"]}}})
    item = get(store)
    assert item["n"] == N("3.5")
    assert sorted(item["ss"]["SS"]) == ["x", "y", "z"]
    assert item["cnt"] == N(3) and item["tags"] == {"NS": ["7"]}


def test_attribute_updates_create_a_missing_item(store, leg):
    key = {"pk": S("new"), "sk": N(2)}
    store.update_item(TableName=leg, Key=key, AttributeUpdates={"c": {"Action": "ADD", "Value": N(1)},
                                                                "p": {"Action": "PUT", "Value": S("x")}})
    assert get(store, key) == {**key, "c": N(1), "p": S("x")}


def test_attribute_updates_add_appends_to_a_list(store, leg):
    store.update_item(TableName=leg, Key=KEY, AttributeUpdates={"l": {"Action": "PUT", "Value": {"L": [N(1)]}}})
    store.update_item(TableName=leg, Key=KEY, AttributeUpdates={"l": {"Action": "ADD", "Value": {"L": [N(1), S("x")]}}})
    assert get(store)["l"] == {"L": [N(1), N(1), S("x")]}


def test_attribute_updates_on_a_missing_item(store, leg):
    key = {"pk": S("new"), "sk": N(3)}
    store.update_item(TableName=leg, Key=key, AttributeUpdates={"s": {"Action": "DELETE"},
                                                                "ss": {"Action": "DELETE", "Value": {"SS": ["x"]}}})
    assert get(store, key) is None                     # DELETEs alone create nothing
    store.update_item(TableName=leg, Key=key, AttributeUpdates={})
    assert get(store, key) == key                      # no actions at all: the key-only item


def test_attribute_updates_add_new_attributes_in_the_order_asked(store, leg):
    key = {"pk": S("new"), "sk": N(4)}
    store.update_item(TableName=leg, Key=key, AttributeUpdates={"z": {"Action": "ADD", "Value": N(1)},
                                                                "gone": {"Action": "DELETE"},
                                                                "a": {"Action": "PUT", "Value": S("x")},
                                                                "m": {"Action": "ADD", "Value": {"SS": ["q"]}}})
    assert list(get(store, key)) == ["pk", "sk", "z", "a", "m"]


def test_attribute_updates_return_values(store, leg):
    r = store.update_item(TableName=leg, Key=KEY, AttributeUpdates={"n": {"Action": "ADD", "Value": N(1)}},
                          ReturnValues="UPDATED_NEW")
    assert r == {"Attributes": {"n": N(6)}}
    r = store.update_item(TableName=leg, Key=KEY, AttributeUpdates={"n": {"Action": "ADD", "Value": N(1)}},
                          ReturnValues="UPDATED_OLD")
    assert r == {"Attributes": {"n": N(6)}}


ATTRIBUTE_UPDATE_ERRORS = {
    "update the hash key": ({"pk": {"Action": "PUT", "Value": S("b")}},
                            INVALID + "Cannot update attribute pk. This attribute is part of the key"),
    "update the range key": ({"sk": {"Action": "DELETE"}},
                             INVALID + "Cannot update attribute sk. This attribute is part of the key"),
    "PUT without a value": ({"n": {"Action": "PUT"}},
                            INVALID + "Only DELETE action is allowed when no attribute value is specified"),
    "ADD a string": ({"s": {"Action": "ADD", "Value": S("x")}}, INVALID + "ADD action is not supported for the type S"),
    "DELETE a scalar value": ({"n": {"Action": "DELETE", "Value": N(5)}},
                              INVALID + "DELETE action with value is not supported for the type N"),
    "unknown action": ({"n": {"Action": "REPLACE", "Value": N(5)}},
                       ENVELOPE + "Value 'REPLACE' at 'attributeUpdates.n.member.action' failed to satisfy constraint: "
                       "Member must satisfy enum value set: [ADD, PUT, DELETE]"),
    "ADD to an attribute of another type": ({"s": {"Action": "ADD", "Value": N(1)}},
                                            "Type mismatch for attribute to update"),
    "DELETE from an attribute of another type": ({"ss": {"Action": "DELETE", "Value": {"NS": ["1"]}}},
                                                 "Type mismatch for attribute to update"),
    "the first fault in the request's order": ({"n": {"Action": "PUT", "Value": N(1)}, "x": {"Action": "PUT"},
                                                "pk": {"Action": "PUT", "Value": S("b")}},
                                               INVALID + "Only DELETE action is allowed when no attribute value is "
                                               "specified"),
    "a run-time mismatch after another action": ({"n": {"Action": "ADD", "Value": N(1)},
                                                  "s": {"Action": "DELETE", "Value": {"SS": ["hello"]}}},
                                                 "Type mismatch for attribute to update"),
}


@pytest.mark.parametrize("case", list(ATTRIBUTE_UPDATE_ERRORS))
def test_invalid_attribute_updates(store, leg, case):
    updates, message = ATTRIBUTE_UPDATE_ERRORS[case]
    with pytest.raises(ValidationException) as e:
        store.update_item(TableName=leg, Key=KEY, AttributeUpdates=updates)
    if message is not None:
        assert e.value.message == message
    assert scan_all(store, leg) == [ITEM]


# -- mixing legacy and expression parameters -----------------------------------------------------------------------

V1 = {":v": N(5)}
MIXED_CASES = {
    "PutItem Expected + ConditionExpression": (
        "put_item", dict(Item=ITEM, Expected={"n": {"Value": N(5)}}, ConditionExpression="n = :v",
                         ExpressionAttributeValues=V1),
        "Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}"),
    "PutItem ConditionalOperator + ConditionExpression": (
        "put_item", dict(Item=ITEM, ConditionalOperator="AND", ConditionExpression="n = :v",
                         ExpressionAttributeValues=V1),
        "Non-expression parameters: {ConditionalOperator} Expression parameters: {ConditionExpression}"),
    "DeleteItem Expected + ConditionExpression": (
        "delete_item", dict(Key=KEY, Expected={"n": cond("NOT_NULL")}, ConditionExpression="attribute_exists(n)"),
        "Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}"),
    "UpdateItem AttributeUpdates + UpdateExpression": (
        "update_item", dict(Key=KEY, AttributeUpdates={"n": {"Value": N(1)}}, UpdateExpression="SET n = :v",
                            ExpressionAttributeValues=V1),
        "Non-expression parameters: {AttributeUpdates} Expression parameters: {UpdateExpression}"),
    "UpdateItem Expected + UpdateExpression": (
        "update_item", dict(Key=KEY, Expected={"n": {"Value": N(5)}}, UpdateExpression="SET n = :v",
                            ExpressionAttributeValues=V1),
        "Non-expression parameters: {Expected} Expression parameters: {UpdateExpression}"),
    "UpdateItem AttributeUpdates + ConditionExpression": (
        "update_item", dict(Key=KEY, AttributeUpdates={"n": {"Value": N(1)}}, ConditionExpression="n = :v",
                            ExpressionAttributeValues=V1),
        "Non-expression parameters: {AttributeUpdates} Expression parameters: {ConditionExpression}"),
    "UpdateItem all four": (
        "update_item", dict(Key=KEY, AttributeUpdates={"n": {"Value": N(1)}}, Expected={"n": {"Value": N(5)}},
                            UpdateExpression="SET n = :v", ConditionExpression="attribute_exists(n)",
                            ExpressionAttributeValues=V1),
        "Non-expression parameters: {AttributeUpdates, Expected} Expression parameters: {UpdateExpression, "
        "ConditionExpression}"),
    "GetItem AttributesToGet + ProjectionExpression": (
        "get_item", dict(Key=KEY, AttributesToGet=["n"], ProjectionExpression="n"),
        "Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}"),
    "Query KeyConditions + KeyConditionExpression": (
        "query", dict(KeyConditions={"pk": cond("EQ", S("a"))}, KeyConditionExpression="pk = :p",
                      ExpressionAttributeValues={":p": S("a")}),
        "Non-expression parameters: {KeyConditions} Expression parameters: {KeyConditionExpression}"),
    "Query QueryFilter + KeyConditionExpression": (
        "query", dict(QueryFilter={"n": cond("NOT_NULL")}, KeyConditionExpression="pk = :p",
                      ExpressionAttributeValues={":p": S("a")}),
        "Non-expression parameters: {QueryFilter} Expression parameters: {KeyConditionExpression}"),
    "Query everything": (
        "query", dict(AttributesToGet=["n"], QueryFilter={"n": cond("NOT_NULL")}, ConditionalOperator="OR",
                      KeyConditions={"pk": cond("EQ", S("a"))}, ProjectionExpression="s",
                      FilterExpression="attribute_exists(s)", KeyConditionExpression="pk = :p",
                      ExpressionAttributeValues={":p": S("a")}),
        "Non-expression parameters: {AttributesToGet, QueryFilter, ConditionalOperator, KeyConditions} "
        "Expression parameters: {ProjectionExpression, FilterExpression, KeyConditionExpression}"),
    "Query AttributesToGet + ProjectionExpression + KeyConditionExpression": (
        "query", dict(AttributesToGet=["n"], ProjectionExpression="s", KeyConditionExpression="pk = :p",
                      ExpressionAttributeValues={":p": S("a")}),
        "Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression, "
        "KeyConditionExpression}"),
    "Scan ScanFilter + FilterExpression": (
        "scan", dict(ScanFilter={"n": cond("NOT_NULL")}, FilterExpression="attribute_exists(n)"),
        "Non-expression parameters: {ScanFilter} Expression parameters: {FilterExpression}"),
    "Scan AttributesToGet + ScanFilter + ConditionalOperator + expressions": (
        "scan", dict(AttributesToGet=["n"], ScanFilter={"n": cond("NOT_NULL")}, ConditionalOperator="AND",
                     ProjectionExpression="s", FilterExpression="attribute_exists(n)"),
        "Non-expression parameters: {AttributesToGet, ScanFilter, ConditionalOperator} Expression parameters: "
        "{ProjectionExpression, FilterExpression}"),
}


@pytest.mark.parametrize("case", list(MIXED_CASES))
def test_mixing_legacy_and_expression_parameters(store, leg, case):
    op, request, tail = MIXED_CASES[case]
    with pytest.raises(ValidationException) as e:
        getattr(store, op)(TableName=leg, **request)
    envelope = ENVELOPE if op in ("put_item", "delete_item", "update_item") else ""
    assert e.value.message == envelope + MIXED + tail
    assert scan_all(store, leg) == [ITEM]


def test_mixing_in_batch_get_item(store, leg):
    with pytest.raises(ValidationException) as e:
        store.batch_get_item(RequestItems={leg: {"Keys": [KEY], "AttributesToGet": ["n"],
                                                 "ProjectionExpression": "n"}})
    assert e.value.message == MIXED + ("Non-expression parameters: {AttributesToGet} Expression parameters: "
                                       "{ProjectionExpression}")


def test_expression_attribute_values_without_an_expression(store, leg):
    with pytest.raises(ValidationException) as e:
        store.query(TableName=leg, KeyConditions={"pk": cond("EQ", S("a"))}, ExpressionAttributeValues={":x": N(1)})
    assert e.value.message == ("ExpressionAttributeValues can only be specified when using expressions: "
                               "FilterExpression and KeyConditionExpression are null")
    with pytest.raises(ValidationException) as e:
        store.put_item(TableName=leg, Item=ITEM, Expected={"n": {"Value": N(5)}},
                       ExpressionAttributeNames={"#n": "n"})
    assert e.value.message == ENVELOPE + "ExpressionAttributeNames can only be specified when using expressions"
    assert scan_all(store, leg) == [ITEM]
