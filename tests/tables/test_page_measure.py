"""A Query or Scan page measures what it reads only when it must (tables/reads.py, ``Reader._page``).

Without ReturnConsumedCapacity a page does not compute DynamoDB's size of every item it evaluates: it adds up
the stored values' lengths, and measures the items only once those reach 1 MB. That is exact only because a
stored value is never shorter than the size of what it holds; these tests check that bound on random items and
index entries, and that a page stops at the same item, with the same LastEvaluatedKey, whether or not the
capacity is asked for, around the 1 MB limit, for the table and its indexes.
"""
from __future__ import annotations

import random

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

import logstore
from logstore.errors import ValidationException
from logstore.tables import attrs
from logstore.tables.items import pack_item

NAMES = st.one_of(st.sampled_from(["pk", "sk", "a", "é", "\U0001f600", "x" * 40]), st.text(min_size=1, max_size=6))
NUMBERS = st.one_of(st.integers(-10**38, 10**38).map(str),
                    st.builds(lambda i, e: f"{i}E{e}", st.integers(-99, 99), st.integers(-120, 120)),
                    st.sampled_from(["0", "0.5", "-0.05", "1E125", "1E-129", "9" * 38, "0.000001"]))
STRINGS = st.text(max_size=30)


def _scalars():
    return st.one_of(
        STRINGS.map(lambda s: {"S": s}), NUMBERS.map(lambda n: {"N": n}), st.binary(max_size=30).map(lambda b: {"B": b}),
        st.booleans().map(lambda b: {"BOOL": b}), st.just({"NULL": True}),
        st.lists(STRINGS, min_size=1, max_size=4, unique=True).map(lambda v: {"SS": v}),
        st.lists(st.integers(-10**6, 10**6).map(str), min_size=1, max_size=4, unique=True).map(lambda v: {"NS": v}),
        st.lists(st.binary(max_size=6), min_size=1, max_size=4, unique=True).map(lambda v: {"BS": v}))


VALUES = st.recursive(_scalars(), lambda inner: st.one_of(
    st.dictionaries(NAMES, inner, max_size=4).map(lambda m: {"M": m}),
    st.lists(inner, max_size=4).map(lambda v: {"L": v})), max_leaves=16)


def _canonical(item: dict) -> dict | None:
    try:
        return attrs.canonical_item(item)
    except ValidationException:
        return None


def test_a_stored_body_is_never_shorter_than_the_size_it_holds(seed):
    """The bound the page relies on, on random items: every name, value and type tag the size counts costs the
    msgpack body at least as many bytes (and the stored value adds its seal to that)."""
    @settings(max_examples=1500, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @hypothesis_seed(seed)
    @given(st.dictionaries(NAMES, VALUES, min_size=1, max_size=6))
    def check(item):
        canon = _canonical(item)
        if canon is None:
            return
        assert len(pack_item(canon)) >= attrs.item_size(canon), canon
    check()


@pytest.mark.parametrize("text", ["0", "5", "-5", "0.1", "-0.000001", "1" + "0" * 125, "9" * 38, "1E-130"])
def test_the_bound_for_numbers_and_one_byte_types(text):
    for av in ({"N": text}, {"BOOL": False}, {"NULL": True}, {"NS": [text]}, {"L": [{"N": text}]},
               {"M": {"": {"N": text}}}):
        canon = _canonical({"a": av})
        if canon is not None:
            assert len(pack_item(canon)) >= attrs.item_size(canon)


def _table(store):
    store.create_table(
        TableName="big", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t}
                              for n, t in (("pk", "S"), ("sk", "N"), ("g", "S"), ("l", "N"))],
        GlobalSecondaryIndexes=[
            {"IndexName": "g_all", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "ALL"}},
            {"IndexName": "g_some", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["small"]}}],
        LocalSecondaryIndexes=[
            {"IndexName": "l_keys", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                  {"AttributeName": "l", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "KEYS_ONLY"}}])


