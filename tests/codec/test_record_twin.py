"""csrc/record.c against its pure-Python twin (codec/_pure.py): on random change records the two give identical
eventIDs and identical JSON bytes, and the JSON is what the values are (hypothesis; the seed is printed, replay with
LOGSTORE_SEED=<seed>). Payloads neither renders (floats, ext types, bad UTF-8, non-string keys, nesting too deep,
a wrong shape, bytes left over) give None from both."""
from __future__ import annotations

import base64
import os
import random
from array import array

import msgpack
import orjson
import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from logstore.codec import _pure
from logstore.codec.format import MAX_DEPTH, Spans
from logstore.stream import ids
from logstore.stream.records import ChangeRecord, EventKind, encode

_native = pytest.importorskip("logstore.codec._native")

SEED = int(os.environ.get("LOGSTORE_SEED") or random.randrange(1 << 32))
U64 = (1 << 64) - 1


@pytest.fixture(scope="module", autouse=True)
def _print_seed():
    print(f"\ntests/codec/test_record_twin.py: hypothesis seed {SEED} (replay with LOGSTORE_SEED={SEED})")


text = st.text(st.characters(codec="utf-8"), max_size=40)   # every code point but surrogates, controls included
names = st.text(st.characters(codec="utf-8"), min_size=1, max_size=12)
scalars = st.one_of(
    st.builds(lambda s: {"S": s}, text),
    st.builds(lambda n: {"N": str(n)}, st.integers(-10 ** 30, 10 ** 30)),
    st.builds(lambda b: {"B": b}, st.binary(max_size=40)),
    st.builds(lambda b: {"BOOL": b}, st.booleans()),
    st.just({"NULL": True}),
    st.builds(lambda xs: {"SS": xs}, st.lists(text, min_size=1, max_size=4, unique=True)),
    st.builds(lambda xs: {"BS": xs}, st.lists(st.binary(max_size=10), min_size=1, max_size=4, unique=True)),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.builds(lambda xs: {"L": xs}, st.lists(inner, max_size=4)),
    st.builds(lambda m: {"M": m}, st.dictionaries(names, inner, max_size=4))), max_leaves=12)
images = st.dictionaries(names, values, min_size=1, max_size=6)


@st.composite
def records(draw):
    new = draw(st.one_of(st.none(), images))
    old = draw(st.one_of(st.none(), images))
    keys = draw(images)
    return ChangeRecord(draw(st.sampled_from(list(EventKind))), draw(st.integers(0, U64)), keys, new, old,
                        draw(st.booleans()))


@st.composite
def pages(draw):
    recs = draw(st.lists(records(), min_size=0, max_size=8))
    first = draw(st.integers(0, U64 - len(recs)))
    seqs = [first + i for i in range(len(recs))]
    tss = draw(st.lists(st.integers(0, U64), min_size=len(recs), max_size=len(recs)))
    return [encode(r) for r in recs], seqs, tss, draw(st.binary(max_size=64)), draw(st.integers(0, U64))


def _b64(value):
    if isinstance(value, dict):
        return {k: _b64(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_b64(v) for v in value]
    return base64.b64encode(value).decode() if isinstance(value, bytes) else value


@seed(SEED)
@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64), st.integers(0, U64), st.lists(st.integers(0, U64), max_size=20))
def test_event_ids_agree_with_stream_ids(key, stream_no, seqs):
    expected = [ids.event_id(key, stream_no, s) for s in seqs]
    assert _native.event_ids(key, stream_no, seqs) == _pure.event_ids(key, stream_no, seqs) == expected


def test_event_ids_refuse_a_key_longer_than_blake2b_takes():
    for impl in (_native, _pure):
        with pytest.raises(ValueError):
            impl.event_ids(b"k" * 65, 1, [1])


@seed(SEED)
@settings(max_examples=300, deadline=None)
@given(pages(), st.booleans(), st.booleans())
def test_fields_json_agrees_and_holds_the_values(page, shared_keys, binary):
    payloads, seqs, tss, key, stream_no = page
    got = _native.fields_json(payloads, seqs, tss, key, stream_no, shared_keys, binary)
    want = _pure.fields_json(payloads, seqs, tss, key, stream_no, shared_keys, binary)
    if want is None:   # only when B values are refused
        assert got is None and not binary
        return
    assert bytes(got) == bytes(want)
    flat = orjson.loads(got)
    assert len(flat) == 9 * len(payloads)
    for i, (payload, seq, ts) in enumerate(zip(payloads, seqs, tss)):
        kind, size, keys, new, old, flags = msgpack.unpackb(payload, raw=False)
        shared = shared_keys and (new is not None or old is not None)
        assert flat[9 * i:9 * i + 9] == [ids.event_id(key, stream_no, seq), ids.seq_to_wire(seq), ts // 1000, kind,
                                         size, _b64(new), _b64(old), flags, None if shared else _b64(keys)]


