"""Catalogue entries are sealed (format version 2, docs/format.md "Integrity"): one flipped bit in any catalogue
value is CorruptionError naming the database on the read that meets it (embedded and over HTTP an
InternalServerError saying the store is damaged), and `logstore check` reports it and exits 1; nothing is served
from a damaged value."""
from __future__ import annotations

import pytest

import logstore
from clihelpers import Raw, run_json
from logstore.errors import CorruptionError
from logstore.stream import StreamPolicy

TABLE = "cat"


@pytest.fixture
def store_path(tmp_path):
    path = tmp_path / "s"
    with logstore.open(path) as store:
        store.create_table(
            TableName=TABLE, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
        for i in range(5):
            store.put_item(TableName=TABLE, Item={"pk": {"S": f"k{i}"}})
    return path


def flip_first(path, db: str) -> bytes:
    with Raw(path) as raw:
        key, value = raw.items(db)[0]
        raw.put(db, key, value[:-1] + bytes([value[-1] ^ 0x10]))
    return key


def read_everything(store) -> None:
    store.describe_table(TableName=TABLE)
    store.get_item(TableName=TABLE, Key={"pk": {"S": "k1"}})
    for s in store.list_streams()["Streams"]:
        for shard in store.describe_stream(StreamArn=s["StreamArn"])["StreamDescription"]["Shards"]:
            it = store.get_shard_iterator(StreamArn=s["StreamArn"], ShardId=shard["ShardId"],
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            store.get_records(ShardIterator=it)


def test_an_undamaged_store_reads_and_checks_clean(store_path):
    with logstore.open(store_path, readonly=True) as store:
        read_everything(store)
    assert run_json("check", store_path)["problems"] == []


@pytest.mark.parametrize("db", ["tables", "streams", "stream_arns", "shards", "stream_shards"])
def test_a_damaged_catalogue_value_is_reported_never_served(store_path, db):
    flip_first(store_path, db)
    with logstore.open(store_path, readonly=True) as store:
        with pytest.raises(CorruptionError) as e:
            read_everything(store)
    assert f"{db} entry" in str(e.value) and "checksum mismatch" in str(e.value), e.value
    data = run_json("check", store_path, ok_codes=(1,))
    assert any(f"{db} entry" in p["message"] for p in data["problems"]), data["problems"]


def test_a_damaged_stream_policy_is_reported(store_path):
    with logstore.open(store_path, stream_policy=StreamPolicy(rollover_ms=3_600_000)):
        pass   # records the policy
    with Raw(store_path) as raw:
        value = dict(raw.items("meta"))[b"stream_policy"]
        raw.put("meta", b"stream_policy", value[:-1] + bytes([value[-1] ^ 1]))
    with pytest.raises(CorruptionError, match="meta entry stream_policy"):
        with logstore.open(store_path):
            pass
