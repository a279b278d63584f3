"""Conformance facts for PutItem, recorded against AWS by nubo-db/dynamodb-conformance (conftest.py says how
they are checked and which tables they use)."""
from __future__ import annotations

import pytest
from apiconfhelpers import CCF_MSG, ENVELOPED_WRITE_ERRORS, fails, get, H, N, put, S

from logstore.errors import ConditionalCheckFailedException, ValidationException


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
