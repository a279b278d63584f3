"""Stream records produced by item writes (spec §4): which writes produce which records, images per view type,
SizeBytes, sequence numbers, eventID and the other record fields, TTL deletions, batch and transactional writes."""
from __future__ import annotations

import pytest

from apihelpers import Api, EVENT_ID_RE, MINUTE_MS, SEQ_RE, START_MS, VIEW_TYPES, item
from logstore.errors import ValidationException

BASE_FIELDS = {"ApproximateCreationDateTime", "Keys", "SequenceNumber", "SizeBytes", "StreamViewType"}


def _pks(records):
    return [r["dynamodb"]["Keys"]["pk"]["S"] for r in records]


def _update(store, pk, **values):
    """UpdateItem with AttributeUpdates PUT of each value (str -> S, int -> N)."""
    return store.update_item(TableName="orders", Key={"pk": {"S": pk}}, AttributeUpdates={
        name: {"Action": "PUT", "Value": {"N": str(v)} if isinstance(v, int) else {"S": v}}
        for name, v in values.items()})


# -- which writes produce records (spec §4.2) ----------------------------------------------------------------------


def test_put_of_a_new_item_is_insert(api, store):
    arn = api.create_table("orders")
    store.put_item(TableName="orders", Item=item("a", v=1))
    [rec] = api.all_records(arn)
    assert rec["eventName"] == "INSERT"
    assert rec["dynamodb"]["Keys"] == {"pk": {"S": "a"}}
    assert rec["dynamodb"]["NewImage"] == item("a", v=1)
    assert "OldImage" not in rec["dynamodb"]


def test_update_item_upsert_is_insert(api, store):
    """scylla#6918: an UpdateItem creating the item is INSERT, not MODIFY."""
    arn = api.create_table("orders")
    _update(store, "a", v=1)
    [rec] = api.all_records(arn)
    assert rec["eventName"] == "INSERT"
    assert rec["dynamodb"]["NewImage"] == item("a", v=1)
    assert "OldImage" not in rec["dynamodb"]


def test_update_item_key_only_creation_is_insert_with_key_only_image(api, store):
    arn = api.create_table("orders")
    store.update_item(TableName="orders", Key={"pk": {"S": "a"}})
    [rec] = api.all_records(arn)
    assert rec["eventName"] == "INSERT"
    assert rec["dynamodb"]["NewImage"] == {"pk": {"S": "a"}}


def test_put_replacing_an_item_is_one_modify_with_both_images(api, store):
    """scylla#6930: one MODIFY carrying the OldImage, not REMOVE + INSERT."""
    arn = api.create_table("orders")
    store.put_item(TableName="orders", Item=item("a", v=1, note="old"))
    store.put_item(TableName="orders", Item=item("a", w=2))
    records = api.all_records(arn)
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY"]
    modify = records[1]["dynamodb"]
    assert modify["OldImage"] == item("a", v=1, note="old")
    assert modify["NewImage"] == item("a", w=2)
    assert modify["Keys"] == {"pk": {"S": "a"}}


def test_identical_put_produces_no_record(api, store):
    arn = api.create_table("orders")
    store.put_item(TableName="orders", Item=item("a", v=1, s="x"))
    store.put_item(TableName="orders", Item=item("a", v=1, s="x"))
    assert api.events(arn) == ["INSERT"]


def test_update_item_changing_an_attribute_is_modify_with_full_images(api, store):
    arn = api.create_table("orders")
    store.put_item(TableName="orders", Item=item("a", v=1, keep="same"))
    _update(store, "a", v=2)
    rec = api.all_records(arn)[-1]
    assert rec["eventName"] == "MODIFY"
    assert rec["dynamodb"]["OldImage"] == item("a", v=1, keep="same")
    assert rec["dynamodb"]["NewImage"] == item("a", v=2, keep="same")


def test_update_item_that_changes_nothing_produces_no_record(api, store):
    arn = api.create_table("orders")
    store.put_item(TableName="orders", Item=item("a", v=1))
    _update(store, "a", v=1)
    store.update_item(TableName="orders", Key={"pk": {"S": "a"}},
                      AttributeUpdates={"missing": {"Action": "DELETE"}})
    store.update_item(TableName="orders", Key={"pk": {"S": "a"}})
    assert api.events(arn) == ["INSERT"]


def test_delete_of_an_existing_item_is_remove(api, store):
    arn = api.create_table("orders")
    store.put_item(TableName="orders", Item=item("a", v=1))
    store.delete_item(TableName="orders", Key={"pk": {"S": "a"}})
    records = api.all_records(arn)
    assert [r["eventName"] for r in records] == ["INSERT", "REMOVE"]
    assert records[1]["dynamodb"]["OldImage"] == item("a", v=1)
    assert "NewImage" not in records[1]["dynamodb"]


