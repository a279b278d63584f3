"""Keys as long as DynamoDB allows (partition keys of 2048 bytes, sort keys of 1024 bytes), through the embedded
API: every operation works, Query order, ScanIndexForward, ExclusiveStartKey / LastEvaluatedKey and the range
conditions stay exact although LMDB keys are bounded to 511 bytes (docs/format.md, "Bounded keys"), and one byte
over the limits is DynamoDB's ValidationException, changing nothing.

Oracle: the Developer Guide's limits ("Partition key length: 2048 bytes; sort key: 1024 bytes"), and for the
wording the messages DynamoDB returns as recorded by the AWS-verified dynalite suite (test/putItem.js,
test/getItem.js: "Size of hashkey has exceeded the maximum size limit of2048 bytes", "Aggregated size of all
range keys has exceeded the size limit of 1024 bytes"). The property test compares against a sorted model.
"""
from __future__ import annotations

import os
import random
from collections import Counter

import pytest

from logstore.errors import ValidationException
from logstore.tables import keycodec

HASH_TOO_BIG = ("One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit "
                "of2048 bytes")
RANGE_TOO_BIG = ("One or more parameter values were invalid: Aggregated size of all range keys has exceeded the "
                 "size limit of 1024 bytes")


def make(store, name, htype="S", rtype="S"):
    keys = [{"AttributeName": "h", "KeyType": "HASH"}] + ([{"AttributeName": "r", "KeyType": "RANGE"}]
                                                           if rtype else [])
    defs = [{"AttributeName": "h", "AttributeType": htype}] + ([{"AttributeName": "r", "AttributeType": rtype}]
                                                               if rtype else [])
    store.create_table(TableName=name, KeySchema=keys, AttributeDefinitions=defs, BillingMode="PAY_PER_REQUEST",
                       StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})


def test_keys_at_the_limits_work_everywhere(store):
    make(store, "tbl")
    h, r = "ä" * 1024, "r" * 1024          # 2048 and 1024 UTF-8 bytes
    key = {"h": {"S": h}, "r": {"S": r}}
    store.put_item(TableName="tbl", Item={**key, "v": {"N": "1"}})
    assert store.get_item(TableName="tbl", Key=key)["Item"]["v"] == {"N": "1"}
    store.update_item(TableName="tbl", Key=key, UpdateExpression="SET v = v + :one",
                      ExpressionAttributeValues={":one": {"N": "1"}})
    assert store.get_item(TableName="tbl", Key=key, ConsistentRead=True)["Item"]["v"] == {"N": "2"}
    got = store.batch_get_item(RequestItems={"tbl": {"Keys": [key]}})["Responses"]["tbl"]
    assert [i["v"] for i in got] == [{"N": "2"}]
    page = store.query(TableName="tbl", KeyConditionExpression="h = :h", ExpressionAttributeValues={":h": {"S": h}})
    assert [i["r"]["S"] for i in page["Items"]] == [r]
    assert store.scan(TableName="tbl")["Count"] == 1
    store.transact_write_items(TransactItems=[{"Delete": {"TableName": "tbl", "Key": key}}])
    assert "Item" not in store.get_item(TableName="tbl", Key=key)
    # binary keys full of zero bytes (each stored escaped as two bytes)
    make(store, "bin", "B", "B")
    bkey = {"h": {"B": b"\x00" * 2048}, "r": {"B": b"\x00" * 1024}}
    store.put_item(TableName="bin", Item=bkey)
    assert store.get_item(TableName="bin", Key=bkey)["Item"] == bkey
    store.delete_item(TableName="bin", Key=bkey)
    assert store.scan(TableName="bin")["Count"] == 0


