"""Regression (issue 18): 20 concurrent TransactWriteItems with one ClientRequestToken were applied 3-4 times, and
a restart forgot the tokens. The token is now checked and recorded in the write's own transaction, in the store
(logstore/tables/tokens.py)."""
from __future__ import annotations

import threading

import pytest

import logstore
from logstore.clock import FakeClock
from logstore.errors import IdempotentParameterMismatchException
from logstore.tables import tokens


def _table(db, name="tbl"):
    db.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                    BillingMode="PAY_PER_REQUEST",
                    StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})


def _add(token, n=1, table="tbl"):
    return dict(ClientRequestToken=token, TransactItems=[{"Update": {
        "TableName": table, "Key": {"pk": {"S": "counter"}}, "UpdateExpression": "ADD n :one",
        "ExpressionAttributeValues": {":one": {"N": str(n)}}}}])


def _count(db, table="tbl"):
    item = db.get_item(TableName=table, Key={"pk": {"S": "counter"}}).get("Item")
    return int(item["n"]["N"]) if item else 0


def _records(db, table="tbl"):
    arn = db.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    total = 0
    for shard in db.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        it = db.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                   ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        total += len(db.get_records(ShardIterator=it)["Records"])
    return total


def test_twenty_threads_one_token_apply_once(store_path):
    with logstore.open(store_path) as db:
        _table(db)
        barrier = threading.Barrier(20)
        errors = []

        def call():
            try:
                barrier.wait(10)
                db.transact_write_items(**_add("same-token"))
            except Exception as e:  # collected and asserted on
                errors.append(e)
        threads = [threading.Thread(target=call) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert not errors
        assert _count(db) == 1
        assert _records(db) == 1


def test_token_survives_restart_and_expires_after_ten_minutes(store_path):
    clock = FakeClock()
    with logstore.open(store_path, clock=clock) as db:
        _table(db)
        db.transact_write_items(**_add("tok"))
    with logstore.open(store_path, clock=clock) as db:
        db.transact_write_items(**_add("tok"))               # a retry after a restart: a successful no-op
        assert _count(db) == 1
        with pytest.raises(IdempotentParameterMismatchException, match="non-identical request"):
            db.transact_write_items(**_add("tok", n=2))     # same token, another request
        assert _count(db) == 1
        clock.advance(tokens.WINDOW_MS - 1)
        db.transact_write_items(**_add("tok"))
        assert _count(db) == 1
        clock.advance(1)                                     # ten minutes after the first commit: a new request
        db.transact_write_items(**_add("tok", n=2))
        assert _count(db) == 3
        assert _records(db) == 2


def test_member_order_does_not_matter_and_failures_record_nothing(store_path):
    with logstore.open(store_path) as db:
        _table(db)
        request = _add("ordered")
        update = request["TransactItems"][0]["Update"]
        db.transact_write_items(**request)
        reordered = {"TransactItems": [{"Update": dict(reversed(list(update.items())))}],
                     "ClientRequestToken": "ordered"}
        db.transact_write_items(**reordered)
        assert _count(db) == 1
        failing = _add("fails")
        failing["TransactItems"][0]["Update"]["ConditionExpression"] = "attribute_not_exists(pk)"
        with pytest.raises(logstore.errors.TransactionCanceledException):
            db.transact_write_items(**failing)
        del failing["TransactItems"][0]["Update"]["ConditionExpression"]
        db.transact_write_items(**failing)                  # the failed request left no token behind
        assert _count(db) == 2


def test_expired_tokens_are_pruned_in_bounded_steps(store_path):
    clock = FakeClock()
    with logstore.open(store_path, clock=clock) as db:
        _table(db)
        for i in range(40):
            db.transact_write_items(**_add(f"old-{i}"))
        store_tokens = db.tables.writer.tokens
        with db.env.begin_read() as txn:
            assert store_tokens.count(txn) == 40
        clock.advance(tokens.WINDOW_MS)
        db.transact_write_items(**_add("new-0"))
        with db.env.begin_read() as txn:
            assert store_tokens.count(txn) == 40 + 1 - tokens.PRUNE_STEP
        for i in range(1, 10):
            db.transact_write_items(**_add(f"new-{i}"))
        with db.env.begin_read() as txn:
            assert store_tokens.count(txn) == 10