def test_delete_of_a_missing_item_produces_no_record(api, store):
    arn = api.create_table("orders")
    store.delete_item(TableName="orders", Key={"pk": {"S": "nothing"}})
    store.put_item(TableName="orders", Item=item("a"))
    store.delete_item(TableName="orders", Key={"pk": {"S": "a"}})
    store.delete_item(TableName="orders", Key={"pk": {"S": "a"}})
    assert api.events(arn) == ["INSERT", "REMOVE"]


def test_records_of_one_item_keep_modification_order(api, store):
    arn = api.create_table("orders")
    for v in range(5):
        store.put_item(TableName="orders", Item=item("a", v=v))
    store.delete_item(TableName="orders", Key={"pk": {"S": "a"}})
    records = api.all_records(arn)
    assert [r["eventName"] for r in records] == ["INSERT"] + ["MODIFY"] * 4 + ["REMOVE"]
    assert [r["dynamodb"]["OldImage"]["v"]["N"] for r in records[1:]] == ["0", "1", "2", "3", "4"]


def test_writes_to_a_table_without_stream_or_after_disable_are_not_recorded(api, store, clock):
    api.create_table("plain", view_type=None)
    store.put_item(TableName="plain", Item=item("a"))
    assert store.list_streams() == {"Streams": []}
    arn = api.create_table("orders")
    store.put_item(TableName="orders", Item=item("a"))
    clock.advance(1000)
    api.disable("orders")
    store.put_item(TableName="orders", Item=item("b"))
    assert api.events(arn) == ["INSERT"]


# -- images per view type (spec §4.1 table; localstack#3851) -------------------------------------------------------

EXPECTED_IMAGES = {
    "KEYS_ONLY": {"INSERT": set(), "MODIFY": set(), "REMOVE": set()},
    "NEW_IMAGE": {"INSERT": {"NewImage"}, "MODIFY": {"NewImage"}, "REMOVE": set()},
    "OLD_IMAGE": {"INSERT": set(), "MODIFY": {"OldImage"}, "REMOVE": {"OldImage"}},
    "NEW_AND_OLD_IMAGES": {"INSERT": {"NewImage"}, "MODIFY": {"NewImage", "OldImage"}, "REMOVE": {"OldImage"}},
}


@pytest.mark.parametrize("view_type", VIEW_TYPES)
def test_images_per_view_type(api, store, view_type):
    arn = api.create_table("orders", view_type)
    v1, v2 = item("a", v=1, s="one"), item("a", v=2, s="two")
    store.put_item(TableName="orders", Item=v1)
    store.put_item(TableName="orders", Item=v2)
    store.delete_item(TableName="orders", Key={"pk": {"S": "a"}})
    records = api.all_records(arn)
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    images = {"INSERT": (v1, None), "MODIFY": (v2, v1), "REMOVE": (None, v2)}
    for rec in records:
        body = rec["dynamodb"]
        expected = EXPECTED_IMAGES[view_type][rec["eventName"]]
        assert set(body) == BASE_FIELDS | expected, (view_type, rec["eventName"])
        assert body["Keys"] == {"pk": {"S": "a"}}
        assert body["StreamViewType"] == view_type
        new, old = images[rec["eventName"]]
        if "NewImage" in expected:
            assert body["NewImage"] == new
        if "OldImage" in expected:
            assert body["OldImage"] == old


@pytest.mark.parametrize("view_type", ["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"])
def test_key_only_item_gives_key_only_images(api, store, view_type):
    """Spec §4.1: an item with only key attributes yields an image with just the keys, not an absent image."""
    arn = api.create_table("orders", view_type)
    store.put_item(TableName="orders", Item={"pk": {"S": "a"}})
    store.delete_item(TableName="orders", Key={"pk": {"S": "a"}})
    insert, remove = api.all_records(arn)
    if "NEW" in view_type:
        assert insert["dynamodb"]["NewImage"] == {"pk": {"S": "a"}}
    if "OLD" in view_type:
        assert remove["dynamodb"]["OldImage"] == {"pk": {"S": "a"}}


