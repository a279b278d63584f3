"""Expression, condition, Query/Scan, projection and transaction behaviour checked against the public conformance
suite nubo-db/dynamodb-conformance, whose expectations were recorded against real AWS DynamoDB (tests/tier1,
tests/tier2/transactions, tests/tier3/error-messages). Each test restates one recorded fact in our own terms: the same
request shape against the embedded store, and the error code + message (or resulting items) AWS gave. Where the
suite records a per-region split (AWS mid-rollout of new wording) either recorded form is accepted; where the suite
only pins part of a message ("toContain"), only that part is asserted.

Tables mirror the suite's fixtures: ``hash`` (pk S), ``hashB`` (pk B), ``composite`` (pk S, sk S; LSIs lsi1 on lsi1sk
ALL and lsi2 on lsi2sk INCLUDE [lsi1sk]; GSIs gsi1 on lsi1sk ALL and gsi2 on lsi1sk+lsi2sk INCLUDE [data]) and
``gsiB`` (pk S; GSI gsib on bidx B).
"""
from __future__ import annotations

import re

import pytest

from logstore.errors import (ConditionalCheckFailedException, ResourceNotFoundException,
                             TransactionCanceledException, ValidationException)

H, HB, C, GB = "hash", "hashB", "composite", "gsiB"
MISSING = "_conformance_does_not_exist"

CCF_MSG = "The conditional request failed"
NOT_FOUND = "Requested resource not found"
SCHEMA = "The provided key element does not match the schema"
EMPTY_BIN_KEY = ("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain "
                 "an empty binary value. Key: pk")
EMPTY_STR_KEY = ("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain "
                 "an empty string value. Key: pk")
OVERLAP = ("Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of "
           "these paths; path one: {}, path two: {}")
ENVELOPE = "1 validation error detected: "


def S(v):
    return {"S": v}


def N(v):
    return {"N": str(v)}


def _kd(keys):
    return [{"AttributeName": n, "KeyType": "HASH" if i == 0 else "RANGE"} for i, n in enumerate(keys)]


def _index(name, keys, projection="ALL", non_key=None):
    proj = {"ProjectionType": projection}
    if non_key:
        proj["NonKeyAttributes"] = list(non_key)
    return {"IndexName": name, "KeySchema": _kd(keys), "Projection": proj}


def make_tables(store):
    """Create the four fixture tables in ``store``; return it."""
    def make(name, keys, defs, lsi=None, gsi=None):
        request = dict(TableName=name, KeySchema=_kd(keys),
                       AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in defs],
                       BillingMode="PAY_PER_REQUEST")
        if lsi:
            request["LocalSecondaryIndexes"] = lsi
        if gsi:
            request["GlobalSecondaryIndexes"] = gsi
        store.create_table(**request)

    make(H, ["pk"], [("pk", "S")])
    make(HB, ["pk"], [("pk", "B")])
    make(C, ["pk", "sk"], [("pk", "S"), ("sk", "S"), ("lsi1sk", "S"), ("lsi2sk", "S")],
         lsi=[_index("lsi1", ["pk", "lsi1sk"]), _index("lsi2", ["pk", "lsi2sk"], "INCLUDE", ["lsi1sk"])],
         gsi=[_index("gsi1", ["lsi1sk"]), _index("gsi2", ["lsi1sk", "lsi2sk"], "INCLUDE", ["data"])])
    make(GB, ["pk"], [("pk", "S"), ("bidx", "B")], gsi=[_index("gsib", ["bidx"])])
    return store


@pytest.fixture
def db(store):
    return make_tables(store)


def fails(exc, call, *args, **request):
    """Run ``call(*args, **request)``, which must raise ``exc``; return the error."""
    with pytest.raises(exc) as info:
        call(*args, **request)
    return info.value


def get(db, table, key):
    return db.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")


def put(db, table, *items):
    for item in items:
        db.put_item(TableName=table, Item=item)


def sks(items):
    return sorted(i["sk"]["S"] for i in items)


def pks(items):
    return sorted(i["pk"]["S"] for i in items)


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
# tier3 error-messages/putItem.test.ts
# =====================================================================================================================

def test_put_missing_table_name(db):
    # source: tests/tier3/error-messages/putItem.test.ts
    e = fails(ValidationException, db.put_item, Item={"pk": S("test")})
    assert e.message == ("1 validation error detected: Value null at 'tableName' failed to satisfy constraint: "
                         "Member must not be null")


def test_put_empty_table_name(db):
    # source: tests/tier3/error-messages/putItem.test.ts (envelope/echo/casing float by region)
    e = fails(ValidationException, db.put_item, TableName="", Item={"pk": S("test")})
    assert "tablename" in e.message.lower()
    assert "failed to satisfy constraint: Member must have length greater than or equal to 1" in e.message


def test_put_table_name_too_long(db):
    # source: tests/tier3/error-messages/putItem.test.ts
    name = "a" * 256
    e = fails(ValidationException, db.put_item, TableName=name, Item={"pk": S("test")})
    assert e.message == (f"1 validation error detected: Value '{name}' at 'tableName' failed to satisfy constraint: "
                         "Member must have length less than or equal to 255")


def test_put_table_name_bad_chars(db):
    # source: tests/tier3/error-messages/putItem.test.ts
    e = fails(ValidationException, db.put_item, TableName="bad table!@#", Item={"pk": S("test")})
    assert e.message == ("1 validation error detected: Value 'bad table!@#' at 'tableName' failed to satisfy "
                         "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")


@pytest.mark.parametrize("value, parts", [
    ({"SS": []}, ["One or more parameter values were invalid: An string set  may not be empty"]),
    ({"NS": []}, ["One or more parameter values were invalid: An number set  may not be empty"]),
    ({"BS": []}, ["One or more parameter values were invalid: Binary sets should not be empty"]),
    ({"SS": ["a", "a"]}, ["One or more parameter values were invalid: Input collection", "contains duplicates"]),
    ({"SS": ["", ""]}, ["One or more parameter values were invalid: Input collection", "contains duplicates"]),
    ({"BS": [b"", b""]}, ["One or more parameter values were invalid: Input collection",
                          "of type BS contains duplicates"]),
    ({"NS": [""]}, ["The parameter cannot be converted to a numeric value"]),
    ({"NULL": False}, ["One or more parameter values were invalid: Null attribute value types must have the value of "
                       "true"]),
], ids=["empty SS", "empty NS", "empty BS", "dup SS", "dup empty SS", "dup empty BS", "empty NS member",
        "NULL false"])
def test_put_bad_attribute_values(db, value, parts):
    # source: tests/tier3/error-messages/putItem.test.ts
    e = fails(ValidationException, db.put_item, TableName=H, Item={"pk": S("test"), "bad": value})
    for part in parts:
        assert part in e.message
    assert get(db, H, {"pk": S("test")}) is None


@pytest.mark.parametrize("call, extra", [
    ("put_item", {"Item": {"pk": S("test")}}),
    ("delete_item", {"Key": {"pk": S("test")}}),
])
def test_mixing_expected_with_condition_expression(db, call, extra):
    # source: tests/tier3/error-messages/putItem.test.ts, deleteItem.test.ts
    e = fails(ValidationException, getattr(db, call), TableName=H, Expected={"pk": {"Exists": False}},
              ConditionExpression="attribute_not_exists(pk)", **extra)
    assert ("Can not use both expression and non-expression parameters in the same request: Non-expression "
            "parameters: {Expected} Expression parameters: {ConditionExpression}") in e.message


