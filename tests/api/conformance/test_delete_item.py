"""Conformance facts for DeleteItem, recorded against AWS by nubo-db/dynamodb-conformance (conftest.py says how
they are checked and which tables they use)."""
from __future__ import annotations

import pytest
from apiconfhelpers import C, ENVELOPE, ENVELOPED_WRITE_ERRORS, fails, get, H, K, MISSING, NOT_FOUND, put, S, SCHEMA

from logstore.errors import ConditionalCheckFailedException, ResourceNotFoundException, ValidationException


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
