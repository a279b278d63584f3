"""Corruption detection: damaged segment bytes are reported as CorruptionError naming the shard and the segment
(its key's sequence number) -- never a crash, never a wrong record served, never a trim that deletes the wrong
thing -- and the C codec and its pure-Python twin reject every damaged variant with the same status.

Damage is applied three ways: a copy of a stored segment with one byte flipped (or cut short, or with bytes added)
put back under the same key through the store's own environment; one byte flipped in data.mdb on disk while the
store is closed; and the same variants fed to both codec implementations directly.

Which status a flip yields is fixed by the order of checks csrc/logseg.h documents: magic (bytes 0-3), version
and flags (4-7), header checksum (8-55, the checksum included), then the body checksum (everything after).
Randomised parts (which bit is flipped) print their seed; replay with LOGSTORE_SEED=<seed>.
"""
from __future__ import annotations

import os
import random

import pytest

from logstore.codec import _pure
from logstore.codec.format import (E_CRC, E_FRAME, E_HEADER_CRC, E_MAGIC, E_TRUNCATED, E_VERSION, HEADER_SIZE,
                                   U64_MAX)
from logstore.errors import CorruptionError
from logstore.storage import Environment, SegmentLog, SegmentPolicy, trim_all, trim_shard
from logstore.storage.keys import segment_key

try:
    from logstore.codec import _native
except ImportError:  # pragma: no cover - the C core is always built in CI
    _native = None

SHARD = 9       # the shard that gets damaged
OTHER = 2       # a neighbour that must stay readable
# shard SHARD's segments (first, last seq), one append each; TARGET is small, with an empty payload in it
SEGMENTS = [(1, 5), (6, 8), (9, 12), (13, 20)]
TARGET = (6, 8)
TAIL = (13, 20)
EVERY_BIT = [1 << b for b in range(8)]


def payload(shard: int, seq: int) -> bytes:
    if (shard, seq) == (SHARD, 6):
        return b""
    return (b"shard %d record %d " % (shard, seq)) * (seq % 3)


def ts(seq: int) -> int:
    return 1000 * seq


def records(shard: int, first: int, last: int) -> list[tuple[int, int, bytes]]:
    return [(s, ts(s), payload(shard, s)) for s in range(first, last + 1)]


class Store:
    """A small store: shard SHARD in the four SEGMENTS, shard OTHER in two segments."""

    def __init__(self, path):
        self.env = Environment(path)
        # extend_below=0: every append makes a segment of its own, so the layout is exactly SEGMENTS
        self.log = SegmentLog(self.env, SegmentPolicy(extend_below=0))
        for shard, segments in ((SHARD, SEGMENTS), (OTHER, [(1, 3), (4, 6)])):
            for first, last in segments:
                recs = records(shard, first, last)
                self.env.write(lambda txn, recs=recs, shard=shard: self.log.append(
                    txn, shard, [r[0] for r in recs], [r[1] for r in recs], [r[2] for r in recs]))
        with self.env.begin_read() as txn:
            self.raw = {key_seq: bytes(value) for key_seq, value in self.log.raw_segments(txn, SHARD)}
        assert sorted(self.raw) == [last for _, last in SEGMENTS]

    def put(self, last_seq: int, value: bytes) -> None:
        """Store ``value`` as shard SHARD's segment keyed ``last_seq``: raw LMDB access through the same env."""
        self.env.write(lambda txn: txn.put(segment_key(SHARD, last_seq), value, db=self.log.segments_db))

    def restore(self, last_seq: int) -> None:
        self.put(last_seq, self.raw[last_seq])

    def read(self, shard: int, from_seq: int = 0, max_records: int = 10_000):
        with self.env.begin_read() as txn:
            return list(self.log.read(txn, shard, from_seq, max_records, 1 << 30))

    def raw_segments(self) -> list[tuple[int, bytes]]:
        with self.env.begin_read() as txn:
            return [(k, bytes(v)) for k, v in self.log.raw_segments(txn, SHARD)]


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "store")
    try:
        yield s
    finally:
        s.env.close()


def flip_status(offset: int) -> int:
    """The status a flip at ``offset`` must produce (order of checks in csrc/logseg.h)."""
    if offset < 4:
        return E_MAGIC
    if offset < 8:
        return E_VERSION
    if offset < HEADER_SIZE:
        return E_HEADER_CRC
    return E_CRC


