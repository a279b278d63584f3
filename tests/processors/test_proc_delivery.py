"""Delivery: batches, their order across splits and rollovers (parents fully before children), LATEST and
TRIM_HORIZON, the batching window, parallelization lanes, filters, and resuming from checkpoints."""
from __future__ import annotations

import random
import time

import pytest

from logstore.errors import InvalidProcessorConfig
from logstore.processors import Processor, ProcessorConfig
from prochelpers import HOUR_MS, Recorder, assert_in_order_once, create_table, open_shards, put


def test_lambda_event_shape(store, processors):
    create_table(store)
    put(store, "a", 1)
    store.delete_item(TableName="orders", Key={"pk": {"S": "a"}})
    rec = Recorder()
    p = processors(Processor.embedded(store, "orders", rec))
    p.wait_idle()
    insert, remove = rec.records
    arn = store.list_streams(TableName="orders")["Streams"][0]["StreamArn"]
    assert list(insert) == ["eventID", "eventName", "eventVersion", "eventSource", "awsRegion", "dynamodb",
                            "eventSourceARN"]
    assert (insert["eventName"], insert["eventVersion"], insert["eventSource"], insert["eventSourceARN"]) == (
        "INSERT", "1.1", "aws:dynamodb", arn)
    assert insert["dynamodb"]["NewImage"] == {"pk": {"S": "a"}, "v": {"N": "1"}}
    assert remove["eventName"] == "REMOVE" and remove["dynamodb"]["OldImage"]["v"] == {"N": "1"}
    # the same records GetRecords serves, plus eventSourceARN
    shard = open_shards(store, arn)[0]
    it = store.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    served = store.get_records(ShardIterator=it)["Records"]
    assert [dict(r, eventSourceARN=arn) for r in served] == rec.records


def test_binary_values_arrive_as_base64_text(store, processors):
    create_table(store)
    store.put_item(TableName="orders", Item={"pk": {"S": "b"}, "blob": {"B": b"\x00\x01*A"},
                                             "set": {"BS": [b"\xff"]}})
    rec = Recorder()
    processors(Processor.embedded(store, "orders", rec)).wait_idle()
    image = rec.records[0]["dynamodb"]["NewImage"]
    assert image["blob"] == {"B": "AAEqQQ=="} and image["set"] == {"BS": ["/w=="]}


def test_batches_respect_batch_size_and_order(store, processors):
    create_table(store)
    for i in range(1, 251):
        put(store, "k", i)
    rec = Recorder()
    processors(Processor.embedded(store, "orders", rec, ProcessorConfig(batch_size=100))).wait_idle()
    assert [len(b) for b in rec.batches] == [100, 100, 50]
    assert rec.versions() == {"k": list(range(1, 251))}


def test_order_across_splits_and_rollovers(store, clock, processors, seed):
    """Random writes to 40 keys with splits and 4-hour rollovers between them, the processor running all the
    while: every key's versions arrive once each, in order, and no child shard's record before its parent's."""
    rng = random.Random(seed)
    arn = create_table(store)
    rec = Recorder()
    p = processors(Processor.embedded(store, "orders", rec, ProcessorConfig(batch_size=rng.choice([1, 7, 50]))))
    versions: dict[str, int] = {}
    for step in range(30):
        for _ in range(rng.randint(1, 40)):
            pk = f"key{rng.randrange(40)}"
            versions[pk] = versions.get(pk, 0) + 1
            put(store, pk, versions[pk])
        action = rng.random()
        if action < 0.3:
            shards = open_shards(store, arn)
            if len(shards) < 8:
                store.split_shard(StreamArn=arn, ShardId=rng.choice(shards))
        elif action < 0.45:
            clock.advance(4 * HOUR_MS)
            store.maintain()
        if rng.random() < 0.3:
            p.wait_idle()
    p.wait_idle()
    assert_in_order_once(rec.versions(), versions)
    shards = store.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    assert len(shards) > 3
    parent_of = {s["ShardId"]: s.get("ParentShardId") for s in shards}
    # batches are in sequence order, and a child's first batch comes after its parent's last
    first_seen, last_seen = {}, {}
    for i, (shard, batch) in enumerate(zip(rec.shards, rec.batches)):
        seqs = [int(r["dynamodb"]["SequenceNumber"]) for r in batch]
        assert seqs == sorted(seqs)
        first_seen.setdefault(shard, i)
        last_seen[shard] = i
    assert len(first_seen) > 3
    for child, parent in parent_of.items():
        if parent in last_seen and child in first_seen:
            assert last_seen[parent] < first_seen[child], (parent, child)
    assert all(cp.done or cp.shard_id in open_shards(store, arn) for cp in p.checkpoints.load().values())


