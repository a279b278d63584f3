"""Model-based test of the storage layer: random appends, reads with random limits, trims, policy-driven tail
extension and restarts, checked against a small in-memory reference model (hypothesis state machine)."""
from __future__ import annotations

import shutil
import tempfile

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from logstore.errors import TrimmedDataAccessException
from logstore.storage import Counters, Environment, SegmentLog, SegmentPolicy, trim_all, trim_shard

SHARDS = st.integers(0, 3)


class LogMachine(RuleBasedStateMachine):
    @initialize(extend_below=st.sampled_from([0, 200, 4096]), max_bytes=st.sampled_from([300, 2000, 1 << 20]),
                max_records=st.sampled_from([2, 7, 1000]))
    def open_store(self, extend_below, max_bytes, max_records):
        self.dir = tempfile.mkdtemp()
        self.policy = SegmentPolicy(extend_below=min(extend_below, max_bytes), max_segment_bytes=max_bytes,
                                    max_segment_records=max_records)
        self.env = Environment(self.dir, map_size=1 << 20)
        self.log, self.counters = SegmentLog(self.env, self.policy), Counters(self.env)
        self.model: dict[int, list[tuple[int, int, bytes]]] = {}
        self.trim: dict[int, int] = {}
        self.now = 1_000

    def teardown(self):
        self.env.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    @rule(shard=SHARDS, sizes=st.lists(st.integers(0, 400), min_size=1, max_size=12),
          tick=st.integers(0, 50), same_ts=st.booleans())
    def append(self, shard, sizes, tick, same_ts):
        self.now += tick
        n = len(sizes)

        def write(txn):
            first = self.counters.allocate(txn, "seq", n)
            seqs = list(range(first, first + n))
            tss = [self.now] * n if same_ts else [self.now + i for i in range(n)]
            payloads = [bytes([s % 251]) * size for s, size in zip(seqs, sizes)]
            self.log.append(txn, shard, seqs, tss, payloads)
            return list(zip(seqs, tss, payloads))

        self.model.setdefault(shard, []).extend(self.env.write(write))
        if not same_ts:
            self.now += n

    @rule(shard=SHARDS, pick=st.integers(0, 10_000), max_records=st.integers(1, 30),
          max_bytes=st.integers(0, 3000))
    def read(self, shard, pick, max_records, max_bytes):
        records = self.model.get(shard, [])
        trim = self.trim.get(shard, 0)
        candidates = [trim] + [s for s, _, _ in records] + [s + 1 for s, _, _ in records]
        from_seq = sorted(candidates)[pick % len(candidates)]
        with self.env.begin_read() as txn:
            if from_seq < trim:
                with pytest.raises(TrimmedDataAccessException):
                    self.log.read(txn, shard, from_seq, max_records, max_bytes)
                return
            got = self.log.read(txn, shard, from_seq, max_records, max_bytes)
        want, size = [], 0
        for rec in records:
            if rec[0] < from_seq or rec[0] < trim:
                continue
            if len(want) == max_records or (want and size + len(rec[2]) > max_bytes):
                break
            want.append(rec)
            size += len(rec[2])
        assert list(got) == want
        assert got.next_seq == (want[-1][0] + 1 if want else from_seq)

    @rule(shard=st.one_of(st.none(), SHARDS), back=st.integers(0, 200))
    def trim_records(self, shard, back):
        horizon = self.now - back
        if shard is None:
            self.env.write(lambda txn: trim_all(self.log, txn, horizon))
            shards = list(self.model)
        else:
            self.env.write(lambda txn: trim_shard(self.log, txn, shard, horizon))
            shards = [shard]
        for s in shards:
            expired = [seq for seq, ts, _ in self.model.get(s, []) if ts < horizon]
            if expired:
                self.trim[s] = max(self.trim.get(s, 0), expired[-1] + 1)

    @rule()
    def restart(self):
        self.env.close()
        self.env = Environment(self.dir, map_size=1 << 20)
        self.log, self.counters = SegmentLog(self.env, self.policy), Counters(self.env)

    @precondition(lambda self: self.model)
    @invariant()
    def everything_readable_matches(self):
        with self.env.begin_read() as txn:
            for shard, records in self.model.items():
                trim = self.trim.get(shard, 0)
                want = [r for r in records if r[0] >= trim]
                assert list(self.log.read(txn, shard, trim, 100_000, 1 << 40)) == want
                assert self.log.last_seq(txn, shard) == records[-1][0]
                segs = list(self.log.segments(txn, shard))
                assert all(s.header.total_len <= self.policy.max_segment_bytes or s.header.count == 1
                           for s in segs)
                assert all(s.header.count <= self.policy.max_segment_records for s in segs)


LogMachine.TestCase.settings = settings(max_examples=100, stateful_step_count=30, deadline=None)
test_log_model = LogMachine.TestCase


@pytest.mark.slow
class TestLogModelLong(LogMachine.TestCase):
    settings = settings(max_examples=500, stateful_step_count=50, deadline=None)
