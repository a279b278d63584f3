"""Conformance facts for UpdateItem, recorded against AWS by nubo-db/dynamodb-conformance (conftest.py says how
they are checked and which tables they use)."""
from __future__ import annotations

import pytest
from apiconfhelpers import C, EMPTY_BIN_KEY, fails, get, H, HB, K, MISSING, N, put, S

from logstore.errors import ConditionalCheckFailedException, ResourceNotFoundException, ValidationException


# =====================================================================================================================
# tier3 error-messages/updateItem.test.ts
# =====================================================================================================================

def test_update_cannot_set_hash_key(db):
    # source: tests/tier3/error-messages/updateItem.test.ts
    e = fails(ValidationException, db.update_item, TableName=H, Key={"pk": S("k")}, UpdateExpression="SET pk = :v",
              ExpressionAttributeValues={":v": S("new-val")})
    assert e.message == ("One or more parameter values were invalid: Cannot update attribute pk. "
                         "This attribute is part of the key")


def test_update_cannot_set_range_key(db):
    # source: tests/tier3/error-messages/updateItem.test.ts
    e = fails(ValidationException, db.update_item, TableName=C, Key={"pk": S("k"), "sk": S("sk1")},
              UpdateExpression="SET sk = :v", ExpressionAttributeValues={":v": S("new-sk")})
    assert e.message == ("One or more parameter values were invalid: Cannot update attribute sk. "
                         "This attribute is part of the key")


def test_update_syntax_error(db):
    # source: tests/tier3/error-messages/updateItem.test.ts (envelope floats by region: substring match)
    e = fails(ValidationException, db.update_item, TableName=H, Key={"pk": S("k")},
              UpdateExpression="INVALID SYNTAX HERE", ExpressionAttributeValues={":v": S("val")})
    assert 'Invalid UpdateExpression: Syntax error; token: "INVALID", near: "INVALID SYNTAX"' in e.message


def test_update_unused_names(db):
    # source: tests/tier3/error-messages/updateItem.test.ts
    e = fails(ValidationException, db.update_item, TableName=H, Key={"pk": S("k")}, UpdateExpression="SET attr1 = :v",
              ExpressionAttributeValues={":v": S("val")}, ExpressionAttributeNames={"#unused": "someattr"})
    assert "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}" in e.message


def test_update_unused_values(db):
    # source: tests/tier3/error-messages/updateItem.test.ts
    e = fails(ValidationException, db.update_item, TableName=H, Key={"pk": S("k")}, UpdateExpression="SET attr1 = :v",
              ExpressionAttributeValues={":v": S("val"), ":unused": S("extra")})
    assert "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}" in e.message


def test_update_undefined_value(db):
    # source: tests/tier3/error-messages/updateItem.test.ts
    e = fails(ValidationException, db.update_item, TableName=H, Key={"pk": S("k")}, UpdateExpression="SET attr1 = :v")
    assert ("Invalid UpdateExpression: An expression attribute value used in expression is not defined; "
            "attribute value: :v") in e.message


def test_update_undefined_value_in_condition_is_enveloped(db):
    # source: tests/tier3/error-messages/updateItem.test.ts (eu-west-2 and us-east-1, exact)
    e = fails(ValidationException, db.update_item, TableName=H, Key={"pk": S("k")}, UpdateExpression="SET b = :w",
              ConditionExpression="a = :v", ExpressionAttributeValues={":w": S("x")})
    assert e.message == ("1 validation error detected: Invalid ConditionExpression: An expression attribute value "
                         "used in expression is not defined; attribute value: :v")


def test_update_mixing_expression_and_attribute_updates(db):
    # source: tests/tier3/error-messages/updateItem.test.ts
    e = fails(ValidationException, db.update_item, TableName=H, Key={"pk": S("k")}, UpdateExpression="SET attr1 = :v",
              ExpressionAttributeValues={":v": S("val")},
              AttributeUpdates={"attr1": {"Value": S("val"), "Action": "PUT"}})
    assert ("Can not use both expression and non-expression parameters in the same request: Non-expression "
            "parameters: {AttributeUpdates} Expression parameters: {UpdateExpression}") in e.message