def flipped(value: bytes, offset: int, mask: int) -> bytes:
    out = bytearray(value)
    out[offset] ^= mask
    return bytes(out)


def masks_for(rng: random.Random, thorough: bool) -> list[int]:
    """Every single-bit flip and the whole byte when thorough; else the whole byte and one random bit."""
    return EVERY_BIT + [0xFF] if thorough else [0xFF, rng.choice(EVERY_BIT)]


# ---------------------------------------------------------------------------------------------------------------
# (a), (b): damaged copies put back under the segment's key


def expect_reported(store: Store, status: int, what: str) -> None:
    """The damaged TARGET segment is reported wherever a read meets it; everything else is served intact."""
    first, last = TARGET
    with store.env.begin_read() as txn:
        for from_seq in (0, first, first + 1, last):
            try:
                got = store.log.read(txn, SHARD, from_seq, 10_000, 1 << 30)
            except CorruptionError as e:
                assert (e.shard, e.segment, e.status) == (SHARD, last, status), (
                    f"{what}: read from {from_seq} reported shard {e.shard}, segment {e.segment}, status {e.status}; "
                    f"expected shard {SHARD}, segment {last}, status {status}")
            else:
                raise AssertionError(f"{what}: read from {from_seq} served {len(got)} records, seqs "
                                     f"{got.seqs[:10]}, instead of raising CorruptionError")
    # reads that do not reach the damaged segment serve the right records
    assert store.read(SHARD, 0, max_records=5) == records(SHARD, 1, 5), what
    assert store.read(SHARD, last + 1) == records(SHARD, last + 1, 20), what
    assert store.read(OTHER) == records(OTHER, 1, 6), what


def test_every_flipped_byte_of_a_segment_is_reported(store, seed):
    rng = random.Random(seed)
    original = store.raw[TARGET[1]]
    for offset in range(len(original)):
        for mask in masks_for(rng, thorough=False):
            store.put(TARGET[1], flipped(original, offset, mask))
            expect_reported(store, flip_status(offset), f"seed {seed}: byte {offset} ^ {mask:#04x}")
    store.restore(TARGET[1])
    assert store.read(SHARD) == records(SHARD, 1, 20)


@pytest.mark.slow
def test_every_single_bit_flip_of_a_segment_is_reported(store, seed):
    original = store.raw[TARGET[1]]
    for offset in range(len(original)):
        for mask in EVERY_BIT:
            store.put(TARGET[1], flipped(original, offset, mask))
            expect_reported(store, flip_status(offset), f"byte {offset} ^ {mask:#04x}")
    store.restore(TARGET[1])
    assert store.read(SHARD) == records(SHARD, 1, 20)


def test_every_truncation_of_a_segment_is_reported(store):
    original = store.raw[TARGET[1]]
    for length in range(len(original)):
        store.put(TARGET[1], original[:length])
        expect_reported(store, E_TRUNCATED, f"cut to {length} of {len(original)} bytes")
    for junk in (b"\0", b"\xff" * 3, original[-4:], original):   # longer than its header says
        store.put(TARGET[1], original + junk)
        expect_reported(store, E_FRAME, f"{len(junk)} bytes added")
    store.restore(TARGET[1])
    assert store.read(SHARD) == records(SHARD, 1, 20)


def test_valid_segment_under_the_wrong_key_is_reported(store):
    """Intact bytes in the wrong place (as a damaged key or a misfiled copy would leave them) are reported too:
    a valid segment whose last record is not the one its key names, and a valid segment that overlaps the one
    before it."""
    misplaced = {
        "ends before its key": _pure.encode(*zip(*records(SHARD, 6, 7))),    # records 6..7 under key 8
        "overlaps the previous segment": _pure.encode(*zip(*records(SHARD, 4, 8))),   # 4..5 are in (1..5) too
    }
    for what, value in misplaced.items():
        store.put(TARGET[1], value)
        with store.env.begin_read() as txn:
            with pytest.raises(CorruptionError) as ei:
                store.log.read(txn, SHARD, 0)
            assert (ei.value.shard, ei.value.segment) == (SHARD, TARGET[1]), what
    store.restore(TARGET[1])
    assert store.read(SHARD) == records(SHARD, 1, 20)


