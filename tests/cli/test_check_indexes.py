"""``logstore check`` on stored indexes: a healthy store with GSIs, an LSI and TTL (also mid-build) has no
problems; a missing entry, an entry that differs from its item, a stray entry and a wrong counter are each
found (kind "index", naming the table, index and key) with exit status 1. Faults are written with raw LMDB."""
from __future__ import annotations

import msgpack
import pytest

import logstore
from logstore.storage.sealed import SEAL_BYTES, seal
from clihelpers import START_MS, Raw, run_json
from logstore.clock import FakeClock

GSI = {"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
       "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["v"]}}
LSI = {"IndexName": "by_l", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                          {"AttributeName": "l", "KeyType": "RANGE"}],
       "Projection": {"ProjectionType": "KEYS_ONLY"}}


@pytest.fixture
def indexed(tmp_path):
    path = tmp_path / "store"
    with logstore.open(path, clock=FakeClock(START_MS), durable=False, index_builds=False) as store:
        store.create_table(TableName="tab", BillingMode="PAY_PER_REQUEST",
                           KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                      {"AttributeName": "sk", "KeyType": "RANGE"}],
                           AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "g", "l")],
                           GlobalSecondaryIndexes=[GSI], LocalSecondaryIndexes=[LSI],
                           StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
        store.update_time_to_live(TableName="tab", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
        for i in range(60):
            item = {"pk": {"S": f"p{i % 4}"}, "sk": {"S": f"s{i}"}, "v": {"N": str(i)}, "exp": {"N": str(2 * 10**9)}}
            if i % 3:
                item["g"] = {"S": f"g{i % 5}"}
            if i % 2:
                item["l"] = {"S": f"l{i}"}
            store.put_item(TableName="tab", Item=item)
        store.update_table(TableName="tab", AttributeDefinitions=[{"AttributeName": "v", "AttributeType": "N"}],
                           GlobalSecondaryIndexUpdates=[{"Create": {
                               "IndexName": "by_v", "KeySchema": [{"AttributeName": "v", "KeyType": "HASH"}],
                               "Projection": {"ProjectionType": "ALL"}}}])
        store.tables.run_jobs(max_steps=1, batch=20)      # by_v stays CREATING, partly built
        numbers = {ix.name: ix.index_no for ix in store.tables.get("tab").index_defs}
    return path, numbers


def _entries(raw: Raw, index_no: int) -> list[tuple[bytes, bytes]]:
    return [(k, v) for k, v in raw.items("index_entries") if k[:8] == index_no.to_bytes(8, "big")]


def test_a_healthy_indexed_store_has_no_problems(indexed):
    path, _ = indexed
    data = run_json("check", path)
    assert data["problems"] == [] and data["checked"]["index_entries_checked"] > 60


@pytest.mark.parametrize("fault", ["missing", "differs", "stray", "counter", "damaged"])
def test_index_faults_are_found(indexed, fault):
    path, numbers = indexed
    with Raw(path) as raw:
        key, value = _entries(raw, numbers["by_g"])[3]
        if fault == "missing":
            raw.delete("index_entries", key)
        elif fault == "differs":
            entry = msgpack.unpackb(value[SEAL_BYTES:])   # a well-formed, sealed entry that is wrong
            entry["v"] = {"N": "-1"}
            raw.put("index_entries", key, seal(key, msgpack.packb(entry)))
        elif fault == "stray":
            entry = msgpack.unpackb(value[SEAL_BYTES:])
            entry["sk"] = {"S": "no such item"}
            raw.put("index_entries", key + b"x", seal(key + b"x", msgpack.packb(entry)))
        elif fault == "damaged":   # one bit of the stored value flipped: its checksum fails
            raw.put("index_entries", key, value[:-1] + bytes([value[-1] ^ 1]))
        else:
            raw.put("counters", f"index_items:{numbers['by_l']}".encode(), (999).to_bytes(8, "little"))
    data = run_json("check", path, ok_codes=(1,))
    found = [p for p in data["problems"] if p["kind"] == "index"]
    assert found and all(p["table"] == "tab" for p in found), data["problems"]
    # a missing or stray entry also puts the counters out (they count what the writes made): said too
    assert all("its counters say" in p["message"] for p in found[1:]), found
    want = {"missing": "index by_g: the item has no entry", "differs": "index by_g: the entry differs",
            "stray": "index by_g: an entry belongs to no item", "counter": "index by_l: its counters say 999",
            "damaged": "index by_g: the store is damaged: index_entries entry"}
    assert found[0]["message"].startswith(want[fault]), found
    if fault != "counter":
        assert found[0]["key"].startswith("pk=")
