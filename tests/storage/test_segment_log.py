"""The per-shard segment log: appends inside the caller's transaction, reads by sequence number with limits,
tail extension and batch splitting by policy, ordering rules."""
from __future__ import annotations

import pytest

from logstore import codec
from logstore.errors import CorruptionError, TrimmedDataAccessException
from logstore.storage import Environment, SegmentLog, SegmentPolicy, keys


@pytest.fixture
def env(store_path):
    with Environment(store_path) as env:
        yield env


def append(env, log, shard, seqs, ts=0, payload=lambda s: b"r%d" % s):
    seqs = list(seqs)
    env.write(lambda txn: log.append(txn, shard, seqs, [ts] * len(seqs), [payload(s) for s in seqs]))


def read_all(env, log, shard, from_seq=0, **kw):
    with env.begin_read() as txn:
        return log.read(txn, shard, from_seq, **kw)


def test_append_then_read_in_order(env):
    log = SegmentLog(env)
    append(env, log, 1, [1, 2, 3])
    append(env, log, 1, [10, 20])
    append(env, log, 2, [5])
    got = read_all(env, log, 1)
    assert list(got) == [(s, 0, b"r%d" % s) for s in (1, 2, 3, 10, 20)]
    assert got.next_seq == 21
    assert read_all(env, log, 2).seqs == [5]
    assert read_all(env, log, 3).seqs == [] and read_all(env, log, 3).next_seq == 0


def test_read_from_a_sequence_number_between_records(env):
    log = SegmentLog(env)
    append(env, log, 1, [10, 20, 30])
    assert read_all(env, log, 1, 11).seqs == [20, 30]
    assert read_all(env, log, 1, 30).seqs == [30]
    assert read_all(env, log, 1, 31).seqs == [] and read_all(env, log, 1, 31).next_seq == 31


def test_record_and_byte_limits_across_segments(env):
    log = SegmentLog(env, SegmentPolicy(extend_below=0, max_segment_records=3))
    append(env, log, 1, range(1, 11), payload=lambda s: b"x" * 100)
    with env.begin_read() as txn:
        assert len(list(log.segments(txn, 1))) == 4
        assert log.read(txn, 1, 0, max_records=5).seqs == [1, 2, 3, 4, 5]
        assert log.read(txn, 1, 3, max_records=100, max_bytes=450).seqs == [3, 4, 5, 6]
        assert log.read(txn, 1, 3, max_records=100, max_bytes=10).seqs == [3]   # always one record
        batch = log.read(txn, 1, 0, max_records=4)
        assert log.read(txn, 1, batch.next_seq, max_records=100).seqs == list(range(5, 11))
    with pytest.raises(ValueError):
        read_all(env, log, 1, max_records=0)


def test_small_appends_extend_the_tail_segment(env):
    log = SegmentLog(env, SegmentPolicy(extend_below=1000))
    for s in range(1, 51):
        append(env, log, 1, [s], payload=lambda s: b"y" * 30)
    with env.begin_read() as txn:
        segs = list(log.segments(txn, 1))
        assert 1 < len(segs) < 50
        assert all(s.key_seq == s.header.last_seq for s in segs)
        assert all(s.header.total_len < 1000 + codec.encoded_size(1, 30) for s in segs)
        assert log.read(txn, 1, 0, 1000).seqs == list(range(1, 51))


def test_large_batches_split_by_policy(env):
    log = SegmentLog(env, SegmentPolicy(extend_below=0, max_segment_bytes=4096, max_segment_records=1000))
    append(env, log, 1, range(1, 101), payload=lambda s: b"z" * 100)
    append(env, log, 1, [101], payload=lambda s: b"big" * 5000)      # larger than a segment: its own
    with env.begin_read() as txn:
        segs = list(log.segments(txn, 1))
        assert all(s.header.total_len <= 4096 for s in segs[:-1])
        assert segs[-1].header.count == 1 and segs[-1].header.total_len > 4096
        assert sum(s.header.count for s in segs) == 101
        assert log.read(txn, 1, 0, 1000, 1 << 30).seqs == list(range(1, 102))


def test_appends_must_move_forward(env):
    log = SegmentLog(env)
    append(env, log, 1, [5], ts=100)
    for seqs, ts in (([5], 100), ([4], 100), ([6], 99)):
        with pytest.raises(ValueError, match="does not follow"):
            append(env, log, 1, seqs, ts=ts)
    with pytest.raises(ValueError):
        env.write(lambda txn: log.append(txn, 1, [7, 7], [100, 100], [b"a", b"b"]))
    with pytest.raises(ValueError, match="differ in length"):
        env.write(lambda txn: log.append(txn, 1, [7], [100, 100], [b"a"]))
    assert read_all(env, log, 1).seqs == [5]


def test_last_seq_and_shards(env):
    log = SegmentLog(env)
    with env.begin_read() as txn:
        assert log.last_seq(txn, 1) is None
    append(env, log, 3, [7, 8])
    append(env, log, 1, [2])
    append(env, log, keys.U64_MAX, [9])
    with env.begin_read() as txn:
        assert log.last_seq(txn, 3) == 8 and log.last_seq(txn, 1) == 2
        assert log.last_seq(txn, keys.U64_MAX) == 9
        assert list(log.shards(txn)) == [1, 3, keys.U64_MAX]


def test_segment_out_of_place_is_corruption(env):
    log = SegmentLog(env)
    append(env, log, 1, [1, 2])
    with env.begin_read() as txn:
        value = txn.get(keys.segment_key(1, 2), db=log.segments_db)
    env.write(lambda txn: txn.put(keys.segment_key(1, 5), value, db=log.segments_db))  # a copy, wrong key
    with pytest.raises(CorruptionError) as info:
        read_all(env, log, 1, 3)
    assert (info.value.shard, info.value.segment) == (1, 5)


def test_drop_removes_a_shard(env):
    log = SegmentLog(env, SegmentPolicy(extend_below=0))
    append(env, log, 1, [1])
    append(env, log, 1, [2])
    append(env, log, 2, [3])
    assert env.write(lambda txn: log.drop(txn, 1)) == 2
    with env.begin_read() as txn:
        assert list(log.shards(txn)) == [2] and len(log.read(txn, 1, 0)) == 0


def test_info_summarises_a_shard(env):
    log = SegmentLog(env, SegmentPolicy(extend_below=0))
    append(env, log, 1, [1, 2], ts=10)
    append(env, log, 1, [3], ts=20)
    with env.begin_read() as txn:
        info = log.info(txn, 1)
    assert (info.segments, info.records, info.first_seq, info.last_seq, info.trim_seq) == (2, 3, 1, 3, 0)
    assert (info.oldest_ts, info.newest_ts) == (10, 20)


def test_trimmed_position_is_refused(env):
    from logstore.storage import trim_shard
    log = SegmentLog(env)
    append(env, log, 1, [1, 2], ts=10)
    env.write(lambda txn: trim_shard(log, txn, 1, 11))
    with pytest.raises(TrimmedDataAccessException):
        read_all(env, log, 1, 2)
    assert read_all(env, log, 1, 3).seqs == []