def test_segment_headers_are_checked_by_inspection_too(store, seed):
    """``segments`` (headers only) names the damaged segment when its header is damaged, and trusts a header
    whose own checksum holds."""
    rng = random.Random(seed)
    original = store.raw[TARGET[1]]
    for offset in range(len(original)):
        mask = rng.choice(EVERY_BIT + [0xFF])
        store.put(TARGET[1], flipped(original, offset, mask))
        with store.env.begin_read() as txn:
            if offset < HEADER_SIZE:
                with pytest.raises(CorruptionError) as ei:
                    list(store.log.segments(txn, SHARD))
                assert (ei.value.shard, ei.value.segment, ei.value.status) == (SHARD, TARGET[1], flip_status(offset)), (
                    f"seed {seed}: byte {offset} ^ {mask:#04x}")
            else:
                assert [s.key_seq for s in store.log.segments(txn, SHARD)] == [last for _, last in SEGMENTS]


def test_append_to_a_damaged_tail_segment_is_refused(store, seed):
    """An append that would extend a damaged tail segment raises CorruptionError naming it, and writes nothing."""
    rng = random.Random(seed)
    log = SegmentLog(store.env)   # the default policy extends a small tail segment (after validating it)
    original = store.raw[TAIL[1]]
    variants = [(f"byte {o} ^ {m:#04x}", flipped(original, o, m), flip_status(o))
                for o in range(len(original)) for m in [rng.choice(EVERY_BIT + [0xFF])]]
    variants += [(f"cut to {n} bytes", original[:n], E_TRUNCATED) for n in range(0, len(original), 7)]
    for what, value, status in variants:
        store.put(TAIL[1], value)
        with pytest.raises(CorruptionError) as ei:
            store.env.write(lambda txn: log.append(txn, SHARD, [21, 22], [ts(21), ts(22)], [b"new", b"er"]))
        assert (ei.value.shard, ei.value.segment, ei.value.status) == (SHARD, TAIL[1], status), f"seed {seed}: {what}"
        assert [k for k, _ in store.raw_segments()] == [last for _, last in SEGMENTS], f"seed {seed}: {what}"
    store.restore(TAIL[1])
    store.env.write(lambda txn: log.append(txn, SHARD, [21, 22], [ts(21), ts(22)], [b"new", b"er"]))
    assert store.read(SHARD, 13) == records(SHARD, 13, 20) + [(21, ts(21), b"new"), (22, ts(22), b"er")]


# ---------------------------------------------------------------------------------------------------------------
# (c): a byte flipped in data.mdb on disk


@pytest.mark.parametrize("size", ["inline", "overflow"])
@pytest.mark.parametrize("where", ["header", "payload", "trailer"])
def test_byte_flipped_in_the_data_file_is_reported(tmp_path, size, where):
    """Close the store, flip one byte of a segment inside data.mdb, reopen: reads name the segment. ``inline``:
    a small segment inside an LMDB leaf page; ``overflow``: one larger than a page, in overflow pages."""
    path = tmp_path / "store"
    token = os.urandom(32).hex().encode()           # makes the segment's bytes unique in the file
    body = token if size == "inline" else token * 200
    target = [(4, ts(4), b"before"), (5, ts(5), b"::" + body + b"::"), (6, ts(6), b"after")]
    with Environment(path) as env:
        log = SegmentLog(env, SegmentPolicy(extend_below=0))
        batches = [(OTHER, records(OTHER, 1, 6)), (SHARD, records(SHARD, 1, 3)), (SHARD, target),
                   (SHARD, records(SHARD, 7, 9))]
        for shard, recs in batches:
            env.write(lambda txn, shard=shard, recs=recs: log.append(
                txn, shard, [r[0] for r in recs], [r[1] for r in recs], [r[2] for r in recs]))
        with env.begin_read() as txn:
            segment = bytes(dict(log.raw_segments(txn, SHARD))[6])
    assert (len(segment) > 4096) == (size == "overflow")
    offset = {"header": 20, "payload": segment.index(token) + 5, "trailer": len(segment) - 1}[where]
    status = flip_status(offset)

    data_file = path / "data.mdb"
    data = data_file.read_bytes()
    found = []
    start = data.find(segment)
    while start >= 0:
        found.append(start)
        start = data.find(segment, start + 1)
    assert found, "the segment's bytes are not in data.mdb"
    with open(data_file, "r+b") as f:   # every copy (stale copies may sit in free pages; flipping them is harmless)
        for start in found:
            f.seek(start + offset)
            byte = f.read(1)[0]
            f.seek(start + offset)
            f.write(bytes([byte ^ 0x10]))
        f.flush()
        os.fsync(f.fileno())

    for readonly in (False, True):
        with Environment(path, readonly=readonly) as env:
            log = SegmentLog(env)
            with env.begin_read() as txn:
                for from_seq in (0, 4, 6):
                    with pytest.raises(CorruptionError) as ei:
                        log.read(txn, SHARD, from_seq)
                    assert (ei.value.shard, ei.value.segment, ei.value.status) == (SHARD, 6, status), (
                        f"readonly={readonly}, from {from_seq}")
                    assert f"shard {SHARD}, segment 6" in str(ei.value)
                assert list(log.read(txn, SHARD, 7)) == records(SHARD, 7, 9)
                assert list(log.read(txn, SHARD, 0, max_records=3)) == records(SHARD, 1, 3)
                assert list(log.read(txn, OTHER, 0)) == records(OTHER, 1, 6)