READS = [
    ("query", {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p"}}}),
    ("query", {"KeyConditionExpression": "pk = :p", "ScanIndexForward": False,
               "ExpressionAttributeValues": {":p": {"S": "p"}}}),
    ("query", {"IndexName": "g_all", "KeyConditionExpression": "g = :g",
               "ExpressionAttributeValues": {":g": {"S": "G"}}}),
    ("query", {"IndexName": "g_some", "KeyConditionExpression": "g = :g",
               "ExpressionAttributeValues": {":g": {"S": "G"}}}),
    ("query", {"IndexName": "l_keys", "KeyConditionExpression": "pk = :p", "Select": "ALL_ATTRIBUTES",
               "ExpressionAttributeValues": {":p": {"S": "p"}}}),
    ("scan", {}),
    ("scan", {"FilterExpression": "attribute_not_exists(nothing)"}),
    ("scan", {"Segment": 0, "TotalSegments": 2}),
    ("scan", {"IndexName": "g_all"}),
    ("scan", {"IndexName": "l_keys", "Select": "ALL_ATTRIBUTES"}),
]


def _pages(store, op: str, request: dict) -> list[tuple[int, int, dict | None, list]]:
    out = []
    request = dict(request, TableName="big")
    for _ in range(200):
        page = getattr(store, op)(**request)
        out.append((page["Count"], page["ScannedCount"], page.get("LastEvaluatedKey"),
                    [(i["pk"], i["sk"]) for i in page["Items"]]))
        if "LastEvaluatedKey" not in page:
            return out
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    raise AssertionError("no last page")


def test_pages_stop_at_the_same_item_with_and_without_capacity(tmp_path, seed):
    """Items of random sizes (many of them large, so pages end on the 1 MB limit, not on a Limit), read page by
    page with and without ReturnConsumedCapacity: the same pages, item for item and key for key."""
    rng = random.Random(seed)
    with logstore.open(str(tmp_path / "s"), durable=False) as store:
        _table(store)
        for i in range(60):
            payload = "x" * rng.choice([10, 1000, rng.randrange(10_000, 120_000), rng.randrange(150_000, 390_000)])
            extra = {"M": {"n": {"N": str(rng.randrange(10**9))}, "ss": {"SS": ["a", "b" * rng.randrange(1, 50)]}}}
            store.put_item(TableName="big", Item={"pk": {"S": "p"}, "sk": {"N": str(i)}, "g": {"S": "G"},
                                                  "l": {"N": str(rng.randrange(10**6))}, "small": {"S": "s"},
                                                  "payload": {"S": payload}, "extra": extra})
        for op, request in READS:
            plain = _pages(store, op, request)
            measured = _pages(store, op, dict(request, ReturnConsumedCapacity="TOTAL"))
            assert plain == measured, (op, request)
            if request.get("IndexName", "g_all") == "g_all":   # whole items: the 1 MB limit was met
                assert len(plain) > 1, (op, request)
            else:   # the limit counts an index's entries (keys and "small"): far below 1 MB, one page
                assert len(plain) == 1, (op, request)


def test_the_capacity_of_a_page_is_still_its_items_size(tmp_path):
    """With ReturnConsumedCapacity every evaluated item is measured, as before: 0.5 read units per 4 KB
    (eventually consistent), rounded up, of the items' total size."""
    with logstore.open(str(tmp_path / "s"), durable=False) as store:
        _table(store)
        items = [{"pk": {"S": "p"}, "sk": {"N": str(i)}, "payload": {"S": "y" * 3000}} for i in range(5)]
        for it in items:
            store.put_item(TableName="big", Item=it)
        total = sum(attrs.item_size(attrs.canonical_item(it)) for it in items)
        r = store.query(TableName="big", KeyConditionExpression="pk = :p", ReturnConsumedCapacity="TOTAL",
                        ExpressionAttributeValues={":p": {"S": "p"}})
        assert r["ConsumedCapacity"]["CapacityUnits"] == -(-total // 4096) * 0.5
        assert len(msgpack.packb(items[0])) > 3000
