"""Key codec: encoded byte order is DynamoDB's order, equal numbers encode equal, round trips, prefix-freeness,
pinned example bytes and partition hashes (the format is normative: a change here is a format change)."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from logstore.errors import ValidationException
from logstore.tables.attrs import canonical_number
from logstore.tables.keycodec import decode_key, decode_value, encode_key, encode_value, hash_partition_value


def cmp(a, b):
    return (a > b) - (a < b)


def dynamo_order(kind, value):
    """DynamoDB's sort key for a key value: S by UTF-8 bytes, N numerically, B by unsigned bytes."""
    if kind == "S":
        return value.encode("utf-8")
    if kind == "N":
        return Decimal(value)
    return value


TRICKY_CHARS = ["", "a", "b", "\x00", "\x01", "\x7f", "\x80", "\xff", "\u0100", "\u07ff", "\uffff", "\U0001f600",
                "\U0010ffff"]
strings = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
    st.lists(st.sampled_from(TRICKY_CHARS), max_size=6).map("".join),
)
binaries = st.one_of(st.binary(max_size=12), st.lists(st.sampled_from([b"\x00", b"\x01", b"\xfe", b"\xff", b"a"]),
                                                      max_size=6).map(b"".join))


@st.composite
def number_texts(draw):
    """Valid DynamoDB numbers across the whole range, in assorted spellings (exponent, padding, sign)."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(["0", "-0", "0.00", "0E5", "00"]))
    coefficient = draw(st.one_of(st.integers(1, 10**38 - 1), st.integers(1, 999)))
    digits = str(coefficient)
    adjusted = draw(st.one_of(st.integers(-130, 125), st.integers(-3, 5), st.sampled_from([-130, 125])))
    exponent = adjusted - len(digits) + 1
    sign = draw(st.sampled_from(["", "-", "+"]))
    zeros = draw(st.integers(0, 2))
    digits = digits + "0" * zeros
    exponent -= zeros
    return f"{sign}{digits}E{exponent}" if draw(st.booleans()) else f"{sign}{digits}e{exponent:+d}"


def values(kind):
    return {"S": strings, "N": number_texts(), "B": binaries}[kind]


def canonical(kind, value):
    return canonical_number(value) if kind == "N" else value


# ---------------------------------------------------------------------------------------------------------------
# Properties


@pytest.mark.parametrize("kind", ["S", "N", "B"])
def test_order_matches_dynamodb(kind):
    @settings(max_examples=300, deadline=None)
    @given(values(kind), values(kind))
    def check(a, b):
        assert cmp(encode_value(kind, a), encode_value(kind, b)) == \
            cmp(dynamo_order(kind, canonical(kind, a)), dynamo_order(kind, canonical(kind, b)))
    check()


@pytest.mark.parametrize("kind", ["S", "N", "B"])
def test_round_trip_and_self_delimiting(kind):
    @settings(max_examples=300, deadline=None)
    @given(values(kind), st.binary(max_size=4))
    def check(value, trailer):
        data = encode_value(kind, value)
        assert decode_value(kind, data) == (canonical(kind, value), len(data))
        assert decode_value(kind, data + trailer) == (canonical(kind, value), len(data))
    check()


@settings(max_examples=300, deadline=None)
@given(number_texts())
def test_equal_numbers_encode_equal(text):
    value = Decimal(canonical_number(text))
    spellings = [text, canonical_number(text), f"{value:e}", f"{value:f}", f"{value}", "0" + f"{value:f}".lstrip("-")]
    if value < 0:
        spellings[-1] = "-" + spellings[-1]
    encodings = {encode_value("N", s) for s in spellings}
    assert len(encodings) == 1
    assert len(encodings.pop()) <= 22


@pytest.mark.parametrize("hash_kind, range_kind", [("S", "N"), ("B", "S"), ("N", "B"), ("S", "S")])
def test_keys_sort_by_hash_then_range(hash_kind, range_kind):
    schema = [("h", hash_kind), ("r", range_kind)]

    @settings(max_examples=150, deadline=None)
    @given(values(hash_kind), values(range_kind), values(hash_kind), values(range_kind))
    def check(h1, r1, h2, r2):
        k1 = encode_key(schema, {"h": {hash_kind: h1}, "r": {range_kind: r1}})
        k2 = encode_key(schema, {"h": {hash_kind: h2}, "r": {range_kind: r2}})
        def order(h, r):
            return dynamo_order(hash_kind, canonical(hash_kind, h)), dynamo_order(range_kind, canonical(range_kind, r))
        assert cmp(k1, k2) == cmp(order(h1, r1), order(h2, r2))
        # A hash value's encoding prefixes exactly the keys of that hash value: its items are contiguous.
        prefix = encode_value(hash_kind, h1)
        assert k1.startswith(prefix)
        assert k2.startswith(prefix) == (canonical(hash_kind, h1) == canonical(hash_kind, h2))
        assert decode_key(schema, k1) == {"h": {hash_kind: canonical(hash_kind, h1)},
                                          "r": {range_kind: canonical(range_kind, r1)}}
    check()


@settings(max_examples=100, deadline=None)
@given(st.lists(number_texts(), min_size=2, max_size=20))
@example(["-1E125", "-1", "-1E-130", "0", "1E-130", "1", "9.9999999999999999999999999999999999999E125"])
def test_sorting_encodings_sorts_numbers(texts):
    by_bytes = sorted(texts, key=lambda t: encode_value("N", t))
    assert [Decimal(canonical_number(t)) for t in by_bytes] == sorted(Decimal(canonical_number(t)) for t in texts)


# ---------------------------------------------------------------------------------------------------------------
# Pinned bytes (the normative examples of the module docstring) and edge cases


@pytest.mark.parametrize("kind, value, encoded", [
    ("N", "0", "02"), ("N", "-0", "02"), ("N", "0.000", "02"),
    ("N", "1", "03 82 11 00"), ("N", "1.0", "03 82 11 00"), ("N", "1E0", "03 82 11 00"), ("N", "01", "03 82 11 00"),
    ("N", "-1", "01 7d ee ff"), ("N", "123.45", "03 84 13 35 51 00"), ("N", "10", "03 83 11 00"),
    ("N", "1E-130", "03 00 11 00"), ("N", "-1E-130", "01 ff ee ff"), ("N", "-0.0909", "01 7f 6e 6e ff"), ("N", "-0.99", "01 7e 65 ff"),
    ("N", "9" * 38 + "E88", "03 ff " + "9a " * 19 + "00"),
    ("S", "a", "61 00 01"), ("S", "", "00 01"), ("S", "a\x00b", "61 00 ff 62 00 01"),
    ("S", "\U0001f600", "f0 9f 98 80 00 01"),
    ("B", b"", "00 01"), ("B", b"\x00", "00 ff 00 01"), ("B", b"\xff\x00\x00", "ff 00 ff 00 ff 00 01"),
])
def test_pinned_encodings(kind, value, encoded):
    assert encode_value(kind, value) == bytes.fromhex(encoded)


def test_string_and_binary_edge_order():
    ordered = ["", "\x00", "\x00\x00", "\x00\x01", "\x01", "a", "a\x00", "a\x00\x00", "a\x01", "ab", "\x7f", "\x80",
               "\xff", "\u0100", "\uffff", "\U0001f600", "\U0010ffff"]
    encoded = [encode_value("S", s) for s in ordered]
    assert encoded == sorted(encoded) and len(set(encoded)) == len(encoded)
    blobs = [b"", b"\x00", b"\x00\xff", b"\x01", b"\x7f", b"\xff", b"\xff\x00", b"\xff\xff"]
    encoded = [encode_value("B", b) for b in blobs]
    assert encoded == sorted(encoded)


def test_number_edge_order():
    ordered = ["-9.9999999999999999999999999999999999999E125", "-1E125", "-10", "-9.99", "-1.1", "-1.01", "-1",
               "-0.99", "-1E-129", "-1E-130", "0", "1E-130", "1.1E-130", "1E-129", "0.5", "1", "1.000000001", "1.01",
               "1.1", "9", "10", "10.5", "11", "99", "100", "1" * 38, "1E125",
               "9.9999999999999999999999999999999999999E125"]
    encoded = [encode_value("N", n) for n in ordered]
    assert encoded == sorted(encoded) and len(set(encoded)) == len(encoded)
    assert [decode_value("N", e)[0] for e in encoded] == [canonical_number(n) for n in ordered]


def test_key_round_trip_single_and_composite():
    assert decode_key([("pk", "S")], encode_key([("pk", "S")], {"pk": {"S": "x\x00"}, "other": {"S": "y"}})) == \
        {"pk": {"S": "x\x00"}}
    schema = [("pk", "N"), ("sk", "B")]
    assert decode_key(schema, encode_key(schema, {"pk": {"N": "-01.50"}, "sk": {"B": b"\x00\x01"}})) == \
        {"pk": {"N": "-1.5"}, "sk": {"B": b"\x00\x01"}}


def test_invalid_input():
    with pytest.raises(ValidationException):
        encode_value("N", "1e126")
    with pytest.raises(ValueError):
        encode_value("BOOL", True)


@pytest.mark.parametrize("kind, data", [
    ("S", b"abc"), ("S", b"a\x00"), ("S", b"a\x00\x02"), ("S", b"\xff\xfe\x00\x01"), ("B", b""),
    ("N", b""), ("N", b"\x04"), ("N", b"\x03"), ("N", b"\x03\x82"), ("N", b"\x03\x82\x00"), ("N", b"\x03\x82\x11"),
    ("N", b"\x03\x82\x01\x00"), ("N", b"\x03\x82\x11\x01\x00"), ("N", b"\x03\x82\x9b\x00"),
    ("N", b"\x03\x82\x1b\x00"), ("N", b"\x01\x7d\xee"), ("N", b"\x01\x7d\x64\xff"),
    ("N", b"\x03\x82" + b"\x12" * 20 + b"\x00"),
])
def test_malformed_bytes(kind, data):
    with pytest.raises(ValueError):
        decode_value(kind, data)


def test_trailing_bytes_after_key():
    with pytest.raises(ValueError):
        decode_key([("pk", "S")], encode_value("S", "a") + b"\x00")


def test_hash_partition_value_is_mixed_crc32_of_encoded_hash():
    assert hash_partition_value(b"123456789") == 0xE8781FA3        # fmix32(CRC-32 check value 0xCBF43926)
    assert hash_partition_value(encode_value("S", "a")) == 0x1C69CE49
    assert hash_partition_value(encode_value("S", "")) == 0x465DABFC
    assert hash_partition_value(encode_value("N", "1.0")) == 0x98EC28E5
    assert all(0 <= hash_partition_value(encode_value("S", str(i))) < 2**32 for i in range(100))


def test_short_similar_keys_spread_over_both_halves():
    """A split halves the hash range: keys like c0..c19 must not all land in one half (they did with bare CRC)."""
    top = [hash_partition_value(encode_value("S", "c%d" % i)) >> 31 for i in range(20)]
    assert 5 <= sum(top) <= 15