# ---------------------------------------------------------------------------------------------------------------
# (d): retention meets damaged segments


HORIZON = ts(8) + 500   # segments (1..5) and (6..8) are wholly older: a trim deletes both, trim_seq becomes 9


def expect_trim_refused(store: Store, trim, segment: int, status: int, what: str) -> None:
    before = store.raw_segments()
    with pytest.raises(CorruptionError) as ei:
        store.env.write(trim)
    assert (ei.value.shard, ei.value.segment, ei.value.status) == (SHARD, segment, status), what
    assert store.raw_segments() == before, f"{what}: the failed trim changed the segments"
    with store.env.begin_read() as txn:
        assert store.log.trim_seq(txn, SHARD) == 0, f"{what}: the failed trim moved trim_seq"


def test_trim_refuses_a_segment_with_a_damaged_header(store, seed):
    """trim_shard (and trim_all) judge segments by their header: a damaged header is CorruptionError naming the
    segment, and the transaction's earlier deletions are undone with it -- nothing is deleted."""
    rng = random.Random(seed)
    trims = [("trim_shard", lambda txn: trim_shard(store.log, txn, SHARD, HORIZON)),
             ("trim_all", lambda txn: trim_all(store.log, txn, HORIZON))]
    for first, last in [SEGMENTS[0], TARGET]:   # the first segment, and one after a segment the trim deletes
        original = store.raw[last]
        for offset in range(HEADER_SIZE):
            mask = rng.choice(EVERY_BIT + [0xFF])
            store.put(last, flipped(original, offset, mask))
            for name, trim in trims:
                expect_trim_refused(store, trim, last, flip_status(offset),
                                    f"seed {seed}: {name}, segment {last}, byte {offset} ^ {mask:#04x}")
        store.restore(last)
    # undamaged, the same trim deletes exactly the two old segments
    result = store.env.write(lambda txn: trim_shard(store.log, txn, SHARD, HORIZON))
    assert (result.segments_deleted, result.records_trimmed, result.trim_seq) == (2, 8, 9)
    assert [k for k, _ in store.raw_segments()] == [12, 20]
    assert store.read(SHARD, 9) == records(SHARD, 9, 20)


def test_trim_refuses_a_straddling_segment_with_a_damaged_body(store, seed):
    """A segment that straddles the horizon is read to find its first young record: a damaged body there is
    CorruptionError, and nothing is deleted."""
    rng = random.Random(seed)
    horizon = ts(7)    # (1..5) expires whole, (6..8) straddles
    original = store.raw[TARGET[1]]
    for offset in range(HEADER_SIZE, len(original)):
        mask = rng.choice(EVERY_BIT + [0xFF])
        store.put(TARGET[1], flipped(original, offset, mask))
        expect_trim_refused(store, lambda txn: trim_shard(store.log, txn, SHARD, horizon), TARGET[1], E_CRC,
                            f"seed {seed}: byte {offset} ^ {mask:#04x}")
    store.restore(TARGET[1])
    result = store.env.write(lambda txn: trim_shard(store.log, txn, SHARD, horizon))
    assert (result.segments_deleted, result.trim_seq) == (1, 7)
    assert store.read(SHARD, 7) == records(SHARD, 7, 20)


