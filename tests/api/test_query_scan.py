"""Query and Scan through the embedded API, against DynamoDB's documented behaviour.

Oracle: the DynamoDB API reference (Query, Scan) and Developer Guide (Query.KeyConditionExpressions,
Query.Pagination, Scan.ParallelScan, LSI.Querying, GSI.Reading), and for exact error wording the messages real
DynamoDB returns (as recorded by the AWS-verified dynalite test-suite, test/query.js and test/scan.js, and by the
DynamoDB Local error table). Every test builds its own store in tmp_path.
"""
from __future__ import annotations

from decimal import Decimal

import pytest

from logstore.errors import ResourceNotFoundException, ValidationException


def S(v: str) -> dict:
    return {"S": v}


def N(v) -> dict:
    return {"N": str(v)}


def B(v: bytes) -> dict:
    return {"B": v}


def make_table(store, name, keys, *, attrs=(), lsi=(), gsi=()):
    """Create ``name`` keyed by ``keys`` ((name, type), HASH first) with extra index key definitions ``attrs``."""
    defs = dict(keys)
    defs.update(dict(attrs))
    request = dict(
        TableName=name,
        KeySchema=[{"AttributeName": n, "KeyType": "HASH" if i == 0 else "RANGE"} for i, (n, _) in enumerate(keys)],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in defs.items()],
        BillingMode="PAY_PER_REQUEST")
    if lsi:
        request["LocalSecondaryIndexes"] = list(lsi)
    if gsi:
        request["GlobalSecondaryIndexes"] = list(gsi)
    store.create_table(**request)


def index(name, keys, projection="ALL", non_key=None) -> dict:
    proj = {"ProjectionType": projection}
    if non_key:
        proj["NonKeyAttributes"] = list(non_key)
    return {"IndexName": name,
            "KeySchema": [{"AttributeName": n, "KeyType": "HASH" if i == 0 else "RANGE"} for i, n in enumerate(keys)],
            "Projection": proj}


def pages(store, op: str, **request) -> list[dict]:
    """Every page of a Query or Scan, following LastEvaluatedKey."""
    out = []
    for _ in range(1000):
        page = getattr(store, op)(**request)
        out.append(page)
        if "LastEvaluatedKey" not in page:
            return out
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    raise AssertionError("paging never ended")


def all_items(store, op: str, **request) -> list[dict]:
    return [i for p in pages(store, op, **request) for i in p["Items"]]


def key_of(item: dict, names) -> tuple:
    return tuple(repr(item[n]) for n in names)


# -- fixtures: a number-ranged, a string-ranged and a binary-ranged table ------------------------------------------

NUM_KEYS = ["-10", "-2.5", "-1", "0", "0.5", "1", "2", "10", "100"]           # ascending by value
STR_KEYS = sorted(["B", "a", "ab", "abc", "abd", "b", "ba", "z", "\u00e9", "\uff5e", "\U0001d11e"])  # code point
BIN_KEYS = sorted([b"\x00", b"\x00\x01", b"\x01", b"\x7f", b"\x80", b"\x80\x00", b"\xff", b"\xff\xff"])


@pytest.fixture
def nums(store):
    make_table(store, "nums", [("pk", "S"), ("sk", "N")])
    for i, k in enumerate(NUM_KEYS):
        store.put_item(TableName="nums", Item={"pk": S("a"), "sk": N(k), "v": N(i),
                                               "parity": S("even" if i % 2 == 0 else "odd")})
    # neighbours that a sloppy hash-key prefix or range seek would leak into pk "a"'s results
    for pk in ("aa", "b", "`"):
        for k in ("-5", "0", "5"):
            store.put_item(TableName="nums", Item={"pk": S(pk), "sk": N(k), "v": N(-1)})
    return "nums"


@pytest.fixture
def words(store):
    make_table(store, "words", [("pk", "S"), ("sk", "S")])
    for k in STR_KEYS:
        store.put_item(TableName="words", Item={"pk": S("w"), "sk": S(k)})
    store.put_item(TableName="words", Item={"pk": S("w2"), "sk": S("ab")})
    return "words"


@pytest.fixture
def blobs(store):
    make_table(store, "blobs", [("pk", "S"), ("sk", "B")])
    for k in BIN_KEYS:
        store.put_item(TableName="blobs", Item={"pk": S("x"), "sk": B(k)})
    store.put_item(TableName="blobs", Item={"pk": S("y"), "sk": B(b"\x80")})
    return "blobs"


def _nums(items) -> list[Decimal]:
    return [Decimal(i["sk"]["N"]) for i in items]


# -- range operators -----------------------------------------------------------------------------------------------

NUM_CASES = [
    ("pk = :p AND sk = :a", {":a": N("0.50")}, ["0.5"]),
    ("pk = :p AND sk = :a", {":a": N("1E1")}, ["10"]),
    ("pk = :p AND sk = :a", {":a": N("3")}, []),
    ("pk = :p AND sk < :a", {":a": N("0")}, ["-10", "-2.5", "-1"]),
    ("pk = :p AND sk < :a", {":a": N("-100")}, []),
    ("pk = :p AND sk <= :a", {":a": N("0")}, ["-10", "-2.5", "-1", "0"]),
    ("pk = :p AND sk <= :a", {":a": N("-2.5")}, ["-10", "-2.5"]),
    ("pk = :p AND sk > :a", {":a": N("1")}, ["2", "10", "100"]),
    ("pk = :p AND sk > :a", {":a": N("-3")}, ["-2.5", "-1", "0", "0.5", "1", "2", "10", "100"]),
    ("pk = :p AND sk >= :a", {":a": N("1")}, ["1", "2", "10", "100"]),
    ("pk = :p AND sk >= :a", {":a": N("100.0")}, ["100"]),
    ("pk = :p AND sk BETWEEN :a AND :b", {":a": N("-2.5"), ":b": N("1")}, ["-2.5", "-1", "0", "0.5", "1"]),
    ("pk = :p AND sk BETWEEN :a AND :b", {":a": N("-1.5"), ":b": N("-0.5")}, ["-1"]),
    ("pk = :p AND sk BETWEEN :a AND :b", {":a": N("3"), ":b": N("9")}, []),
    ("pk = :p AND sk BETWEEN :a AND :b", {":a": N("0"), ":b": N("0")}, ["0"]),
    (":a < sk AND :p = pk", {":a": N("2")}, ["10", "100"]),
    ("(pk = :p) AND (sk <= :a)", {":a": N("-1")}, ["-10", "-2.5", "-1"]),
    ("pk = :p", {}, NUM_KEYS),
]