def test_put_redundant_parentheses(db):
    # source: tests/tier3/error-messages/putItem.test.ts
    e = fails(ValidationException, db.put_item, TableName=H, Item={"pk": S("r")},
              ConditionExpression="((attribute_not_exists(pk)))")
    assert "Invalid ConditionExpression: The expression has redundant parentheses;" in e.message


def test_put_contains_same_operand_twice(db):
    # source: tests/tier3/error-messages/putItem.test.ts
    e = fails(ValidationException, db.put_item, TableName=H, Item={"pk": S("c")}, ConditionExpression="contains(#a, #a)",
              ExpressionAttributeNames={"#a": "data"})
    assert ("Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this "
            "operator or function; operator: contains, first operand: [data]") in e.message


ENVELOPED_WRITE_ERRORS = [
    # (extra request members, exact message); PutItem and DeleteItem record the same wording
    ({"ExpressionAttributeValues": {":v": S("x")}},
     ENVELOPE + "ExpressionAttributeValues can only be specified when using expressions"),
    ({"ExpressionAttributeNames": {"#a": "a"}},
     ENVELOPE + "ExpressionAttributeNames can only be specified when using expressions"),
    ({"ConditionExpression": ""}, ENVELOPE + "Invalid ConditionExpression: The expression can not be empty;"),
    ({"Expected": {"a": {"Exists": True}}},
     ENVELOPE + "One or more parameter values were invalid: Value must be provided when Exists is true for "
                "Attribute: a"),
    ({"Expected": {"a": {"ComparisonOperator": "EQ"}}},
     ENVELOPE + "One or more parameter values were invalid: Value or AttributeValueList must be used with "
                "ComparisonOperator: EQ for Attribute: a"),
]


@pytest.mark.parametrize("extra, message", ENVELOPED_WRITE_ERRORS, ids=[m[29:90] for _, m in ENVELOPED_WRITE_ERRORS])
def test_put_request_validation_envelope(db, extra, message):
    # source: tests/tier3/error-messages/putItem.test.ts ("request validation envelope", eu-west-2 + us-east-1)
    e = fails(ValidationException, db.put_item, TableName=H, Item={"pk": S("env")}, **extra)
    assert e.message == message


def test_put_eav_without_expression_substring(db):
    # source: tests/tier3/error-messages/putItem.test.ts
    e = fails(ValidationException, db.put_item, TableName=H, Item={"pk": S("t")}, ExpressionAttributeValues={":v": S("u")})
    assert "ExpressionAttributeValues can only be specified when using expressions" in e.message


# =====================================================================================================================
# tier3 error-messages/deleteItem.test.ts
# =====================================================================================================================

def test_delete_missing_table(db):
    # source: tests/tier3/error-messages/deleteItem.test.ts
    e = fails(ResourceNotFoundException, db.delete_item, TableName=MISSING, Key={"pk": S("test")})
    assert e.message == NOT_FOUND


@pytest.mark.parametrize("call", ["delete_item", "get_item"])
def test_missing_range_key(db, call):
    # source: tests/tier3/error-messages/deleteItem.test.ts, getItem.test.ts
    e = fails(ValidationException, getattr(db, call), TableName=C, Key={"pk": S("test")})
    assert e.message == SCHEMA