# ---------------------------------------------------------------------------------------------------------------
# the codec twins, on the same damage


def sample_segments() -> dict[str, bytes]:
    small = records(SHARD, *TARGET)
    rng = random.Random(7)   # fixed: a deterministic ~700-byte segment with empty and varied payloads
    seqs = sorted(rng.sample(range(1, 10_000), 16))
    larger = [(s, 5000 + i // 3, rng.randbytes(rng.choice([0, 1, 3, 20, 90]))) for i, s in enumerate(seqs)]
    out = {}
    for name, recs in (("small", small), ("larger", larger)):
        out[name] = _pure.encode([r[0] for r in recs], [r[1] for r in recs], [r[2] for r in recs])
    return out


def codec_ops(segment: bytes):
    """Every codec entry point that takes stored bytes, with arguments that make sense for ``segment``."""
    head = _pure.validate(segment)
    mid = (head.first_seq + head.last_seq) // 2
    return [
        ("read_header", lambda m, s: m.read_header(s), False),
        ("validate", lambda m, s: m.validate(s), True),
        ("locate", lambda m, s: m.locate(s, mid), False),
        ("read", lambda m, s: m.read(s, 0, 10_000, U64_MAX, True), True),
        ("read_from_mid", lambda m, s: m.read(s, mid, 3, 50, False), True),
        ("decode", lambda m, s: m.decode(s), True),
        ("extend", lambda m, s: m.extend(s, [head.last_seq + 1], [head.last_ts], [b"x"]), True),
    ]


def outcome(impl, op, value):
    try:
        return ("ok", op(impl, value))
    except CorruptionError as e:
        return ("CorruptionError", e.status)
    except Exception as e:  # anything else is a finding; describe it
        return (type(e).__name__, getattr(e, "status", None), str(e))


def check_twins(segment: bytes, variants, label: str) -> int:
    """Both implementations give the same outcome on every variant; those that must reject it do, with
    CorruptionError of the expected status. Returns the number of comparisons."""
    ops = codec_ops(segment)
    n = 0
    for what, value, status in variants:
        for name, op, must_reject in ops:
            native, pure = outcome(_native, op, value), outcome(_pure, op, value)
            assert native == pure, f"{label}, {what}, {name}: C {native!r} but pure {pure!r}"
            if must_reject:
                assert native == ("CorruptionError", status), f"{label}, {what}, {name}: {native!r}, expected status {status}"
            else:   # header-only functions fail exactly when the header is damaged
                assert native[0] in ("ok", "CorruptionError"), f"{label}, {what}, {name}: {native!r}"
            n += 1
    return n


def damaged_variants(segment: bytes, masks):
    for offset in range(len(segment)):
        for mask in masks:
            yield f"byte {offset} ^ {mask:#04x}", flipped(segment, offset, mask), flip_status(offset)
    for length in range(len(segment)):
        yield f"cut to {length} bytes", segment[:length], E_TRUNCATED
    for junk in (b"\0", b"\xff" * 9, segment):
        yield f"{len(junk)} bytes added", segment + junk, E_FRAME


@pytest.mark.skipif(_native is None, reason="C core not built")
def test_codec_twins_reject_damaged_segments_alike(store, seed):
    rng = random.Random(seed)
    segments = {"stored": store.raw[TARGET[1]], **sample_segments()}
    for label, segment in segments.items():
        assert _native.validate(segment) == _pure.validate(segment)
        masks = [0xFF, rng.choice(EVERY_BIT)]
        variants = [(w, v, s) for w, v, s in damaged_variants(segment, masks)]
        check_twins(segment, variants, f"seed {seed}: {label} segment ({len(segment)} bytes)")


@pytest.mark.slow
@pytest.mark.skipif(_native is None, reason="C core not built")
def test_codec_twins_reject_every_single_bit_flip_alike():
    for label, segment in sample_segments().items():
        check_twins(segment, list(damaged_variants(segment, EVERY_BIT + [0xFF])), f"{label} segment")
