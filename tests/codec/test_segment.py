"""Segment codec behaviour, run once per implementation (fixture ``impl``): layout, round trips, locate, read
limits, and rejection of every kind of malformed input."""
from __future__ import annotations

import struct

import pytest

from logstore.codec import format as fmt
from logstore.errors import CorruptionError


def records(n, start=100, step=3, ts0=1_000, size=lambda i: i % 7):
    seqs = [start + i * step for i in range(n)]
    tss = [ts0 + i // 2 for i in range(n)]
    payloads = [bytes([i % 256]) * size(i) for i in range(n)]
    return seqs, tss, payloads


def status_of(fn, *args):
    with pytest.raises((CorruptionError, ValueError)) as info:
        fn(*args)
    return info.value.status


def test_layout_matches_the_documented_format(impl):
    seg = impl.encode([5, 9], [1000, 1001], [b"ab", b""])
    assert len(seg) == fmt.encoded_size(2, 2) == 56 + 2 * 20 + 2 + 2 * 4 + 4
    assert seg[:4] == b"LSEG"
    version, flags, count, total, first, last, ts0, ts1, index_off = struct.unpack_from("<HHIIQQQQI", seg, 4)
    assert (version, flags, count, total, first, last, ts0, ts1) == (1, 0, 2, len(seg), 5, 9, 1000, 1001)
    assert index_off == 56 + 20 + 2 + 20
    assert struct.unpack_from("<I", seg, 52)[0] == impl.crc32c(seg[:52])
    assert struct.unpack_from("<QQI", seg, 56) == (5, 1000, 2) and seg[76:78] == b"ab"
    assert struct.unpack_from("<QQI", seg, 78) == (9, 1001, 0)
    assert struct.unpack_from("<II", seg, index_off) == (56, 78)
    assert struct.unpack_from("<I", seg, len(seg) - 4)[0] == impl.crc32c(seg[:-4])


def test_crc32c_known_answers(impl):
    assert impl.crc32c(b"") == 0
    assert impl.crc32c(b"123456789") == 0xE3069283
    assert impl.crc32c(bytes(32)) == 0x8A9136AA
    assert impl.crc32c(b"456789", impl.crc32c(b"123")) == 0xE3069283


def test_round_trip_and_header(impl):
    seqs, tss, payloads = records(50)
    seg = impl.encode(seqs, tss, payloads)
    assert impl.decode(seg) == list(zip(seqs, tss, payloads))
    h = impl.validate(seg)
    assert (h.count, h.first_seq, h.last_seq, h.first_ts, h.last_ts) == (50, seqs[0], seqs[-1], tss[0], tss[-1])
    assert impl.read_header(seg) == h


def test_extend_equals_encoding_everything_at_once(impl):
    seqs, tss, payloads = records(30)
    seg = impl.encode(seqs[:10], tss[:10], payloads[:10])
    seg = impl.extend(seg, seqs[10:11], tss[10:11], payloads[10:11])
    seg = impl.extend(seg, seqs[11:], tss[11:], payloads[11:])
    assert seg == impl.encode(seqs, tss, payloads)


def test_locate_finds_first_record_at_or_after(impl):
    seqs, tss, payloads = records(40, start=10, step=5)
    seg = impl.encode(seqs, tss, payloads)
    assert impl.locate(seg, 0) == 0
    assert impl.locate(seg, 10) == 0
    assert impl.locate(seg, 11) == 1
    assert impl.locate(seg, 15) == 1
    assert impl.locate(seg, seqs[-1]) == 39
    assert impl.locate(seg, seqs[-1] + 1) == 40


def test_read_limits(impl):
    seqs, tss, payloads = records(20, size=lambda i: 10)
    seg = impl.encode(seqs, tss, payloads)
    r = impl.read(seg, seqs[5], 4, 1 << 20, True)
    assert r.seqs == seqs[5:9] and r.timestamps == tss[5:9] and r.nbytes == 40
    assert [seg[o:o + n] for o, n in zip(r.offsets, r.lengths)] == payloads[5:9]
    assert impl.read(seg, 0, 100, 35, True).seqs == seqs[:3]          # byte limit
    assert impl.read(seg, 0, 100, 5, True).seqs == seqs[:1]           # first record always taken
    assert impl.read(seg, 0, 100, 5, False).seqs == []                # ... unless told not to
    assert impl.read(seg, seqs[-1] + 1, 100, 1 << 20, True).seqs == []


@pytest.mark.parametrize("seqs,tss", [([1, 1], [0, 0]), ([2, 1], [0, 0]), ([1, 2], [5, 4])])
def test_encode_refuses_out_of_order_input(impl, seqs, tss):
    assert status_of(impl.encode, seqs, tss, [b"a", b"b"]) == fmt.E_ORDER


def test_encode_refuses_inconsistent_arguments(impl):
    assert status_of(impl.encode, [], [], []) == fmt.E_ARG
    assert status_of(impl.encode, [1, 2], [0], [b"a", b"b"]) == fmt.E_ARG
    assert status_of(impl.encode, [-1], [0], [b"a"]) == fmt.E_ARG
    assert status_of(impl.encode, [1 << 64], [0], [b"a"]) == fmt.E_ARG


def test_extend_refuses_records_that_do_not_follow(impl):
    seg = impl.encode([10], [100], [b"x"])
    assert status_of(impl.extend, seg, [10], [100], [b"y"]) == fmt.E_ORDER
    assert status_of(impl.extend, seg, [11], [99], [b"y"]) == fmt.E_ORDER


def test_extend_refuses_a_corrupt_segment(impl):
    seg = bytearray(impl.encode([10, 11], [100, 100], [b"x", b"y"]))
    seg[60] ^= 1
    assert status_of(impl.extend, bytes(seg), [12], [100], [b"z"]) == fmt.E_CRC


def reseal(seg: bytearray, impl) -> bytes:
    """Recompute both checksums, so that structural checks (not the CRC) must catch a change."""
    struct.pack_into("<I", seg, 52, impl.crc32c(bytes(seg[:52])))
    struct.pack_into("<I", seg, len(seg) - 4, impl.crc32c(bytes(seg[:-4])))
    return bytes(seg)


def test_structural_checks_behind_the_checksums(impl):
    good = bytearray(impl.encode([1, 2, 3], [0, 0, 0], [b"aa", b"bb", b"cc"]))
    cases = {}
    seg = bytearray(good); struct.pack_into("<H", seg, 4, 2); cases["version"] = (reseal(seg, impl), fmt.E_VERSION)
    seg = bytearray(good); struct.pack_into("<H", seg, 6, 1); cases["flags"] = (reseal(seg, impl), fmt.E_VERSION)
    seg = bytearray(good); struct.pack_into("<I", seg, 8, 0); cases["count0"] = (reseal(seg, impl), fmt.E_FRAME)
    seg = bytearray(good); struct.pack_into("<Q", seg, 24, 9); cases["last"] = (reseal(seg, impl), fmt.E_FRAME)
    seg = bytearray(good); struct.pack_into("<Q", seg, 56 + 22, 1); cases["order"] = (reseal(seg, impl), fmt.E_ORDER)
    seg = bytearray(good); struct.pack_into("<I", seg, 56 + 16, 3); cases["len"] = (reseal(seg, impl), fmt.E_FRAME)
    idx = struct.unpack_from("<I", good, 48)[0]
    seg = bytearray(good); struct.pack_into("<I", seg, idx + 4, 57); cases["index"] = (reseal(seg, impl), fmt.E_INDEX)
    seg = bytearray(good); struct.pack_into("<Q", seg, 32, 7); cases["ts"] = (reseal(seg, impl), fmt.E_FRAME)
    for name, (bad, status) in cases.items():
        assert status_of(impl.validate, bad) == status, name


def test_short_or_foreign_input(impl):
    assert status_of(impl.validate, b"") == fmt.E_TRUNCATED
    assert status_of(impl.validate, b"LSEG" + bytes(20)) == fmt.E_TRUNCATED
    assert status_of(impl.validate, b"NOPE" + bytes(100)) == fmt.E_MAGIC
    seg = impl.encode([1], [0], [b"abc"])
    assert status_of(impl.validate, seg[:-1]) == fmt.E_TRUNCATED
    assert status_of(impl.read_header, seg + b"\0") == fmt.E_FRAME


def test_every_single_byte_flip_and_truncation_is_rejected(impl):
    seg = impl.encode([7, 8, 9], [1, 2, 3], [b"hello", b"", b"world!"])
    for i in range(len(seg)):
        for bit in (0x01, 0x80):
            bad = bytearray(seg)
            bad[i] ^= bit
            with pytest.raises(CorruptionError):
                impl.validate(bytes(bad))
            with pytest.raises(CorruptionError):
                impl.read(bytes(bad), 0, 10, 1 << 20, True)
    for cut in range(len(seg)):
        with pytest.raises(CorruptionError):
            impl.validate(seg[:cut])


def test_accepts_any_buffer(impl):
    seg = impl.encode([1, 2], [0, 0], [bytearray(b"ab"), memoryview(b"cd")])
    assert impl.decode(memoryview(seg)) == [(1, 0, b"ab"), (2, 0, b"cd")]
    assert impl.validate(bytearray(seg)).count == 2