DELETE_ENVELOPE = ENVELOPED_WRITE_ERRORS + [
    ({"Expected": {"a": {"Exists": False}}, "ExpressionAttributeNames": {"#a": "a"}},
     ENVELOPE + "ExpressionAttributeNames can only be specified when using expressions"),
    ({"ConditionExpression": "attribute_exists(a)", "ExpressionAttributeValues": {}},
     ENVELOPE + "ExpressionAttributeValues must not be empty"),
    ({"ConditionExpression": "attribute_exists(a)", "ExpressionAttributeNames": {}},
     ENVELOPE + "ExpressionAttributeNames must not be empty"),
    ({"ReturnValues": "ALL_NEW"}, ENVELOPE + "ReturnValues can only be ALL_OLD or NONE"),
    ({"ReturnValues": "UPDATED_NEW"}, ENVELOPE + "ReturnValues can only be ALL_OLD or NONE"),
    ({"Expected": {"a": {"Exists": False, "Value": S("x")}}},
     ENVELOPE + "One or more parameter values were invalid: Value cannot be used when Exists is false for "
                "Attribute: a"),
    ({"Expected": {"a": {"Value": S("x"), "ComparisonOperator": "EQ", "AttributeValueList": [S("x")]}}},
     ENVELOPE + "One or more parameter values were invalid: Value and AttributeValueList cannot be used together "
                "for Attribute: a"),
    ({"Expected": {"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [S("x")]}}},
     ENVELOPE + "One or more parameter values were invalid: Invalid number of argument(s) for the BETWEEN "
                "ComparisonOperator"),
]


@pytest.mark.parametrize("extra, message", DELETE_ENVELOPE, ids=[f"{i}:{m[29:80]}" for i, (_, m) in
                                                                 enumerate(DELETE_ENVELOPE)])
def test_delete_request_validation_envelope(db, extra, message):
    # source: tests/tier3/error-messages/deleteItem.test.ts ("request validation envelope", eu-west-2 + us-east-1)
    e = fails(ValidationException, db.delete_item, TableName=H, Key={"pk": S("env")}, **extra)
    assert e.message == message


# =====================================================================================================================
# tier3 error-messages/getItem.test.ts
# =====================================================================================================================

def test_get_missing_table(db):
    # source: tests/tier3/error-messages/getItem.test.ts
    e = fails(ResourceNotFoundException, db.get_item, TableName=MISSING, Key={"pk": S("test")})
    assert e.message == NOT_FOUND


def test_get_projection_syntax_error(db):
    # source: tests/tier3/error-messages/getItem.test.ts
    e = fails(ValidationException, db.get_item, TableName=H, Key={"pk": S("test")},
              ProjectionExpression="!!! INVALID !!!")
    assert e.message == 'Invalid ProjectionExpression: Syntax error; token: "!", near: "!!"'


GET_PROJECTION_REJECTIONS = [
    ("a, a", None, OVERLAP.format("[a]", "[a]")),
    ("#a, #a", {"#a": "a"}, OVERLAP.format("[a]", "[a]")),
    ("#a, #b", {"#a": "a", "#b": "a"}, OVERLAP.format("[a]", "[a]")),
    ("a, #a", {"#a": "a"}, OVERLAP.format("[a]", "[a]")),
    ("a, a.b", None, OVERLAP.format("[a]", "[a, b]")),
    ("#a, #a.#b", {"#a": "a", "#b": "b"}, OVERLAP.format("[a]", "[a, b]")),
    ("a.b, a", None, OVERLAP.format("[a, b]", "[a]")),
    ("#x, #y.#b", {"#x": "a", "#y": "a", "#b": "b"}, OVERLAP.format("[a]", "[a, b]")),
    ("a, a.b.c", None, OVERLAP.format("[a]", "[a, b, c]")),
    ("l, l[0]", None, OVERLAP.format("[l]", "[l, [0]]")),
    ("#undef", None, "Invalid ProjectionExpression: An expression attribute name used in the document path is not "
                     "defined; attribute name: #undef"),
]


@pytest.mark.parametrize("expr, names, message", GET_PROJECTION_REJECTIONS, ids=[c[0] for c in GET_PROJECTION_REJECTIONS])
def test_get_projection_rejections(db, expr, names, message):
    # source: tests/tier3/error-messages/getItem.test.ts ("ProjectionExpression rejection messages")
    request = dict(TableName=H, Key={"pk": S("em-get-proj")}, ProjectionExpression=expr)
    if names:
        request["ExpressionAttributeNames"] = names
    e = fails(ValidationException, db.get_item, **request)
    assert e.message == message


# =====================================================================================================================
# tier3 error-messages/batchGetItem.test.ts
# =====================================================================================================================

def test_batch_get_empty_request_items(db):
    # source: tests/tier3/error-messages/batchGetItem.test.ts (regional split: eu-west-2 pinned form, or the older
    # bespoke sentence still answered by me-central-1)
    e = fails(ValidationException, db.batch_get_item, RequestItems={})
    assert e.message in (
        "1 validation error detected: Value at 'RequestItems' failed to satisfy constraint: Member must have length "
        "greater than or equal to 1",
        "The requestItems parameter is required for BatchGetItem")


def test_batch_get_too_many_keys(db):
    # source: tests/tier3/error-messages/batchGetItem.test.ts
    keys = [{"pk": S(f"bg-{i}")} for i in range(101)]
    e = fails(ValidationException, db.batch_get_item, RequestItems={H: {"Keys": keys}})
    assert e.message == (f"1 validation error detected: Value at 'RequestItems.{H}.member.Keys' failed to satisfy "
                         "constraint: Member must have length less than or equal to 100")


def test_batch_get_empty_keys(db):
    # source: tests/tier3/error-messages/batchGetItem.test.ts
    e = fails(ValidationException, db.batch_get_item, RequestItems={H: {"Keys": []}})
    assert e.message == (f"1 validation error detected: Value at 'RequestItems.{H}.member.Keys' failed to satisfy "
                         "constraint: Member must have length greater than or equal to 1")


def test_batch_get_missing_table(db):
    # source: tests/tier3/error-messages/batchGetItem.test.ts
    e = fails(ResourceNotFoundException, db.batch_get_item, RequestItems={MISSING: {"Keys": [{"pk": S("test")}]}})
    assert e.message == NOT_FOUND


def test_batch_get_duplicate_keys(db):
    # source: tests/tier3/error-messages/batchGetItem.test.ts
    e = fails(ValidationException, db.batch_get_item,
              RequestItems={H: {"Keys": [{"pk": S("em-bg-dup")}, {"pk": S("em-bg-dup")}]}})
    assert e.message == "Provided list of item keys contains duplicates"


def test_batch_get_attributes_to_get_with_projection(db):
    # source: tests/tier3/error-messages/batchGetItem.test.ts
    e = fails(ValidationException, db.batch_get_item,
              RequestItems={H: {"Keys": [{"pk": S("m")}], "AttributesToGet": ["pk"], "ProjectionExpression": "pk"}})
    assert ("Can not use both expression and non-expression parameters in the same request: Non-expression "
            "parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}") in e.message


def test_batch_get_mixing_projection_styles_across_tables(db):
    # source: tests/tier3/error-messages/batchGetItem.test.ts (code only)
    fails(ValidationException, db.batch_get_item, RequestItems={
        H: {"Keys": [{"pk": S("a")}], "ProjectionExpression": "pk"},
        C: {"Keys": [{"pk": S("b"), "sk": S("z")}], "AttributesToGet": ["pk"]}})


def test_batch_get_malformed_table_name(db):
    # source: tests/tier3/error-messages/batchGetItem.test.ts (us-east-1 and eu-west-2 agree)
    e = fails(ValidationException, db.batch_get_item, RequestItems={"bad!name": {"Keys": [{"pk": S("a")}]}})
    assert e.message == (
        "1 validation error detected: Value '{\"bad!name\":{\"Keys\":[{\"pk\":{\"S\":\"a\"}}]}}' at 'requestItems' "
        "failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal "
        "to 255, Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: "
        "[a-zA-Z0-9_.-]+]")


@pytest.mark.parametrize("expr, names, message", [
    ("a, a", None, OVERLAP.format("[a]", "[a]")),
    ("#a, #b", {"#a": "a", "#b": "a"}, OVERLAP.format("[a]", "[a]")),
    ("a, a.b", None, OVERLAP.format("[a]", "[a, b]")),
], ids=["dup", "aliases", "parent-child"])
def test_batch_get_projection_rejections(db, expr, names, message):
    # source: tests/tier3/error-messages/batchGetItem.test.ts
    entry = {"Keys": [{"pk": S("em-bg-proj")}], "ProjectionExpression": expr}
    if names:
        entry["ExpressionAttributeNames"] = names
    e = fails(ValidationException, db.batch_get_item, RequestItems={H: entry})
    assert e.message == message


def test_batch_get_bad_projection_on_one_table_rejects_all(db):
    # source: tests/tier3/error-messages/batchGetItem.test.ts
    e = fails(ValidationException, db.batch_get_item, RequestItems={
        H: {"Keys": [{"pk": S("bad")}], "ProjectionExpression": "a, a"},
        C: {"Keys": [{"pk": S("clean"), "sk": S("z")}], "ProjectionExpression": "a"}})
    assert e.message == OVERLAP.format("[a]", "[a]")


# =====================================================================================================================
# tier3 error-messages/conditionalCheck.test.ts
# =====================================================================================================================

def test_ccf_put(db):
    # source: tests/tier3/error-messages/conditionalCheck.test.ts
    put(db, H, {"pk": S("em-ccf-put"), "attr1": S("exists")})
    e = fails(ConditionalCheckFailedException, db.put_item, TableName=H,
              Item={"pk": S("em-ccf-put"), "attr1": S("overwrite")}, ConditionExpression="attribute_not_exists(pk)")
    assert e.message == CCF_MSG
    assert get(db, H, {"pk": S("em-ccf-put")})["attr1"] == S("exists")


def test_ccf_delete(db):
    # source: tests/tier3/error-messages/conditionalCheck.test.ts
    put(db, H, {"pk": S("em-ccf-del"), "attr1": S("keep")})
    e = fails(ConditionalCheckFailedException, db.delete_item, TableName=H, Key={"pk": S("em-ccf-del")},
              ConditionExpression="attr1 = :v", ExpressionAttributeValues={":v": S("wrong-value")})
    assert e.message == CCF_MSG
    assert get(db, H, {"pk": S("em-ccf-del")}) is not None


def test_ccf_update(db):
    # source: tests/tier3/error-messages/conditionalCheck.test.ts
    put(db, H, {"pk": S("em-ccf-upd"), "attr1": S("original")})
    e = fails(ConditionalCheckFailedException, db.update_item, TableName=H, Key={"pk": S("em-ccf-upd")},
              UpdateExpression="SET attr1 = :newval", ConditionExpression="attr1 = :expected",
              ExpressionAttributeValues={":newval": S("updated"), ":expected": S("wrong")})
    assert e.message == CCF_MSG


def test_ccf_transaction_message(db):
    # source: tests/tier3/error-messages/conditionalCheck.test.ts
    put(db, H, {"pk": S("em-ccf-txn"), "attr1": S("exists")})
    e = fails(TransactionCanceledException, db.transact_write_items, TransactItems=[
        {"Put": {"TableName": H, "Item": {"pk": S("em-ccf-txn"), "attr1": S("overwrite")},
                 "ConditionExpression": "attribute_not_exists(pk)"}}])
    assert e.message == ("Transaction cancelled, please refer cancellation reasons for specific reasons "
                         "[ConditionalCheckFailed]")
    assert [r["Code"] for r in e.details["CancellationReasons"]] == ["ConditionalCheckFailed"]


def test_ccf_put_return_values_all_old(db):
    # source: tests/tier3/error-messages/conditionalCheck.test.ts
    original = {"pk": S("em-ccf-rvocf"), "attr1": S("original-value")}
    put(db, H, original)
    e = fails(ConditionalCheckFailedException, db.put_item, TableName=H,
              Item={"pk": S("em-ccf-rvocf"), "attr1": S("overwrite")}, ConditionExpression="attribute_not_exists(pk)",
              ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert e.message == CCF_MSG
    assert e.details["Item"] == original


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
# tier3 error-messages/transactWriteItems.test.ts
# =====================================================================================================================

def cancelled(e) -> list[str]:
    return [r["Code"] for r in e.details["CancellationReasons"]]


def txn_message(codes):
    return f"Transaction cancelled, please refer cancellation reasons for specific reasons [{', '.join(codes)}]"


def test_transact_empty(db):
    # source: tests/tier3/error-messages/transactWriteItems.test.ts
    # (regional split: 30 regions echo the list, eu-west-2/eu-north-1/ap-northeast-2 name the member)
    e = fails(ValidationException, db.transact_write_items, TransactItems=[])
    assert e.message in (
        "1 validation error detected: Value '[]' at 'transactItems' failed to satisfy constraint: Member must have "
        "length greater than or equal to 1",
        "1 validation error detected: Value at 'TransactItems' failed to satisfy constraint: Member must have length "
        "greater than or equal to 1")


def test_transact_over_100_actions(db):
    # source: tests/tier3/error-messages/transactWriteItems.test.ts (the echoed list floats)
    items = [{"Put": {"TableName": H, "Item": {"pk": S(f"twi-{i}")}}} for i in range(101)]
    e = fails(ValidationException, db.transact_write_items, TransactItems=items)
    assert re.fullmatch(r"1 validation error detected: (Value '\[.+\]' at 'transactItems'|Value at 'TransactItems') "
                        r"failed to satisfy constraint: Member must have length less than or equal to 100",
                        e.message, re.S), e.message


def test_transact_duplicate_item(db):
    # source: tests/tier3/error-messages/transactWriteItems.test.ts, tests/tier2/transactions/transactWrite.test.ts
    e = fails(ValidationException, db.transact_write_items, TransactItems=[
        {"Put": {"TableName": H, "Item": {"pk": S("dup"), "val": S("first")}}},
        {"Put": {"TableName": H, "Item": {"pk": S("dup"), "val": S("second")}}}])
    assert e.message == "Transaction request cannot include multiple operations on one item"
    assert get(db, H, {"pk": S("dup")}) is None


def test_transact_missing_table(db):
    # source: tests/tier3/error-messages/transactWriteItems.test.ts
    e = fails(ResourceNotFoundException, db.transact_write_items,
              TransactItems=[{"Put": {"TableName": MISSING, "Item": {"pk": S("x")}}}])
    assert e.message == NOT_FOUND


def test_transact_two_failing_actions(db):
    # source: tests/tier3/error-messages/transactWriteItems.test.ts
    put(db, H, {"pk": S("m1"), "attr1": S("exists")}, {"pk": S("m2"), "attr1": S("exists")})
    e = fails(TransactionCanceledException, db.transact_write_items, TransactItems=[
        {"Put": {"TableName": H, "Item": {"pk": S(k), "attr1": S("over")},
                 "ConditionExpression": "attribute_not_exists(pk)"}} for k in ("m1", "m2")])
    assert e.message == txn_message(["ConditionalCheckFailed", "ConditionalCheckFailed"])
    assert cancelled(e) == ["ConditionalCheckFailed", "ConditionalCheckFailed"]


def test_transact_positional_reasons(db):
    # source: tests/tier3/error-messages/transactWriteItems.test.ts
    put(db, H, {"pk": S("pos"), "attr1": S("exists")})
    e = fails(TransactionCanceledException, db.transact_write_items, TransactItems=[
        {"Put": {"TableName": H, "Item": {"pk": S("pos-new"), "attr1": S("fresh")},
                 "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Put": {"TableName": H, "Item": {"pk": S("pos"), "attr1": S("over")},
                 "ConditionExpression": "attribute_not_exists(pk)"}}])
    assert e.message == txn_message(["None", "ConditionalCheckFailed"])
    assert cancelled(e) == ["None", "ConditionalCheckFailed"]
    assert e.details["CancellationReasons"][1]["Message"] == CCF_MSG
    assert get(db, H, {"pk": S("pos-new")}) is None


TYPE_MISMATCH_KEY = "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: {}"
TYPE_MISMATCH_INDEX = ("One or more parameter values were invalid: Type mismatch for Index Key lsi1sk Expected: S "
                       "Actual: {} IndexName: gsi1")

CANCELLED_VALIDATION = [
    ("put wrong-typed table key", {"Put": {"TableName": H, "Item": {"pk": N(5)}}}, TYPE_MISMATCH_KEY.format("N")),
    ("put non-scalar table key", {"Put": {"TableName": H, "Item": {"pk": {"L": [S("x")]}}}},
     TYPE_MISMATCH_KEY.format("L")),
    ("put wrong-typed index key", {"Put": {"TableName": C, "Item": {"pk": S("t"), "sk": S("a"), "lsi1sk": N(5)}}},
     TYPE_MISMATCH_INDEX.format("N")),
    ("put non-scalar index key",
     {"Put": {"TableName": C, "Item": {"pk": S("t"), "sk": S("b"), "lsi1sk": {"L": [S("x")]}}}},
     TYPE_MISMATCH_INDEX.format("L")),
    ("update wrong-typed index key",
     {"Update": {"TableName": C, "Key": {"pk": S("u"), "sk": S("a")}, "UpdateExpression": "SET lsi1sk = :v",
                 "ExpressionAttributeValues": {":v": N(5)}}}, TYPE_MISMATCH_INDEX.format("N")),
    ("update non-scalar index key",
     {"Update": {"TableName": C, "Key": {"pk": S("u"), "sk": S("b")}, "UpdateExpression": "SET lsi1sk = :v",
                 "ExpressionAttributeValues": {":v": {"L": [S("x")]}}}}, TYPE_MISMATCH_INDEX.format("L")),
]
for _kind, _key in (("wrong-typed", N(5)), ("non-scalar", {"L": [S("x")]})):
    CANCELLED_VALIDATION += [
        (f"update {_kind} Key", {"Update": {"TableName": H, "Key": {"pk": _key}, "UpdateExpression": "SET attr1 = :v",
                                            "ExpressionAttributeValues": {":v": S("x")}}}, SCHEMA),
        (f"delete {_kind} Key", {"Delete": {"TableName": H, "Key": {"pk": _key}}}, SCHEMA),
        (f"condition-check {_kind} Key", {"ConditionCheck": {"TableName": H, "Key": {"pk": _key},
                                                             "ConditionExpression": "attribute_not_exists(pk)"}},
         SCHEMA),
    ]


@pytest.mark.parametrize("action, reason", [c[1:] for c in CANCELLED_VALIDATION], ids=[c[0] for c in CANCELLED_VALIDATION])
def test_transact_invalid_key_value_cancels(db, action, reason):
    # source: tests/tier3/error-messages/transactWriteItems.test.ts (eu-west-2 capture)
    e = fails(TransactionCanceledException, db.transact_write_items, TransactItems=[action])
    assert e.message == txn_message(["ValidationError"])
    assert cancelled(e) == ["ValidationError"]
    assert e.details["CancellationReasons"][0]["Message"] == reason


EMPTY_INDEX_PUT = ("One or more parameter values are not valid. A value specified for a secondary index key is not "
                   "supported. The AttributeValue for a key attribute cannot contain an empty {} value. "
                   "IndexName: {}, IndexKey: {}")
EMPTY_INDEX_UPDATE = ("One or more parameter values are not valid. The update expression attempted to update a "
                      "secondary index key to a value that is not supported. The AttributeValue for a key attribute "
                      "cannot contain an empty {} value.")

TOP_LEVEL_VALIDATION = [
    ("put empty-string table key", {"Put": {"TableName": H, "Item": {"pk": S("")}}}, EMPTY_STR_KEY),
    ("put empty-string index key", {"Put": {"TableName": C, "Item": {"pk": S("e"), "sk": S("c"), "lsi1sk": S("")}}},
     EMPTY_INDEX_PUT.format("string", "gsi1", "lsi1sk")),
    ("update empty-string index key",
     {"Update": {"TableName": C, "Key": {"pk": S("e"), "sk": S("c")}, "UpdateExpression": "SET lsi1sk = :v",
                 "ExpressionAttributeValues": {":v": S("")}}}, EMPTY_INDEX_UPDATE.format("string")),
    ("update empty-string Key", {"Update": {"TableName": H, "Key": {"pk": S("")}, "UpdateExpression": "SET attr1 = :v",
                                            "ExpressionAttributeValues": {":v": S("x")}}}, EMPTY_STR_KEY),
    ("delete empty-string Key", {"Delete": {"TableName": H, "Key": {"pk": S("")}}}, EMPTY_STR_KEY),
    ("condition-check empty-string Key", {"ConditionCheck": {"TableName": H, "Key": {"pk": S("")},
                                                             "ConditionExpression": "attribute_not_exists(pk)"}},
     EMPTY_STR_KEY),
    ("put empty-binary item key", {"Put": {"TableName": HB, "Item": {"pk": {"B": b""}}}}, EMPTY_BIN_KEY),
    ("update empty-binary Key", {"Update": {"TableName": HB, "Key": {"pk": {"B": b""}},
                                            "UpdateExpression": "SET attr1 = :v",
                                            "ExpressionAttributeValues": {":v": S("x")}}}, EMPTY_BIN_KEY),
    ("delete empty-binary Key", {"Delete": {"TableName": HB, "Key": {"pk": {"B": b""}}}}, EMPTY_BIN_KEY),
    ("condition-check empty-binary Key", {"ConditionCheck": {"TableName": HB, "Key": {"pk": {"B": b""}},
                                                             "ConditionExpression": "attribute_not_exists(pk)"}},
     EMPTY_BIN_KEY),
    ("put empty-binary index key", {"Put": {"TableName": GB, "Item": {"pk": S("eb"), "bidx": {"B": b""}}}},
     EMPTY_INDEX_PUT.format("binary", "gsib", "bidx")),
    ("update empty-binary index key",
     {"Update": {"TableName": GB, "Key": {"pk": S("eb")}, "UpdateExpression": "SET bidx = :v",
                 "ExpressionAttributeValues": {":v": {"B": b""}}}}, EMPTY_INDEX_UPDATE.format("binary")),
]


@pytest.mark.parametrize("action, message", [c[1:] for c in TOP_LEVEL_VALIDATION], ids=[c[0] for c in TOP_LEVEL_VALIDATION])
def test_transact_empty_key_value_is_top_level(db, action, message):
    # source: tests/tier3/error-messages/transactWriteItems.test.ts (four-region capture)
    e = fails(ValidationException, db.transact_write_items, TransactItems=[action])
    assert e.message == message


def _bad_name(path):
    return (f"1 validation error detected: Value 'bad!name' at 'transactItems.{path}.tableName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")


UNUSED_V = "Value provided in ExpressionAttributeValues unused in expressions: keys: {:v}"
EMPTY_COND = "Invalid ConditionExpression: The expression can not be empty;"

TOP_LEVEL_REQUEST_CHECKS = [
    ("put bad table name", [{"Put": {"TableName": "bad!name", "Item": {"pk": S("a")}}}], _bad_name("1.member.put")),
    ("update bad table name second", [
        {"Put": {"TableName": H, "Item": {"pk": S("first")}}},
        {"Update": {"TableName": "bad!name", "Key": {"pk": S("a")}, "UpdateExpression": "SET a = :a",
                    "ExpressionAttributeValues": {":a": S("x")}}}], _bad_name("2.member.update")),
    ("delete bad table name", [{"Delete": {"TableName": "bad!name", "Key": {"pk": S("a")}}}],
     _bad_name("1.member.delete")),
    ("condition-check bad table name", [{"ConditionCheck": {"TableName": "bad!name", "Key": {"pk": S("a")},
                                                            "ConditionExpression": "attribute_exists(pk)"}}],
     _bad_name("1.member.conditionCheck")),
    ("put empty condition", [{"Put": {"TableName": H, "Item": {"pk": S("e")}, "ConditionExpression": ""}}], EMPTY_COND),
    ("delete empty condition", [{"Delete": {"TableName": H, "Key": {"pk": S("e")}, "ConditionExpression": ""}}],
     EMPTY_COND),
    ("condition-check empty condition", [{"ConditionCheck": {"TableName": H, "Key": {"pk": S("e")},
                                                             "ConditionExpression": ""}}], EMPTY_COND),
    ("condition-check syntax error", [{"ConditionCheck": {"TableName": H, "Key": {"pk": S("e")},
                                                          "ConditionExpression": "attribute_not_exists("}}],
     'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "("'),
    ("condition-check unused value", [{"ConditionCheck": {"TableName": H, "Key": {"pk": S("e")},
                                                          "ConditionExpression": "attribute_not_exists(pk)",
                                                          "ExpressionAttributeValues": {":v": S("x")}}}], UNUSED_V),
    ("put unused value", [{"Put": {"TableName": H, "Item": {"pk": S("e")}, "ConditionExpression": "attribute_not_exists(pk)",
                                   "ExpressionAttributeValues": {":v": S("x")}}}], UNUSED_V),
    ("update unused value", [{"Update": {"TableName": H, "Key": {"pk": S("e")}, "UpdateExpression": "SET a = :a",
                                         "ExpressionAttributeValues": {":a": S("x"), ":v": S("x")}}}], UNUSED_V),
    ("delete unused value", [{"Delete": {"TableName": H, "Key": {"pk": S("e")}, "ConditionExpression": "attribute_exists(pk)",
                                         "ExpressionAttributeValues": {":v": S("x")}}}], UNUSED_V),
    ("unused value on the second action", [
        {"Put": {"TableName": H, "Item": {"pk": S("first")}}},
        {"ConditionCheck": {"TableName": H, "Key": {"pk": S("e")}, "ConditionExpression": "attribute_not_exists(pk)",
                            "ExpressionAttributeValues": {":v": S("x")}}}], UNUSED_V),
]


@pytest.mark.parametrize("items, message", [c[1:] for c in TOP_LEVEL_REQUEST_CHECKS],
                         ids=[c[0] for c in TOP_LEVEL_REQUEST_CHECKS])
def test_transact_request_checks_are_top_level(db, items, message):
    # source: tests/tier3/error-messages/transactWriteItems.test.ts (us-east-1 and eu-west-2)
    e = fails(ValidationException, db.transact_write_items, TransactItems=items)
    assert e.message == message
    assert get(db, H, {"pk": S("first")}) is None and get(db, H, {"pk": S("e")}) is None


def test_transact_action_with_no_operation(db):
    # source: tests/tier3/error-messages/transactWriteItems.test.ts (regional: both exact forms accepted)
    e = fails(ValidationException, db.transact_write_items, TransactItems=[{}])
    assert e.message in (
        "1 validation error detected: Value '' at 'transactItems' failed to satisfy constraint: TransactWriteRequest "
        "should contain Delete or Put or Update or ConditionCheck",
        "Invalid Request: TransactWriteRequest should contain Delete or Put or Update request")


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


K = {"pk": S("k")}


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


# =====================================================================================================================
# tier1 putItem/conditions.test.ts, expressions.test.ts, conditionExpressionParens.test.ts;
# tier1 deleteItem/conditionExpressionParens.test.ts
# =====================================================================================================================

PUT_SEED = {"pk": S("p"), "name": S("alice"), "count": N(5), "status": S("active"),
            "mapAttr": {"M": {"nested": S("deep-value")}}}

PUT_CONDITIONS = [
    # (name, target pk, condition, names, values, holds)
    ("attribute_not_exists on a new key", "new", "attribute_not_exists(pk)", None, None, True),
    ("attribute_not_exists on an existing key", "p", "attribute_not_exists(pk)", None, None, False),
    ("attribute_exists", "p", "attribute_exists(#s)", {"#s": "status"}, None, True),
    ("comparison holds", "p", "#c > :min", {"#c": "count"}, {":min": N(3)}, True),
    ("comparison fails", "p", "#c > :min", {"#c": "count"}, {":min": N(100)}, False),
    ("<> on a missing item holds", "new", "#s <> :v", {"#s": "status"}, {":v": S("working")}, True),
    ("<> OR < on a missing item holds", "new", "#s <> :v OR #u < :t", {"#s": "status", "#u": "updatedAt"},
     {":v": S("working"), ":t": S("2099-01-01T00:00:00Z")}, True),
    ("= on a missing item fails", "new", "#s = :v", {"#s": "status"}, {":v": S("working")}, False),
    ("size", "p", "size(#n) < :maxLen", {"#n": "name"}, {":maxLen": N(10)}, True),
    ("contains substring", "p", "contains(#n, :sub)", {"#n": "name"}, {":sub": S("lic")}, True),
    ("attribute_type", "p", "attribute_type(#s, :t)", {"#s": "status"}, {":t": S("S")}, True),
    ("NOT attribute_exists on a new key", "new", "NOT attribute_exists(pk)", None, None, True),
    ("AND", "p", "#n = :name AND #c = :count", {"#n": "name", "#c": "count"}, {":name": S("alice"), ":count": N(5)},
     True),
    ("OR one side", "p", "#n = :w OR #c = :count", {"#n": "name", "#c": "count"}, {":w": S("nobody"), ":count": N(5)},
     True),
    ("nested path", "p", "mapAttr.nested = :val", None, {":val": S("deep-value")}, True),
    ("attribute_exists nested", "p", "attribute_exists(#m.#n)", {"#m": "mapAttr", "#n": "nested"}, None, True),
    ("attribute_not_exists nested", "p", "attribute_not_exists(#m.#x)", {"#m": "mapAttr", "#x": "nonexistent"}, None,
     True),
    ("reserved word through a name", "p", "#status = :val", {"#status": "status"}, {":val": S("active")}, True),
    ("per-condition parens", "new", "(attribute_not_exists(pk)) AND (attribute_not_exists(#s))", {"#s": "status"}, None,
     True),
    ("whole-expression parens", "new", "(attribute_not_exists(pk) AND attribute_not_exists(#s))", {"#s": "status"},
     None, True),
    ("nested non-redundant parens", "new", "(attribute_not_exists(pk) AND (attribute_not_exists(#s)))",
     {"#s": "status"}, None, True),
    ("parenthesised condition fails", "p", "(attribute_exists(pk)) AND (#s = :wrong)", {"#s": "status"},
     {":wrong": S("inactive")}, False),
]


@pytest.mark.parametrize("case", PUT_CONDITIONS, ids=[c[0] for c in PUT_CONDITIONS])
def test_put_conditions(db, case):
    # source: tests/tier1/putItem/{conditions,expressions,conditionExpressionParens}.test.ts
    _, pk, condition, names, values, holds = case
    put(db, H, PUT_SEED)
    new = {"pk": S(pk), "data": S("written")}
    request = dict(TableName=H, Item=new, ConditionExpression=condition)
    if names:
        request["ExpressionAttributeNames"] = names
    if values:
        request["ExpressionAttributeValues"] = values
    if holds:
        db.put_item(**request)
        assert get(db, H, {"pk": S(pk)}) == new
    else:
        e = fails(ConditionalCheckFailedException, db.put_item, **request)
        assert e.message == CCF_MSG
        assert get(db, H, {"pk": S(pk)}) == (PUT_SEED if pk == "p" else None)


@pytest.mark.parametrize("condition, value, holds", [
    ("(attribute_exists(pk)) AND (#s = :v)", "active", True),
    ("(attribute_exists(pk) AND #s = :v)", "active", True),
    ("(attribute_exists(pk) AND (#s = :v))", "active", True),
    ("(attribute_exists(pk)) AND (#s = :v)", "inactive", False),
], ids=["per-condition", "whole", "nested", "fails"])
def test_delete_condition_parens(db, condition, value, holds):
    # source: tests/tier1/deleteItem/conditionExpressionParens.test.ts
    item = {**K, "status": S("active")}
    put(db, H, item)
    request = dict(TableName=H, Key=K, ConditionExpression=condition, ExpressionAttributeNames={"#s": "status"},
                   ExpressionAttributeValues={":v": S(value)})
    if holds:
        db.delete_item(**request)
        assert get(db, H, K) is None
    else:
        fails(ConditionalCheckFailedException, db.delete_item, **request)
        assert get(db, H, K) == item


# =====================================================================================================================
# tier1 query/*
# =====================================================================================================================

def q(db, kce, values, names=None, table=C, **extra):
    request = dict(TableName=table, KeyConditionExpression=kce, ExpressionAttributeValues=values, **extra)
    if names:
        request["ExpressionAttributeNames"] = names
    return db.query(**request)


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


# =====================================================================================================================
# tier1 getItem/projection.test.ts, projectionValidation.test.ts
# =====================================================================================================================

DOC = {"mymap": {"M": {"nested": S("deep"), "other": N(42)}}, "mylist": {"L": [S("zero"), S("one"), S("two")]}}


def test_nested_projections(db):
    # source: tests/tier1/getItem/projection.test.ts
    put(db, H, {"pk": S("pn"), **DOC}, {"pk": S("pm"), "m": {"M": {"a": S("A"), "b": S("B"), "c": S("C")}}})
    put(db, C, {"pk": S("pq"), "sk": S("a"), **DOC})
    got = db.get_item(TableName=H, Key={"pk": S("pn")}, ProjectionExpression="#m.#n",
                      ExpressionAttributeNames={"#m": "mymap", "#n": "nested"})["Item"]
    assert got == {"mymap": {"M": {"nested": S("deep")}}}
    got = db.get_item(TableName=H, Key={"pk": S("pn")}, ProjectionExpression="#l[0]",
                      ExpressionAttributeNames={"#l": "mylist"})["Item"]
    assert got == {"mylist": {"L": [S("zero")]}}
    r = q(db, "#pk = :pk", {":pk": S("pq")}, {"#pk": "pk", "#m": "mymap", "#n": "nested", "#l": "mylist"},
          ProjectionExpression="#m.#n, #l[1]")
    assert r["Items"] == [{"mymap": {"M": {"nested": S("deep")}}, "mylist": {"L": [S("one")]}}]
    r = db.batch_get_item(RequestItems={H: {"Keys": [{"pk": S("pn")}], "ProjectionExpression": "#m.#n",
                                            "ExpressionAttributeNames": {"#m": "mymap", "#n": "nested"}}})
    assert r["Responses"][H] == [{"mymap": {"M": {"nested": S("deep")}}}]
    got = db.get_item(TableName=H, Key={"pk": S("pm")}, ProjectionExpression="#m.#a, #m.#b",
                      ExpressionAttributeNames={"#m": "m", "#a": "a", "#b": "b"})["Item"]
    assert got == {"m": {"M": {"a": S("A"), "b": S("B")}}}


def test_projection_validation(db):
    # source: tests/tier1/getItem/projectionValidation.test.ts
    put(db, H, {"pk": S("pv"), "a": {"M": {"b": S("bb")}}, "l": {"L": [S("l0"), S("l1"), S("l2")]}})
    fails(ValidationException, db.get_item, TableName=H, Key={"pk": S("pv")}, ProjectionExpression="#a, #a.#b",
          ExpressionAttributeNames={"#a": "a", "#b": "b"})
    fails(ValidationException, db.get_item, TableName=H, Key={"pk": S("pv")}, ProjectionExpression="#a, #a",
          ExpressionAttributeNames={"#a": "a"})
    got = db.get_item(TableName=H, Key={"pk": S("pv")}, ProjectionExpression="#l[2], #l[0]",
                      ExpressionAttributeNames={"#l": "l"})["Item"]
    assert got == {"l": {"L": [S("l0"), S("l2")]}}


# =====================================================================================================================
# tier2 transactions/transactWrite.test.ts
# =====================================================================================================================

def test_transact_put_update_delete(db):
    # source: tests/tier2/transactions/transactWrite.test.ts
    put(db, H, {"pk": S("b2"), "data": S("before-update")}, {"pk": S("b3"), "data": S("to-delete")})
    db.transact_write_items(TransactItems=[
        {"Put": {"TableName": H, "Item": {"pk": S("b1"), "data": S("created")}}},
        {"Update": {"TableName": H, "Key": {"pk": S("b2")}, "UpdateExpression": "SET #d = :v",
                    "ExpressionAttributeNames": {"#d": "data"}, "ExpressionAttributeValues": {":v": S("after-update")}}},
        {"Delete": {"TableName": H, "Key": {"pk": S("b3")}}}])
    assert get(db, H, {"pk": S("b1")})["data"] == S("created")
    assert get(db, H, {"pk": S("b2")})["data"] == S("after-update")
    assert get(db, H, {"pk": S("b3")}) is None


def test_transact_condition_check(db):
    # source: tests/tier2/transactions/transactWrite.test.ts
    put(db, H, {"pk": S("cc"), "status": S("active")}, {"pk": S("ccf"), "status": S("inactive")})
    check = {"ConditionExpression": "#s = :v", "ExpressionAttributeNames": {"#s": "status"},
             "ExpressionAttributeValues": {":v": S("active")}}
    db.transact_write_items(TransactItems=[
        {"ConditionCheck": {"TableName": H, "Key": {"pk": S("cc")}, **check}},
        {"Put": {"TableName": H, "Item": {"pk": S("cc-pass"), "status": S("processed")}}}])
    assert get(db, H, {"pk": S("cc-pass")})["status"] == S("processed")
    e = fails(TransactionCanceledException, db.transact_write_items, TransactItems=[
        {"ConditionCheck": {"TableName": H, "Key": {"pk": S("ccf")}, **check}},
        {"Put": {"TableName": H, "Item": {"pk": S("cc-fail-put"), "status": S("should-not-exist")}}}])
    assert cancelled(e) == ["ConditionalCheckFailed", "None"]
    assert get(db, H, {"pk": S("cc-fail-put")}) is None


@pytest.mark.parametrize("seed, action", [
    ({"pk": S("tp"), "data": S("existing")},
     {"Put": {"TableName": H, "Item": {"pk": S("tp"), "data": S("replaced")},
              "ConditionExpression": "attribute_not_exists(pk)"}}),
    ({"pk": S("tp"), "counter": N(5)},
     {"Update": {"TableName": H, "Key": {"pk": S("tp")}, "UpdateExpression": "SET #c = :v",
                 "ConditionExpression": "#c > :min", "ExpressionAttributeNames": {"#c": "counter"},
                 "ExpressionAttributeValues": {":v": N(100), ":min": N(10)}}}),
    ({"pk": S("tp"), "locked": {"BOOL": True}},
     {"Delete": {"TableName": H, "Key": {"pk": S("tp")}, "ConditionExpression": "locked = :v",
                 "ExpressionAttributeValues": {":v": {"BOOL": False}}}}),
    ({"pk": S("tp"), "status": S("locked")},
     {"ConditionCheck": {"TableName": H, "Key": {"pk": S("tp")}, "ConditionExpression": "#s = :v",
                         "ExpressionAttributeNames": {"#s": "status"}, "ExpressionAttributeValues": {":v": S("unlocked")}}}),
    ({"pk": S("tp"), "status": S("active")},
     {"Update": {"TableName": H, "Key": {"pk": S("tp")}, "UpdateExpression": "SET #s = :next",
                 "ConditionExpression": "(#s = :wrong) AND (attribute_exists(pk))",
                 "ExpressionAttributeNames": {"#s": "status"},
                 "ExpressionAttributeValues": {":wrong": S("inactive"), ":next": S("should-not-apply")}}}),
], ids=["put", "update", "delete", "condition check", "parenthesised update"])
def test_transact_failing_condition_changes_nothing(db, seed, action):
    # source: tests/tier2/transactions/transactWrite.test.ts
    put(db, H, seed)
    e = fails(TransactionCanceledException, db.transact_write_items, TransactItems=[action])
    assert cancelled(e) == ["ConditionalCheckFailed"]
    assert get(db, H, {"pk": S("tp")}) == seed


def test_transact_cross_table(db):
    # source: tests/tier2/transactions/transactWrite.test.ts
    db.transact_write_items(TransactItems=[
        {"Put": {"TableName": H, "Item": {"pk": S("x"), "data": S("from-hash")}}},
        {"Put": {"TableName": C, "Item": {"pk": S("x"), "sk": S("sk1"), "data": S("from-composite")}}}])
    assert get(db, H, {"pk": S("x")})["data"] == S("from-hash")
    assert get(db, C, {"pk": S("x"), "sk": S("sk1")})["data"] == S("from-composite")


def test_transact_client_request_token(db):
    # source: tests/tier2/transactions/transactWrite.test.ts
    items = [{"Put": {"TableName": H, "Item": {"pk": S("idem"), "attempt": N(1)}}}]
    db.transact_write_items(ClientRequestToken="idem-token-1", TransactItems=items)
    db.transact_write_items(ClientRequestToken="idem-token-1", TransactItems=items)
    assert get(db, H, {"pk": S("idem")})["attempt"] == N(1)
    with pytest.raises(Exception) as info:
        db.transact_write_items(ClientRequestToken="idem-token-1", TransactItems=[
            {"Put": {"TableName": H, "Item": {"pk": S("idem"), "attempt": N(2)}}}])
    assert type(info.value).__name__ == "IdempotentParameterMismatchException"


def test_transact_return_values_on_failure(db):
    # source: tests/tier2/transactions/transactWrite.test.ts
    put(db, H, {"pk": S("rv"), "data": S("original")})
    e = fails(TransactionCanceledException, db.transact_write_items, TransactItems=[
        {"Put": {"TableName": H, "Item": {"pk": S("rv"), "data": S("new")},
                 "ConditionExpression": "attribute_not_exists(pk)", "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}])
    [reason] = e.details["CancellationReasons"]
    assert reason["Code"] == "ConditionalCheckFailed"
    assert reason["Item"] == {"pk": S("rv"), "data": S("original")}


def test_transact_many_items(db):
    # source: tests/tier2/transactions/transactWrite.test.ts
    db.transact_write_items(TransactItems=[{"Put": {"TableName": H, "Item": {"pk": S(f"m{i}"), "val": S("before")}}}
                                           for i in (1, 2, 3)])
    db.transact_write_items(TransactItems=[
        {"Update": {"TableName": H, "Key": {"pk": S(f"m{i}")}, "UpdateExpression": "SET val = :v",
                    "ExpressionAttributeValues": {":v": S(f"after-{i}")}}} for i in (1, 2, 3)])
    assert [get(db, H, {"pk": S(f"m{i}")})["val"] for i in (1, 2, 3)] == [S("after-1"), S("after-2"), S("after-3")]
    db.transact_write_items(TransactItems=[{"Delete": {"TableName": H, "Key": {"pk": S(f"m{i}")}}} for i in (1, 2, 3)])
    assert all(get(db, H, {"pk": S(f"m{i}")}) is None for i in (1, 2, 3))


def test_transact_validation_codes(db):
    # source: tests/tier2/transactions/transactWrite.test.ts
    fails(ValidationException, db.transact_write_items, TransactItems=[])
    fails(ResourceNotFoundException, db.transact_write_items,
          TransactItems=[{"Put": {"TableName": MISSING, "Item": {"pk": S("x")}}}])


@pytest.mark.parametrize("condition", ["attribute_exists(pk)", "#sc > :min", "attribute_exists(pk) AND #s = :expected"])
def test_transact_update_condition_on_missing_item_creates_nothing(db, condition):
    # source: tests/tier2/transactions/transactWrite.test.ts
    names = {k: v for k, v in {"#s": "status", "#sc": "score"}.items() if k in condition or k == "#s"}
    values = {":new": S("should-not-apply")}
    if ":min" in condition:
        values[":min"] = N(0)
    if ":expected" in condition:
        values[":expected"] = S("active")
    e = fails(TransactionCanceledException, db.transact_write_items, TransactItems=[
        {"Update": {"TableName": H, "Key": {"pk": S("ghost")}, "UpdateExpression": "SET #s = :new",
                    "ConditionExpression": condition, "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": values}}])
    assert cancelled(e) == ["ConditionalCheckFailed"]
    assert get(db, H, {"pk": S("ghost")}) is None


def test_transact_update_attribute_not_exists_upserts(db):
    # source: tests/tier2/transactions/transactWrite.test.ts
    db.transact_write_items(TransactItems=[
        {"Update": {"TableName": H, "Key": {"pk": S("up")}, "UpdateExpression": "SET #s = :new",
                    "ConditionExpression": "attribute_not_exists(pk)", "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": {":new": S("created")}}}])
    assert get(db, H, {"pk": S("up")}) == {"pk": S("up"), "status": S("created")}


def test_transact_mixed_pass_and_fail_cancels_all(db):
    # source: tests/tier2/transactions/transactWrite.test.ts
    put(db, H, {"pk": S("ex"), "status": S("active")})
    upd_ = lambda pk, v: {"Update": {"TableName": H, "Key": {"pk": S(pk)}, "UpdateExpression": "SET #s = :new",  # noqa
                                     "ConditionExpression": "attribute_exists(pk)",
                                     "ExpressionAttributeNames": {"#s": "status"},
                                     "ExpressionAttributeValues": {":new": S(v)}}}
    e = fails(TransactionCanceledException, db.transact_write_items,
              TransactItems=[upd_("ex", "updated"), upd_("nx", "should-not-apply")])
    assert cancelled(e)[1] == "ConditionalCheckFailed"
    assert get(db, H, {"pk": S("ex")})["status"] == S("active")
    assert get(db, H, {"pk": S("nx")}) is None


def test_transact_parenthesised_conditions_that_hold(db):
    # source: tests/tier2/transactions/transactWrite.test.ts
    put(db, H, {"pk": S("u"), "status": S("active"), "score": N(10)}, {"pk": S("d"), "status": S("active")},
        {"pk": S("c"), "status": S("active")})
    db.transact_write_items(TransactItems=[
        {"Put": {"TableName": H, "Item": {"pk": S("p"), "status": S("new")},
                 "ConditionExpression": "(attribute_not_exists(pk)) AND (attribute_not_exists(#s))",
                 "ExpressionAttributeNames": {"#s": "status"}}},
        {"Update": {"TableName": H, "Key": {"pk": S("u")}, "UpdateExpression": "SET #s = :next",
                    "ConditionExpression": "(#s = :cur AND #sc > :min)",
                    "ExpressionAttributeNames": {"#s": "status", "#sc": "score"},
                    "ExpressionAttributeValues": {":cur": S("active"), ":next": S("updated"), ":min": N(5)}}},
        {"Delete": {"TableName": H, "Key": {"pk": S("d")}, "ConditionExpression": "(attribute_exists(pk) AND (#s = :v))",
                    "ExpressionAttributeNames": {"#s": "status"}, "ExpressionAttributeValues": {":v": S("active")}}},
        {"ConditionCheck": {"TableName": H, "Key": {"pk": S("c")},
                            "ConditionExpression": "(attribute_exists(pk)) AND (#s = :v)",
                            "ExpressionAttributeNames": {"#s": "status"},
                            "ExpressionAttributeValues": {":v": S("active")}}}])
    assert get(db, H, {"pk": S("p")})["status"] == S("new")
    assert get(db, H, {"pk": S("u")})["status"] == S("updated")
    assert get(db, H, {"pk": S("d")}) is None
