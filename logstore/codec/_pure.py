"""The pure-Python segment codec: the executable specification of csrc/logseg.c.

Byte for byte and status for status it must do what the C core does (property tests compare the two, and the whole
codec test suite runs under each: LOGSTORE_PURE=1 selects this one). Written for clarity, not speed. Pure functions;
no state.
"""
from __future__ import annotations

import base64
import hashlib
import struct
from typing import Any, Sequence

import msgpack
import orjson

from .format import (E_ARG, E_CRC, E_FRAME, E_HEADER_CRC, E_INDEX, E_MAGIC, E_ORDER, E_TOO_LARGE, E_TRUNCATED,
                     E_VERSION, HEADER_SIZE, INDEX_ENTRY_SIZE, MAGIC, MAX_DEPTH, MAX_SEGMENT_SIZE,
                     RECORD_HEADER_SIZE, TRAILER_SIZE, U64_MAX, VERSION, BatchPuts, SegmentHeader, SegmentRead,
                     corrupt, encoded_size, input_error)
from ._pure_item import put_item as put_item  # the per-item write path's twin (csrc/item.c)
from . import _pure_item
from ._pure_item import put_checker as put_checker

_HEADER = struct.Struct("<4sHHIIQQQQI")  # without the header CRC: 52 bytes
_U32 = struct.Struct("<I")
_RECORD = struct.Struct("<QQI")
_EVENT = struct.Struct(">QQ")   # what an eventID hashes: (stream, seq), as stream/ids.py event_id
IMPLEMENTATION = "pure"


def _crc_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc_table()


