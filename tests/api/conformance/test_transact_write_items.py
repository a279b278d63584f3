"""Conformance facts for TransactWriteItems, recorded against AWS by nubo-db/dynamodb-conformance (conftest.py says how
they are checked and which tables they use)."""
from __future__ import annotations

import re

import pytest
from apiconfhelpers import (C, CCF_MSG, EMPTY_BIN_KEY, EMPTY_STR_KEY, fails, GB, get, H, HB, MISSING, N, NOT_FOUND, put,
                            S, SCHEMA)

from logstore.errors import ResourceNotFoundException, TransactionCanceledException, ValidationException


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
