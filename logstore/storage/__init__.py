"""The storage layer: one LMDB environment per store directory, per-shard segment logs, retention, counters.

Callers (the stream layer, the inspection CLI, benchmarks) use:
* ``Environment`` -- open a store directory (read-only for inspection), run write transactions;
* ``SegmentLog`` -- append records to a shard inside a write transaction, read from a sequence number;
* ``trim_shard`` / ``trim_all`` -- trim by age; ``Counters`` -- durable monotonic counters;
* ``verify.scan_shard`` -- the integrity walk of a shard's segments (``logstore check``).
"""
from .counters import Counters
from .env import DEFAULT_MAP_SIZE, FORMAT_VERSION, DbStat, Environment, SpaceInfo, WriteStats
from .retention import TrimResult, trim_all, trim_shard
from .segment_log import LogBatch, SegmentInfo, SegmentLog, SegmentPolicy, ShardLogInfo

__all__ = ["Environment", "FORMAT_VERSION", "DEFAULT_MAP_SIZE", "SegmentLog", "SegmentPolicy", "LogBatch",
           "SegmentInfo", "ShardLogInfo", "Counters", "TrimResult", "trim_shard", "trim_all", "SpaceInfo", "DbStat",
           "WriteStats"]