@pytest.mark.parametrize("hash_len, range_len, message", [(2049, 1, HASH_TOO_BIG), (1, 1025, RANGE_TOO_BIG)])
def test_one_byte_over_is_a_validation_error_and_changes_nothing(store, hash_len, range_len, message):
    make(store, "tbl")
    key = {"h": {"S": "h" * hash_len}, "r": {"S": "é" * (range_len // 2) + "r" * (range_len % 2)}}
    calls = [lambda: store.put_item(TableName="tbl", Item=key),
             lambda: store.get_item(TableName="tbl", Key=key),
             lambda: store.delete_item(TableName="tbl", Key=key),
             lambda: store.update_item(TableName="tbl", Key=key, UpdateExpression="SET v = :v",
                                       ExpressionAttributeValues={":v": {"N": "1"}}),
             lambda: store.batch_write_item(RequestItems={"tbl": [{"PutRequest": {"Item": key}}]})]
    for call in calls:
        with pytest.raises(ValidationException) as e:
            call()
        assert e.value.message == message
    assert store.scan(TableName="tbl")["Count"] == 0
    arn = store.describe_table(TableName="tbl")["Table"]["LatestStreamArn"]
    shard = store.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = store.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert store.get_records(ShardIterator=it)["Records"] == []


def test_stored_keys_are_bounded_and_short_keys_unchanged():
    assert keycodec.stored_key(b"x" * 495) == b"x" * 495
    long_a, long_b = b"x" * 495 + b"a", b"x" * 495 + b"b"
    assert len(keycodec.stored_key(long_a)) == keycodec.KEY_LIMIT == 511
    assert keycodec.stored_key(long_a)[:495] == keycodec.stored_key(long_b)[:495]
    assert keycodec.stored_key(long_a) != keycodec.stored_key(long_b)
    h = keycodec.encode_value("S", "h" * 2048)
    assert len(keycodec.bound_hash(h)) == keycodec.HASH_INLINE
    assert keycodec.bound_hash(keycodec.encode_value("S", "h" * 254)) == keycodec.encode_value("S", "h" * 254)
    assert keycodec.bound_hash(h) != keycodec.bound_hash(keycodec.encode_value("S", "h" * 2047 + "i"))


# -- property test: random long and short keys with shared prefixes, against a sorted model ------------------------

HASHES = ["h", "h" * 254, "h" * 300, "h" * 2048, "h" * 2047 + "\x00", "\x00" * 1100]
PREFIXES = ["", "a" * 470, "a" * 483, "a" * 484, "a" * 490, "a" * 500, "a" * 1000, "a\x00" * 300]


def _range(rng: random.Random) -> str:
    base = rng.choice(PREFIXES)
    tail = "".join(rng.choice("ab\x00z") for _ in range(rng.randint(0, 6)))
    value = (base + tail)[:1024] or "a"
    return value


def _sort_key(value: str) -> bytes:
    return value.encode("utf-8")


def _pages(call, limit):
    """Every item of a paged Query/Scan, following LastEvaluatedKey; the number of pages."""
    out, start, pages = [], None, 0
    while True:
        args = {"Limit": limit} if limit else {}
        if start is not None:
            args["ExclusiveStartKey"] = start
        page = call(**args)
        out += page["Items"]
        pages += 1
        start = page.get("LastEvaluatedKey")
        if start is None:
            return out, pages
        assert pages < 10_000


@pytest.mark.parametrize("seed", [int(os.environ.get("LONGKEY_SEED", 0)) or random.randrange(1 << 30)])
def test_query_and_scan_order_and_paging_match_a_sorted_model(store, seed):
    print(f"seed={seed} (rerun with LONGKEY_SEED={seed})")
    rng = random.Random(seed)
    make(store, "tbl")
    model: dict[tuple[str, str], int] = {}
    for step in range(260):
        h, r = rng.choice(HASHES), _range(rng)
        if rng.random() < 0.15 and model:
            h, r = rng.choice(sorted(model))
            store.delete_item(TableName="tbl", Key={"h": {"S": h}, "r": {"S": r}})
            model.pop((h, r), None)
        else:
            store.put_item(TableName="tbl", Item={"h": {"S": h}, "r": {"S": r}, "n": {"N": str(step)}})
            model[(h, r)] = step
    for h in HASHES:
        expect = sorted((r for hh, r in model if hh == h), key=_sort_key)
        for forward in (True, False):
            limit = rng.choice([None, 1, 2, 3, 7])

            def query(**args):
                return store.query(TableName="tbl", KeyConditionExpression="h = :h", ScanIndexForward=forward,
                                   ExpressionAttributeValues={":h": {"S": h}}, **args)
            got, _ = _pages(query, limit)
            want = expect if forward else expect[::-1]
            assert [i["r"]["S"] for i in got] == want, (h[:5], len(h), forward, limit)
            assert all(int(i["n"]["N"]) == model[(h, i["r"]["S"])] for i in got)
        # begins_with and BETWEEN with long operands
        for _ in range(3):
            prefix = _range(rng)[:rng.randint(0, 700)]
            prefix = prefix.encode("utf-8")[:1024].decode("utf-8", "ignore") or "a"

            def begins(**args):
                return store.query(TableName="tbl", KeyConditionExpression="h = :h AND begins_with(r, :p)",
                                   ExpressionAttributeValues={":h": {"S": h}, ":p": {"S": prefix}}, **args)
            got, _ = _pages(begins, rng.choice([None, 1, 4]))
            assert [i["r"]["S"] for i in got] == [r for r in expect if r.startswith(prefix)]
            lo, hi = sorted([_range(rng), _range(rng)], key=_sort_key)

            def between(**args):
                return store.query(TableName="tbl", KeyConditionExpression="h = :h AND r BETWEEN :lo AND :hi",
                                   ScanIndexForward=False, **args,
                                   ExpressionAttributeValues={":h": {"S": h}, ":lo": {"S": lo}, ":hi": {"S": hi}})
            got, _ = _pages(between, rng.choice([None, 2]))
            inside = [r for r in expect if _sort_key(lo) <= _sort_key(r) <= _sort_key(hi)]
            assert [i["r"]["S"] for i in got] == inside[::-1]
            for op, test in (("<", lambda r: _sort_key(r) < _sort_key(lo)), (">=", lambda r: _sort_key(r) >= _sort_key(lo))):
                got = store.query(TableName="tbl", KeyConditionExpression=f"h = :h AND r {op} :lo",
                                  ExpressionAttributeValues={":h": {"S": h}, ":lo": {"S": lo}})["Items"]
                assert [i["r"]["S"] for i in got] == [r for r in expect if test(r)]
    with store.env.begin_read() as txn:   # the layout's hard case was exercised: groups of long-form keys
        stored = [bytes(k) for k in txn.cursor(db=store.tables.items.db).iternext(values=False)]
    groups = Counter(k[:keycodec.INLINE] for k in stored if keycodec.is_long(k))
    assert max(groups.values(), default=0) > 1, groups
    for limit in (None, 1, 5):
        got, _ = _pages(lambda **a: store.scan(TableName="tbl", **a), limit)
        keys = [(i["h"]["S"], i["r"]["S"]) for i in got]
        assert len(keys) == len(set(keys)) and set(keys) == set(model)
    for segments in (2, 3):
        keys = []
        for seg in range(segments):
            got, _ = _pages(lambda **a: store.scan(TableName="tbl", Segment=seg, TotalSegments=segments, **a), 3)
            keys += [(i["h"]["S"], i["r"]["S"]) for i in got]
        assert sorted(keys) == sorted(model)
