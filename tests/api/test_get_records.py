"""GetRecords (spec §3.4, §6.3, §6.4): Limit bounds, token validation, expiry, idempotent reads, response shape on
open and closed shards, trimming, deleted streams, paging."""
from __future__ import annotations

import base64

import pytest

from apihelpers import Api, DAY_MS, HOUR_MS, MINUTE_MS, item
from logstore.errors import (ExpiredIteratorException, ResourceNotFoundException, TrimmedDataAccessException,
                             ValidationException)

FIFTEEN_MIN = 15 * MINUTE_MS


@pytest.fixture
def orders(api, store):
    """A stream with three records (pk a, b, c); returns (arn, shard id)."""
    arn = api.create_table("orders")
    for pk in "abc":
        store.put_item(TableName="orders", Item=item(pk, v=1))
    return arn, api.only_shard(arn)


def _pks(records):
    return [r["dynamodb"]["Keys"]["pk"]["S"] for r in records]


def _close(api, store, clock, arn, shard_id):
    clock.advance(1000)
    return store.split_shard(StreamArn=arn, ShardId=shard_id)["Shards"]


# -- Limit ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("limit, constraint", [
    (0, "Member must have value greater than or equal to 1"),
    (-1, "Member must have value greater than or equal to 1"),
    (1001, "Member must have value less than or equal to 1000"),
])
def test_limit_out_of_range_is_a_validation_error(api, orders, limit, constraint):
    """scylla#23534: AWS rejects 1001, 0 and -1 with a ValidationException mentioning 'limit'."""
    arn, sid = orders
    it = api.iterator(arn, sid)
    with pytest.raises(ValidationException) as e:
        api.read(it, limit=limit)
    assert e.value.message == (f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy "
                               f"constraint: {constraint}")


@pytest.mark.parametrize("limit, expected", [(1, ["a"]), (2, ["a", "b"]), (1000, ["a", "b", "c"])])
def test_limit_caps_the_page(api, orders, limit, expected):
    arn, sid = orders
    assert _pks(api.read(api.iterator(arn, sid), limit=limit)["Records"]) == expected


def test_default_limit_reads_everything_available(api, store):
    arn = api.create_table("orders")
    with store.batch() as b:
        for i in range(1200):
            b.put_item(TableName="orders", Item=item(f"k{i:04d}"))
    page = api.read(api.iterator(arn))
    assert len(page["Records"]) == 1000   # default Limit 1000 (spec §3.4)
    rest = api.read(page["NextShardIterator"])
    assert len(rest["Records"]) == 200


# -- the token -----------------------------------------------------------------------------------------------------


def test_missing_iterator_gets_the_coral_null_message(store):
    with pytest.raises(ValidationException) as e:
        store.get_records()
    assert e.value.message == ("1 validation error detected: Value null at 'shardIterator' failed to satisfy "
                               "constraint: Member must not be null")