@pytest.mark.parametrize("forward", [True, False], ids=["asc", "desc"])
@pytest.mark.parametrize("kce, values, expected", NUM_CASES, ids=[f"{c[0]}|{c[1]}" for c in NUM_CASES])
def test_query_number_range_operators(store, nums, kce, values, expected, forward):
    r = store.query(TableName=nums, KeyConditionExpression=kce, ScanIndexForward=forward,
                    ExpressionAttributeValues={":p": S("a"), **values})
    want = [Decimal(x) for x in expected]
    assert _nums(r["Items"]) == (want if forward else want[::-1])
    assert all(i["pk"] == S("a") for i in r["Items"])
    assert r["Count"] == r["ScannedCount"] == len(expected)
    assert "LastEvaluatedKey" not in r


STR_CASES = [
    ("begins_with(sk, :a)", {":a": S("ab")}, ["ab", "abc", "abd"]),
    ("begins_with(sk, :a)", {":a": S("a")}, ["a", "ab", "abc", "abd"]),
    ("begins_with(sk, :a)", {":a": S("\u00e9")}, ["\u00e9"]),
    ("begins_with(sk, :a)", {":a": S("abcd")}, []),
    ("sk < :a", {":a": S("a")}, ["B"]),
    ("sk <= :a", {":a": S("ab")}, ["B", "a", "ab"]),
    ("sk > :a", {":a": S("z")}, ["\u00e9", "\uff5e", "\U0001d11e"]),
    ("sk >= :a", {":a": S("\uff5e")}, ["\uff5e", "\U0001d11e"]),
    ("sk BETWEEN :a AND :b", {":a": S("ab"), ":b": S("b")}, ["ab", "abc", "abd", "b"]),
    ("sk = :a", {":a": S("ba")}, ["ba"]),
]


@pytest.mark.parametrize("forward", [True, False], ids=["asc", "desc"])
@pytest.mark.parametrize("cond, values, expected", STR_CASES, ids=[f"{c[0]}|{c[1]}" for c in STR_CASES])
def test_query_string_range_operators(store, words, cond, values, expected, forward):
    r = store.query(TableName=words, KeyConditionExpression="pk = :p AND " + cond, ScanIndexForward=forward,
                    ExpressionAttributeValues={":p": S("w"), **values})
    got = [i["sk"]["S"] for i in r["Items"]]
    assert got == (expected if forward else expected[::-1])


