"""Closing and reopening a store mid-workload: streams, shards, records and iterators survive; sequence numbers
keep increasing."""
from __future__ import annotations

import msgpack
import pytest

from apihelpers import Api, MINUTE_MS, item
from logstore.errors import ExpiredIteratorException
from logstore.tables.catalog import TableDef


def _seqs(records):
    return [int(r["dynamodb"]["SequenceNumber"]) for r in records]


@pytest.mark.parametrize("durable", [False, True])
def test_restart_mid_workload(open_store, tmp_path, clock, durable):
    path = tmp_path / "restart"
    store = open_store(path, durable=durable)
    api = Api(store, clock)
    arn = api.create_table("orders")
    for i in range(5):
        store.put_item(TableName="orders", Item=item(f"k{i}", v=i))
    shards_before = api.shards(arn)
    before = api.all_records(arn)
    it = api.iterator(arn, kind="TRIM_HORIZON")
    page = api.read(it, limit=2)
    nxt = page["NextShardIterator"]
    store.close()

    clock.advance(MINUTE_MS)
    store = open_store(path, durable=durable)
    api = Api(store, clock)
    assert api.shards(arn) == shards_before
    assert api.all_records(arn) == before                      # same records, same eventIDs
    assert api.describe(arn)["StreamStatus"] == "ENABLED"
    for i in range(5, 10):
        store.put_item(TableName="orders", Item=item(f"k{i}", v=i))
    after = api.all_records(arn)
    assert after[:5] == before
    seqs = _seqs(after)
    assert all(a < b for a, b in zip(seqs, seqs[1:]))           # numbers keep increasing across the restart
    assert len(set(r["eventID"] for r in after)) == 10

    # iterators issued before the restart still work (the token key is persistent) ...
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in api.drain(it)[0]] == [f"k{i}" for i in range(10)]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in api.drain(nxt)[0]] == [f"k{i}" for i in range(2, 10)]
    # ... until they expire: 15 minutes after they were issued
    clock.advance(14 * MINUTE_MS + 1)
    with pytest.raises(ExpiredIteratorException):
        api.read(it)


def test_restart_keeps_disabled_streams_and_table_stream_members(open_store, tmp_path, clock):
    path = tmp_path / "restart"
    store = open_store(path)
    api = Api(store, clock)
    old = api.create_table("orders")
    store.put_item(TableName="orders", Item=item("a"))
    clock.advance(1000)
    api.disable("orders")
    clock.advance(1000)
    new = api.enable("orders", "KEYS_ONLY")
    desc_before = store.describe_table(TableName="orders")["Table"]
    store.close()

    store = open_store(path)
    api = Api(store, clock)
    desc = store.describe_table(TableName="orders")["Table"]
    assert {k: desc[k] for k in ("StreamSpecification", "LatestStreamArn", "LatestStreamLabel")} == {
        k: desc_before[k] for k in ("StreamSpecification", "LatestStreamArn", "LatestStreamLabel")}
    assert desc["LatestStreamArn"] == new
    assert api.describe(old)["StreamStatus"] == "DISABLED"
    assert [r["eventName"] for r in api.all_records(old)] == ["INSERT"]
    store.put_item(TableName="orders", Item=item("b"))
    assert [r["dynamodb"]["Keys"] for r in api.all_records(new)] == [{"pk": {"S": "b"}}]
    assert int(api.all_records(new)[0]["dynamodb"]["SequenceNumber"]) > int(
        api.all_records(old)[0]["dynamodb"]["SequenceNumber"])


def test_restart_keeps_the_table_class_and_when_it_changed(open_store, tmp_path, clock):
    path = tmp_path / "restart"
    store = open_store(path)
    Api(store, clock).create_table("orders")
    clock.advance(5000)
    summary = store.update_table(TableName="orders", TableClass="STANDARD_INFREQUENT_ACCESS")["TableDescription"][
        "TableClassSummary"]
    assert summary == {"TableClass": "STANDARD_INFREQUENT_ACCESS", "LastUpdateDateTime": clock.now_ms() / 1000}
    store.close()

    store = open_store(path)
    assert store.describe_table(TableName="orders")["Table"]["TableClassSummary"] == summary


def test_restart_keeps_the_kms_key_and_a_definition_without_one_reads_as_aws_own_key(open_store, tmp_path, clock):
    path = tmp_path / "restart"
    store = open_store(path)
    Api(store, clock).create_table("orders")
    Api(store, clock).create_table("plain")
    store.update_table(TableName="orders", SSESpecification={
        "Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": "alias/orders"})
    sse = store.describe_table(TableName="orders")["Table"]["SSEDescription"]
    assert sse["KMSMasterKeyArn"].endswith(":alias/orders") and sse["Status"] == "ENABLED"
    store.close()

    store = open_store(path)
    assert store.describe_table(TableName="orders")["Table"]["SSEDescription"] == sse
    assert "SSEDescription" not in store.describe_table(TableName="plain")["Table"]


def test_a_table_definition_written_before_later_fields_reads_with_their_defaults():
    """Fields added within format version 2 (docs/format.md "Table definition") read as nil when absent."""
    tdef = TableDef("orders", 1, (("pk", "S"),), (("pk", "S"),), 0, "id", table_class="STANDARD",
                    table_class_updated_ms=5, sse_kms_key="arn:aws:kms:us-east-1:000000000000:key/k",
                    on_demand_throughput={"MaxReadRequestUnits": 7},
                    warm_throughput={"ReadUnitsPerSecond": 13000, "WriteUnitsPerSecond": 4000}, pay_per_request_ms=9)
    assert TableDef.from_msgpack(tdef.to_msgpack()) == tdef
    fields = msgpack.unpackb(tdef.to_msgpack(), raw=False)
    later = ("table_class", "table_class_updated_ms", "sse_kms_key", "on_demand_throughput", "warm_throughput",
             "pay_per_request_ms")
    for name in later:
        del fields[name]
    old = TableDef.from_msgpack(msgpack.packb(fields, use_bin_type=True))
    assert [getattr(old, name) for name in later] == [None] * len(later)
    assert old.name == "orders" and old.key_schema == (("pk", "S"),)


def test_restart_with_an_earlier_clock_keeps_numbers_and_times_monotonic(open_store, tmp_path, clock):
    """The clock may go backwards across a restart; sequence numbers must still increase within the shard."""
    path = tmp_path / "restart"
    store = open_store(path)
    api = Api(store, clock)
    arn = api.create_table("orders")
    store.put_item(TableName="orders", Item=item("a"))
    store.close()
    clock.advance(-MINUTE_MS)
    store = open_store(path)
    api = Api(store, clock)
    store.put_item(TableName="orders", Item=item("b"))
    records = api.all_records(arn)
    assert _seqs(records)[0] < _seqs(records)[1]