@seed(SEED)
@settings(max_examples=300, deadline=None)
@given(pages(), st.text(max_size=20), st.text(max_size=20))
def test_records_json_agrees(page, region, view_type):
    payloads, seqs, tss, key, stream_no = page
    got = _native.records_json(payloads, seqs, tss, key, stream_no, region, view_type)
    assert got is not None
    assert got == _pure.records_json(payloads, seqs, tss, key, stream_no, region, view_type)
    assert len(orjson.loads(b"[" + got + b"]")) == len(payloads)


@seed(SEED)
@settings(max_examples=300, deadline=None)
@given(pages(), st.data())
def test_damaged_payloads_never_render_other_values(page, data):
    """Random bytes flipped, cut or added: either implementation may refuse, but what both render is the same
    values (bytes may differ only where msgpack would merge a repeated map key, which orjson merges the same way)."""
    payloads, seqs, tss, key, stream_no = page
    if not payloads:
        return
    i = data.draw(st.integers(0, len(payloads) - 1))
    p = bytearray(payloads[i])
    for _ in range(data.draw(st.integers(1, 4))):
        how = data.draw(st.sampled_from(["flip", "cut", "add"]))
        at = data.draw(st.integers(0, max(0, len(p) - 1)))
        if how == "flip" and p:
            p[at] ^= 1 << data.draw(st.integers(0, 7))
        elif how == "cut":
            del p[at:]
        else:
            p[at:at] = data.draw(st.binary(min_size=1, max_size=4))
    payloads = payloads[:i] + [bytes(p)] + payloads[i + 1:]
    for args in ((True, True), (False, False)):
        got = _native.fields_json(payloads, seqs, tss, key, stream_no, *args)
        want = _pure.fields_json(payloads, seqs, tss, key, stream_no, *args)
        if got is not None and want is not None:
            assert orjson.loads(got) == orjson.loads(want)
    got = _native.records_json(payloads, seqs, tss, key, stream_no, "r", "v")
    want = _pure.records_json(payloads, seqs, tss, key, stream_no, "r", "v")
    if got is not None and want is not None:
        assert orjson.loads(b"[" + got + b"]") == orjson.loads(b"[" + want + b"]")


def _nest(depth):
    value = {"S": "x"}
    for _ in range(depth):
        value = {"M": {"a": value}}
    return value