def test_query_strings_are_ordered_by_utf8_bytes_not_utf16(store, words):
    """U+FF5E sorts before U+1D11E in UTF-8 byte order (it would sort after it in UTF-16 code units)."""
    r = store.query(TableName=words, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": S("w")})
    got = [i["sk"]["S"] for i in r["Items"]]
    assert got == STR_KEYS
    assert got.index("\uff5e") < got.index("\U0001d11e")
    assert got[:2] == ["B", "a"]


BIN_CASES = [
    ("begins_with(sk, :a)", {":a": B(b"\x80")}, [b"\x80", b"\x80\x00"]),
    ("begins_with(sk, :a)", {":a": B(b"\xff")}, [b"\xff", b"\xff\xff"]),
    ("begins_with(sk, :a)", {":a": B(b"\x00")}, [b"\x00", b"\x00\x01"]),
    ("sk > :a", {":a": B(b"\x7f")}, [b"\x80", b"\x80\x00", b"\xff", b"\xff\xff"]),
    ("sk < :a", {":a": B(b"\x01")}, [b"\x00", b"\x00\x01"]),
    ("sk BETWEEN :a AND :b", {":a": B(b"\x00\x01"), ":b": B(b"\x80")}, [b"\x00\x01", b"\x01", b"\x7f", b"\x80"]),
    ("sk >= :a", {":a": B(b"\xff")}, [b"\xff", b"\xff\xff"]),
]


@pytest.mark.parametrize("forward", [True, False], ids=["asc", "desc"])
@pytest.mark.parametrize("cond, values, expected", BIN_CASES, ids=[f"{c[0]}|{c[1]}" for c in BIN_CASES])
def test_query_binary_range_operators_compare_unsigned_bytes(store, blobs, cond, values, expected, forward):
    r = store.query(TableName=blobs, KeyConditionExpression="pk = :p AND " + cond, ScanIndexForward=forward,
                    ExpressionAttributeValues={":p": S("x"), **values})
    got = [bytes(i["sk"]["B"]) for i in r["Items"]]
    assert got == (expected if forward else expected[::-1])


def test_query_binary_full_order(store, blobs):
    r = store.query(TableName=blobs, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": S("x")})
    assert [bytes(i["sk"]["B"]) for i in r["Items"]] == BIN_KEYS


def test_query_with_expression_attribute_names(store, nums):
    r = store.query(TableName=nums, KeyConditionExpression="#h = :p AND #r BETWEEN :a AND :b",
                    ExpressionAttributeNames={"#h": "pk", "#r": "sk"},
                    ExpressionAttributeValues={":p": S("a"), ":a": N(0), ":b": N(1)})
    assert _nums(r["Items"]) == [Decimal("0"), Decimal("0.5"), Decimal("1")]


def test_query_of_a_hash_key_with_no_items(store, nums):
    r = store.query(TableName=nums, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": S("zzz")})
    assert r["Items"] == [] and r["Count"] == 0 and r["ScannedCount"] == 0
    assert "LastEvaluatedKey" not in r


@pytest.mark.parametrize("hash_type, values", [
    ("N", ["1", "10", "100", "-1", "1.5", "0.1", "-10"]),
    ("B", [b"a", b"a\x00", b"ab", b"\xff", b"\xff\xff", b"\xff\x00", b"\x00"]),
    ("S", ["a", "a\x00", "ab", "\uffff", "\U0010ffff", "\x7f", "\x80"]),
], ids=["N", "B", "S"])
def test_query_reads_only_its_own_hash_key(store, hash_type, values):
    make_table(store, "hk" + hash_type, [("pk", hash_type), ("sk", "N")])
    for v in values:
        for k in range(3):
            store.put_item(TableName="hk" + hash_type, Item={"pk": {hash_type: v}, "sk": N(k)})
    for v in values:
        for forward in (True, False):
            for limit in (None, 2):
                request = dict(TableName="hk" + hash_type, KeyConditionExpression="pk = :p", ScanIndexForward=forward,
                               ExpressionAttributeValues={":p": {hash_type: v}})
                if limit:
                    request["Limit"] = limit
                got = all_items(store, "query", **request)
                assert [i["pk"] for i in got] == [{hash_type: v}] * 3, (v, forward, limit)
                assert [i["sk"]["N"] for i in got] == (["0", "1", "2"] if forward else ["2", "1", "0"])
    assert len(all_items(store, "scan", TableName="hk" + hash_type, Limit=4)) == 3 * len(values)


WIDE_NUMBERS = ["-9.99E+125", "-1E+10", "-100", "-11", "-10", "-1.5", "-1", "-0.0001", "-1E-130", "0", "1E-130",
                "0.0001", "0.5", "1", "1.0000000000000000000000000000000000001", "2", "10", "11", "100", "1E+10",
                "9.99E+125"]


def test_query_orders_numbers_by_value_across_magnitudes(store):
    make_table(store, "wide", [("pk", "S"), ("sk", "N")])
    for v in WIDE_NUMBERS[::-1]:
        store.put_item(TableName="wide", Item={"pk": S("w"), "sk": N(v)})
    want = [Decimal(v) for v in WIDE_NUMBERS]
    for forward in (True, False):
        r = store.query(TableName="wide", KeyConditionExpression="pk = :p", ScanIndexForward=forward,
                        ExpressionAttributeValues={":p": S("w")})
        assert _nums(r["Items"]) == (want if forward else want[::-1])
        got = all_items(store, "query", TableName="wide", KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
                        ScanIndexForward=forward, Limit=3,
                        ExpressionAttributeValues={":p": S("w"), ":a": N("-11"), ":b": N("1E-130")})
        part = [d for d in want if Decimal("-11") <= d <= Decimal("1E-130")]
        assert _nums(got) == (part if forward else part[::-1])
    r = store.query(TableName="wide", KeyConditionExpression="pk = :p AND sk > :a",
                    ExpressionAttributeValues={":p": S("w"), ":a": N("1")})
    assert _nums(r["Items"])[0] == Decimal("1.0000000000000000000000000000000000001")


def test_query_string_keys_with_control_characters(store):
    keys = ["a", "a\x00", "a\x00b", "a\x01", "ab", "b"]
    make_table(store, "ctl", [("pk", "S"), ("sk", "S")])
    for k in keys[::-1]:
        store.put_item(TableName="ctl", Item={"pk": S("c"), "sk": S(k)})
    r = store.query(TableName="ctl", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": S("c")})
    assert [i["sk"]["S"] for i in r["Items"]] == keys
    r = store.query(TableName="ctl", KeyConditionExpression="pk = :p AND begins_with(sk, :a)",
                    ExpressionAttributeValues={":p": S("c"), ":a": S("a\x00")})
    assert [i["sk"]["S"] for i in r["Items"]] == ["a\x00", "a\x00b"]
    r = store.query(TableName="ctl", KeyConditionExpression="pk = :p AND sk < :a", ScanIndexForward=False,
                    ExpressionAttributeValues={":p": S("c"), ":a": S("a\x01")})
    assert [i["sk"]["S"] for i in r["Items"]] == ["a\x00b", "a\x00", "a"]


# -- paging --------------------------------------------------------------------------------------------------------

PAGING_CONDITIONS = [
    ("pk = :p", {}),
    ("pk = :p AND sk > :a", {":a": N("-2")}),
    ("pk = :p AND sk < :a", {":a": N("10")}),
    ("pk = :p AND sk <= :a", {":a": N("10")}),
    ("pk = :p AND sk >= :a", {":a": N("-2.5")}),
    ("pk = :p AND sk BETWEEN :a AND :b", {":a": N("-1"), ":b": N("2")}),
    ("pk = :p AND sk = :a", {":a": N("0.5")}),
]


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 9, 10])
@pytest.mark.parametrize("forward", [True, False], ids=["asc", "desc"])
def test_query_paging_visits_every_item_once(store, nums, limit, forward):
    for kce, values in PAGING_CONDITIONS:
        base = dict(TableName=nums, KeyConditionExpression=kce, ScanIndexForward=forward,
                    ExpressionAttributeValues={":p": S("a"), **values})
        full = store.query(**base)["Items"]
        got = pages(store, "query", Limit=limit, **base)
        flat = [i for p in got for i in p["Items"]]
        assert flat == full, kce
        # a page stops at Limit with a LastEvaluatedKey (the last item's key), even when it holds the last item;
        # the following page is then empty and has none
        assert len(got) == len(full) // limit + 1, kce
        for p in got[:-1]:
            assert p["Count"] == p["ScannedCount"] == limit
            assert p["LastEvaluatedKey"] == {"pk": p["Items"][-1]["pk"], "sk": p["Items"][-1]["sk"]}
        assert len(got[-1]["Items"]) == len(full) % limit
        assert "LastEvaluatedKey" not in got[-1]


def test_query_limit_equal_to_the_item_count_returns_a_last_key_then_an_empty_page(store, nums):
    first = store.query(TableName=nums, KeyConditionExpression="pk = :p", Limit=len(NUM_KEYS),
                        ExpressionAttributeValues={":p": S("a")})
    assert first["Count"] == len(NUM_KEYS)
    assert first["LastEvaluatedKey"] == {"pk": S("a"), "sk": N("100")}
    second = store.query(TableName=nums, KeyConditionExpression="pk = :p", Limit=len(NUM_KEYS),
                         ExclusiveStartKey=first["LastEvaluatedKey"], ExpressionAttributeValues={":p": S("a")})
    assert second == {"Items": [], "Count": 0, "ScannedCount": 0}


def test_query_exclusive_start_key_need_not_be_an_existing_item(store, nums):
    r = store.query(TableName=nums, KeyConditionExpression="pk = :p", ExclusiveStartKey={"pk": S("a"), "sk": N("0.7")},
                    ExpressionAttributeValues={":p": S("a")})
    assert _nums(r["Items"]) == [Decimal(x) for x in ["1", "2", "10", "100"]]
    r = store.query(TableName=nums, KeyConditionExpression="pk = :p", ExclusiveStartKey={"pk": S("a"), "sk": N("0.7")},
                    ScanIndexForward=False, ExpressionAttributeValues={":p": S("a")})
    assert _nums(r["Items"]) == [Decimal(x) for x in ["0.5", "0", "-1", "-2.5", "-10"]]


def test_query_string_paging_with_begins_with(store, words):
    for forward in (True, False):
        base = dict(TableName=words, KeyConditionExpression="pk = :p AND begins_with(sk, :a)",
                    ScanIndexForward=forward, ExpressionAttributeValues={":p": S("w"), ":a": S("a")})
        full = [i["sk"]["S"] for i in store.query(**base)["Items"]]
        assert len(full) == 4
        for limit in (1, 2, 3):
            assert [i["sk"]["S"] for i in all_items(store, "query", Limit=limit, **base)] == full


# -- FilterExpression, Select COUNT, ProjectionExpression ----------------------------------------------------------

def test_filter_applies_after_limit(store, nums):
    base = dict(TableName=nums, KeyConditionExpression="pk = :p", FilterExpression="parity = :e",
                ExpressionAttributeValues={":p": S("a"), ":e": S("even")})
    r = store.query(Limit=4, **base)
    assert r["ScannedCount"] == 4
    assert r["Count"] == 2 == len(r["Items"])
    assert _nums(r["Items"]) == [Decimal("-10"), Decimal("-1")]
    assert r["LastEvaluatedKey"] == {"pk": S("a"), "sk": N("0")}
    got = pages(store, "query", Limit=4, **base)
    assert sum(p["Count"] for p in got) == 5
    assert sum(p["ScannedCount"] for p in got) == 9
    assert [i["v"] for p in got for i in p["Items"]] == [N(0), N(2), N(4), N(6), N(8)]


def test_filter_can_leave_a_page_empty_with_a_last_key(store, nums):
    r = store.query(TableName=nums, KeyConditionExpression="pk = :p", FilterExpression="v > :big", Limit=3,
                    ExpressionAttributeValues={":p": S("a"), ":big": N(100)})
    assert r["Items"] == [] and r["Count"] == 0 and r["ScannedCount"] == 3
    assert r["LastEvaluatedKey"] == {"pk": S("a"), "sk": N("-1")}


def test_filter_without_limit(store, nums):
    r = store.query(TableName=nums, KeyConditionExpression="pk = :p AND sk > :z",
                    FilterExpression="parity = :o OR v = :zero",
                    ExpressionAttributeValues={":p": S("a"), ":z": N(-100), ":o": S("odd"), ":zero": N(0)})
    assert r["ScannedCount"] == 9
    assert [i["v"]["N"] for i in r["Items"]] == ["0", "1", "3", "5", "7"]


def test_select_count(store, nums):
    r = store.query(TableName=nums, KeyConditionExpression="pk = :p", Select="COUNT",
                    ExpressionAttributeValues={":p": S("a")})
    assert r == {"Count": 9, "ScannedCount": 9}
    r = store.query(TableName=nums, KeyConditionExpression="pk = :p", Select="COUNT", FilterExpression="parity = :e",
                    ExpressionAttributeValues={":p": S("a"), ":e": S("even")})
    assert r == {"Count": 5, "ScannedCount": 9}
    r = store.query(TableName=nums, KeyConditionExpression="pk = :p", Select="COUNT", Limit=4,
                    ExpressionAttributeValues={":p": S("a")})
    assert r["Count"] == 4 and "Items" not in r and r["LastEvaluatedKey"] == {"pk": S("a"), "sk": N("0")}


DOC = {"pk": S("d1"), "s": S("top"), "n": N(7),
       "m": {"M": {"a": N(1), "c": S("c"),
                   "b": {"L": [S("x"), S("y"), {"M": {"deep": S("z"), "other": S("o")}}]}}},
       "l": {"L": [N(0), N(1), N(2), N(3)]}}


@pytest.fixture
def docs(store):
    make_table(store, "docs", [("pk", "S")])
    store.put_item(TableName="docs", Item=DOC)
    store.put_item(TableName="docs", Item={"pk": S("d2"), "s": S("second")})
    return "docs"


def test_projection_with_nested_paths_and_list_indexes(store, docs):
    r = store.query(TableName=docs, KeyConditionExpression="pk = :p",
                    ProjectionExpression="m.b[2].deep, m.a, l[3], l[1], #s, nope.x, m.b[9]",
                    ExpressionAttributeNames={"#s": "s"}, ExpressionAttributeValues={":p": S("d1")})
    assert r["Items"] == [{"m": {"M": {"a": N(1), "b": {"L": [{"M": {"deep": S("z")}}]}}},
                           "l": {"L": [N(1), N(3)]}, "s": S("top")}]


def test_projection_leaves_out_unrequested_keys_and_missing_paths(store, docs):
    items = all_items(store, "scan", TableName=docs, ProjectionExpression="s, n")
    assert sorted(items, key=lambda i: i["s"]["S"]) == [{"s": S("second")}, {"s": S("top"), "n": N(7)}]
    r = store.query(TableName=docs, KeyConditionExpression="pk = :p", ProjectionExpression="nothing",
                    ExpressionAttributeValues={":p": S("d2")})
    assert r["Items"] == [{}] and r["Count"] == 1


def test_query_of_a_hash_only_table(store, docs):
    r = store.query(TableName=docs, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": S("d1")})
    assert r["Items"] == [DOC] and r["Count"] == 1
    r = store.query(TableName=docs, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": S("d3")})
    assert r["Items"] == [] and "LastEvaluatedKey" not in r
    r = store.query(TableName=docs, KeyConditionExpression="pk = :p", FilterExpression="s = :s",
                    ExpressionAttributeValues={":p": S("d1"), ":s": S("nope")})
    assert r["Items"] == [] and r["ScannedCount"] == 1


# -- secondary indexes ---------------------------------------------------------------------------------------------

IDX_ITEMS = [
    {"pk": S("p"), "sk": N(1), "l": S("c"), "g": S("G"), "gs": N(5), "x": N(1), "y": N(1)},
    {"pk": S("p"), "sk": N(2), "l": S("a"), "g": S("G"), "gs": N(3), "x": N(2), "y": N(2)},
    {"pk": S("p"), "sk": N(3), "g": S("G"), "gs": N(3), "x": N(3), "y": N(3)},
    {"pk": S("p"), "sk": N(4), "l": S("b"), "x": N(4), "y": N(4)},
    {"pk": S("p"), "sk": N(5), "l": S("d"), "g": S("G"), "x": N(5), "y": N(5)},
    {"pk": S("p"), "sk": N(6), "l": S("e"), "g": S("H"), "gs": N(1), "x": N(6), "y": N(6)},
    {"pk": S("p"), "sk": N(7), "l": S("a"), "g": S("G"), "gs": N(3), "x": N(7), "y": N(7)},
    {"pk": S("q"), "sk": N(1), "l": S("a"), "g": S("G"), "gs": N(4), "x": N(8), "y": N(8)},
]
TABLE_KEYS = ("pk", "sk")


@pytest.fixture
def idx(store):
    make_table(store, "idx", [("pk", "S"), ("sk", "N")], attrs=[("l", "S"), ("g", "S"), ("gs", "N")],
               lsi=[index("by_l", ["pk", "l"], "KEYS_ONLY")],
               gsi=[index("by_g", ["g", "gs"], "INCLUDE", ["x"]), index("by_g_all", ["g"], "ALL")])
    for item in IDX_ITEMS:
        store.put_item(TableName="idx", Item=item)
    return "idx"


def _expected(pred, keep=None):
    out = [i for i in IDX_ITEMS if pred(i)]
    if keep is not None:
        out = [{k: v for k, v in i.items() if k in keep} for i in out]
    return out


def _same_items(got, want):
    assert sorted(map(repr, got)) == sorted(map(repr, want))
    assert len({key_of(i, TABLE_KEYS) for i in got}) == len(got)


def test_query_lsi_keys_only(store, idx):
    r = store.query(TableName=idx, IndexName="by_l", KeyConditionExpression="pk = :p",
                    ExpressionAttributeValues={":p": S("p")})
    want = _expected(lambda i: i["pk"] == S("p") and "l" in i, keep={"pk", "sk", "l"})
    _same_items(r["Items"], want)
    assert [i["l"]["S"] for i in r["Items"]] == sorted(i["l"]["S"] for i in want)
    assert r["Count"] == r["ScannedCount"] == 6


def test_query_lsi_range_condition_and_descending(store, idx):
    r = store.query(TableName=idx, IndexName="by_l", KeyConditionExpression="pk = :p AND l BETWEEN :a AND :c",
                    ScanIndexForward=False, ExpressionAttributeValues={":p": S("p"), ":a": S("b"), ":c": S("d")})
    assert [(i["l"]["S"], i["sk"]["N"]) for i in r["Items"]] == [("d", "5"), ("c", "1"), ("b", "4")]


def test_query_gsi_include_projection(store, idx):
    r = store.query(TableName=idx, IndexName="by_g", KeyConditionExpression="g = :g",
                    ExpressionAttributeValues={":g": S("G")})
    want = _expected(lambda i: i.get("g") == S("G") and "gs" in i, keep={"pk", "sk", "g", "gs", "x"})
    _same_items(r["Items"], want)
    assert [i["gs"]["N"] for i in r["Items"]] == ["3", "3", "3", "4", "5"]
    r = store.query(TableName=idx, IndexName="by_g", KeyConditionExpression="g = :g AND gs > :n",
                    ScanIndexForward=False, ExpressionAttributeValues={":g": S("G"), ":n": N(3)})
    assert [(i["pk"]["S"], i["gs"]["N"]) for i in r["Items"]] == [("p", "5"), ("q", "4")]


def test_query_gsi_all_projection_and_hash_only_index(store, idx):
    r = store.query(TableName=idx, IndexName="by_g_all", KeyConditionExpression="g = :g",
                    ExpressionAttributeValues={":g": S("G")})
    _same_items(r["Items"], _expected(lambda i: i.get("g") == S("G")))
    assert r["Count"] == 6


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
@pytest.mark.parametrize("forward", [True, False], ids=["asc", "desc"])
def test_query_index_paging_visits_every_item_once(store, idx, limit, forward):
    cases = [("by_g", "g = :v", {":v": S("G")}, ("pk", "sk", "g", "gs"), "gs"),
             ("by_l", "pk = :v", {":v": S("p")}, ("pk", "sk", "l"), "l"),
             ("by_g_all", "g = :v", {":v": S("G")}, ("pk", "sk", "g"), None)]
    for name, kce, values, key_names, order in cases:
        base = dict(TableName=idx, IndexName=name, KeyConditionExpression=kce, ScanIndexForward=forward,
                    ExpressionAttributeValues=values)
        full = store.query(**base)["Items"]
        got = pages(store, "query", Limit=limit, **base)
        flat = [i for p in got for i in p["Items"]]
        _same_items(flat, full)
        assert len(got) == len(full) // limit + 1, name
        for p in got[:-1]:
            last = p["Items"][-1]
            assert p["LastEvaluatedKey"] == {k: last[k] for k in key_names}, name
        if order is not None:
            seq = [Decimal(i[order]["N"]) if order == "gs" else i[order]["S"] for i in flat]
            assert seq == sorted(seq, reverse=not forward), name


def test_scan_index_lists_only_items_with_the_index_keys(store, idx):
    got = all_items(store, "scan", TableName=idx, IndexName="by_g")
    _same_items(got, _expected(lambda i: "g" in i and "gs" in i, keep={"pk", "sk", "g", "gs", "x"}))
    got = all_items(store, "scan", TableName=idx, IndexName="by_l", Limit=2)
    _same_items(got, _expected(lambda i: "l" in i, keep={"pk", "sk", "l"}))
    r = store.scan(TableName=idx, IndexName="by_g", Limit=1)
    assert set(r["LastEvaluatedKey"]) == {"pk", "sk", "g", "gs"}


def test_index_select_count_and_all_projected(store, idx):
    r = store.query(TableName=idx, IndexName="by_g", KeyConditionExpression="g = :g", Select="COUNT",
                    ExpressionAttributeValues={":g": S("G")})
    assert r == {"Count": 5, "ScannedCount": 5}
    r = store.query(TableName=idx, IndexName="by_g", KeyConditionExpression="g = :g",
                    Select="ALL_PROJECTED_ATTRIBUTES", ExpressionAttributeValues={":g": S("G")})
    assert all(set(i) == {"pk", "sk", "g", "gs", "x"} for i in r["Items"])


def test_query_lsi_consistent_read_is_allowed(store, idx):
    r = store.query(TableName=idx, IndexName="by_l", KeyConditionExpression="pk = :p", ConsistentRead=True,
                    ExpressionAttributeValues={":p": S("q")})
    assert r["Count"] == 1


def test_query_lsi_select_all_attributes_fetches_whole_items(store, idx):
    """API Query, Select ALL_ATTRIBUTES: 'If you query a local secondary index, then for each matching item in
    the index, DynamoDB fetches the entire item from the parent table.'"""
    r = store.query(TableName=idx, IndexName="by_l", KeyConditionExpression="pk = :p", Select="ALL_ATTRIBUTES",
                    ExpressionAttributeValues={":p": S("p")})
    _same_items(r["Items"], _expected(lambda i: i["pk"] == S("p") and "l" in i))


def test_query_lsi_projection_of_a_non_projected_attribute_fetches_it(store, idx):
    """Developer Guide, LSI.Querying / API Query: 'If any of the requested attributes are not projected into the
    local secondary index, DynamoDB fetches each of these attributes from the parent table.'"""
    r = store.query(TableName=idx, IndexName="by_l", KeyConditionExpression="pk = :p", ProjectionExpression="sk, y",
                    ExpressionAttributeValues={":p": S("q")})
    assert r["Items"] == [{"sk": N(1), "y": N(8)}]


def test_query_gsi_filter_sees_only_projected_attributes(store, idx):
    """A GSI holds only its projected attributes ('Global secondary index queries cannot fetch attributes from the
    parent table'), so a filter on a non-projected attribute finds it missing."""
    r = store.query(TableName=idx, IndexName="by_g", KeyConditionExpression="g = :g",
                    FilterExpression="attribute_exists(y)", ExpressionAttributeValues={":g": S("G")})
    assert r["Count"] == 0 and r["ScannedCount"] == 5
    r = store.query(TableName=idx, IndexName="by_g", KeyConditionExpression="g = :g", FilterExpression="x > :n",
                    ExpressionAttributeValues={":g": S("G"), ":n": N(2)})
    assert sorted(i["x"]["N"] for i in r["Items"]) == ["3", "7", "8"]


def test_put_with_an_index_key_of_the_wrong_type_is_refused(store, idx):
    before = all_items(store, "scan", TableName=idx)
    with pytest.raises(ValidationException):
        store.put_item(TableName=idx, Item={"pk": S("p"), "sk": N(9), "g": S("G"), "gs": S("not a number")})
    with pytest.raises(ValidationException):
        store.put_item(TableName=idx, Item={"pk": S("p"), "sk": N(9), "l": N(1)})
    assert all_items(store, "scan", TableName=idx) == before


# -- Scan ----------------------------------------------------------------------------------------------------------

@pytest.fixture
def many(store):
    make_table(store, "many", [("pk", "S")])
    for i in range(60):
        store.put_item(TableName="many", Item={"pk": S(f"k{i:02d}"), "n": N(i)})
    return "many"


def _pks(items) -> list[str]:
    return [i["pk"]["S"] for i in items]


def test_scan_returns_every_item_once(store, many):
    r = store.scan(TableName=many)
    assert sorted(_pks(r["Items"])) == [f"k{i:02d}" for i in range(60)]
    assert r["Count"] == r["ScannedCount"] == 60 and "LastEvaluatedKey" not in r


@pytest.mark.parametrize("limit", [1, 7, 20, 60])
def test_scan_paging(store, many, limit):
    got = pages(store, "scan", TableName=many, Limit=limit)
    flat = _pks([i for p in got for i in p["Items"]])
    assert sorted(flat) == [f"k{i:02d}" for i in range(60)]
    assert len(got) == 60 // limit + 1
    for p in got[:-1]:
        assert p["Count"] == limit and p["LastEvaluatedKey"] == {"pk": p["Items"][-1]["pk"]}


def test_scan_filter_applies_after_limit(store, many):
    r = store.scan(TableName=many, Limit=10, FilterExpression="n < :x", ExpressionAttributeValues={":x": N(30)})
    assert r["ScannedCount"] == 10 and r["Count"] <= 10 and "LastEvaluatedKey" in r
    got = pages(store, "scan", TableName=many, Limit=10, FilterExpression="n < :x",
                ExpressionAttributeValues={":x": N(30)})
    assert sorted(_pks([i for p in got for i in p["Items"]])) == [f"k{i:02d}" for i in range(30)]
    assert sum(p["ScannedCount"] for p in got) == 60


def test_scan_filter_may_use_key_attributes(store, many):
    r = store.scan(TableName=many, FilterExpression="begins_with(pk, :p)", ExpressionAttributeValues={":p": S("k1")})
    assert sorted(_pks(r["Items"])) == [f"k1{i}" for i in range(10)]


def test_scan_select_count_and_projection(store, many):
    assert store.scan(TableName=many, Select="COUNT") == {"Count": 60, "ScannedCount": 60}
    r = store.scan(TableName=many, ProjectionExpression="n", Limit=3)
    assert all(set(i) == {"n"} for i in r["Items"]) and len(r["Items"]) == 3


@pytest.mark.parametrize("total", [1, 2, 3, 4, 7, 60, 100])
def test_scan_segments_partition_the_table(store, many, total):
    seen: dict[str, int] = {}
    for segment in range(total):
        got = all_items(store, "scan", TableName=many, Segment=segment, TotalSegments=total, Limit=5)
        for pk in _pks(got):
            assert pk not in seen, f"{pk} in segments {seen.get(pk)} and {segment}"
            seen[pk] = segment
    assert sorted(seen) == [f"k{i:02d}" for i in range(60)]


def test_scan_segments_of_a_hash_range_table(store, nums):
    full = all_items(store, "scan", TableName=nums)
    assert len(full) == 18
    union = []
    for segment in range(4):
        union += all_items(store, "scan", TableName=nums, Segment=segment, TotalSegments=4, Limit=2)
    assert sorted(map(repr, union)) == sorted(map(repr, full))


# -- the 1 MB page -------------------------------------------------------------------------------------------------

@pytest.fixture
def big(store):
    make_table(store, "big", [("pk", "S"), ("sk", "N")])
    for i in range(15):
        store.put_item(TableName="big", Item={"pk": S("p"), "sk": N(i), "payload": S("x" * 100_000)})
    return "big"


@pytest.mark.parametrize("op", ["query", "scan"])
def test_a_page_stops_at_1_mb(store, big, op):
    base = dict(TableName=big)
    if op == "query":
        base.update(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": S("p")})
    first = getattr(store, op)(**base)
    assert 10 <= first["ScannedCount"] <= 11, first["ScannedCount"]
    assert first["Count"] == first["ScannedCount"]
    assert first["LastEvaluatedKey"] == {"pk": S("p"), "sk": first["Items"][-1]["sk"]}
    got = pages(store, op, **base)
    flat = [i["sk"]["N"] for p in got for i in p["Items"]]
    assert sorted(flat, key=int) == [str(i) for i in range(15)] and len(set(flat)) == 15


def test_the_1_mb_limit_counts_index_entries_not_table_items(store):
    """A KEYS_ONLY index holds only keys: fifteen entries of a few bytes each are far below 1 MB, so one page
    returns them all, however large the table's items are."""
    make_table(store, "bigidx", [("pk", "S"), ("sk", "N")], attrs=[("g", "S")],
               gsi=[index("g_keys", ["g"], "KEYS_ONLY")])
    for i in range(15):
        store.put_item(TableName="bigidx", Item={"pk": S("p"), "sk": N(i), "g": S("G"), "payload": S("x" * 100_000)})
    r = store.query(TableName="bigidx", IndexName="g_keys", KeyConditionExpression="g = :g",
                    ExpressionAttributeValues={":g": S("G")})
    assert r["Count"] == 15 and "LastEvaluatedKey" not in r
    r = store.scan(TableName="bigidx", IndexName="g_keys")
    assert r["Count"] == 15 and "LastEvaluatedKey" not in r


def test_the_1_mb_limit_applies_before_the_filter(store, big):
    r = store.query(TableName=big, KeyConditionExpression="pk = :p", FilterExpression="attribute_not_exists(payload)",
                    ScanIndexForward=False, ExpressionAttributeValues={":p": S("p")})
    assert r["Count"] == 0 and 10 <= r["ScannedCount"] <= 11 and "LastEvaluatedKey" in r
    r = store.scan(TableName=big, Select="COUNT")
    assert 10 <= r["ScannedCount"] <= 11 and "LastEvaluatedKey" in r


# -- invalid requests: AWS's errors, and nothing changes -----------------------------------------------------------

@pytest.fixture
def errs(store):
    make_table(store, "errs", [("pk", "S"), ("sk", "N")], attrs=[("g", "S"), ("l", "S")],
               lsi=[index("l_idx", ["pk", "l"], "KEYS_ONLY")], gsi=[index("g_idx", ["g"], "KEYS_ONLY")])
    make_table(store, "solo", [("pk", "S")])
    for i in range(3):
        store.put_item(TableName="errs", Item={"pk": S("a"), "sk": N(i), "g": S("G"), "l": S(f"l{i}"), "x": N(i)})
    store.put_item(TableName="solo", Item={"pk": S("a"), "x": N(1)})
    return "errs"


INVALID = "One or more parameter values were invalid: "
TYPE_MISMATCH = INVALID + "Condition parameter type does not match schema type"
NOT_SUPPORTED = "Query key condition not supported"
V = {":p": S("a"), ":q": S("b"), ":s": N(1), ":t": N(2), ":n": N(5)}


def _q(kce, values=None, **kw):
    req = dict(TableName="errs", KeyConditionExpression=kce, **kw)
    if values is None:
        used = {k: v for k, v in V.items() if k in kce or any(k in str(x) for x in kw.values())}
        if used:
            req["ExpressionAttributeValues"] = used
    elif values:
        req["ExpressionAttributeValues"] = values
    return req


QUERY_ERRORS = {
    "no key condition": (dict(TableName="errs"),
                         "Either the KeyConditions or KeyConditionExpression parameter must be specified in the "
                         "request."),
    "hash <": (_q("pk < :p"), NOT_SUPPORTED),
    "hash <=": (_q("pk <= :p"), NOT_SUPPORTED),
    "hash >": (_q("pk > :p"), NOT_SUPPORTED),
    "hash >=": (_q("pk >= :p"), NOT_SUPPORTED),
    "hash BETWEEN": (_q("pk BETWEEN :p AND :q"), NOT_SUPPORTED),
    "hash begins_with": (_q("begins_with(pk, :p)"), NOT_SUPPORTED),
    "hash begins_with on hash-only": (dict(_q("begins_with(pk, :p)"), TableName="solo"), NOT_SUPPORTED),
    "range only": (_q("sk = :s"), "Query condition missed key schema element: pk"),
    "non-key attribute instead of range": (_q("pk = :p AND x = :s"), "Query condition missed key schema element: sk"),
    "non-key BETWEEN instead of range": (_q("pk = :p AND x BETWEEN :s AND :t"),
                                         "Query condition missed key schema element: sk"),
    "non-key begins_with instead of range": (_q("pk = :p AND begins_with(l, :q)"),
                                             "Query condition missed key schema element: sk"),
    "non-key attribute on hash-only table": (dict(_q("pk = :p AND x = :s"), TableName="solo"), NOT_SUPPORTED),
    "three key conditions": (_q("pk = :p AND sk = :s AND x = :t"), "Conditions can be of length 1 or 2 only"),
    "OR": (_q("pk = :p OR sk = :s"), "Invalid operator used in KeyConditionExpression: OR"),
    "NOT": (_q("pk = :p AND NOT sk = :s"), "Invalid operator used in KeyConditionExpression: NOT"),
    "IN": (_q("pk IN (:p, :q)"), "Invalid operator used in KeyConditionExpression: IN"),
    "attribute_exists": (_q("attribute_exists(pk)"),
                         "Invalid operator used in KeyConditionExpression: attribute_exists"),
    "<>": (_q("pk = :p AND sk <> :s"), "Invalid operator used in KeyConditionExpression: <>"),
    "two conditions on the range key": (_q("pk = :p AND sk > :s AND sk < :t"),
                                        "KeyConditionExpressions must only contain one condition per key"),
    "two conditions on the hash key": (_q("pk = :p AND pk = :q"),
                                       "KeyConditionExpressions must only contain one condition per key"),
    "nested key path": (_q("pk.x = :p"), "KeyConditionExpressions cannot have conditions on nested attributes"),
    "no key attribute": (_q(":p = :q"), "Invalid condition in KeyConditionExpression: No key attribute specified"),
    "two attribute names": (_q("pk = sk"),
                            "Invalid condition in KeyConditionExpression: Multiple attribute names used in one "
                            "condition"),
    "hash value of the wrong type": (_q("pk = :s"), TYPE_MISMATCH),
    "range value of the wrong type": (_q("pk = :p AND sk = :q"), TYPE_MISMATCH),
    "range bound of the wrong type": (_q("pk = :p AND sk < :q"), TYPE_MISMATCH),
    "begins_with on a number range key": (_q("pk = :p AND begins_with(sk, :q)"), None),
    "filter on the hash key": (_q("pk = :p", FilterExpression="pk = :q"),
                               "Filter Expression can only contain non-primary key attributes: Primary key "
                               "attribute: pk"),
    "filter on the range key": (_q("pk = :p", FilterExpression="x = :s AND sk > :t"),
                                "Filter Expression can only contain non-primary key attributes: Primary key "
                                "attribute: sk"),
    "filter on a nested path of a key": (_q("pk = :p", FilterExpression="attribute_exists(sk.y)"),
                                         "Filter Expression can only contain non-primary key attributes: Primary "
                                         "key attribute: sk"),
    "filter on the index key in an index query": (
        _q("g = :q", IndexName="g_idx", FilterExpression="g = :p"),
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: g"),
    "unknown index": (_q("pk = :p", IndexName="nope"), "The table does not have the specified index: nope"),
    "consistent read on a GSI": (_q("g = :q", IndexName="g_idx", ConsistentRead=True),
                                 "Consistent reads are not supported on global secondary indexes"),
    # Select's rules come in AWS's validation envelope (us-east-1, as recorded by ExtendDB and
    # nubo-db/dynamodb-conformance)
    "COUNT with a projection": (_q("pk = :p", Select="COUNT", ProjectionExpression="x"),
                                "1 validation error detected: Cannot specify the ProjectionExpression when choosing "
                                "to get only the Count"),
    "ALL_ATTRIBUTES with a projection": (_q("pk = :p", Select="ALL_ATTRIBUTES", ProjectionExpression="x"),
                                         "1 validation error detected: Cannot specify the ProjectionExpression when "
                                         "choosing to get ALL_ATTRIBUTES"),
    "SPECIFIC_ATTRIBUTES without a projection": (_q("pk = :p", Select="SPECIFIC_ATTRIBUTES"),
                                                 "1 validation error detected: Must specify the AttributesToGet or "
                                                 "ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES"),
    "ALL_PROJECTED_ATTRIBUTES without an index": (_q("pk = :p", Select="ALL_PROJECTED_ATTRIBUTES"),
                                                  "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using "
                                                  "an IndexName"),
    "ALL_ATTRIBUTES on a KEYS_ONLY GSI": (_q("g = :q", IndexName="g_idx", Select="ALL_ATTRIBUTES"),
                                          INVALID + "Select type ALL_ATTRIBUTES is not supported for global "
                                          "secondary index g_idx because its projection type is not ALL"),
    "start key without the range key": (_q("pk = :p", ExclusiveStartKey={"pk": S("a")}),
                                        "The provided starting key is invalid"),
    "start key with an extra attribute": (_q("pk = :p", ExclusiveStartKey={"pk": S("a"), "sk": N(1), "x": N(1)}),
                                          "The provided starting key is invalid"),
    "start key of the wrong type": (_q("pk = :p", ExclusiveStartKey={"pk": S("a"), "sk": S("1")}),
                                    "The provided key element does not match the schema"),
    "start key outside the hash key": (_q("pk = :p", ExclusiveStartKey={"pk": S("b"), "sk": N(1)}),
                                       "The provided starting key is outside query boundaries based on provided "
                                       "conditions"),
    "start key outside the range condition": (_q("pk = :p AND sk > :n",
                                                 ExclusiveStartKey={"pk": S("a"), "sk": N(1)}),
                                              "The provided starting key does not match the range key predicate"),
    "start key without the LSI key": (_q("pk = :p", IndexName="l_idx", ExclusiveStartKey={"pk": S("a"), "sk": N(1)}),
                                      "The provided starting key is invalid"),
    "Limit 0": (_q("pk = :p", Limit=0),  # Query's wording (nubo-db/dynamodb-conformance); Scan's differs
                "1 validation error detected: Value at 'Limit' failed to satisfy constraint: Member must have "
                "value greater than or equal to 1"),
}

SCAN_ERRORS = {
    "Segment without TotalSegments": (dict(TableName="errs", Segment=0),
                                      "The TotalSegments parameter is required but was not present in the request "
                                      "when Segment parameter is present"),
    "TotalSegments without Segment": (dict(TableName="errs", TotalSegments=2),
                                      "The Segment parameter is required but was not present in the request when "
                                      "parameter TotalSegments is present"),
    "Segment equal to TotalSegments": (dict(TableName="errs", Segment=1, TotalSegments=1),
                                       "The Segment parameter is zero-based and must be less than parameter "
                                       "TotalSegments: Segment: 1 is not less than TotalSegments: 1"),
    "Segment above TotalSegments": (dict(TableName="errs", Segment=5, TotalSegments=3),
                                    "The Segment parameter is zero-based and must be less than parameter "
                                    "TotalSegments: Segment: 5 is not less than TotalSegments: 3"),
    "TotalSegments 0": (dict(TableName="errs", Segment=0, TotalSegments=0),
                        "1 validation error detected: Value '0' at 'totalSegments' failed to satisfy constraint: "
                        "Member must have value greater than or equal to 1"),
    "Limit 0": (dict(TableName="errs", Limit=0),
                "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have "
                "value greater than or equal to 1"),
    "COUNT with a projection": (dict(TableName="errs", Select="COUNT", ProjectionExpression="x"),
                                "1 validation error detected: Cannot specify the ProjectionExpression when choosing "
                                "to get only the Count"),
    "unknown index": (dict(TableName="errs", IndexName="nope"), "The table does not have the specified index: nope"),
    "start key without the range key": (dict(TableName="errs", ExclusiveStartKey={"pk": S("a")}),
                                        "The provided starting key is invalid"),
    "start key of the wrong type": (dict(TableName="errs", ExclusiveStartKey={"pk": N(1), "sk": N(1)}),
                                    "The provided key element does not match the schema"),
}


def _snapshot(store):
    return ([sorted(map(repr, all_items(store, "scan", TableName=t))) for t in ("errs", "solo")],
            [store.describe_table(TableName=t)["Table"]["ItemCount"] for t in ("errs", "solo")])


@pytest.mark.parametrize("case", list(QUERY_ERRORS))
def test_invalid_query(store, errs, case):
    request, message = QUERY_ERRORS[case]
    before = _snapshot(store)
    with pytest.raises(ValidationException) as e:
        store.query(**request)
    if message is not None:
        assert e.value.message == message
    assert _snapshot(store) == before


@pytest.mark.parametrize("case", list(SCAN_ERRORS))
def test_invalid_scan(store, errs, case):
    request, message = SCAN_ERRORS[case]
    before = _snapshot(store)
    with pytest.raises(ValidationException) as e:
        store.scan(**request)
    assert e.value.message == message
    assert _snapshot(store) == before


def test_a_valid_start_key_with_a_matching_range_condition_is_accepted(store, errs):
    r = store.query(**_q("pk = :p AND sk >= :s", ExclusiveStartKey={"pk": S("a"), "sk": N(1)}))
    assert [i["sk"] for i in r["Items"]] == [N(2)]


@pytest.mark.parametrize("request_", [
    dict(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": S("a")}),
    dict(KeyConditionExpression="z = :p", ExpressionAttributeValues={":p": N(1)}),
    dict(KeyConditionExpression="pk = :p", IndexName="nope", ExpressionAttributeValues={":p": S("a")}),
    dict(KeyConditionExpression="pk = :p", ExclusiveStartKey={"x": S("1")}, ExpressionAttributeValues={":p": S("a")}),
], ids=["plain", "bad key condition", "unknown index", "bad start key"])
def test_query_of_a_missing_table(store, errs, request_):
    with pytest.raises(ResourceNotFoundException) as e:
        store.query(TableName="missing", **request_)
    assert e.value.message.startswith("Requested resource not found")


def test_scan_of_a_missing_table(store):
    with pytest.raises(ResourceNotFoundException) as e:
        store.scan(TableName="missing")
    assert e.value.message.startswith("Requested resource not found")
    with pytest.raises(ResourceNotFoundException):
        store.scan(TableName="missing", Segment=0, TotalSegments=2, IndexName="nope")


def test_query_of_a_deleted_table(store, errs):
    store.delete_table(TableName="solo")
    with pytest.raises(ResourceNotFoundException):
        store.query(TableName="solo", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": S("a")})
    with pytest.raises(ResourceNotFoundException):
        store.scan(TableName="solo")
