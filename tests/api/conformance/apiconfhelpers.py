"""Shared facts and helpers of the conformance tests in this directory (conftest.py says what they check): the
fixture tables' names, the AWS messages recorded for more than one operation, and small request helpers."""
from __future__ import annotations

import pytest

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


K = {"pk": S("k")}


def q(db, kce, values, names=None, table=C, **extra):
    request = dict(TableName=table, KeyConditionExpression=kce, ExpressionAttributeValues=values, **extra)
    if names:
        request["ExpressionAttributeNames"] = names
    return db.query(**request)
