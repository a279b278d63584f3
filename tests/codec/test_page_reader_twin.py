"""PageReader (a read over a run of one shard's segments into one page, storage/segment_log.py's read): the C
side (one set of arrays written by lsg_read at an offset per segment) and its pure twin (``read`` per segment)
give the same page, the same answers per segment and the same verdict on damage, and that page is what reading
each segment alone with ``read`` and concatenating gives (hypothesis; the seed is printed, replay with
LOGSTORE_SEED=<seed>)."""
from __future__ import annotations

import os
import random

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from logstore.codec import _pure
from logstore.errors import CorruptionError

_native = pytest.importorskip("logstore.codec._native")

SEED = int(os.environ.get("LOGSTORE_SEED") or random.randrange(1 << 32))


@pytest.fixture(scope="module", autouse=True)
def _print_seed():
    print(f"\ntests/codec/test_page_reader_twin.py: hypothesis seed {SEED} (replay with LOGSTORE_SEED={SEED})")


@st.composite
def runs(draw):
    """Consecutive segments of one shard: increasing sequence numbers and timestamps across all of them."""
    n_segments = draw(st.integers(1, 12))
    seq, ts = draw(st.integers(0, 1 << 40)), draw(st.integers(0, 1 << 40))
    segments, everything = [], []
    for _ in range(n_segments):
        records = []
        for _ in range(draw(st.integers(1, 30))):
            seq += draw(st.integers(1, 1000))
            ts += draw(st.integers(0, 50))
            records.append((seq, ts, draw(st.binary(max_size=200))))
        segments.append(_native.encode(*map(list, zip(*records))))
        everything += records
    return segments, everything


def walk(impl, segments, from_seq, max_records, max_bytes):
    """What segment_log.read does with a PageReader: take segments until the page is complete."""
    page = impl.PageReader(from_seq, max_records, max_bytes)
    answers = []
    for segment in segments:
        if page.count >= max_records or page.nbytes > max_bytes:
            break
        answer = page.take(segment)
        answers.append(answer)
        if answer[2] != answer[0]:   # stopped inside the segment, or took nothing
            break
    return answers, page.records(), page.count, page.nbytes


def one_at_a_time(segments, from_seq, max_records, max_bytes):
    """The same page made with ``read`` per segment (the loop segment_log.read had before PageReader)."""
    seqs, tss, payloads, nbytes = [], [], [], 0
    for segment in segments:
        if len(seqs) >= max_records or nbytes > max_bytes:
            break
        r = _pure.read(segment, from_seq, max_records - len(seqs), max_bytes - nbytes, not seqs)
        seqs += r.seqs
        tss += r.timestamps
        payloads += [segment[o:o + k] for o, k in zip(r.offsets, r.lengths)]
        nbytes += r.nbytes
        if not r.seqs or r.seqs[-1] != r.header.last_seq:
            break
    return (seqs, tss, payloads), nbytes


@seed(SEED)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(runs(), st.data())
def test_both_read_the_same_page(run, data):
    segments, everything = run
    from_seq = data.draw(st.sampled_from([0, everything[0][0], everything[-1][0] + 1]
                                         + [s for s, _, _ in everything]))
    max_records = data.draw(st.integers(1, 400))
    max_bytes = data.draw(st.sampled_from([0, 1, 100, 1000, 5000, 1 << 20, (1 << 64) - 1, 1 << 70]))
    start = next((i for i, segment in enumerate(segments) if _pure.read_header(segment).last_seq >= from_seq),
                 len(segments))   # where segment_log.read's set_range lands
    c = walk(_native, segments[start:], from_seq, max_records, max_bytes)
    p = walk(_pure, segments[start:], from_seq, max_records, max_bytes)
    assert c == p
    records, nbytes = one_at_a_time(segments[start:], from_seq, max_records, max_bytes)
    assert c[1] == records and c[3] == nbytes
    want = [r for r in everything if r[0] >= from_seq][:max_records]
    assert list(zip(*c[1])) == want[:len(c[1][0])]    # a prefix of the records from from_seq, in order
    if want:
        assert c[2] >= 1                              # the first record whatever its size


@seed(SEED)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(runs(), st.data())
def test_damage_gets_the_same_verdict_and_nothing_of_it_is_taken(run, data):
    segments, _ = run
    i = data.draw(st.integers(0, len(segments) - 1))
    bad = bytearray(segments[i])
    at = data.draw(st.integers(0, len(bad) - 1))
    bad[at] ^= data.draw(st.integers(1, 255))
    segments = segments[:i] + [bytes(bad)] + segments[i + 1:]
    verdicts = []
    for impl in (_native, _pure):
        page = impl.PageReader(0, 10_000, 1 << 30)
        try:
            for segment in segments:
                page.take(segment)
            verdicts.append(("ok", page.records()))
        except CorruptionError as e:
            verdicts.append(("corrupt", e.status, page.count))
    assert verdicts[0] == verdicts[1]
    if verdicts[0][0] == "corrupt":
        assert verdicts[0][2] == sum(_pure.read_header(s).count for s in segments[:i])


@pytest.mark.parametrize("cut", [0, 1, 20, 63, 64, 80])
def test_a_segment_cut_short_first_in_a_page_is_reported_by_both(cut):
    """A damaged segment with no room for a record, met before anything was taken: CorruptionError, not a
    crash of the reader's bookkeeping (the C side's arrays are made even when there is room for none)."""
    segment = _native.encode([1, 2], [1, 1], [b"ab", b"cd"])[:cut]
    for impl in (_native, _pure):
        with pytest.raises(CorruptionError):
            impl.PageReader(0, 10, 100).take(segment)


def test_a_buffer_segment_is_copied_before_its_cursor_moves():
    """A segment given as a buffer (a cursor opened with buffers=True) is copied: its payloads stay valid."""
    segment = _native.encode([1, 2], [1, 1], [b"ab", b"cd"])
    scratch = bytearray(segment)
    page = _native.PageReader(0, 10, 100)
    page.take(memoryview(scratch))
    scratch[:] = bytes(len(scratch))
    assert page.records() == ([1, 2], [1, 1], [b"ab", b"cd"])
