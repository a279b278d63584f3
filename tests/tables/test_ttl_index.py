"""The TTL sweep reads the expiry index: a round with nothing due commits nothing; a round with k due items
deletes exactly those, in ceil(k / batch) transactions, each with its REMOVE record carrying the service
identity; items with a TTL that is not a number, in the future or more than five years past stay; changing the
TTL attribute rebuilds the index."""
from __future__ import annotations

import random

import pytest

import logstore
from indexhelpers import expected, stored
from logstore.clock import FakeClock

START_MS = 1_700_000_000_000
NOW_S = START_MS // 1000


@pytest.fixture
def clock():
    return FakeClock(START_MS)


def _table(store, attribute: str = "exp"):
    store.create_table(TableName="tab", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                                   {"AttributeName": "sk", "KeyType": "RANGE"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                             {"AttributeName": "sk", "AttributeType": "N"}],
                       BillingMode="PAY_PER_REQUEST",
                       StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    store.update_time_to_live(TableName="tab", TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute})


def _records(store) -> list[dict]:
    arn = store.describe_table(TableName="tab")["Table"]["LatestStreamArn"]
    out = []
    for shard in store.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        it = store.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                      ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while it:
            page = store.get_records(ShardIterator=it, Limit=1000)
            out += page["Records"]
            it = page.get("NextShardIterator") if page["Records"] else None
    return out


def test_sweep_touches_only_due_items_of_a_large_table(tmp_path, clock, seed):
    rng = random.Random(seed)
    with logstore.open(tmp_path / "s", clock=clock, durable=False, index_builds=False) as store:
        _table(store)
        due = set()
        with store.batch() as b:
            for i in range(20_000):
                item = {"pk": {"S": f"p{i % 97}"}, "sk": {"N": str(i)}}
                r = rng.random()
                if r < 0.01:
                    item["exp"] = {"N": str(NOW_S - rng.randrange(1, 3600))}
                    due.add(i)
                elif r < 0.5:
                    item["exp"] = {"N": str(NOW_S + rng.randrange(60, 10**6))}
                elif r < 0.52:
                    item["exp"] = {"N": str(NOW_S - 6 * 365 * 86400)}   # over five years past: AWS ignores it
                elif r < 0.54:
                    item["exp"] = {"S": "soon"}                         # not a number: never expires
                b.put_item(TableName="tab", Item=item)
        writes_before = len(_records(store))
        txn_before = store.env.info()["last_txnid"]
        assert store.tables.sweep_ttl(clock.now_ms() - 3_600_000) == 0     # nothing due an hour ago
        assert store.env.info()["last_txnid"] == txn_before                 # and nothing written

        deleted = store.tables.sweep_ttl(clock.now_ms(), batch=50)
        assert deleted == len(due)
        assert store.env.info()["last_txnid"] - txn_before == -(-len(due) // 50)
        removes = _records(store)[writes_before:]
        assert sorted(int(r["dynamodb"]["Keys"]["sk"]["N"]) for r in removes) == sorted(due)
        assert all(r["eventName"] == "REMOVE" and r["userIdentity"] == {
            "PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"} for r in removes)
        assert store.describe_table(TableName="tab")["Table"]["ItemCount"] == 20_000 - len(due)
        assert stored(store)[""] == expected(store)[""]
        txn_before = store.env.info()["last_txnid"]
        assert store.tables.sweep_ttl(clock.now_ms()) == 0
        assert store.env.info()["last_txnid"] == txn_before


def test_a_round_deletes_a_bounded_number_and_the_next_round_goes_on(tmp_path, clock):
    with logstore.open(tmp_path / "s", clock=clock, durable=False, index_builds=False) as store:
        _table(store)
        with store.batch() as b:
            for i in range(250):
                b.put_item(TableName="tab", Item={"pk": {"S": "a"}, "sk": {"N": str(i)}, "exp": {"N": str(NOW_S - 1)}})
        assert store.tables.sweep_ttl(clock.now_ms(), batch=40, max_batches=3) == 120
        assert store.tables.sweep_ttl(clock.now_ms(), batch=40, max_batches=3) == 120
        assert store.tables.sweep_ttl(clock.now_ms(), batch=40, max_batches=3) == 10


def test_an_item_updated_after_it_was_found_due_is_not_deleted(tmp_path, clock):
    with logstore.open(tmp_path / "s", clock=clock, durable=False, index_builds=False) as store:
        _table(store)
        store.put_item(TableName="tab", Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "exp": {"N": str(NOW_S - 1)}})
        store.put_item(TableName="tab", Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "exp": {"N": str(NOW_S + 99)}})
        assert store.tables.sweep_ttl(clock.now_ms()) == 0
        clock.advance(100_000)
        assert store.tables.sweep_ttl(clock.now_ms()) == 1


def test_changing_the_ttl_attribute_rebuilds_the_expiry_index(tmp_path, clock):
    with logstore.open(tmp_path / "s", clock=clock, durable=False, index_builds=False) as store:
        _table(store)
        with store.batch() as b:
            for i in range(300):
                b.put_item(TableName="tab", Item={"pk": {"S": "a"}, "sk": {"N": str(i)},
                                                  "exp": {"N": str(NOW_S - 1)}, "other": {"N": str(NOW_S + i - 150)}})
        store.update_time_to_live(TableName="tab", TimeToLiveSpecification={"Enabled": False, "AttributeName": "exp"})
        assert store.tables.sweep_ttl(clock.now_ms()) == 0                   # disabled: nothing expires
        store.update_time_to_live(TableName="tab", TimeToLiveSpecification={"Enabled": True, "AttributeName": "other"})
        assert store.tables.get("tab").ttl_index.status == "CREATING"
        assert store.tables.sweep_ttl(clock.now_ms()) == 0                   # not built yet: nothing found
        store.build_indexes()
        assert store.tables.get("tab").ttl_index.status == "ACTIVE"
        assert stored(store)[""] == expected(store)[""]
        assert store.tables.sweep_ttl(clock.now_ms()) == 150                 # "other" < now, not "exp"