def test_keys_of_a_composite_key_table(api, store):
    arn = api.create_table("forum", key_schema=(("ForumName", "S"), ("Subject", "S")))
    store.put_item(TableName="forum", Item={"ForumName": {"S": "DynamoDB"}, "Subject": {"S": "Thread 1"},
                                            "Views": {"N": "3"}})
    store.delete_item(TableName="forum", Key={"ForumName": {"S": "DynamoDB"}, "Subject": {"S": "Thread 1"}})
    for rec in api.all_records(arn):
        assert rec["dynamodb"]["Keys"] == {"ForumName": {"S": "DynamoDB"}, "Subject": {"S": "Thread 1"}}


def test_keys_of_number_and_binary_keys(api, store):
    arn = api.create_table("numbers", key_schema=(("Id", "N"), ("Blob", "B")))
    store.put_item(TableName="numbers", Item={"Id": {"N": "101"}, "Blob": {"B": b"\x00\x01"}, "x": {"S": "y"}})
    [rec] = api.all_records(arn)
    assert rec["dynamodb"]["Keys"] == {"Id": {"N": "101"}, "Blob": {"B": b"\x00\x01"}}


# -- SizeBytes (spec §4.3) -----------------------------------------------------------------------------------------


def test_size_bytes_of_the_keys_only_forum_example(api, store):
    """Spec §4.3: KEYS_ONLY {ForumName: "DynamoDB", Subject: "DynamoDB Thread 3"} = 17 + 24 = 41."""
    arn = api.create_table("Thread", "KEYS_ONLY", key_schema=(("ForumName", "S"), ("Subject", "S")))
    store.put_item(TableName="Thread", Item={"ForumName": {"S": "DynamoDB"}, "Subject": {"S": "DynamoDB Thread 3"},
                                             "Message": {"S": "a long message that KEYS_ONLY does not count"}})
    [rec] = api.all_records(arn)
    assert rec["dynamodb"]["SizeBytes"] == 41


def test_size_bytes_of_the_lambda_insert_and_modify_examples(api, store):
    """Spec §4.1 / §4.3: Lambda doc INSERT = 26, MODIFY = 59 (NEW_AND_OLD_IMAGES)."""
    arn = api.create_table("Example", "NEW_AND_OLD_IMAGES", key_schema=(("Id", "N"),))
    store.put_item(TableName="Example", Item={"Id": {"N": "101"}, "Message": {"S": "New item!"}})
    store.put_item(TableName="Example", Item={"Id": {"N": "101"}, "Message": {"S": "This item has changed"}})
    insert, modify = api.all_records(arn)
    assert insert["dynamodb"]["SizeBytes"] == 26
    assert modify["dynamodb"]["SizeBytes"] == 59
    assert modify["dynamodb"]["NewImage"] == {"Id": {"N": "101"}, "Message": {"S": "This item has changed"}}
    assert modify["dynamodb"]["OldImage"] == {"Id": {"N": "101"}, "Message": {"S": "New item!"}}


@pytest.mark.parametrize("view_type, insert, modify, remove", [
    ("KEYS_ONLY", 5, 5, 5),
    ("NEW_IMAGE", 5 + 21, 5 + 33, 5),
    ("OLD_IMAGE", 5, 5 + 21, 5 + 33),
    ("NEW_AND_OLD_IMAGES", 5 + 21, 5 + 33 + 21, 5 + 33),
])
def test_size_bytes_counts_only_included_images(api, store, view_type, insert, modify, remove):
    """SizeBytes = size(Keys) + size(NewImage if included) + size(OldImage if included); Keys {Id: 101} = 2 + 3,
    {Id, Message: "New item!"} = 5 + 7 + 9 = 21, {Id, Message: "This item has changed"} = 5 + 7 + 21 = 33."""
    arn = api.create_table("Example", view_type, key_schema=(("Id", "N"),))
    store.put_item(TableName="Example", Item={"Id": {"N": "101"}, "Message": {"S": "New item!"}})
    store.put_item(TableName="Example", Item={"Id": {"N": "101"}, "Message": {"S": "This item has changed"}})
    store.delete_item(TableName="Example", Key={"Id": {"N": "101"}})
    assert [r["dynamodb"]["SizeBytes"] for r in api.all_records(arn)] == [insert, modify, remove]