def crc32c(data: bytes | bytearray | memoryview, crc: int = 0) -> int:
    """CRC32C (Castagnoli, reflected polynomial 0x82F63B78), continuing from ``crc``."""
    c = crc ^ 0xFFFFFFFF
    table = _TABLE
    for b in bytes(data):
        c = table[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def _check_input(seqs: Sequence[int], timestamps: Sequence[int], payloads: Sequence[bytes],
                 prev: tuple[int, int] | None) -> None:
    n = len(payloads)
    if n == 0 or len(seqs) != n or len(timestamps) != n:
        raise input_error(E_ARG, "encode")
    for v in list(seqs) + list(timestamps):
        if not 0 <= v <= U64_MAX:
            raise input_error(E_ARG, "encode")
    for i in range(n):
        if i > 0 or prev is not None:
            ps, pt = (seqs[i - 1], timestamps[i - 1]) if i or prev is None else prev
            if seqs[i] <= ps or timestamps[i] < pt:
                raise input_error(E_ORDER, "encode")
    for p in payloads:
        if len(p) > 0xFFFFFFFF:
            raise input_error(E_TOO_LARGE, "encode")


def _assemble(records: list[tuple[int, int, bytes]]) -> bytes:
    """Lay out header, records, index and checksums for records already known to be in order."""
    body = bytearray()
    offsets = []
    for seq, ts, payload in records:
        offsets.append(HEADER_SIZE + len(body))
        body += _RECORD.pack(seq, ts, len(payload)) + payload
    total = encoded_size(len(records), sum(len(r[2]) for r in records))
    if total > MAX_SEGMENT_SIZE:
        raise input_error(E_TOO_LARGE, "encode")
    index_off = HEADER_SIZE + len(body)
    head = _HEADER.pack(MAGIC, VERSION, 0, len(records), total, records[0][0], records[-1][0], records[0][1],
                        records[-1][1], index_off)
    seg = bytearray(head + _U32.pack(crc32c(head)) + body)
    for off in offsets:
        seg += _U32.pack(off)
    seg += _U32.pack(crc32c(seg))
    return bytes(seg)


def encode(seqs: Sequence[int], timestamps: Sequence[int], payloads: Sequence[bytes]) -> bytes:
    """A new segment holding the given records, which must be in order."""
    _check_input(seqs, timestamps, payloads, None)
    return _assemble([(s, t, bytes(p)) for s, t, p in zip(seqs, timestamps, payloads)])


def extend(segment: bytes, seqs: Sequence[int], timestamps: Sequence[int], payloads: Sequence[bytes]) -> bytes:
    """A copy of valid ``segment`` with the records appended."""
    header = validate(segment)
    _check_input(seqs, timestamps, payloads, (header.last_seq, header.last_ts))
    return _assemble(decode(segment) + [(s, t, bytes(p)) for s, t, p in zip(seqs, timestamps, payloads)])


def read_header(segment: bytes) -> SegmentHeader:
    """Check magic, version, flags, the header checksum and that the header's lengths fit the segment."""
    seg = bytes(segment)
    if len(seg) < HEADER_SIZE + TRAILER_SIZE:
        raise corrupt(E_TRUNCATED)
    if seg[:4] != MAGIC:
        raise corrupt(E_MAGIC)
    _, version, flags, count, total, first_seq, last_seq, first_ts, last_ts, index_off = _HEADER.unpack_from(seg)
    if version != VERSION or flags != 0:
        raise corrupt(E_VERSION)
    if crc32c(seg[:52]) != _U32.unpack_from(seg, 52)[0]:
        raise corrupt(E_HEADER_CRC)
    if total != len(seg):
        raise corrupt(E_TRUNCATED if total > len(seg) else E_FRAME)
    if (count == 0 or index_off < HEADER_SIZE
            or index_off + count * INDEX_ENTRY_SIZE + TRAILER_SIZE != len(seg)
            or count * RECORD_HEADER_SIZE > index_off - HEADER_SIZE):
        raise corrupt(E_FRAME)
    return SegmentHeader(count, total, index_off, first_seq, last_seq, first_ts, last_ts)


def validate(segment: bytes) -> SegmentHeader:
    """Everything ``read_header`` checks, plus the body checksum, framing, order and index."""
    seg = bytes(segment)
    h = read_header(seg)
    if crc32c(seg[:-TRAILER_SIZE]) != _U32.unpack_from(seg, len(seg) - TRAILER_SIZE)[0]:
        raise corrupt(E_CRC)
    pos = HEADER_SIZE
    prev_seq = prev_ts = 0
    for i in range(h.count):
        if pos + RECORD_HEADER_SIZE > h.index_off:
            raise corrupt(E_FRAME)
        seq, ts, length = _RECORD.unpack_from(seg, pos)
        if length > h.index_off - pos - RECORD_HEADER_SIZE:
            raise corrupt(E_FRAME)
        if _U32.unpack_from(seg, h.index_off + i * INDEX_ENTRY_SIZE)[0] != pos:
            raise corrupt(E_INDEX)
        if i > 0 and (seq <= prev_seq or ts < prev_ts):
            raise corrupt(E_ORDER)
        prev_seq, prev_ts = seq, ts
        pos += RECORD_HEADER_SIZE + length
    if pos != h.index_off:
        raise corrupt(E_FRAME)
    first_seq, first_ts, _ = _RECORD.unpack_from(seg, HEADER_SIZE)
    if (first_seq, prev_seq, first_ts, prev_ts) != (h.first_seq, h.last_seq, h.first_ts, h.last_ts):
        raise corrupt(E_FRAME)
    return h


def _record_at(seg: bytes, h: SegmentHeader, i: int) -> int:
    off: int = _U32.unpack_from(seg, h.index_off + i * INDEX_ENTRY_SIZE)[0]
    if off < HEADER_SIZE or off + RECORD_HEADER_SIZE > h.index_off:
        raise corrupt(E_INDEX)
    return off


def locate(segment: bytes, seq: int) -> int:
    """Index of the first record whose sequence number is >= ``seq`` (the count if none): binary search."""
    seg = bytes(segment)
    h = read_header(seg)
    lo, hi = 0, h.count
    while lo < hi:
        mid = lo + (hi - lo) // 2
        if _RECORD.unpack_from(seg, _record_at(seg, h, mid))[0] < seq:
            lo = mid + 1
        else:
            hi = mid
    return lo


def read(segment: bytes, from_seq: int, max_records: int, max_bytes: int, at_least_one: bool) -> SegmentRead:
    """Validate, then describe records from the first with seq >= from_seq, within the record and byte limits
    (the first record is taken regardless of max_bytes when at_least_one)."""
    seg = bytes(segment)
    h = validate(seg)
    seqs: list[int] = []
    tss: list[int] = []
    offs: list[int] = []
    lens: list[int] = []
    nbytes = 0
    i = locate(seg, from_seq)
    while i < h.count and len(seqs) < max_records:
        off = _record_at(seg, h, i)
        seq, ts, length = _RECORD.unpack_from(seg, off)
        if nbytes + length > max_bytes and not (at_least_one and not seqs):
            break
        seqs.append(seq)
        tss.append(ts)
        offs.append(off + RECORD_HEADER_SIZE)
        lens.append(length)
        nbytes += length
        i += 1
    return SegmentRead(h, seqs, tss, offs, lens, nbytes)


class PageReader:
    """``read`` over a run of one shard's segments, gathered into one page (the twin of _native.PageReader, whose
    docstring says what each method does): each segment read with ``read`` and its records appended."""

    def __init__(self, from_seq: int, max_records: int, max_bytes: int):
        self.from_seq, self.max_records, self.max_bytes = from_seq, max_records, min(max_bytes, U64_MAX)
        self.count = self.nbytes = 0
        self._seqs: list[int] = []
        self._tss: list[int] = []
        self._payloads: list[bytes] = []

    def take(self, segment: bytes) -> tuple[int, int, int]:
        seg = bytes(segment)
        r = read(seg, self.from_seq, self.max_records - self.count, self.max_bytes - self.nbytes, not self.count)
        if not r.seqs:
            return r.header.last_seq, -1, -1
        self._seqs += r.seqs
        self._tss += r.timestamps
        self._payloads += [seg[o:o + k] for o, k in zip(r.offsets, r.lengths)]
        self.count += len(r.seqs)
        self.nbytes += r.nbytes
        return r.header.last_seq, r.seqs[0], r.seqs[-1]

    def records(self) -> tuple[list[int], list[int], list[bytes]]:
        return self._seqs, self._tss, self._payloads


def decode(segment: bytes) -> list[tuple[int, int, bytes]]:
    """Every record of a valid segment as (seq, timestamp_ms, payload)."""
    seg = bytes(segment)
    r = read(seg, 0, U64_MAX, U64_MAX, True)
    return [(s, t, seg[o:o + n]) for s, t, o, n in zip(r.seqs, r.timestamps, r.offsets, r.lengths)]


# ---- change-record payloads rendered for readers (the spec of csrc/record.c) -----------------------------------

def event_ids(key: bytes, stream_no: int, seqs: Sequence[int]) -> list[str]:
    """The eventID of each sequence number: keyed BLAKE2b-128 of big-endian (stream_no, seq), as hex."""
    if len(key) > 64:
        raise ValueError("event_ids: status -1 (a key longer than 64 bytes?)")
    return [hashlib.blake2b(_EVENT.pack(stream_no, seq), digest_size=16, key=key).hexdigest() for seq in seqs]


def _renderable(value: Any, depth: int, binary: bool) -> bool:
    """Whether record.c renders ``value`` (a decoded msgpack value ``depth`` containers deep): maps with string
    keys, lists, str, int, bool, nil, and bin when ``binary``; no container at depth MAX_DEPTH or more."""
    if isinstance(value, dict):
        return depth < MAX_DEPTH and all(isinstance(k, str) and _renderable(v, depth + 1, binary)
                                         for k, v in value.items())
    if isinstance(value, list):
        return depth < MAX_DEPTH and all(_renderable(v, depth + 1, binary) for v in value)
    if isinstance(value, bytes):
        return binary
    return value is None or isinstance(value, (bool, int, str))


def _payload_fields(payload: bytes, binary: bool) -> list[Any] | None:
    """The 6 fields of a payload record.c renders, else None: a fixarray of 6 (its first byte 0x96) of kind 1-3,
    size, keys (a map), new and old image (a map or nil) and flags (unsigned ints)."""
    if payload[:1] != b"\x96":
        return None
    try:
        fields: list[Any] = msgpack.unpackb(payload, raw=False)
    except (ValueError, TypeError, msgpack.UnpackException):
        return None
    kind, size, keys, new, old, flags = fields
    if not (type(kind) is int and 1 <= kind <= 3 and type(size) is int and size >= 0 and type(flags) is int
            and flags >= 0 and isinstance(keys, dict) and all(x is None or isinstance(x, dict) for x in (new, old))
            and all(x is None or _renderable(x, 1, binary) for x in (keys, new, old))):
        return None
    return fields


def _b64(value: Any) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(type(value).__name__)


def _page(payloads: Sequence[bytes], seqs: Sequence[int], timestamps: Sequence[int], binary: bool) \
        -> list[list[Any]] | None:
    if not len(payloads) == len(seqs) == len(timestamps):
        raise ValueError("seqs, timestamps and payloads differ in length")
    rows = []
    for payload in payloads:
        fields = _payload_fields(payload, binary)
        if fields is None:
            return None
        rows.append(fields)
    return rows


def fields_json(payloads: Sequence[bytes], seqs: Sequence[int], timestamps: Sequence[int], key: bytes,
                stream_no: int, shared_keys: bool, binary: bool = True) -> memoryview | None:
    """One flat JSON array of 9 values per record: eventID, wire sequence number, timestamp in seconds, kind,
    size, new image, old image, flags, keys (B as base64 text; with ``shared_keys``, keys null where an image is
    present). None for a payload this renderer does not take (and, without ``binary``, one holding a B value).
    ``key``: the store's event key."""
    rows = _page(payloads, seqs, timestamps, binary)
    if rows is None:
        return None
    flat: list[Any] = []
    for event_id, seq, ts_ms, (kind, size, keys, new, old, flags) in zip(event_ids(key, stream_no, seqs), seqs,
                                                                       timestamps, rows):
        flat += [event_id, str(10 ** 20 + seq), ts_ms // 1000, kind, size, new, old, flags,
                 None if shared_keys and (new is not None or old is not None) else keys]
    return memoryview(orjson.dumps(flat, default=_b64))


_EVENT_NAMES = (None, "INSERT", "MODIFY", "REMOVE")


def records_json(payloads: Sequence[bytes], seqs: Sequence[int], timestamps: Sequence[int], key: bytes,
                 stream_no: int, region: str, view_type: str) -> bytes | None:
    """The members of GetRecords' ``Records`` array as JSON text (comma-separated, no brackets), or None for a
    payload this renderer does not take. ``key``: the store's event key. The records are those api/render.py
    builds, written as orjson writes them."""
    rows = _page(payloads, seqs, timestamps, True)
    if rows is None:
        return None
    parts = []
    for event_id, seq, ts_ms, (kind, size, keys, new, old, flags) in zip(event_ids(key, stream_no, seqs), seqs,
                                                                       timestamps, rows):
        body: dict[str, Any] = {"ApproximateCreationDateTime": ts_ms // 1000, "Keys": keys}
        if new is not None:
            body["NewImage"] = new
        if old is not None:
            body["OldImage"] = old
        body.update(SequenceNumber=str(10 ** 20 + seq), SizeBytes=size, StreamViewType=view_type)
        record = {"eventID": event_id, "eventName": _EVENT_NAMES[kind], "eventVersion": "1.1",
                  "eventSource": "aws:dynamodb", "awsRegion": region, "dynamodb": body}
        if flags & 1:
            record["userIdentity"] = {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}
        parts.append(orjson.dumps(record, default=_b64))
    return b",".join(parts)


def put_batch(packed: Sequence[bytes], hash_name: bytes, hash_type: str, range_name: bytes | None = None,
              range_type: str = "", table_no: int = 0, records: int = 0) -> BatchPuts | None:
    """The twin of item.c ``lsi_put_batch`` (_pure_item.put_batch, sealing with this module's CRC32C)."""
    return _pure_item.put_batch(packed, hash_name, hash_type, range_name, range_type, table_no, records,
                                crc32c=crc32c)
