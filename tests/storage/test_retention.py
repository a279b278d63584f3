"""Trimming by age: whole expired segments go, a straddling segment stays but serves only its young records,
the trim point never moves backwards and survives a restart."""
from __future__ import annotations

import pytest

from logstore.errors import TrimmedDataAccessException
from logstore.storage import Environment, SegmentLog, SegmentPolicy, trim_all, trim_shard


@pytest.fixture
def env(store_path):
    with Environment(store_path) as env:
        yield env


def put(env, log, shard, seqs, tss):
    env.write(lambda txn: log.append(txn, shard, seqs, tss, [b"p%d" % s for s in seqs]))


def test_whole_segments_older_than_the_horizon_are_deleted(env):
    log = SegmentLog(env, SegmentPolicy(extend_below=0))
    put(env, log, 1, [1, 2], [100, 110])
    put(env, log, 1, [3, 4], [120, 130])
    put(env, log, 1, [5, 6], [200, 210])
    r = env.write(lambda txn: trim_shard(log, txn, 1, 150))
    assert (r.segments_deleted, r.records_trimmed, r.trim_seq) == (2, 4, 5)
    with env.begin_read() as txn:
        assert len(list(log.segments(txn, 1))) == 1
        assert log.read(txn, 1, 5).seqs == [5, 6]
        with pytest.raises(TrimmedDataAccessException):
            log.read(txn, 1, 4)


def test_straddling_segment_keeps_young_records_and_hides_old_ones(env):
    log = SegmentLog(env, SegmentPolicy(extend_below=0))
    put(env, log, 1, [1, 2, 3, 4], [100, 140, 160, 170])
    r = env.write(lambda txn: trim_shard(log, txn, 1, 150))
    assert (r.segments_deleted, r.records_trimmed, r.trim_seq) == (0, 2, 3)  # one past the last expired (2)
    with env.begin_read() as txn:
        assert log.read(txn, 1, 3).seqs == [3, 4]
        with pytest.raises(TrimmedDataAccessException):
            log.read(txn, 1, 2)
        info = log.info(txn, 1)
        assert (info.records, info.first_seq, info.oldest_ts) == (2, 3, 160)


def test_trim_is_idempotent_and_never_moves_back(env):
    log = SegmentLog(env)
    put(env, log, 1, [1, 2, 3], [100, 200, 300])
    assert env.write(lambda txn: trim_shard(log, txn, 1, 250)).trim_seq == 3
    again = env.write(lambda txn: trim_shard(log, txn, 1, 250))
    assert (again.records_trimmed, again.trim_seq) == (0, 3)
    assert env.write(lambda txn: trim_shard(log, txn, 1, 150)).trim_seq == 3


def test_fully_trimmed_shard_keeps_its_position(env, store_path):
    log = SegmentLog(env)
    put(env, log, 1, [1, 2], [100, 100])
    env.write(lambda txn: trim_shard(log, txn, 1, 1000))
    with env.begin_read() as txn:
        assert log.last_seq(txn, 1) == 2 and log.read(txn, 1, 3).seqs == []
        assert log.info(txn, 1).records == 0
    with pytest.raises(ValueError):   # sequence numbers below the trim point are never reused
        put(env, log, 1, [2], [2000])
    put(env, log, 1, [3], [2000])
    env.close()
    with Environment(store_path) as env2, env2.begin_read() as txn:
        log2 = SegmentLog(env2)
        assert log2.trim_seq(txn, 1) == 3 and log2.read(txn, 1, 3).seqs == [3]


def test_trim_all_covers_every_shard(env):
    log = SegmentLog(env)
    put(env, log, 1, [1], [100])
    put(env, log, 2, [2], [100])
    put(env, log, 3, [3], [900])
    results = env.write(lambda txn: trim_all(log, txn, 500))
    assert sorted(r.shard for r in results) == [1, 2]
    with env.begin_read() as txn:
        assert list(log.shards(txn)) == [1, 2, 3]      # trimmed shards keep their trim record
        assert log.read(txn, 3, 0).seqs == [3]