def test_size_bytes_of_other_types(api, store):
    """Spec §4.3 value sizes: N = ceil(significant digits / 2) + 1 (leading/trailing zeros dropped), B = raw
    bytes, BOOL/NULL = 1, SS/NS = sum of members, M/L = 3 + sum(1 + element size), map elements with names."""
    arn = api.create_table("orders", "NEW_IMAGE")
    store.put_item(TableName="orders", Item={
        "pk": {"S": "a"},                                   # 2 + 1
        "n": {"N": "1723213300"},                           # 1 + 5 (8 significant digits)
        "b": {"B": b"\x00\x01\x02"},                        # 1 + 3
        "t": {"BOOL": True},                                # 1 + 1
        "z": {"NULL": True},                                # 1 + 1
        "ss": {"SS": ["ab", "cde"]},                        # 2 + 5
        "ns": {"NS": ["1", "22"]},                          # 2 + 2 + 2
        "m": {"M": {"k": {"S": "vv"}}},                     # 1 + 3 + (1 + 1 + 2)
        "l": {"L": [{"S": "x"}, {"N": "5"}]},               # 1 + 3 + (1 + 1) + (1 + 2)
    })
    keys, image = 3, 3 + 6 + 4 + 2 + 2 + 7 + 6 + 8 + 9
    [rec] = api.all_records(arn)
    assert rec["dynamodb"]["SizeBytes"] == keys + image


# -- sequence numbers, eventID and the other fields (spec §4.1, §5) ------------------------------------------------


def test_sequence_numbers_are_decimal_increasing_and_in_the_shard_range(api, store, clock):
    """scylla#7158/#7424 (digits, big-integer order), localstack#3159 (within Starting/Ending)."""
    arn = api.create_table("orders")
    for i in range(10):
        store.put_item(TableName="orders", Item=item(f"k{i}", v=i))
    root = api.only_shard(arn)
    clock.advance(1000)
    store.split_shard(StreamArn=arn, ShardId=root)
    for i in range(10):
        store.put_item(TableName="orders", Item=item(f"k{i}", v=i + 100))
    for shard in api.shards(arn):
        records = api.records(arn, shard["ShardId"])
        seqs = [r["dynamodb"]["SequenceNumber"] for r in records]
        assert all(SEQ_RE.fullmatch(s) for s in seqs)
        numbers = [int(s) for s in seqs]
        assert all(a < b for a, b in zip(numbers, numbers[1:]))
        rng = shard["SequenceNumberRange"]
        assert all(int(rng["StartingSequenceNumber"]) <= n for n in numbers)
        if "EndingSequenceNumber" in rng:
            assert all(n <= int(rng["EndingSequenceNumber"]) for n in numbers)
    assert len(api.all_records(arn)) == 20


def test_event_ids_are_32_hex_unique_and_stable(api, store):
    arn = api.create_table("orders")
    for i in range(5):
        store.put_item(TableName="orders", Item=item("a", v=i))
    first = [r["eventID"] for r in api.all_records(arn)]
    second = [r["eventID"] for r in api.all_records(arn)]
    assert all(EVENT_ID_RE.fullmatch(e) for e in first)
    assert len(set(first)) == 5
    assert first == second


def test_record_envelope_fields(open_store, tmp_path, clock):
    s = open_store(tmp_path / "west", region="eu-west-2", account="123456789012")
    api = Api(s, clock)
    arn = api.create_table("orders", "NEW_IMAGE")
    s.put_item(TableName="orders", Item=item("a"))
    [rec] = api.all_records(arn)
    assert set(rec) == {"eventID", "eventName", "eventVersion", "eventSource", "awsRegion", "dynamodb"}
    assert rec["eventVersion"] == "1.1"
    assert rec["eventSource"] == "aws:dynamodb"
    assert rec["awsRegion"] == "eu-west-2"
    assert rec["dynamodb"]["StreamViewType"] == "NEW_IMAGE"


def test_approximate_creation_date_time_is_whole_epoch_seconds(api, store, clock):
    arn = api.create_table("orders")
    clock.set(START_MS + 123_999)
    store.put_item(TableName="orders", Item=item("a"))
    clock.advance(1)
    store.put_item(TableName="orders", Item=item("b"))
    first, second = api.all_records(arn)
    assert first["dynamodb"]["ApproximateCreationDateTime"] == START_MS // 1000 + 123
    assert second["dynamodb"]["ApproximateCreationDateTime"] == START_MS // 1000 + 124
    assert float(first["dynamodb"]["ApproximateCreationDateTime"]).is_integer()


# -- TTL (spec §4.1 userIdentity; localstack#11343) ----------------------------------------------------------------


