"""GetRecords' body rendered straight from stored bytes (StreamsService.get_records_json, csrc/record.c) is the
same bytes the server's JSON layer writes for the dicts of get_records: every view type, inserts, modifies and
removes, B values, a range key, escapes and non-ASCII text, an empty page; and the embedded dicts are the same
whichever codec path rendered them (the C renderer, or the msgpack path it falls back to)."""
from __future__ import annotations

import orjson
import pytest

import logstore
from logstore.server import wire
from logstore.stream import records as records_mod

VIEWS = ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"]


def _fill(store, view):
    store.create_table(TableName="tbl", BillingMode="PAY_PER_REQUEST",
                       KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                  {"AttributeName": "sk", "KeyType": "RANGE"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                             {"AttributeName": "sk", "AttributeType": "N"}],
                       StreamSpecification={"StreamEnabled": True, "StreamViewType": view})
    for i in range(30):
        item = {"pk": {"S": f"k\"\\\n\x01é☃{i % 7}"}, "sk": {"N": str(i)}, "b": {"B": bytes(range(i % 5))},
                "l": {"L": [{"NULL": True}, {"BOOL": i % 2 == 0}, {"M": {"x\ty": {"SS": ["a", "\U0001F600"]}}}]},
                "bs": {"BS": [b"\x00", b"\xff\xfe"]}, "ns": {"NS": ["1", "-2.5"]}}
        store.put_item(TableName="tbl", Item=item)
        if i % 3 == 0:
            store.put_item(TableName="tbl", Item={**item, "extra": {"S": "changed"}})
        if i % 4 == 0:
            store.delete_item(TableName="tbl", Key={"pk": item["pk"], "sk": item["sk"]})
    arn = store.describe_table(TableName="tbl")["Table"]["LatestStreamArn"]
    shard = store.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    return store.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]


def _records_part(body: bytes) -> bytes:
    return body.split(b',"NextShardIterator":')[0]


@pytest.mark.parametrize("view", VIEWS)
def test_body_is_the_wire_encoding_of_get_records(tmp_path, view):
    with logstore.open(tmp_path / "s", durable=False) as store:
        it = _fill(store, view)
        service = store._streams_api
        for limit in (1, 7, 1000):
            request = {"ShardIterator": it, "Limit": limit}
            body = service.get_records_json(request)
            expected = wire.encode(store.get_records(**request))
            assert _records_part(body) == _records_part(expected)
            assert orjson.loads(body).keys() == orjson.loads(expected).keys()
        request = {"ShardIterator": orjson.loads(body)["NextShardIterator"]}   # past the end: no records
        assert _records_part(service.get_records_json(request)) == b'{"Records":[]'


@pytest.mark.parametrize("view", VIEWS)
def test_the_c_page_and_the_msgpack_path_give_the_same_dicts(tmp_path, view, monkeypatch):
    with logstore.open(tmp_path / "s", durable=False) as store:
        it = _fill(store, view)
        fast = store.get_records(ShardIterator=it)["Records"]
        monkeypatch.setattr(records_mod, "_FAST", False)
        slow = store.get_records(ShardIterator=it)["Records"]
        assert fast == slow and len(fast) > 30
        assert [list(r) for r in fast] == [list(r) for r in slow]
        assert [list(r["dynamodb"]) for r in fast] == [list(r["dynamodb"]) for r in slow]