def _altered(token: str) -> list[str]:
    arn, _, blob = token.rpartition("|")
    raw = bytearray(base64.urlsafe_b64decode(blob + "=" * (-len(blob) % 4)))
    variants = []
    for i in (0, len(raw) // 2, len(raw) - 1):
        changed = bytearray(raw)
        changed[i] ^= 0x01
        variants.append(f"{arn}|" + base64.urlsafe_b64encode(bytes(changed)).decode().rstrip("="))
    variants.append(token[:-1] + ("A" if token[-1] != "A" else "B"))
    variants.append(token[:-4])
    variants.append(token.replace("|1|", "|2|"))
    variants.append(token + "AAAA")
    return variants


@pytest.mark.parametrize("garbage", [
    "garbage", "x", "|||", "arn:aws:dynamodb:us-east-1:000000000000:table/orders/stream/2023-11-14T22:13:20.000|1|",
    "arn:aws:dynamodb:us-east-1:000000000000:table/orders/stream/2023-11-14T22:13:20.000|1|AAAAAAAAAAAAAAAAAAAAAAAA",
    "AAAAAAAAAAEvJp6D+zaQ", "x" * 2049,
])
def test_garbage_iterator_is_a_validation_error(api, orders, garbage):
    with pytest.raises(ValidationException):
        api.read(garbage)


def test_empty_iterator_is_a_validation_error(api, orders):
    with pytest.raises(ValidationException):
        api.read("")


def test_altered_iterator_is_a_validation_error(api, orders):
    arn, sid = orders
    token = api.iterator(arn, sid)
    for forged in _altered(token):
        with pytest.raises(ValidationException):
            api.read(forged)
    assert _pks(api.read(token)["Records"]) == ["a", "b", "c"]


def test_iterator_moved_to_another_streams_arn_is_a_validation_error(api, store, orders):
    arn, sid = orders
    other = api.create_table("others")
    token = api.iterator(arn, sid)
    with pytest.raises(ValidationException):
        api.read(token.replace(arn, other))


def test_iterator_of_another_store_is_a_validation_error(api, orders, open_store, tmp_path, clock):
    """A forged token: same stream ARN and shard, minted by another store."""
    other = Api(open_store(tmp_path / "other"), clock)
    other_arn = other.create_table("orders")
    arn, sid = orders
    assert other_arn == arn
    foreign = other.iterator(arn)
    with pytest.raises(ValidationException):
        api.read(foreign)


# -- expiry --------------------------------------------------------------------------------------------------------


def test_iterator_expires_after_15_minutes(api, orders, clock):
    arn, sid = orders
    it = api.iterator(arn, sid)
    clock.advance(FIFTEEN_MIN - MINUTE_MS)
    assert _pks(api.read(it)["Records"]) == ["a", "b", "c"]
    clock.advance(MINUTE_MS + 1)
    with pytest.raises(ExpiredIteratorException):
        api.read(it)


def test_next_shard_iterator_expires_15_minutes_after_it_was_issued(api, store, orders, clock):
    arn, sid = orders
    first = api.iterator(arn, sid)
    clock.advance(10 * MINUTE_MS)
    nxt = api.read(first)["NextShardIterator"]      # issued at +10 min
    clock.advance(6 * MINUTE_MS)                     # +16: first expired, nxt 6 min old
    with pytest.raises(ExpiredIteratorException):
        api.read(first)
    store.put_item(TableName="orders", Item=item("d", v=1))
    page = api.read(nxt)
    assert _pks(page["Records"]) == ["d"]
    clock.advance(10 * MINUTE_MS)                    # nxt 16 min old
    with pytest.raises(ExpiredIteratorException) as e:
        api.read(nxt)
    assert e.value.message   # AWS says why
    assert api.read(page["NextShardIterator"])["Records"] == []   # issued at +16, 10 min old


def test_same_iterator_can_be_reused_before_expiry(api, store, orders, clock):
    """Spec §3.3: iterators are position tokens; reads are idempotent until the token expires."""
    arn, sid = orders
    it = api.iterator(arn, sid)
    first = api.read(it)
    clock.advance(MINUTE_MS)
    second = api.read(it)
    assert first["Records"] == second["Records"]
    assert "NextShardIterator" in first and "NextShardIterator" in second
    store.put_item(TableName="orders", Item=item("d", v=1))
    third = api.read(it)
    assert _pks(third["Records"]) == ["a", "b", "c", "d"]


# -- response shape ------------------------------------------------------------------------------------------------


def test_empty_read_has_records_key(api):
    """scylla#6926: an empty read returns "Records": [], not a missing key."""
    arn = api.create_table("orders")
    page = api.read(api.iterator(arn))
    assert set(page) == {"Records", "NextShardIterator"}
    assert page["Records"] == []


def test_open_shard_always_has_next_shard_iterator(api, store, orders, clock):
    arn, sid = orders
    it = api.iterator(arn, sid)
    for _ in range(3):
        clock.advance(1000)
        page = api.read(it)
        assert "NextShardIterator" in page
        assert isinstance(page["NextShardIterator"], str) and page["NextShardIterator"]
        it = page["NextShardIterator"]
    assert page["Records"] == []


def test_next_shard_iterator_is_a_new_token_after_time_passed(api, orders, clock):
    arn, sid = orders
    it = api.iterator(arn, sid, "LATEST")
    clock.advance(1000)
    assert api.read(it)["NextShardIterator"] != it


def test_next_shard_iterator_is_never_the_callers_token(api, orders):
    """localstack#5182 / spec §3.4: NextShardIterator is a new token - never hand back the caller's token."""
    arn, sid = orders
    it = api.iterator(arn, sid, "LATEST")
    assert api.read(it)["NextShardIterator"] != it


def test_next_shard_iterator_moves_past_the_last_record(api, store, orders):
    """scylla#6942: never the same record twice."""
    arn, sid = orders
    page = api.read(api.iterator(arn, sid))
    assert _pks(page["Records"]) == ["a", "b", "c"]
    page = api.read(page["NextShardIterator"])
    assert page["Records"] == []
    store.put_item(TableName="orders", Item=item("d", v=1))
    page = api.read(page["NextShardIterator"])
    assert _pks(page["Records"]) == ["d"]
    page = api.read(page["NextShardIterator"])
    assert page["Records"] == []


def test_closed_shard_read_to_its_end_has_no_next_shard_iterator(api, store, orders, clock):
    """scylla#7237: AWS omits NextShardIterator entirely (not null, not "")."""
    arn, root = orders
    _close(api, store, clock, arn, root)
    page = api.read(api.iterator(arn, root))
    assert _pks(page["Records"]) == ["a", "b", "c"]   # bloop#111: records and no iterator on the final page
    assert set(page) == {"Records"}


def test_closed_shard_final_page_of_small_pages_holds_records_and_no_iterator(api, store, orders, clock):
    """numberoverzero/bloop#111: the final page may hold records and lack the key."""
    arn, root = orders
    _close(api, store, clock, arn, root)
    it = api.iterator(arn, root)
    pages = []
    while it is not None:
        page = api.read(it, limit=1)
        pages.append(page)
        it = page.get("NextShardIterator")
        assert len(pages) < 10
    assert [_pks(p["Records"]) for p in pages] == [["a"], ["b"], ["c"]]
    assert "NextShardIterator" not in pages[-1]


def test_closed_shard_consumer_that_read_before_closing_gets_the_end(api, store, orders, clock):
    arn, root = orders
    page = api.read(api.iterator(arn, root))
    nxt = page["NextShardIterator"]
    _close(api, store, clock, arn, root)
    assert api.read(nxt) == {"Records": []}


@pytest.mark.parametrize("close", ["split", "rollover", "disable"])
def test_empty_closed_shard_ends(api, store, clock, close):
    """Spec §3.4: on a closed shard consumed up to EndingSequenceNumber the key is absent. A shard closed with no
    records has nothing to consume: following NextShardIterator must end (at once, as nothing is left)."""
    arn = api.create_table("orders")
    root = api.only_shard(arn)
    if close == "split":
        _close(api, store, clock, arn, root)
    elif close == "rollover":
        clock.advance(4 * HOUR_MS + 1)
        store.maintain()
    else:
        clock.advance(1000)
        api.disable("orders")
    [shard] = [s for s in api.shards(arn) if s["ShardId"] == root]
    assert "EndingSequenceNumber" in shard["SequenceNumberRange"]
    it, pages = api.iterator(arn, root), []
    while it is not None and len(pages) < 5:
        pages.append(api.read(it))
        it = pages[-1].get("NextShardIterator")
    assert pages == [{"Records": []}]


def test_small_limit_walks_all_records_in_order_without_duplicates(api, store):
    arn = api.create_table("orders")
    for i in range(25):
        store.put_item(TableName="orders", Item=item(f"k{i:02d}", v=i))
    records, last = api.drain(api.iterator(arn), limit=3)
    assert _pks(records) == [f"k{i:02d}" for i in range(25)]
    seqs = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert seqs == sorted(set(seqs))
    assert last["Records"] == [] and "NextShardIterator" in last


# -- trimmed and gone ----------------------------------------------------------------------------------------------


def test_records_trimmed_under_an_iterator_is_trimmed_data_access(api, store, orders, clock):
    arn, sid = orders
    clock.advance(DAY_MS - 5 * MINUTE_MS)
    it = api.iterator(arn, sid)                         # TRIM_HORIZON: at a, still there
    clock.advance(10 * MINUTE_MS)                       # a, b, c now 24 h 5 min old; it 10 min old
    store.maintain()
    with pytest.raises(TrimmedDataAccessException) as e:
        api.read(it)
    assert e.value.message == "The data you are trying to access has been trimmed."


def test_read_after_trim_from_a_fresh_trim_horizon_works(api, store, orders, clock):
    arn, sid = orders
    clock.advance(DAY_MS + MINUTE_MS)
    store.maintain()
    assert api.drain(api.iterator(arn, sid))[0] == []
    assert api.all_records(arn) == []


def test_deleted_and_expired_stream_is_resource_not_found(api, store, orders, clock):
    arn, sid = orders
    clock.advance(1000)
    store.delete_table(TableName="orders")
    clock.advance(DAY_MS - 5 * MINUTE_MS)
    it = api.iterator(arn, sid)                         # still readable: DISABLED, within 24 h
    assert _pks(api.read(it)["Records"]) == ["a", "b", "c"]
    clock.advance(10 * MINUTE_MS)
    store.maintain()                                    # 24 h 5 min after the delete: the stream is gone
    with pytest.raises(ResourceNotFoundException):
        api.read(it)
    with pytest.raises(ResourceNotFoundException):
        store.describe_stream(StreamArn=arn)
    with pytest.raises(ResourceNotFoundException):
        store.get_shard_iterator(StreamArn=arn, ShardId=sid, ShardIteratorType="TRIM_HORIZON")
    assert store.list_streams() == {"Streams": []}


def test_stream_kept_when_maintained_before_24_hours(api, store, orders, clock):
    arn, sid = orders
    store.delete_table(TableName="orders")
    clock.advance(DAY_MS - HOUR_MS)
    store.maintain()
    assert api.describe(arn)["StreamStatus"] == "DISABLED"


def test_page_holds_at_most_about_1_mb(api, store):
    """Spec §3.4: at most Limit records and at most 1 MB of data, whichever first; the rest on later pages."""
    arn = api.create_table("orders", "NEW_IMAGE")
    for i in range(6):
        store.put_item(TableName="orders", Item={"pk": {"S": f"k{i}"}, "big": {"S": "x" * (300 * 1024)}})
    page = api.read(api.iterator(arn))
    assert 1 <= len(page["Records"]) < 6
    assert sum(r["dynamodb"]["SizeBytes"] for r in page["Records"]) <= 1 << 20
    records, _ = api.drain(api.iterator(arn))
    assert _pks(records) == [f"k{i}" for i in range(6)]


def test_iterator_of_a_shard_that_aged_out_is_resource_not_found(api, store, orders, clock):
    """Spec §3.4: stream/shard gone -> ResourceNotFoundException."""
    arn, root = orders
    clock.advance(4 * HOUR_MS + MINUTE_MS)
    store.maintain()                                    # root closed by rollover at ~4 h
    clock.advance(DAY_MS - 5 * MINUTE_MS)
    store.maintain()                                    # records trimmed; root closed < 24 h ago: kept
    assert root in {s["ShardId"] for s in api.shards(arn)}
    it = api.iterator(arn, root)
    assert api.read(it) == {"Records": []}
    clock.advance(10 * MINUTE_MS)
    store.maintain()                                    # closed > 24 h ago, nothing left: dropped
    assert root not in {s["ShardId"] for s in api.shards(arn)}
    with pytest.raises(ResourceNotFoundException):
        api.read(it)


def test_order_of_checks(api, store, orders, clock):
    """Spec §7: validation -> expiry -> stream/shard exists -> trim horizon."""
    arn, sid = orders
    it = api.iterator(arn, sid)
    clock.advance(1000)
    store.delete_table(TableName="orders")
    clock.advance(DAY_MS)
    store.maintain()                      # stream gone, and the iterator expired
    with pytest.raises(ValidationException):
        api.read(it, limit=1001)          # a bad Limit first
    with pytest.raises(ExpiredIteratorException):
        api.read(it)                      # then expiry, before the missing stream