def test_ttl_deletion_is_remove_with_service_user_identity(api, store, clock):
    arn = api.create_table("orders")
    store.update_time_to_live(TableName="orders", TimeToLiveSpecification={"Enabled": True,
                                                                           "AttributeName": "expires"})
    now_s = START_MS // 1000
    store.put_item(TableName="orders", Item=item("ttl", expires=now_s + 60))
    store.put_item(TableName="orders", Item=item("keep", expires=now_s + 3600))
    store.put_item(TableName="orders", Item=item("manual"))
    store.delete_item(TableName="orders", Key={"pk": {"S": "manual"}})
    clock.advance(2 * MINUTE_MS)
    store.maintain()
    records = api.all_records(arn)
    assert [(r["eventName"], _pks([r])[0]) for r in records] == [
        ("INSERT", "ttl"), ("INSERT", "keep"), ("INSERT", "manual"), ("REMOVE", "manual"), ("REMOVE", "ttl")]
    ttl_remove = records[-1]
    assert ttl_remove["userIdentity"] == {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}
    assert ttl_remove["dynamodb"]["OldImage"] == item("ttl", expires=now_s + 60)
    assert all("userIdentity" not in r for r in records[:-1])   # ordinary writes and deletes: key absent
    assert store.get_item(TableName="orders", Key={"pk": {"S": "ttl"}}) == {}
    assert store.get_item(TableName="orders", Key={"pk": {"S": "keep"}}) != {}


# -- batch and transactional writes --------------------------------------------------------------------------------


def test_batch_write_item_gives_one_record_per_changed_item(api, store):
    arn = api.create_table("orders")
    store.put_item(TableName="orders", Item=item("old", v=1))
    store.put_item(TableName="orders", Item=item("same", v=1))
    store.batch_write_item(RequestItems={"orders": [
        {"PutRequest": {"Item": item("new1")}},
        {"PutRequest": {"Item": item("new2")}},
        {"PutRequest": {"Item": item("same", v=1)}},          # identical: no record
        {"DeleteRequest": {"Key": {"pk": {"S": "old"}}}},
        {"DeleteRequest": {"Key": {"pk": {"S": "missing"}}}},  # absent: no record
    ]})
    records = api.all_records(arn)[2:]
    assert sorted((r["eventName"], _pks([r])[0]) for r in records) == [
        ("INSERT", "new1"), ("INSERT", "new2"), ("REMOVE", "old")]


def test_transact_write_items_gives_one_record_per_changed_item(api, store):
    arn = api.create_table("orders")
    store.put_item(TableName="orders", Item=item("replace", v=1))
    store.put_item(TableName="orders", Item=item("gone", v=1))
    store.transact_write_items(TransactItems=[
        {"Put": {"TableName": "orders", "Item": item("new")}},
        {"Put": {"TableName": "orders", "Item": item("replace", v=2)}},
        {"Delete": {"TableName": "orders", "Key": {"pk": {"S": "gone"}}}},
    ])
    records = api.all_records(arn)[2:]
    assert sorted((r["eventName"], _pks([r])[0]) for r in records) == [
        ("INSERT", "new"), ("MODIFY", "replace"), ("REMOVE", "gone")]


def test_failing_transaction_writes_nothing_and_records_nothing(api, store):
    arn = api.create_table("orders")
    with pytest.raises(ValidationException):
        store.transact_write_items(TransactItems=[
            {"Put": {"TableName": "orders", "Item": item("a", v=1)}},
            {"Put": {"TableName": "orders", "Item": item("a", v=2)}},   # the same item twice
        ])
    with pytest.raises(ValidationException):
        store.transact_write_items(TransactItems=[
            {"Put": {"TableName": "orders", "Item": item("b", v=1)}},
            {"Put": {"TableName": "orders", "Item": {"other": {"S": "no key"}}}},
        ])
    assert store.get_item(TableName="orders", Key={"pk": {"S": "a"}}) == {}
    assert store.get_item(TableName="orders", Key={"pk": {"S": "b"}}) == {}
    assert api.all_records(arn) == []


def test_failing_batch_write_writes_nothing_and_records_nothing(api, store):
    arn = api.create_table("orders")
    with pytest.raises(ValidationException):
        store.batch_write_item(RequestItems={"orders": [
            {"PutRequest": {"Item": item("a")}},
            {"PutRequest": {"Item": {"pk": {"N": "1"}}}},   # wrongly typed key
        ]})
    assert store.get_item(TableName="orders", Key={"pk": {"S": "a"}}) == {}
    assert api.all_records(arn) == []


def test_batch_write_with_duplicate_keys_writes_nothing(api, store):
    arn = api.create_table("orders")
    with pytest.raises(ValidationException) as e:
        store.batch_write_item(RequestItems={"orders": [
            {"PutRequest": {"Item": item("a", v=1)}},
            {"DeleteRequest": {"Key": {"pk": {"S": "a"}}}},
        ]})
    assert e.value.message == "Provided list of item keys contains duplicates"
    assert store.get_item(TableName="orders", Key={"pk": {"S": "a"}}) == {}
    assert api.all_records(arn) == []
