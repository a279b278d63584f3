"""Remote mode: the same processor through a boto3 ``dynamodbstreams`` client (here answered in-process by the
store through remote_adapter; tests/server's fixture runs the same against a real ``logstore serve``), with
checkpoints in a separate local store: the same events, order across splits, failures, and resuming."""
from __future__ import annotations

import json

from logstore.processors import Processor, ProcessorConfig
from prochelpers import Recorder, assert_in_order_once, create_plain_table, create_table, open_shards, put
from remote_adapter import embedded_client


def test_remote_events_equal_embedded_events(store, open_store, tmp_path, processors):
    create_table(store)
    store.put_item(TableName="orders", Item={"pk": {"S": "b"}, "blob": {"B": b"\x00\x01*A"}, "v": {"N": "1"},
                                             "m": {"M": {"x": {"B": b"\xff"}, "l": {"L": [{"B": b"\x01"}, {"S": "s"}]}}},
                                             "bs": {"BS": [b"\x02", b"\x03"]}})
    put(store, "a", 1)
    store.delete_item(TableName="orders", Key={"pk": {"S": "a"}})
    embedded, remote = Recorder(), Recorder()
    processors(Processor.embedded(store, "orders", embedded)).wait_idle()
    local = open_store(tmp_path / "checkpoints")
    processors(Processor.remote(embedded_client(store), "orders", remote, local,
                                ProcessorConfig(poll_interval_s=0.01))).wait_idle()
    assert remote.records == embedded.records
    assert json.loads(json.dumps(remote.records)) == remote.records     # plain JSON, as Lambda's event


def test_remote_order_across_splits_and_restart(store, open_store, tmp_path, processors):
    arn = create_table(store)
    client = embedded_client(store)
    local = open_store(tmp_path / "checkpoints")
    versions: dict[str, int] = {}

    def write(n):
        for i in range(n):
            pk = f"key{i % 13}"
            versions[pk] = versions.get(pk, 0) + 1
            put(store, pk, versions[pk])
    write(120)
    store.split_shard(StreamArn=arn, ShardId=open_shards(store, arn)[0])
    write(80)
    rec = Recorder()
    cfg = ProcessorConfig(batch_size=17, poll_interval_s=0.01)
    p = processors(Processor.remote(client, "orders", rec, local, cfg, name="replica"))
    p.wait_idle()
    p.stop()
    store.split_shard(StreamArn=arn, ShardId=open_shards(store, arn)[0])
    write(60)
    processors(Processor.remote(client, "orders", rec, local, cfg, name="replica")).wait_idle()
    assert_in_order_once(rec.versions(), versions)
    assert local.env.path != store.env.path
    assert p.checkpoints.load()   # kept in the local store


def test_remote_bisection_and_on_failure_table_in_the_local_store(store, open_store, tmp_path, processors):
    create_table(store)
    for i in range(20):
        put(store, f"k{i}", 1)
    local = open_store(tmp_path / "checkpoints")
    create_plain_table(local, "failures")
    got = []

    def handler(event, context):
        if any(r["dynamodb"]["Keys"]["pk"]["S"] == "k7" for r in event["Records"]):
            raise ValueError("poison")
        got.extend(r["dynamodb"]["Keys"]["pk"]["S"] for r in event["Records"])
    processors(Processor.remote(embedded_client(store), "orders", handler, local, ProcessorConfig(
        batch_size=20, bisect_on_error=True, max_retry_attempts=0, retry_delay_s=0.001,
        on_failure="table:failures", poll_interval_s=0.01))).wait_idle()
    assert got == [f"k{i}" for i in range(20) if i != 7]
    [item] = local.scan(TableName="failures")["Items"]
    assert json.loads(item["failure"]["S"])["DDBStreamBatchInfo"]["batchSize"] == 1


def test_remote_latest(store, open_store, tmp_path, processors):
    create_table(store)
    put(store, "old", 1)
    local = open_store(tmp_path / "checkpoints")
    rec = Recorder()
    p = processors(Processor.remote(embedded_client(store), "orders", rec, local, ProcessorConfig(
        starting_position="LATEST", poll_interval_s=0.01)))
    p.wait_idle()
    put(store, "new", 1)
    p.wait_idle()
    assert rec.versions() == {"new": [1]}
