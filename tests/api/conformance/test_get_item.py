"""Conformance facts for GetItem, recorded against AWS by nubo-db/dynamodb-conformance (conftest.py says how
they are checked and which tables they use)."""
from __future__ import annotations

import pytest
from apiconfhelpers import C, fails, H, MISSING, N, NOT_FOUND, OVERLAP, put, q, S

from logstore.errors import ResourceNotFoundException, ValidationException


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
