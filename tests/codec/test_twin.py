"""The pure-Python twin is the executable spec of the C core: on random input they must produce identical bytes,
identical decodings and identical statuses (hypothesis property tests)."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logstore.codec import _pure
from logstore.errors import CorruptionError

_native = pytest.importorskip("logstore.codec._native")

U64 = (1 << 64) - 1


@st.composite
def batches(draw, min_size=1, max_size=40):
    n = draw(st.integers(min_size, max_size))
    gaps = draw(st.lists(st.integers(1, 1 << 40), min_size=n, max_size=n))
    start = draw(st.integers(0, 1 << 62))
    seqs, s = [], start
    for g in gaps:
        s += g
        seqs.append(min(s, U64 - (n - len(seqs))))
    seqs = sorted(set(seqs))
    n = len(seqs)
    ts0 = draw(st.integers(0, 1 << 50))
    steps = draw(st.lists(st.integers(0, 10_000), min_size=n, max_size=n))
    tss, t = [], ts0
    for d in steps:
        t += d
        tss.append(t)
    payloads = draw(st.lists(st.binary(max_size=300), min_size=n, max_size=n))
    return seqs, tss, payloads


def outcome(fn, *args):
    """A comparable summary of calling fn: its result, or the error's type and status."""
    try:
        return ("ok", fn(*args))
    except (CorruptionError, ValueError) as e:
        return (type(e).__name__, getattr(e, "status", None))


@settings(max_examples=300, deadline=None)
@given(batches())
def test_encode_and_decode_agree(batch):
    seqs, tss, payloads = batch
    seg = _native.encode(seqs, tss, payloads)
    assert seg == _pure.encode(seqs, tss, payloads)
    assert _native.decode(seg) == _pure.decode(seg) == list(zip(seqs, tss, payloads))
    assert _native.validate(seg) == _pure.validate(seg)


@settings(max_examples=200, deadline=None)
@given(batches(), st.data())
def test_extend_agrees_and_equals_one_encoding(batch, data):
    seqs, tss, payloads = batch
    if len(seqs) < 2:
        return
    cut = data.draw(st.integers(1, len(seqs) - 1))
    head = _native.encode(seqs[:cut], tss[:cut], payloads[:cut])
    c = _native.extend(head, seqs[cut:], tss[cut:], payloads[cut:])
    p = _pure.extend(head, seqs[cut:], tss[cut:], payloads[cut:])
    assert c == p == _native.encode(seqs, tss, payloads)


@settings(max_examples=200, deadline=None)
@given(batches(), st.integers(0, U64), st.integers(1, 50), st.integers(0, 2000), st.booleans())
def test_locate_and_read_agree(batch, from_seq, max_records, max_bytes, at_least_one):
    seqs, tss, payloads = batch
    seg = _native.encode(seqs, tss, payloads)
    assert _native.locate(seg, from_seq) == _pure.locate(seg, from_seq) == sum(1 for s in seqs if s < from_seq)
    assert (_native.read(seg, from_seq, max_records, max_bytes, at_least_one)
            == _pure.read(seg, from_seq, max_records, max_bytes, at_least_one))


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches(max_size=8), st.data())
def test_damaged_segments_get_the_same_verdict(batch, data):
    seqs, tss, payloads = batch
    seg = bytearray(_native.encode(seqs, tss, payloads))
    kind = data.draw(st.sampled_from(["flip", "truncate", "overwrite", "append"]))
    if kind == "flip":
        i = data.draw(st.integers(0, len(seg) - 1))
        seg[i] ^= data.draw(st.integers(1, 255))
    elif kind == "truncate":
        seg = seg[:data.draw(st.integers(0, len(seg) - 1))]
    elif kind == "overwrite":
        i = data.draw(st.integers(0, len(seg) - 1))
        chunk = data.draw(st.binary(min_size=1, max_size=16))
        seg[i:i + len(chunk)] = chunk
    else:
        seg += data.draw(st.binary(min_size=1, max_size=16))
    bad = bytes(seg)
    assert outcome(_native.validate, bad) == outcome(_pure.validate, bad)
    assert outcome(_native.read_header, bad) == outcome(_pure.read_header, bad)
    assert outcome(_native.read, bad, 0, 10, 1 << 20, True) == outcome(_pure.read, bad, 0, 10, 1 << 20, True)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000), st.integers(0, 0xFFFFFFFF))
def test_crc32c_agrees(data, start):
    assert _native.crc32c(data, start) == _pure.crc32c(data, start)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_crash_and_agree(data):
    assert outcome(_native.validate, data) == outcome(_pure.validate, data)
    assert outcome(_native.locate, data, 5) == outcome(_pure.locate, data, 5)


@settings(max_examples=300, deadline=None)
@given(st.integers(-2, U64 + 2), st.integers(-2, U64 + 2), st.binary(max_size=600))
def test_one_record_encode_agrees(seq, ts, payload):
    """encode of one record takes its own C entry point (lsg_encode_one): the same bytes, or the same error, as
    the pure twin, out-of-range numbers included."""
    assert outcome(_native.encode, [seq], [ts], [payload]) == outcome(_pure.encode, [seq], [ts], [payload])
