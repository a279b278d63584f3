"""``put_item`` (csrc/item.c) and its pure twin (_pure_item.py) agree on random items and random bytes, and, where
they take an item (the common case), give exactly what the Python write path makes of it: the stored body
(items.pack_item of attrs.canonical_item), attrs.item_size, the Keys map, items.encoded_key. Where the Python
path refuses an item, they fall back (None) so that the Python path words the error. The hypothesis seed is the
test's printed seed (replay with LOGSTORE_SEED=<seed>)."""
from __future__ import annotations

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from logstore.codec import _pure
from logstore.errors import AwsError
from logstore.tables import attrs
from logstore.tables.items import encoded_key, pack_item

_native = pytest.importorskip("logstore.codec._native")
_pack = msgpack.Packer(use_bin_type=True, strict_types=True).pack

NAMES = st.one_of(st.sampled_from(["pk", "sk", "a", "b", "", "é", "\U0001f600", "x" * 40]), st.text(max_size=6))
NUMBERS = st.one_of(
    st.integers(-10**40, 10**40).map(str),
    st.builds(lambda i, f: f"{i}.{f}", st.integers(-999, 999), st.text("0123456789", min_size=1, max_size=8)),
    st.sampled_from(["0", "-0", "1E2", "1e-3", "0.0", "00", "01", "1.", ".5", "+5", "abc", "", "-", "0.5", "-0.05",
                     "9" * 38, "9" * 39, "1" + "0" * 37, "0." + "0" * 36 + "1", "1.50"]))
STRINGS = st.one_of(st.text(max_size=20), st.sampled_from(["", "\x00", "a\x00b", "\ud800", "x" * 300]))


def scalars():
    return st.one_of(
        STRINGS.map(lambda s: {"S": s}), NUMBERS.map(lambda n: {"N": n}), st.binary(max_size=8).map(lambda b: {"B": b}),
        st.booleans().map(lambda b: {"BOOL": b}), st.booleans().map(lambda b: {"NULL": b}),
        st.lists(STRINGS, max_size=3).map(lambda v: {"SS": v}), st.lists(NUMBERS, max_size=3).map(lambda v: {"NS": v}),
        st.sampled_from([{}, {"S": None}, {"S": "a", "N": "1"}, {"X": 1}, {"S": 5}, {"N": 5}, {"BOOL": 1},
                         {"NULL": None}, {"S": "x", "X": 1}]))


VALUES = st.recursive(scalars(), lambda inner: st.one_of(
    st.dictionaries(NAMES, inner, max_size=3).map(lambda m: {"M": m}),
    st.lists(inner, max_size=3).map(lambda v: {"L": v})), max_leaves=12)
SCHEMAS = st.sampled_from([[("pk", "S")], [("pk", "N")], [("pk", "B")], [("pk", "S"), ("sk", "N")],
                           [("pk", "N"), ("sk", "S")], [("a", "S"), ("pk", "S")]])


@st.composite
def items(draw):
    schema = draw(SCHEMAS)
    item = draw(st.dictionaries(NAMES, VALUES, max_size=5))
    for name, kind in schema:      # usually a valid key, sometimes not
        if draw(st.integers(0, 9)):
            value = {"S": draw(STRINGS), "N": draw(NUMBERS), "B": draw(st.binary(max_size=4))}[kind]
            item[name] = {kind: value}
    order = draw(st.permutations(list(item)))
    return schema, {name: item[name] for name in order}


def call(impl, packed: bytes, schema):
    (hname, htype), *rest = schema
    rname, rtype = rest[0] if rest else (None, "")
    return impl.put_item(packed, hname.encode(), htype, rname.encode() if rname else None, rtype)


def python_path(item: dict, schema):
    """What the Python write path makes of the item, or None if it refuses it."""
    key_names = [n for n, _ in schema]
    try:
        canon = attrs.canonical_item(item, key_names=key_names)
        attrs.check_key(canon, schema, exact=False)
        size = attrs.check_item_size(canon)
    except AwsError:
        return None
    keys = {n: canon[n] for n in key_names}
    key, partition = encoded_key(schema, canon)
    return pack_item(canon), size, attrs.item_size(keys), pack_item(keys), key, partition


def _run(seed_value: int, examples: int):
    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @hypothesis_seed(seed_value)
    @given(items())
    def check(case):
        schema, item = case
        try:
            packed = _pack(item)
        except (TypeError, ValueError, OverflowError):
            return                  # the write path gives such an item to Python without asking the C
        native, pure = call(_native, packed, schema), call(_pure, packed, schema)
        assert native == pure
        expected = python_path(item, schema)
        if native is not None:      # taken: exactly the Python path's bytes and sizes
            assert expected is not None
            assert tuple(native) == expected
        elif expected is not None:  # fallen back though valid: only for the cases item.c leaves to Python
            text = repr(item)   # (an ignored type key, {"S": "x", "X": 1}, or a None payload: attrs drops it)
            assert "'B'" in text or "'X'" in text or "None" in text or "'SS'" in text or "'NS'" in text or "'BS'" in text or "'N'" in text \
                or any(len(k) > 200 for k in text.split("'")), item
    check()


def test_put_item_agrees_with_twin_and_python_path(seed):
    _run(seed, 1500)


@settings(max_examples=1500, deadline=None, database=None)
@given(st.binary(max_size=200), SCHEMAS)
def test_put_item_agrees_on_random_bytes(data, schema):
    assert call(_native, data, schema) == call(_pure, data, schema)


@settings(max_examples=500, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(items(), st.data())
def test_put_item_agrees_on_damaged_items(case, data):
    schema, item = case
    try:
        packed = bytearray(_pack(item))
    except (TypeError, ValueError, OverflowError):
        return
    if packed:
        for _ in range(data.draw(st.integers(1, 3))):
            packed[data.draw(st.integers(0, len(packed) - 1))] = data.draw(st.integers(0, 255))
    assert call(_native, bytes(packed), schema) == call(_pure, bytes(packed), schema)


def test_examples():
    schema = [("pk", "S"), ("sk", "N")]
    item = {"x": {"S": "1"}, "sk": {"N": "-12.5"}, "pk": {"S": "a\x00"}, "m": {"M": {"": {"L": [{"NULL": True}]}}}}
    parts = call(_native, _pack(item), schema)
    assert parts == call(_pure, _pack(item), schema)
    assert parts.key == b"a\x00\xff\x00\x01" + bytes([0x01, 255 - 131, 0xFE - 0x12, 0xFE - 0x50, 0xFF])
    assert tuple(parts) == python_path(item, schema)
    assert list(msgpack.unpackb(parts.body)) == ["pk", "sk", "x", "m"]
    assert call(_native, _pack({"pk": {"N": "1.50"}}), [("pk", "N")]) is None    # canonicalised by Python
    for impl in (_native, _pure):   # a range name without a range type: no range
        assert impl.put_item(_pack(item), b"pk", "S", b"sk", "") == call(_native, _pack(item), [("pk", "S")])
    with pytest.raises(ValueError):
        _native.put_item(b"\x80", b"pk", "X")
    with pytest.raises(ValueError):
        _pure.put_item(b"\x80", b"pk", "X")
