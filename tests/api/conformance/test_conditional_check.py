"""Conformance facts for the conditional check of PutItem, DeleteItem, UpdateItem and TransactWriteItems, recorded against AWS by nubo-db/dynamodb-conformance (conftest.py says how
they are checked and which tables they use)."""
from __future__ import annotations

from apiconfhelpers import CCF_MSG, fails, get, H, put, S

from logstore.errors import ConditionalCheckFailedException, TransactionCanceledException


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
