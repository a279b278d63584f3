"""Stored indexes against the brute-force reference (indexhelpers.expected): after random histories of puts,
updates and deletes with restarts and GSIs created and deleted mid-history; sparse indexes, projections, paging,
counts, one transaction per write, TTL sweeps that touch only due items, cleanup of dropped tables and indexes."""
from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

import logstore
from indexhelpers import GSIS, counts, create, expected, items, orphans, stored
from liveproc import Proc
from logstore.clock import FakeClock
from logstore.tables import attrs

START_MS = 1_700_000_000_000


@pytest.fixture
def clock():
    return FakeClock(START_MS)


def _open(path, clock, **options):
    options.setdefault("index_builds", False)
    return logstore.open(path, clock=clock, durable=False, **options)


def _random_item(rng, i: int) -> dict:
    item = {"pk": {"S": f"p{rng.randrange(8)}"}, "sk": {"N": str(rng.randrange(40))}}
    if rng.random() < 0.7:
        item["g"] = {"S": f"g{rng.randrange(4)}"}
    if rng.random() < 0.7:
        item["r"] = {"N": str(rng.randrange(-5, 50))}
    if rng.random() < 0.2:
        item["r"] = {"S": "wrong type"}  # a wrong-typed index key: refused (ValidationException), nothing written
    if rng.random() < 0.6:
        item["l"] = {"S": f"l{rng.randrange(10)}"}
    if rng.random() < 0.5:
        item["v"] = {"N": str(i)}
    if rng.random() < 0.5:
        item["w"] = {"S": "x" * rng.randrange(20)}
    if rng.random() < 0.4:
        item["exp"] = {"N": str(START_MS // 1000 + rng.randrange(-100, 100))}
    return item


def _check(store) -> None:
    assert stored(store) == expected(store)
    want = expected(store)
    for name, (count, size) in counts(store).items():
        assert count == len(want[name]), name
        assert size == sum(attrs.item_size(e) for e in want[name]), name


def test_indexes_agree_with_brute_force_after_random_histories_with_restarts(tmp_path, clock, seed):
    rng = random.Random(seed)
    path = tmp_path / "store"
    store = _open(path, clock)
    create(store)
    store.update_time_to_live(TableName="tab", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    extra = {"IndexName": "by_v", "KeySchema": [{"AttributeName": "v", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "ALL"}}
    try:
        for step in range(600):
            op = rng.random()
            try:
                if op < 0.5:
                    store.put_item(TableName="tab", Item=_random_item(rng, step))
                elif op < 0.7:
                    key = {"pk": {"S": f"p{rng.randrange(8)}"}, "sk": {"N": str(rng.randrange(40))}}
                    store.update_item(TableName="tab", Key=key, UpdateExpression="SET g = :g, v = :v REMOVE l",
                                      ExpressionAttributeValues={":g": {"S": f"g{rng.randrange(4)}"},
                                                                 ":v": {"N": str(step)}})
                elif op < 0.85:
                    store.delete_item(TableName="tab", Key={"pk": {"S": f"p{rng.randrange(8)}"},
                                                            "sk": {"N": str(rng.randrange(40))}})
                elif op < 0.9:
                    with store.batch() as b:
                        for j in range(rng.randrange(1, 6)):
                            b.put_item(TableName="tab", Item=_random_item(rng, step * 10 + j))
                elif op < 0.93:
                    store.close()
                    store = _open(path, clock)
                elif op < 0.96:  # create or delete the extra GSI; its build runs a few steps at a time
                    if store.tables.get("tab").index("by_v") is None:
                        store.update_table(TableName="tab", AttributeDefinitions=[
                            {"AttributeName": "v", "AttributeType": "N"}],
                            GlobalSecondaryIndexUpdates=[{"Create": extra}])
                    elif store.tables.get("tab").index("by_v").status == "ACTIVE":
                        store.update_table(TableName="tab", GlobalSecondaryIndexUpdates=[
                            {"Delete": {"IndexName": "by_v"}}])
                elif op < 0.98:
                    store.tables.run_jobs(max_steps=1, batch=rng.randrange(1, 30))
                else:
                    clock.advance(rng.randrange(0, 60_000))
                    store.maintain()
            except logstore.errors.ValidationException:
                pass  # a wrong-typed index key: refused, nothing written (checked below like everything else)
            if step % 50 == 0:
                _check_partial(store)
        store.build_indexes()
        _check(store)
        assert store.tables.get("tab").index("by_v") is None or store.tables.get("tab").index(
            "by_v").status == "ACTIVE"
        assert orphans(store) == 0
    finally:
        store.close()


def _check_partial(store) -> None:
    """While a build runs its index may miss entries of items not reached yet, but never holds a wrong one."""
    want, have = expected(store), stored(store)
    tdef = store.tables.get("tab")
    for ix in tdef.index_defs:
        if ix.status == "ACTIVE":
            assert have[ix.name] == want[ix.name], ix.name
        else:
            assert all(e in want[ix.name] for e in have[ix.name]), ix.name


def test_sparse_index_holds_only_items_with_its_keys(tmp_path, clock):
    with _open(tmp_path / "s", clock) as store:
        create(store)
        store.put_item(TableName="tab", Item={"pk": {"S": "a"}, "sk": {"N": "1"}})
        store.put_item(TableName="tab", Item={"pk": {"S": "a"}, "sk": {"N": "2"}, "g": {"S": "x"}})
        store.put_item(TableName="tab", Item={"pk": {"S": "a"}, "sk": {"N": "3"}, "g": {"S": "x"}, "r": {"N": "5"}})
        have = stored(store)
        assert [e["sk"]["N"] for e in have["by_g"]] == ["2", "3"]
        assert [e["sk"]["N"] for e in have["by_g_r"]] == ["3"]
        assert have["by_l"] == []
        store.update_item(TableName="tab", Key={"pk": {"S": "a"}, "sk": {"N": "3"}}, UpdateExpression="REMOVE g")
        assert [e["sk"]["N"] for e in stored(store)["by_g"]] == ["2"]
        assert stored(store)["by_g_r"] == []
        desc = {ix["IndexName"]: ix for ix in store.describe_table(TableName="tab")["Table"]["GlobalSecondaryIndexes"]}
        assert desc["by_g"]["ItemCount"] == 1 and desc["by_g_r"]["ItemCount"] == 0
        assert desc["by_g"]["IndexSizeBytes"] == attrs.item_size(stored(store)["by_g"][0])


def test_projections_are_stored_as_declared(tmp_path, clock):
    with _open(tmp_path / "s", clock) as store:
        create(store)
        item = {"pk": {"S": "a"}, "sk": {"N": "1"}, "g": {"S": "x"}, "r": {"N": "2"}, "l": {"S": "m"},
                "v": {"N": "7"}, "w": {"S": "big"}}
        store.put_item(TableName="tab", Item=item)
        have = stored(store)
        assert have["by_g_r"] == [{"pk": item["pk"], "sk": item["sk"], "g": item["g"], "r": item["r"]}]  # KEYS_ONLY
        assert have["by_g"] == [{"pk": item["pk"], "sk": item["sk"], "g": item["g"], "v": item["v"]}]    # INCLUDE v
        assert have["by_l"] == [item]                                                                   # ALL
        page = store.query(TableName="tab", IndexName="by_g", KeyConditionExpression="g = :g",
                           ExpressionAttributeValues={":g": {"S": "x"}})
        assert page["Items"] == have["by_g"]


def test_index_query_and_scan_pages_follow_aws_order_and_resume(tmp_path, clock, seed):
    rng = random.Random(seed)
    with _open(tmp_path / "s", clock) as store:
        create(store, stream=None)
        with store.batch() as b:
            for i in range(400):
                b.put_item(TableName="tab", Item={"pk": {"S": f"p{i % 13}"}, "sk": {"N": str(i)},
                                                  "g": {"S": f"g{i % 3}"}, "r": {"N": str(rng.randrange(20))}})
        want = [e for e in expected(store)["by_g_r"] if e["g"] == {"S": "g1"}]
        for forward in (True, False):
            got, start = [], None
            while True:
                extra = {"ExclusiveStartKey": start} if start else {}
                page = store.query(TableName="tab", IndexName="by_g_r", KeyConditionExpression="g = :g",
                                   ExpressionAttributeValues={":g": {"S": "g1"}}, Limit=rng.randrange(1, 40),
                                   ScanIndexForward=forward, **extra)
                got += page["Items"]
                start = page.get("LastEvaluatedKey")
                if start is None:
                    break
            assert got == (want if forward else want[::-1])
        ranged = store.query(TableName="tab", IndexName="by_g_r", KeyConditionExpression="g = :g AND r BETWEEN :a AND :b",
                             ExpressionAttributeValues={":g": {"S": "g1"}, ":a": {"N": "5"}, ":b": {"N": "9"}})
        assert ranged["Items"] == [e for e in want if 5 <= int(e["r"]["N"]) <= 9]
        got, start = [], None
        while True:
            extra = {"ExclusiveStartKey": start} if start else {}
            page = store.scan(TableName="tab", IndexName="by_g", Limit=rng.randrange(1, 60), **extra)
            got += page["Items"]
            start = page.get("LastEvaluatedKey")
            if start is None:
                break
        assert got == expected(store)["by_g"]


def test_lsi_reads_through_to_the_table_and_has_no_collection_limit(tmp_path, clock):
    """A local index with a projection other than ALL serves whole items from the table (as AWS fetches
    non-projected attributes). AWS caps an item collection (a hash key's items with its LSI entries) at 10 GB;
    logstore does not (docs/streams-compat.md): a collection is as large as the store."""
    lsi = [{"IndexName": "by_l", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                {"AttributeName": "l", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"}}]
    with _open(tmp_path / "s", clock) as store:
        create(store, gsis=None, lsis=lsi, stream=None)
        with store.batch() as b:
            for i in range(300):
                b.put_item(TableName="tab", Item={"pk": {"S": "one"}, "sk": {"N": str(i)}, "l": {"S": f"{999 - i:04}"},
                                                  "payload": {"S": "z" * 100}})
        page = store.query(TableName="tab", IndexName="by_l", KeyConditionExpression="pk = :p",
                           ExpressionAttributeValues={":p": {"S": "one"}}, Limit=3, Select="ALL_ATTRIBUTES")
        assert [i["sk"]["N"] for i in page["Items"]] == ["299", "298", "297"]
        assert all("payload" in i for i in page["Items"])
        projected = store.query(TableName="tab", IndexName="by_l", KeyConditionExpression="pk = :p",
                                ExpressionAttributeValues={":p": {"S": "one"}}, Limit=3)   # its entries suffice
        assert projected["Items"] == [{k: i[k] for k in ("pk", "sk", "l")} for i in page["Items"]]
        filtered = store.query(TableName="tab", IndexName="by_l", KeyConditionExpression="pk = :p", Limit=3,
                               FilterExpression="begins_with(payload, :z)", ProjectionExpression="sk, payload",
                               ExpressionAttributeValues={":p": {"S": "one"}, ":z": {"S": "zz"}})
        assert filtered["Items"] == [{k: i[k] for k in ("sk", "payload")} for i in page["Items"]]
        assert counts(store)["by_l"][0] == 300


def test_a_write_with_indexes_is_one_transaction(tmp_path, clock):
    with _open(tmp_path / "s", clock) as store:
        create(store)
        before = store.env.info()["last_txnid"]
        store.put_item(TableName="tab", Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "g": {"S": "x"}, "r": {"N": "1"},
                                              "l": {"S": "y"}})
        assert store.env.info()["last_txnid"] == before + 1
        _check(store)
        # a transaction refused as a whole leaves items, entries and records as they were
        arn = store.describe_table(TableName="tab")["Table"]["LatestStreamArn"]
        snapshot = (stored(store), items(store))
        with pytest.raises(logstore.errors.TransactionCanceledException):
            store.transact_write_items(TransactItems=[
                {"Put": {"TableName": "tab", "Item": {"pk": {"S": "b"}, "sk": {"N": "1"}, "g": {"S": "z"}}}},
                {"Delete": {"TableName": "tab", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}},
                            "ConditionExpression": "attribute_not_exists(pk)"}}])
        assert (stored(store), items(store)) == snapshot
        shard = store.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        it = store.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        assert len(store.get_records(ShardIterator=it["ShardIterator"])["Records"]) == 1


def test_gsi_created_on_a_populated_table_backfills_without_losing_concurrent_writes(tmp_path, clock):
    with _open(tmp_path / "s", clock) as store:
        create(store, gsis=None, lsis=None)
        with store.batch() as b:
            for i in range(1000):
                b.put_item(TableName="tab", Item={"pk": {"S": f"p{i % 7}"}, "sk": {"N": str(i)}, "g": {"S": f"g{i % 5}"}})
        store.update_table(TableName="tab", AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
                           GlobalSecondaryIndexUpdates=[{"Create": GSIS[1]}])
        desc = store.describe_table(TableName="tab")["Table"]["GlobalSecondaryIndexes"][0]
        assert desc["IndexStatus"] == "CREATING" and desc["Backfilling"] is True
        with pytest.raises(logstore.errors.ValidationException, match="backfilling global secondary index: by_g"):
            store.query(TableName="tab", IndexName="by_g", KeyConditionExpression="g = :g",
                        ExpressionAttributeValues={":g": {"S": "g1"}})
        with pytest.raises(logstore.errors.LimitExceededException):
            store.update_table(TableName="tab", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by_g"}}])
        steps = 0
        while store.tables.run_jobs(max_steps=1, batch=50):
            steps += 1
            # writes behind and ahead of the backfill's position, each kept by the write path
            store.put_item(TableName="tab", Item={"pk": {"S": "p0"}, "sk": {"N": str(steps)}, "g": {"S": "new"}})
            store.delete_item(TableName="tab", Key={"pk": {"S": "p6"}, "sk": {"N": str(1000 - 7 * steps + 6)}})
            store.update_item(TableName="tab", Key={"pk": {"S": "p3"}, "sk": {"N": str(7 * steps + 3)}},
                              UpdateExpression="REMOVE g")
        assert steps >= 20
        desc = store.describe_table(TableName="tab")["Table"]["GlobalSecondaryIndexes"][0]
        assert desc["IndexStatus"] == "ACTIVE" and "Backfilling" not in desc
        _check(store)


def test_background_builder_finishes_a_build_queued_before_a_restart(tmp_path, clock):
    path = tmp_path / "s"
    with _open(path, clock) as store:
        create(store, gsis=None, lsis=None, stream=None)
        with store.batch() as b:
            for i in range(600):
                b.put_item(TableName="tab", Item={"pk": {"S": f"p{i}"}, "sk": {"N": "0"}, "g": {"S": "x"}})
        store.update_table(TableName="tab", AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
                           GlobalSecondaryIndexUpdates=[{"Create": GSIS[1]}])
        store.tables.run_jobs(max_steps=1)
    with _open(path, clock, index_builds=True) as store:
        for _ in range(200):
            if store.tables.get("tab").index("by_g").status == "ACTIVE":
                break
            time.sleep(0.05)
        assert store.tables.get("tab").index("by_g").status == "ACTIVE"
        _check(store)


def test_deleted_tables_and_indexes_leave_nothing_behind(tmp_path, clock):
    with _open(tmp_path / "s", clock) as store:
        create(store)
        store.update_time_to_live(TableName="tab", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
        with store.batch() as b:
            for i in range(700):
                b.put_item(TableName="tab", Item={"pk": {"S": f"p{i % 9}"}, "sk": {"N": str(i)}, "g": {"S": "x"},
                                                  "r": {"N": "1"}, "l": {"S": "y"}, "exp": {"N": "2000000000"}})
        store.update_table(TableName="tab", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by_g"}}])
        assert [ix["IndexName"] for ix in store.describe_table(TableName="tab")["Table"][
            "GlobalSecondaryIndexes"]] == ["by_g_r"]
        with pytest.raises(logstore.errors.ValidationException, match="does not have the specified index"):
            store.scan(TableName="tab", IndexName="by_g")
        create(store, name="other", stream=None)
        store.put_item(TableName="other", Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "g": {"S": "x"}})
        store.delete_table(TableName="tab")
        assert orphans(store) > 0
        assert store.build_indexes() > 4          # bounded steps: several per 700 items
        assert orphans(store) == 0
        _check_other = stored(store, "other")
        assert _check_other == expected(store, "other")


BACKFILL_RUNNER = Path(__file__).resolve().parent / "procs" / "backfill_runner.py"


@pytest.mark.slow
def test_a_backfill_killed_mid_way_resumes_and_agrees_with_the_table(tmp_path, seed):
    """A real process runs the build and writes between its steps; SIGKILL lands mid-build (twice). After each kill
    the index holds no wrong entry, and once resumed it equals the brute-force index."""
    path = tmp_path / "s"
    clock = logstore.clock.SYSTEM_CLOCK
    with logstore.open(path, durable=True, index_builds=False) as store:
        create(store, gsis=None, lsis=None, stream="NEW_IMAGE")
        with store.batch() as b:
            for i in range(2000):
                b.put_item(TableName="tab", Item={"pk": {"S": f"p{i % 11}"}, "sk": {"N": str(i)},
                                                  "g": {"S": f"g{i % 5}"}})
        store.update_table(TableName="tab", AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
                           GlobalSecondaryIndexUpdates=[{"Create": GSIS[1]}])
    for round_no, kill_after in enumerate((15, 30)):
        with Proc([BACKFILL_RUNNER, path, seed + round_no], workdir=tmp_path, name="backfill") as proc:
            proc.expect(f"step {kill_after}", timeout=120)
            proc.kill()
        with _open(path, clock) as store:
            assert store.tables.get("tab").index("by_g").status == "CREATING"
            _check_partial(store)
    with _open(path, clock) as store:
        store.build_indexes()
        assert store.tables.get("tab").index("by_g").status == "ACTIVE"
        _check(store)