def test_update_empty_expression(db):
    # source: tests/tier3/error-messages/updateItem.test.ts
    e = fails(ValidationException, db.update_item, TableName=H, Key={"pk": S("k")}, UpdateExpression="")
    assert "Invalid UpdateExpression: The expression can not be empty;" in e.message


@pytest.mark.parametrize("op", ["update", "put", "delete", "get", "batch_get"])
def test_empty_binary_key_value(db, op):
    # source: tests/tier3/error-messages/{updateItem,putItem,deleteItem,getItem,batchGetItem}.test.ts
    key = {"pk": {"B": b""}}
    calls = {
        "update": (db.update_item, dict(TableName=HB, Key=key, UpdateExpression="SET attr1 = :v",
                                        ExpressionAttributeValues={":v": S("x")})),
        "put": (db.put_item, dict(TableName=HB, Item=key)),
        "delete": (db.delete_item, dict(TableName=HB, Key=key)),
        "get": (db.get_item, dict(TableName=HB, Key=key)),
        "batch_get": (db.batch_get_item, dict(RequestItems={HB: {"Keys": [key]}})),
    }
    call, request = calls[op]
    e = fails(ValidationException, call, **request)
    assert e.message == EMPTY_BIN_KEY


# =====================================================================================================================
# tier1 updateItem/paths.test.ts
# =====================================================================================================================

def upd(db, key, expr, names=None, values=None, table=H, **extra):
    request = dict(TableName=table, Key=key, UpdateExpression=expr, **extra)
    if names:
        request["ExpressionAttributeNames"] = names
    if values:
        request["ExpressionAttributeValues"] = values
    return db.update_item(**request)


def test_set_through_missing_intermediate_map(db):
    # source: tests/tier1/updateItem/paths.test.ts (code only)
    put(db, H, {**K, "topLevel": S("val")})
    fails(ValidationException, upd, db, K, "SET #a.#b.#c = :v", {"#a": "missing", "#b": "nested", "#c": "deep"},
          {":v": S("test")})
    assert get(db, H, K) == {**K, "topLevel": S("val")}


@pytest.mark.parametrize("start, expr, names, values, expected", [
    ({"mymap": {"M": {"nested": S("old")}}}, "SET #m.#n = :v", {"#m": "mymap", "#n": "nested"}, {":v": S("updated")},
     {"mymap": {"M": {"nested": S("updated")}}}),
    ({"mylist": {"L": [S("a"), S("b"), S("c")]}}, "SET #l[5] = :v", {"#l": "mylist"}, {":v": S("inserted")},
     {"mylist": {"L": [S("a"), S("b"), S("c"), S("inserted")]}}),
    ({"a": {"M": {"b": {"M": {"c": S("old")}}}}}, "SET #a.#b.#c = :v", {"#a": "a", "#b": "b", "#c": "c"},
     {":v": S("new")}, {"a": {"M": {"b": {"M": {"c": S("new")}}}}}),
    ({"mymap": {"M": {"counter": N(10)}}}, "SET #m.#c = #m.#c + :inc", {"#m": "mymap", "#c": "counter"},
     {":inc": N(5)}, {"mymap": {"M": {"counter": N(15)}}}),
    ({"mymap": {"M": {"nested": S("gone"), "keep": S("stay")}}}, "REMOVE #m.#n", {"#m": "mymap", "#n": "nested"}, None,
     {"mymap": {"M": {"keep": S("stay")}}}),
    ({"mylist": {"L": [S("a"), S("b"), S("c"), S("d")]}}, "REMOVE #l[1]", {"#l": "mylist"}, None,
     {"mylist": {"L": [S("a"), S("c"), S("d")]}}),
    ({"mylist": {"L": [S("x"), S("y")]}}, "REMOVE #l[1]", {"#l": "mylist"}, None, {"mylist": {"L": [S("x")]}}),
    ({"mylist": {"L": []}}, "SET #l[0] = :v", {"#l": "mylist"}, {":v": S("first")}, {"mylist": {"L": [S("first")]}}),
    ({"parent": {"M": {"keep": S("k")}}}, "SET parent.child = :v", None, {":v": S("nested")},
     {"parent": {"M": {"keep": S("k"), "child": S("nested")}}}),
], ids=["set nested", "set past end appends", "set deep", "nested arithmetic", "remove nested key",
        "remove list element shifts", "remove last element", "set index 0 of empty list", "dotted path nests"])
