"""Key and small-value packing for every LMDB database logstore's storage layer owns. The only module that packs
storage keys; docs/format.md describes each layout normatively.

Keys are big-endian so LMDB's byte order is numeric order. Pure functions.
"""
from __future__ import annotations

import struct

U64_MAX = 0xFFFFFFFFFFFFFFFF

_SEGMENT = struct.Struct(">QQ")   # shard, last sequence number in the segment
_SHARD = struct.Struct(">Q")
_TRIM = struct.Struct("<Q")       # first sequence number not trimmed
_COUNTER = struct.Struct("<Q")
_FORMAT = struct.Struct("<8sI")   # b"logstore", format version

FORMAT_KEY = b"format"
FORMAT_MAGIC = b"logstore"


def segment_key(shard: int, last_seq: int) -> bytes:
    return _SEGMENT.pack(shard, last_seq)


def unpack_segment_key(key: bytes) -> tuple[int, int]:
    """(shard, last_seq) of a segment key."""
    return _SEGMENT.unpack(key)


def shard_key(shard: int) -> bytes:
    return _SHARD.pack(shard)


def unpack_shard_key(key: bytes) -> int:
    shard: int = _SHARD.unpack(key)[0]   # struct's unpack is typed tuple[Any, ...]
    return shard


def pack_trim(trim_seq: int) -> bytes:
    return _TRIM.pack(trim_seq)


def unpack_trim(value: bytes) -> int:
    trim_seq: int = _TRIM.unpack(value)[0]   # struct's unpack is typed tuple[Any, ...]
    return trim_seq


def pack_counter(value: int) -> bytes:
    return _COUNTER.pack(value)


def unpack_counter(value: bytes) -> int:
    count: int = _COUNTER.unpack(value)[0]   # struct's unpack is typed tuple[Any, ...]
    return count


def pack_format(version: int) -> bytes:
    return _FORMAT.pack(FORMAT_MAGIC, version)


def unpack_format(value: bytes) -> tuple[bytes, int]:
    """(magic, version); raises ValueError when the value has the wrong size."""
    if len(value) != _FORMAT.size:
        raise ValueError("format record has the wrong size")
    return _FORMAT.unpack(value)


def counter_key(name: str) -> bytes:
    return name.encode("utf-8")
