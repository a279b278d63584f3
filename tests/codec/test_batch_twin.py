"""``put_batch`` and ``put_checker`` (csrc/item.c ``lsi_put_batch``, ``lsi_put_item``) and their pure twins agree on
random batches and random bytes, and where put_batch takes a batch it gives exactly the bytes the write path
stores one put at a time: ``ItemStore.put``'s LMDB key and sealed value (keycodec.stored_key, sealed.seal of
items.pack_item of the canonical item) and the INSERT record ``stream.records.encode`` makes of
``writes.change_record``. It refuses (None) exactly when an item is not put_item's common case or its LMDB key
would be long-form. The hypothesis seed is the test's printed seed (replay with LOGSTORE_SEED=<seed>)."""
from __future__ import annotations

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from logstore.codec import RECORDS_KEYS, RECORDS_NEW, RECORDS_NONE, _pure
from logstore.storage.sealed import seal
from logstore.stream import records
from logstore.tables import keycodec
from logstore.tables.items import table_prefix, unpack_item
from logstore.tables.writes import change_record

from test_item_twin import SCHEMAS, call, items

_native = pytest.importorskip("logstore.codec._native")
_pack = msgpack.Packer(use_bin_type=True, strict_types=True).pack
TABLES = st.sampled_from([0, 1, 7, 2**32 + 5, 2**64 - 1])
MODES = st.sampled_from([RECORDS_NONE, RECORDS_KEYS, RECORDS_NEW])
VIEWS = {RECORDS_KEYS: "KEYS_ONLY", RECORDS_NEW: "NEW_AND_OLD_IMAGES"}


def batch_call(impl, packed: list[bytes], schema, table_no: int, mode: int):
    (hname, htype), *rest = schema
    rname, rtype = rest[0] if rest else (None, "")
    return impl.put_batch(packed, hname.encode(), htype, rname.encode() if rname else None, rtype, table_no, mode)


def checker(impl, schema):
    (hname, htype), *rest = schema
    rname, rtype = rest[0] if rest else (None, "")
    return impl.put_checker(hname.encode(), htype, rname.encode() if rname else None, rtype)


def one_at_a_time(packed: list[bytes], schema, table_no: int, mode: int):
    """What the write path stores for each put of a new item (put_item's parts, sealed; the record encoded from
    dicts), or None where put_batch must refuse."""
    pairs, recs, partitions, size = [], [], [], 0
    key_names = [name for name, _ in schema]
    for one in packed:
        parts = call(_pure, one, schema)
        if parts is None:
            return None
        order = table_prefix(table_no) + parts.key
        if keycodec.stored_key(order) != order or keycodec.is_long(order):
            return None
        pairs.append((order, seal(order, parts.body)))
        if mode != RECORDS_NONE:
            rec = change_record(VIEWS[mode], key_names, None, unpack_item(parts.body), False, 0, parts.size)
            recs.append(records.encode(rec))
        partitions.append(parts.partition)
        size += parts.size
    return pairs, recs, partitions, size


@st.composite
def batches(draw):
    schema = draw(SCHEMAS)
    cases = draw(st.lists(items(), max_size=6))
    packed = []
    for _, item in cases:
        try:
            packed.append(_pack(item))
        except (TypeError, ValueError, OverflowError):
            continue
    if draw(st.booleans()):          # mostly takeable batches: the common case repeated
        base = {schema[0][0]: {schema[0][1]: {"S": "k", "N": "12.5", "B": b"\x00b"}[schema[0][1]]}}
        if len(schema) > 1:
            base[schema[1][0]] = {schema[1][1]: {"S": "r" * draw(st.integers(1, 600)), "N": "-3",
                                                 "B": b"x"}[schema[1][1]]}
        base["v"] = {"L": [{"S": "é"}, {"M": {"": {"NULL": True}}}]}
        packed = [_pack(base)] * draw(st.integers(1, 4)) + packed[:draw(st.integers(0, 1))]
    return schema, packed, draw(TABLES), draw(MODES)


def _run(seed_value: int, examples: int):
    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @hypothesis_seed(seed_value)
    @given(batches())
    def check(case):
        schema, packed, table_no, mode = case
        native, pure = batch_call(_native, packed, schema, table_no, mode), batch_call(_pure, packed, schema,
                                                                                         table_no, mode)
        assert native == pure
        expected = one_at_a_time(packed, schema, table_no, mode)
        assert (native is None) == (expected is None)
        if native is not None:
            assert (native.items, native.records, native.partitions, native.size) == expected
        for one in packed:
            taken = call(_pure, one, schema) is not None
            assert checker(_native, schema)(one) is taken
            assert checker(_pure, schema)(one) is taken
    check()


def test_put_batch_agrees_with_twin_and_the_write_path(seed):
    _run(seed, 1000)


@settings(max_examples=1000, deadline=None, database=None)
@given(st.lists(st.binary(max_size=80), max_size=4), SCHEMAS, TABLES, MODES)
def test_put_batch_agrees_on_random_bytes(packed, schema, table_no, mode):
    assert batch_call(_native, packed, schema, table_no, mode) == batch_call(_pure, packed, schema, table_no, mode)
    for one in packed:
        assert checker(_native, schema)(one) is checker(_pure, schema)(one)


def test_examples():
    schema = [("pk", "S")]
    item = _pack({"n": {"N": "1"}, "pk": {"S": "a"}})
    for impl in (_native, _pure):
        puts = batch_call(impl, [item, item], schema, 3, RECORDS_NEW)
        assert puts.items[0][0] == b"\x00" * 7 + b"\x03a\x00\x01"
        assert puts.size == 2 * ((2 + 1) + (1 + 2))   # "pk" + "a", "n" + the number 1 (2 bytes)
        assert records.decode(puts.records[0]).new_image == {"pk": {"S": "a"}, "n": {"N": "1"}}
        assert batch_call(impl, [], schema, 3, RECORDS_NEW) == ([], [], [], 0)
        assert batch_call(impl, [item, _pack({"pk": {"N": "1.50"}})], schema, 3, RECORDS_KEYS) is None
        long_key = _pack({"pk": {"S": "k"}, "sk": {"S": "x" * 490}})    # an LMDB key over 495 bytes
        assert batch_call(impl, [long_key], [("pk", "S"), ("sk", "S")], 3, RECORDS_NONE) is None
        with pytest.raises(ValueError):
            impl.put_batch([item], b"pk", "S", None, "", 3, 5)
        with pytest.raises(ValueError):
            impl.put_checker(b"pk", "X")
        big = _pack({"pk": {"S": "a"}, "x": {"S": "y" * 70000}})   # larger than the checker's first buffer
        assert checker(impl, schema)(big) and checker(impl, schema)(item)