def test_document_paths(db, start, expr, names, values, expected):
    # source: tests/tier1/updateItem/paths.test.ts
    put(db, H, {**K, **start})
    upd(db, K, expr, names, values)
    assert get(db, H, K) == {**K, **expected}


def test_two_sets_of_one_attribute(db):
    # source: tests/tier1/updateItem/paths.test.ts (AWS either rejects with ValidationException or applies one)
    put(db, H, {**K, "val": S("original")})
    try:
        upd(db, K, "SET #v = :a, #v = :b", {"#v": "val"}, {":a": S("first"), ":b": S("second")})
    except ValidationException:
        assert get(db, H, K)["val"] == S("original")
    else:
        assert get(db, H, K)["val"] in (S("first"), S("second"))


# =====================================================================================================================
# tier1 updateItem/conditions.test.ts, validation.test.ts, expressionHygiene.test.ts
# =====================================================================================================================

def test_update_condition_passes_and_fails(db):
    # source: tests/tier1/updateItem/conditions.test.ts
    put(db, H, {"pk": S("pass"), "status": S("active")}, {"pk": S("fail"), "status": S("inactive")})
    for pk in ("pass", "fail"):
        request = dict(TableName=H, Key={"pk": S(pk)}, UpdateExpression="SET #d = :v", ConditionExpression="#s = :e",
                       ExpressionAttributeNames={"#d": "data", "#s": "status"},
                       ExpressionAttributeValues={":v": S("updated"), ":e": S("active")})
        if pk == "pass":
            db.update_item(**request)
        else:
            fails(ConditionalCheckFailedException, db.update_item, **request)
    assert get(db, H, {"pk": S("pass")})["data"] == S("updated")
    assert "data" not in get(db, H, {"pk": S("fail")})


def test_update_attribute_not_exists_lock(db):
    # source: tests/tier1/updateItem/conditions.test.ts
    put(db, H, {**K, "x": N(1)})
    request = dict(TableName=H, Key=K, UpdateExpression="SET locked = :v", ConditionExpression="attribute_not_exists(locked)",
                   ExpressionAttributeValues={":v": {"BOOL": True}})
    db.update_item(**request)
    assert get(db, H, K)["locked"] == {"BOOL": True}
    fails(ConditionalCheckFailedException, db.update_item, **request)


def test_update_comparison_and_and(db):
    # source: tests/tier1/updateItem/conditions.test.ts
    put(db, H, {**K, "status": S("active"), "score": N(75)})
    upd(db, K, "SET promoted = :v", {"#s": "status"}, {":v": {"BOOL": True}, ":st": S("active"), ":min": N(50)},
        ConditionExpression="#s = :st AND score > :min")
    assert get(db, H, K)["promoted"] == {"BOOL": True}
    fails(ConditionalCheckFailedException, upd, db, K, "SET extra = :v", {"#s": "status"},
          {":v": {"BOOL": True}, ":st": S("active"), ":min": N(100)}, ConditionExpression="#s = :st AND score > :min")
    upd(db, K, "SET score = :n", None, {":n": N(100), ":t": N(10)}, ConditionExpression="score > :t")
    fails(ConditionalCheckFailedException, upd, db, K, "SET score = :n", None, {":n": N(999), ":t": N(200)},
          ConditionExpression="score > :t")
    assert get(db, H, K)["score"] == N(100)