REFUSED = {
    "float": msgpack.packb([1, 1, {"k": {"N": 1.5}}, None, None, 0]),
    "ext": msgpack.packb([1, 1, {"k": msgpack.ExtType(1, b"x")}, None, None, 0]),
    "bad utf-8": b"\x96\x01\x01\x81\xa1k\x81\xa1S\xa2\xc3\x28\xc0\xc0\x00",
    "surrogate": b"\x96\x01\x01\x81\xa1k\x81\xa1S\xa3\xed\xa0\x80\xc0\xc0\x00",
    "int key": msgpack.packb([1, 1, {1: {"S": "x"}}, None, None, 0], strict_types=False),
    "too deep": msgpack.packb([1, 1, {"k": _nest(MAX_DEPTH)}, None, None, 0]),
    "left over": msgpack.packb([1, 1, {"k": {"S": "x"}}, None, None, 0]) + b"\x00",
    "five fields": msgpack.packb([1, 1, {"k": {"S": "x"}}, None, None]),
    "kind 0": msgpack.packb([0, 1, {"k": {"S": "x"}}, None, None, 0]),
    "kind 4": msgpack.packb([4, 1, {"k": {"S": "x"}}, None, None, 0]),
    "nil keys": msgpack.packb([1, 1, None, None, None, 0]),
    "list image": msgpack.packb([1, 1, {"k": {"S": "x"}}, [], None, 0]),
    "negative size": msgpack.packb([1, -1, {"k": {"S": "x"}}, None, None, 0]),
    "truncated": msgpack.packb([1, 1, {"k": {"S": "xyz"}}, None, None, 0])[:-3],
    "empty": b"",
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_what_neither_renders(name):
    payloads = [REFUSED[name]]
    for impl in (_native, _pure):
        assert impl.fields_json(payloads, [1], [1], b"", 1, True) is None, impl.IMPLEMENTATION
        assert impl.records_json(payloads, [1], [1], b"", 1, "r", "v") is None, impl.IMPLEMENTATION


def test_nesting_up_to_the_limit_renders():
    """The keys map is at depth 1, its AttributeValues at 2, and each M level adds two: 2 + 2 * 48 = 98 < 100."""
    payloads = [msgpack.packb([1, 1, {"k": _nest(48)}, None, None, 0])]
    got = _native.fields_json(payloads, [1], [1], b"", 1, True)
    assert got is not None and bytes(got) == bytes(_pure.fields_json(payloads, [1], [1], b"", 1, True))
    deeper = [msgpack.packb([1, 1, {"k": {"M": {"a": _nest(48)}}}, None, None, 0])]   # a map at depth 100
    assert _native.fields_json(deeper, [1], [1], b"", 1, True) is None
    assert _pure.fields_json(deeper, [1], [1], b"", 1, True) is None


def test_a_page_larger_than_the_first_guess_of_its_size():
    """Control characters are written as 6-byte escapes: the output outgrows the first buffer, which grows."""
    payloads = [encode(ChangeRecord(EventKind.INSERT, 1, {"k": {"S": "\x01" * 5000}}, None, None))] * 3
    got = _native.fields_json(payloads, [1, 2, 3], [1, 2, 3], b"", 1, False)
    assert bytes(got) == bytes(_pure.fields_json(payloads, [1, 2, 3], [1, 2, 3], b"", 1, False))
    assert _native.records_json(payloads, [1, 2, 3], [1, 2, 3], b"", 1, "r", "v") == \
        _pure.records_json(payloads, [1, 2, 3], [1, 2, 3], b"", 1, "r", "v")


def _spread(payloads: list[bytes], gaps: list[int]) -> Spans:
    """The payloads as Spans of one buffer, each after a gap of 0xc1 bytes (never valid msgpack)."""
    data, offs = bytearray(), array("I")
    for payload, gap in zip(payloads, gaps):
        data += b"\xc1" * gap
        offs.append(len(data))
        data += payload
    data += b"\xc1" * gaps[-1] if gaps else b""
    return Spans(bytes(data), offs, array("I", map(len, payloads)))


@seed(SEED)
@settings(max_examples=200, deadline=None)
@given(pages(), st.data())
def test_spans_render_as_the_payloads_they_hold(page, data):
    """Payloads given as Spans (a page as the C PageReader reads it: where they lie in its segments) render to
    the same bytes as the same payloads given as a list, in C and in the twin."""
    payloads, seqs, tss, key, stream_no = page
    gaps = data.draw(st.lists(st.integers(0, 40), min_size=len(payloads) + 1, max_size=len(payloads) + 1))
    spans = _spread(payloads, gaps)
    assert spans == payloads and list(spans) == payloads
    for args in ((True, True), (False, True), (True, False)):
        listed = _native.fields_json(payloads, seqs, tss, key, stream_no, *args)
        spanned = _native.fields_json(spans, seqs, tss, key, stream_no, *args)
        assert (None if listed is None else bytes(listed)) == (None if spanned is None else bytes(spanned))
        twin = _pure.fields_json(spans, seqs, tss, key, stream_no, *args)
        assert (None if twin is None else bytes(twin)) == (None if spanned is None else bytes(spanned))
    spanned = _native.records_json(spans, seqs, tss, key, stream_no, "eu-west-1", "NEW_IMAGE")
    assert spanned == _native.records_json(payloads, seqs, tss, key, stream_no, "eu-west-1", "NEW_IMAGE")
    assert spanned == _pure.records_json(spans, seqs, tss, key, stream_no, "eu-west-1", "NEW_IMAGE")


def test_a_page_read_from_several_segments_renders_from_where_its_payloads_lie():
    """The C PageReader's page is Spans of its segments joined (each segment's offsets moved by where it starts);
    read from the middle of the first segment and cut inside the last, it renders as its payloads do."""
    recs = [encode(ChangeRecord(EventKind.INSERT, 10 + i, {"pk": {"S": f"k{i}"}}, {"pk": {"S": f"k{i}"}}, None,
                                False)) for i in range(30)]
    segments = [_native.encode(list(range(s, s + 10)), [5] * 10, recs[s:s + 10]) for s in (0, 10, 20)]
    page = _native.PageReader(3, 22, 1 << 20)
    for segment in segments:
        page.take(segment)
    seqs, tss, payloads = page.records()
    assert isinstance(payloads, Spans) and len(payloads.data) == sum(map(len, segments))
    assert seqs == list(range(3, 25)) and payloads == recs[3:25]
    assert _native.records_json(payloads, seqs, tss, b"k", 1, "r", "v") == \
        _native.records_json(list(payloads), seqs, tss, b"k", 1, "r", "v")
    assert bytes(_native.fields_json(payloads, seqs, tss, b"k", 1, True)) == \
        bytes(_pure.fields_json(recs[3:25], seqs, tss, b"k", 1, True))