def test_restart_resumes_after_the_last_checkpoint(store, processors):
    create_table(store)
    for i in range(1, 51):
        put(store, "k", i)
    first = Recorder()
    p = processors(Processor.embedded(store, "orders", first, ProcessorConfig(batch_size=10), name="audit"))
    p.wait_idle()
    p.stop()
    for i in range(51, 61):
        put(store, "k", i)
    second = Recorder()
    processors(Processor.embedded(store, "orders", second, ProcessorConfig(batch_size=10), name="audit")).wait_idle()
    assert first.versions() == {"k": list(range(1, 51))}
    assert second.versions() == {"k": list(range(51, 61))}
    # another name has its own checkpoints and starts from the beginning
    third = Recorder()
    processors(Processor.embedded(store, "orders", third, name="other")).wait_idle()
    assert len(third.records) == 60


def test_a_name_too_long_for_a_checkpoint_key_is_refused_when_the_processor_is_made(store, processors):
    """A checkpoint's key (name, stream ARN, shard id) must fit LMDB's 511-byte key: a name that leaves no room
    is a clear InvalidProcessorConfig up front, not py-lmdb's BadValsizeError at the first checkpoint."""
    arn = create_table(store)
    put(store, "k", 1)
    room = 511 - 65 - len(f"\0{arn}\0".encode())
    with pytest.raises(InvalidProcessorConfig, match=f"at most {room} with this stream's ARN"):
        Processor.embedded(store, "orders", Recorder(), name="n" * (room + 1))
    rec = Recorder()
    processors(Processor.embedded(store, "orders", rec, name="é" * (room // 2))).wait_idle()
    assert rec.versions() == {"k": [1]}


def test_latest_starts_after_the_newest_record_and_survives_restart(store, clock, processors):
    arn = create_table(store)
    put(store, "old", 1)
    store.split_shard(StreamArn=arn, ShardId=open_shards(store, arn)[0])
    put(store, "old", 2)
    rec = Recorder()
    p = processors(Processor.embedded(store, "orders", rec, ProcessorConfig(starting_position="LATEST"), name="n"))
    p.wait_idle()
    assert rec.records == []
    p.stop()
    put(store, "new", 1)   # written while the processor is down: LATEST was fixed at its first start
    clock.advance(4 * HOUR_MS)
    store.maintain()       # rollover: the child starts at its beginning
    put(store, "new", 2)
    processors(Processor.embedded(store, "orders", rec, ProcessorConfig(starting_position="LATEST"),
                                  name="n")).wait_idle()
    assert rec.versions() == {"new": [1, 2]}


def test_batching_window_gathers_records(store, processors):
    create_table(store)
    rec = Recorder()
    p = processors(Processor.embedded(store, "orders", rec, ProcessorConfig(batch_size=1000,
                                                                            batching_window_s=0.5)))
    for i in range(1, 6):
        put(store, "k", i)
        time.sleep(0.02)
    p.wait_idle()
    assert [len(b) for b in rec.batches] == [5]


def test_parallelization_keeps_per_key_order(store, processors, seed):
    rng = random.Random(seed)
    arn = create_table(store)
    versions: dict[str, int] = {}
    for i in range(600):
        pk = f"key{rng.randrange(30)}"
        versions[pk] = versions.get(pk, 0) + 1
        put(store, pk, versions[pk])
        if i == 300:
            store.split_shard(StreamArn=arn, ShardId=open_shards(store, arn)[0])
    rec = Recorder()
    threads = set()

    def handler(event, context):
        threads.add(__import__("threading").current_thread().name)
        time.sleep(0.002)
        rec(event, context)
    processors(Processor.embedded(store, "orders", handler, ProcessorConfig(
        batch_size=10, parallelization_factor=4))).wait_idle()
    assert_in_order_once(rec.versions(), versions)
    assert len(threads) > 1
    for batch in rec.batches:
        assert len(batch) <= 10


def test_filters_skip_and_checkpoint_past_non_matching_records(store, processors):
    create_table(store)
    for i in range(1, 21):
        put(store, f"k{i}", 1, status="shipped" if i % 5 == 0 else "new")
    rec = Recorder()
    pattern = {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"status": {"S": ["shipped"]}}}}
    p = processors(Processor.embedded(store, "orders", rec, ProcessorConfig(filters=[pattern]), name="f"))
    p.wait_idle()
    assert sorted(r["dynamodb"]["Keys"]["pk"]["S"] for r in rec.records) == ["k10", "k15", "k20", "k5"]
    [cp] = p.checkpoints.load().values()
    last = store.describe_stream(StreamArn=p.source.stream_arn)["StreamDescription"]["Shards"][0]
    assert int(cp.after) == int(last["SequenceNumberRange"]["StartingSequenceNumber"]) + 20
    assert p.stats()[0].filtered == 16


def test_options_are_checked():
    for bad in (dict(batch_size=0), dict(batch_size=10_001), dict(parallelization_factor=11),
                dict(starting_position="AT_TIMESTAMP"), dict(max_retry_attempts=-2), dict(max_record_age_s=30),
                dict(filters=[{"a": "not a list"}]), dict(on_failure="sqs:queue")):
        with pytest.raises(InvalidProcessorConfig):
            ProcessorConfig(**bad)
    cfg = ProcessorConfig.from_aws({"BatchSize": 500, "StartingPosition": "LATEST", "ParallelizationFactor": 2,
                                    "MaximumRetryAttempts": 3, "BisectBatchOnFunctionError": True,
                                    "FunctionResponseTypes": ["ReportBatchItemFailures"],
                                    "FilterCriteria": {"Filters": [{"Pattern": '{"eventName": ["REMOVE"]}'}]},
                                    "DestinationConfig": {"OnFailure": {"Destination": "file:/tmp/x"}}})
    assert (cfg.batch_size, cfg.starting_position, cfg.parallelization_factor, cfg.max_retry_attempts,
            cfg.bisect_on_error, cfg.report_batch_item_failures, cfg.on_failure) == (
        500, "LATEST", 2, 3, True, True, "file:/tmp/x")


def test_ttl_deletions_carry_the_service_identity_and_can_be_filtered(store, clock, processors):
    create_table(store)
    store.update_time_to_live(TableName="orders", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    put(store, "keep", 1)
    put(store, "expire", 1, exp=clock.now_ms() // 1000 - 10)
    clock.advance(60_000)
    store.maintain()
    rec = Recorder()
    pattern = {"userIdentity": {"type": ["Service"], "principalId": ["dynamodb.amazonaws.com"]}}
    processors(Processor.embedded(store, "orders", rec, ProcessorConfig(filters=[pattern]))).wait_idle()
    [record] = rec.records
    assert record["eventName"] == "REMOVE" and record["dynamodb"]["Keys"] == {"pk": {"S": "expire"}}
    assert record["userIdentity"] == {"type": "Service", "principalId": "dynamodb.amazonaws.com"}


def test_stop_waits_for_the_in_flight_batch_and_checkpoints_it(store, processors):
    import threading
    create_table(store)
    for i in range(1, 6):
        put(store, "k", i)
    entered, release = threading.Event(), threading.Event()
    rec = Recorder()

    def slow(event, context):
        entered.set()
        release.wait(10)
        rec(event, context)
    p = processors(Processor.embedded(store, "orders", slow, name="s"))
    assert entered.wait(10)
    stopper = threading.Thread(target=p.stop)
    stopper.start()
    time.sleep(0.1)
    assert stopper.is_alive()        # stop waits for the handler
    release.set()
    stopper.join(10)
    put(store, "k", 6)
    again = Recorder()
    processors(Processor.embedded(store, "orders", again, name="s")).wait_idle()
    assert rec.versions() == {"k": [1, 2, 3, 4, 5]} and again.versions() == {"k": [6]}