def test_update_return_values_on_condition_failure(db):
    # source: tests/tier1/updateItem/conditions.test.ts
    item = {**K, "status": S("locked"), "data": S("important")}
    put(db, H, item)
    e = fails(ConditionalCheckFailedException, upd, db, K, "SET #d = :v", {"#d": "data", "#s": "status"},
              {":v": S("changed"), ":e": S("active")}, ConditionExpression="#s = :e",
              ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert e.details["Item"] == item


def test_update_attribute_exists_on_missing_item_creates_nothing(db):
    # source: tests/tier1/updateItem/conditions.test.ts
    fails(ConditionalCheckFailedException, upd, db, K, "ADD hit_count :inc", None, {":inc": N(1)},
          ConditionExpression="attribute_exists(pk)")
    assert get(db, H, K) is None


def test_update_missing_table(db):
    # source: tests/tier1/updateItem/validation.test.ts
    fails(ResourceNotFoundException, db.update_item, TableName=MISSING, Key=K, UpdateExpression="SET x = :v",
          ExpressionAttributeValues={":v": S("test")})


@pytest.mark.parametrize("extra", [
    dict(UpdateExpression="SET #s = :v", ExpressionAttributeNames={"s": "status"},
         ExpressionAttributeValues={":v": S("x")}),
    dict(UpdateExpression="SET #s = :v", ExpressionAttributeNames={"#s": "status"},
         ExpressionAttributeValues={"v": S("x")}),
    dict(ExpressionAttributeNames={"#s": "status"}),
    dict(UpdateExpression="SET #s = :v", ExpressionAttributeNames={"#s": "status", "#unused": "other"},
         ExpressionAttributeValues={":v": S("x")}),
], ids=["name key without #", "value key without :", "names without expression", "unused name"])
def test_expression_attribute_hygiene(db, extra):
    # source: tests/tier1/updateItem/expressionHygiene.test.ts (code only)
    fails(ValidationException, db.update_item, TableName=H, Key=K, **extra)
    assert get(db, H, K) is None


# =====================================================================================================================
# tier1 updateItem/basic.test.ts
# =====================================================================================================================

BASIC_UPDATES = [
    # (name, start attrs or None for no item, expr, names, values, expected attrs)
    ("upsert", None, "SET #d = :v", {"#d": "data"}, {":v": S("created-via-update")}, {"data": S("created-via-update")}),
    ("update existing", {"data": S("original")}, "SET #d = :v", {"#d": "data"}, {":v": S("modified")},
     {"data": S("modified")}),
    ("add new attribute", {"existing": S("keep")}, "SET newAttr = :v", None, {":v": N(100)},
     {"existing": S("keep"), "newAttr": N(100)}),
    ("arithmetic", {"counter": N(10)}, "SET #c = #c + :inc", {"#c": "counter"}, {":inc": N(5)}, {"counter": N(15)}),
    ("if_not_exists", {"existing": S("keep-me")},
     "SET existing = if_not_exists(existing, :def), newone = if_not_exists(newone, :def2)", None,
     {":def": S("default"), ":def2": S("created")}, {"existing": S("keep-me"), "newone": S("created")}),
    ("if_not_exists from another attribute", {"myval": S("original")}, "SET #bk = if_not_exists(#bk, #mv)",
     {"#bk": "backup", "#mv": "myval"}, None, {"myval": S("original"), "backup": S("original")}),
    ("list_append", {"vals": {"L": [S("a"), S("b")]}}, "SET vals = list_append(vals, :n)", None,
     {":n": {"L": [S("c"), S("d")]}}, {"vals": {"L": [S("a"), S("b"), S("c"), S("d")]}}),
    ("remove", {"keep": S("yes"), "drop": S("no")}, "REMOVE #d", {"#d": "drop"}, None, {"keep": S("yes")}),
    ("remove missing attribute", {"existing": S("hello")}, "REMOVE #g", {"#g": "ghostAttr"}, None,
     {"existing": S("hello")}),
    ("remove missing nested path", {"mapAttr": {"M": {"realKey": S("value")}}}, "REMOVE #m.#n",
     {"#m": "mapAttr", "#n": "nonexistent"}, None, {"mapAttr": {"M": {"realKey": S("value")}}}),
    ("add to number", {"count": N(10)}, "ADD #c :v", {"#c": "count"}, {":v": N(3)}, {"count": N(13)}),
    ("add missing number", {}, "ADD #c :v", {"#c": "counter"}, {":v": N(10)}, {"counter": N(10)}),
    ("add to string set", {"tags": {"SS": ["a", "b"]}}, "ADD tags :v", None, {":v": {"SS": ["c", "d"]}},
     {"tags": {"SS": ["a", "b", "c", "d"]}}),
    ("delete every set member", {"tags": {"SS": ["a", "b"]}}, "DELETE #t :v", {"#t": "tags"},
     {":v": {"SS": ["a", "b"]}}, {}),
    ("delete some set members", {"tags": {"SS": ["a", "b", "c"]}}, "DELETE #t :v", {"#t": "tags"},
     {":v": {"SS": ["b"]}}, {"tags": {"SS": ["a", "c"]}}),
    ("second SET reads the old value", {"a": S("OLD")}, "SET a = :v, b = a", None, {":v": S("NEW")},
     {"a": S("NEW"), "b": S("OLD")}),
    ("parenthesised arithmetic", {"c": N(10)}, "SET c = (c - :v)", None, {":v": N(3)}, {"c": N(7)}),
    ("arithmetic around if_not_exists", {"v": N(10)}, "SET v = if_not_exists(v, :d) - :amt", None,
     {":d": N(0), ":amt": N(3)}, {"v": N(7)}),
    ("nested functions on a missing list", {}, "SET mylist = list_append(if_not_exists(mylist, :empty), :more)", None,
     {":empty": {"L": []}, ":more": {"L": [S("x")]}}, {"mylist": {"L": [S("x")]}}),
    ("list_append prepends", {"vals": {"L": [S("b"), S("c")]}}, "SET vals = list_append(:new, vals)", None,
     {":new": {"L": [S("a")]}}, {"vals": {"L": [S("a"), S("b"), S("c")]}}),
]


def _norm(item):
    """Sets compare as sets."""
    out = {}
    for k, v in item.items():
        (t, inner), = v.items()
        out[k] = {t: sorted(inner)} if t in ("SS", "NS", "BS") else v
    return out


@pytest.mark.parametrize("case", BASIC_UPDATES, ids=[c[0] for c in BASIC_UPDATES])
def test_basic_updates(db, case):
    # source: tests/tier1/updateItem/basic.test.ts
    _, start, expr, names, values, expected = case
    if start is not None:
        put(db, H, {**K, **start})
    out = upd(db, K, expr, names, values, ReturnValues="ALL_NEW")
    assert _norm(get(db, H, K)) == _norm({**K, **expected})
    assert _norm(out["Attributes"]) == _norm({**K, **expected})


@pytest.mark.parametrize("rv, expected", [
    ("ALL_NEW", {**K, "x": N(2), "y": S("keep")}),
    ("UPDATED_OLD", {"x": N(1)}),
    ("UPDATED_NEW", {"x": N(2)}),
])
def test_update_return_values(db, rv, expected):
    # source: tests/tier1/updateItem/basic.test.ts
    put(db, H, {**K, "x": N(1), "y": S("keep")})
    out = upd(db, K, "SET x = :v", None, {":v": N(2)}, ReturnValues=rv)
    assert out["Attributes"] == expected
