"""Shards and streams found by key: DescribeStream pages (with ExclusiveStartShardId and CHILD_SHARDS), GetShardIterator
and ListStreams pages over many shards and streams agree with the full listings they replaced."""
from __future__ import annotations

import random

import pytest

import logstore
from logstore.clock import FakeClock
from logstore.stream import StreamPolicy

START_MS = 1_700_000_000_000
MIN_MS = 60_000


def _table(store, name: str) -> str:
    store.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                       BillingMode="PAY_PER_REQUEST",
                       StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    return store.describe_table(TableName=name)["Table"]["LatestStreamArn"]


def _all_shards(store, arn: str, limit: int, **extra) -> list[dict]:
    out, start = [], None
    while True:
        more = {"ExclusiveStartShardId": start} if start else {}
        desc = store.describe_stream(StreamArn=arn, Limit=limit, **extra, **more)["StreamDescription"]
        out += desc["Shards"]
        start = desc.get("LastEvaluatedShardId")
        if start is None:
            return out


def test_describe_stream_pages_and_child_filters_over_many_shards(tmp_path, seed):
    rng = random.Random(seed)
    clock = FakeClock(START_MS)
    policy = StreamPolicy(rollover_ms=MIN_MS, initial_partitions=4, split_rate=None)
    with logstore.open(tmp_path / "s", clock=clock, durable=False, stream_policy=policy,
                       index_builds=False) as store:
        arn = _table(store, "tab")
        other = _table(store, "other")   # its shards interleave with tab's in number
        for i in range(60):
            clock.advance(MIN_MS)
            for name in ("tab", "other"):
                store.put_item(TableName=name, Item={"pk": {"S": f"k{rng.randrange(50)}"}})
            if rng.random() < 0.1:
                desc = store.describe_stream(StreamArn=arn)["StreamDescription"]
                open_ = [s["ShardId"] for s in _all_shards(store, arn, 100)
                         if "EndingSequenceNumber" not in s["SequenceNumberRange"]]
                store.split_shard(StreamArn=arn, ShardId=rng.choice(open_))
                assert desc["StreamArn"] == arn
        with store.env.begin_read() as txn:
            info = store.streams.catalog.stream_by_arn(txn, arn)
            reference = [s.shard_id for s in store.streams.catalog.shards(txn, info.stream_no)]
            everything = store.streams.catalog.shards(txn, info.stream_no)
        assert len(reference) > 30   # rolls and splits vary with the seed: 40 or so
        for limit in (1, 7, 100):
            assert [s["ShardId"] for s in _all_shards(store, arn, limit)] == reference
        for parent in rng.sample(everything, 20):
            want = [s.shard_id for s in everything if s.parent_no == parent.shard_no]
            got = [s["ShardId"] for s in _all_shards(store, arn, 1, ShardFilter={
                "Type": "CHILD_SHARDS", "ShardId": parent.shard_id})]
            assert got == want and (want or parent.end_seq is None)
        shard = rng.choice(reference)
        assert store.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        other_shard = store.describe_stream(StreamArn=other)["StreamDescription"]["Shards"][0]["ShardId"]
        for missing in (other_shard, "shardId-00000001700000000000-ffffffff"):
            with pytest.raises(logstore.errors.ResourceNotFoundException):
                store.get_shard_iterator(StreamArn=arn, ShardId=missing, ShardIteratorType="TRIM_HORIZON")
            page = store.describe_stream(StreamArn=arn, ExclusiveStartShardId=missing)["StreamDescription"]
            assert page["Shards"] == [] and "LastEvaluatedShardId" not in page


def test_list_streams_pages_by_key(tmp_path, seed):
    rng = random.Random(seed)
    clock = FakeClock(START_MS)
    with logstore.open(tmp_path / "s", clock=clock, durable=False, index_builds=False) as store:
        arns = {}
        for n in range(12):
            name = f"t{n:02}"
            arns[name] = [_table(store, name)]
            for _ in range(rng.randrange(3)):   # disabled streams stay listed
                clock.advance(5)
                store.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
                store.update_table(TableName=name, StreamSpecification={"StreamEnabled": True,
                                                                        "StreamViewType": "KEYS_ONLY"})
                arns[name].append(store.describe_table(TableName=name)["Table"]["LatestStreamArn"])
        for table in (None, "t03", "t11", "nope"):
            want = sorted(a for n, a_s in arns.items() for a in a_s if table is None or n == table)
            got, start = [], None
            while True:
                extra = {"TableName": table} if table else {}
                if start:
                    extra["ExclusiveStartStreamArn"] = start
                page = store.list_streams(Limit=rng.randrange(1, 5), **extra)
                got += [s["StreamArn"] for s in page["Streams"]]
                start = page.get("LastEvaluatedStreamArn")
                if start is None:
                    break
            assert got == want, table


def test_a_maintenance_round_over_many_shards_is_bounded_transactions(tmp_path):
    """A round visits at most MAINTAIN_SHARDS shards per write transaction and still finishes the round: every
    shard of 700 is trimmed and dropped once its records and the retention period have passed."""
    from logstore.api.store import MAINTAIN_SHARDS
    clock = FakeClock(START_MS)
    policy = StreamPolicy(rollover_ms=MIN_MS, retention_ms=10 * MIN_MS, initial_partitions=10, split_rate=None)
    with logstore.open(tmp_path / "s", clock=clock, durable=False, stream_policy=policy,
                       index_builds=False) as store:
        arn = _table(store, "tab")
        for i in range(300):
            store.put_item(TableName="tab", Item={"pk": {"S": f"k{i}"}})
        with store.env.begin_read() as txn:
            stream_no = store.streams.catalog.stream_by_arn(txn, arn).stream_no
        for _ in range(69):
            clock.advance(MIN_MS)
            store.env.write(lambda txn: store.streams.roll(txn, stream_no))
        assert len(_all_shards(store, arn, 100)) == 700
        clock.advance(20 * MIN_MS)
        before = store.env.info()["last_txnid"]
        report = store.maintain()
        assert store.env.info()["last_txnid"] - before >= 700 // MAINTAIN_SHARDS + 1
        assert report.records_trimmed == 300 and report.rolled == 10
        assert report.shards_deleted == 690      # every shard closed before the horizon
        assert len(_all_shards(store, arn, 100)) == 20   # the 10 this round closed, and their 10 children
