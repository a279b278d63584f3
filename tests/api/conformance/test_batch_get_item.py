"""Conformance facts for BatchGetItem, recorded against AWS by nubo-db/dynamodb-conformance (conftest.py says how
they are checked and which tables they use)."""
from __future__ import annotations

import pytest
from apiconfhelpers import C, fails, H, MISSING, NOT_FOUND, OVERLAP, S

from logstore.errors import ResourceNotFoundException, ValidationException


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
