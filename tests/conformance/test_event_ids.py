"""eventIDs are unique across stores and across a reset of one directory (issue 11), as AWS's are: the same
writes in two fresh stores, or in one directory before and after it is wiped, give the same sequence numbers but
different eventIDs, while one record keeps its eventID however often and however it is read (GetRecords, the CLI's
reader, the embedded processors' renderer). Embedded and over HTTP (the server's /moto-api/reset)."""
from __future__ import annotations

import shutil

import requests

import logstore
from logstore.processors.events import Renderer


def _records(db, table):
    arn = db.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shard = db.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = db.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    return db.get_records(ShardIterator=it)["Records"]


def _writes(store, table="tbl"):
    store.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                       KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                       StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    for i in range(3):
        store.put_item(TableName=table, Item={"pk": {"S": f"k{i}"}})


def _ids(store, table="tbl"):
    from confhelpers import Dual
    return [(r["dynamodb"]["SequenceNumber"], r["eventID"]) for r in _records(Dual("embedded", store), table)]


def test_two_stores_and_a_reset_never_repeat_an_event_id(tmp_path):
    seen = {}
    for name in ("a", "b", "a"):          # a, then b, then a again after wiping a
        path = tmp_path / name
        if path.exists():
            shutil.rmtree(path)
        with logstore.open(path, durable=False) as store:
            _writes(store)
            got = _ids(store)
            assert got == _ids(store)                            # stable across reads
        with logstore.open(path, durable=False) as store:
            assert _ids(store) == got                            # and across reopening
        for seq, event_id in got:
            assert event_id not in seen, f"eventID {event_id} repeated ({seen[event_id]} and {name})"
            seen[event_id] = name
    assert len({seq for seq, _ in got}) == 3


def test_processor_renderer_and_get_records_agree(tmp_path):
    with logstore.open(tmp_path / "s", durable=False) as store:
        _writes(store)
        expected = dict(_ids(store))
        arn = store.describe_table(TableName="tbl")["Table"]["LatestStreamArn"]
        with store.env.begin_read() as txn:
            info = store.streams.catalog.stream_by_arn(txn, arn)
            shard = store.streams.catalog.shards(txn, info.stream_no)[0]
            batch, _ = store.streams.read(txn, shard, shard.start_seq, 100)
            rows = [(s, t, bytes(p)) for s, t, p in batch]
        renderer = Renderer(info, store.region, store.event_key)
        rendered = {r["dynamodb"]["SequenceNumber"]: r["eventID"]
                    for r in renderer.records(*zip(*rows))}
        assert rendered == expected and len(expected) == 3


def test_http_reset_gives_new_event_ids(db, request):
    if db.mode != "http":
        return
    server = request.getfixturevalue("conformance_server")

    def write_and_read():
        db.create_table(TableName="conf-reset", BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
        db.put_item(TableName="conf-reset", Item={"pk": {"S": "x"}})
        return {r["eventID"] for r in _records(db, "conf-reset")}

    before = write_and_read()
    assert requests.post(server.url + "/moto-api/reset", timeout=60).status_code == 200
    after = write_and_read()
    assert len(before) == len(after) == 1 and not before & after
