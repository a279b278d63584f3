"""Regression: a batch sorted within each segment-sized chunk but going backwards at a chunk boundary was
accepted (the codec checks order per segment), leaving overlapping segments. The whole batch must be refused."""
from __future__ import annotations

import pytest

from logstore.storage import Environment, SegmentLog, SegmentPolicy


def test_batch_out_of_order_across_a_split_is_refused(store_path):
    with Environment(store_path) as env:
        log = SegmentLog(env, SegmentPolicy(extend_below=0, max_segment_records=2))
        with pytest.raises(ValueError, match="not increasing"):
            env.write(lambda txn: log.append(txn, 1, [10, 11, 5, 6], [5, 5, 5, 5], [b"a", b"b", b"c", b"d"]))
        with pytest.raises(ValueError, match="timestamps decreasing"):
            env.write(lambda txn: log.append(txn, 1, [1, 2, 3, 4], [5, 5, 3, 3], [b"a", b"b", b"c", b"d"]))
        with env.begin_read() as txn:
            assert list(log.shards(txn)) == []
