"""The C segment codec: the one module that imports the compiled extension ``logstore._logseg``.

Same functions, same results and same errors as ``_pure`` (its executable spec), with the work done in
csrc/logseg.c. Arguments are marshalled into flat arrays (``array``/``bytes``) so each operation is one C call with
the GIL released. Pure functions; no state beyond the loaded library.
"""
from __future__ import annotations

import threading
from array import array
from typing import Any, Callable, Sequence

from logstore._logseg import ffi, lib

from .format import (E_ARG, E_ORDER, E_SPACE, EVENT_ID_LEN, FIELDS_NO_BINARY, FIELDS_SHARED_KEYS, HEADER_SIZE,
                     INPUT_ERRORS, ITEM_FALLBACK, KEY_CAP, BatchPuts, TRAILER_SIZE, U64_MAX, ItemParts, SegmentHeader,
                     SegmentRead, Spans, corrupt, encoded_size, input_error)

IMPLEMENTATION = "c"
_from_buffer = ffi.from_buffer
# An output buffer the C renderers fill, not zeroed first: they only append to it (csrc/record.c ``put``), and only
# the bytes they report are read. A page's buffer is sized for the worst case, about a megabyte: zeroing it was
# work for nothing on every page.
_uncleared = ffi.new_allocator(should_clear_after_alloc=False)  # type: ignore[attr-defined]  # (not in the stubs)


def _rendered(cap: int) -> tuple[Any, Any]:
    """An uncleared ``uint8_t[cap]`` for a renderer's output, and the ``size_t`` it writes its length to."""
    return _uncleared("uint8_t[]", cap), ffi.new("size_t *")


def crc32c(data: bytes | bytearray | memoryview, crc: int = 0) -> int:
    """CRC32C (Castagnoli), continuing from ``crc``."""
    if type(data) is bytes:   # cffi passes bytes as a const pointer without a buffer object
        return lib.lsg_crc32c(crc, data, len(data))
    return lib.lsg_crc32c(crc, _from_buffer(data), len(data))


def _arrays(seqs: Sequence[int], timestamps: Sequence[int], payloads: Sequence[bytes],
            during: str) -> tuple[int, array[int], array[int], array[int], bytes]:
    n = len(payloads)
    if n == 0 or len(seqs) != n or len(timestamps) != n:
        raise input_error(E_ARG, during)
    try:
        sq = seqs if isinstance(seqs, array) and seqs.typecode == "Q" else array("Q", seqs)
        ts = timestamps if isinstance(timestamps, array) and timestamps.typecode == "Q" else array("Q", timestamps)
        lens = array("I", map(len, payloads))
    except (OverflowError, TypeError):
        raise input_error(E_ARG, during) from None
    data = b"".join(payloads)
    return n, sq, ts, lens, data


def encode(seqs: Sequence[int], timestamps: Sequence[int], payloads: Sequence[bytes]) -> bytes:
    """A new segment holding the given records, which must be in order."""
    out_len = ffi.new("size_t *")
    if len(payloads) == 1 and len(seqs) == 1 and len(timestamps) == 1 and type(seqs[0]) is int \
            and type(timestamps[0]) is int and 0 <= seqs[0] <= U64_MAX and 0 <= timestamps[0] <= U64_MAX \
            and type(payloads[0]) is bytes and len(payloads[0]) <= 0xFFFFFFFF:
        # one record (a shard's new tail segment, the common single put): by value, no arrays to build
        payload = payloads[0]
        out = bytearray(encoded_size(1, len(payload)))
        rc = lib.lsg_encode_one(seqs[0], timestamps[0], payload, len(payload), _from_buffer(out), len(out),
                                out_len)
    else:
        n, sq, ts, lens, data = _arrays(seqs, timestamps, payloads, "encode")
        out = bytearray(encoded_size(n, len(data)))
        rc = lib.lsg_encode(_from_buffer("uint64_t[]", sq), _from_buffer("uint64_t[]", ts),
                            _from_buffer("uint32_t[]", lens), n, _from_buffer(data), len(data),
                            _from_buffer(out), len(out), out_len)
    if rc:
        raise input_error(rc, "encode")
    return bytes(out)


def extend(segment: bytes, seqs: Sequence[int], timestamps: Sequence[int], payloads: Sequence[bytes]) -> bytes:
    """A copy of valid ``segment`` with the records appended."""
    out_len = ffi.new("size_t *")
    if len(payloads) == 1 and len(seqs) == 1 and len(timestamps) == 1 and 0 <= seqs[0] <= U64_MAX \
            and 0 <= timestamps[0] <= U64_MAX:  # one record: pass it by value, no arrays to build
        payload = payloads[0]
        out = bytearray(len(segment) + encoded_size(1, len(payload)) - HEADER_SIZE - TRAILER_SIZE)
        rc = lib.lsg_extend_one(_from_buffer(segment), len(segment), seqs[0], timestamps[0],
                                _from_buffer(payload), len(payload), _from_buffer(out), len(out), out_len)
    else:
        n, sq, ts, lens, data = _arrays(seqs, timestamps, payloads, "extend")
        out = bytearray(len(segment) - HEADER_SIZE - TRAILER_SIZE + encoded_size(n, len(data)))
        rc = lib.lsg_extend(_from_buffer(segment), len(segment), _from_buffer("uint64_t[]", sq),
                            _from_buffer("uint64_t[]", ts), _from_buffer("uint32_t[]", lens), n,
                            _from_buffer(data), len(data), _from_buffer(out), len(out), out_len)
    if rc:
        # E_ORDER can describe the stored segment or the new records: only a valid segment blames the input.
        if rc in INPUT_ERRORS and (rc != E_ORDER or lib.lsg_validate(_from_buffer(segment), len(segment),
                                                                     ffi.new("lsg_header *")) == 0):
            raise input_error(rc, "extend")
        raise corrupt(rc)
    return bytes(out)


def _header(h: Any) -> SegmentHeader:  # h: the cffi lsg_header the C call filled
    return SegmentHeader(h.count, h.total_len, h.index_off, h.first_seq, h.last_seq, h.first_ts, h.last_ts)


def read_header(segment: bytes) -> SegmentHeader:
    """Check magic, version, flags, the header checksum and that the header's lengths fit the segment."""
    h = ffi.new("lsg_header *")
    rc = lib.lsg_read_header(_from_buffer(segment), len(segment), h)
    if rc:
        raise corrupt(rc)
    return _header(h)


def validate(segment: bytes) -> SegmentHeader:
    """Everything ``read_header`` checks, plus the body checksum, framing, order and index."""
    h = ffi.new("lsg_header *")
    rc = lib.lsg_validate(_from_buffer(segment), len(segment), h)
    if rc:
        raise corrupt(rc)
    return _header(h)


def locate(segment: bytes, seq: int) -> int:
    """Index of the first record whose sequence number is >= ``seq`` (the count if none): binary search."""
    out = ffi.new("uint32_t *")
    rc = lib.lsg_locate(_from_buffer(segment), len(segment), seq, out)
    if rc:
        raise corrupt(rc)
    index: int = out[0]
    return index


def _room(segment: bytes, max_records: int) -> int:
    """How many records one lsg_read of ``segment`` may describe: no segment holds more records than fit in its
    length, so that (and ``max_records``) bounds the out arrays."""
    return max(0, min(max_records, (len(segment) - HEADER_SIZE) // 20, 0xFFFFFFFF))


def read(segment: bytes, from_seq: int, max_records: int, max_bytes: int, at_least_one: bool) -> SegmentRead:
    """Validate, then describe records from the first with seq >= from_seq, within the record and byte limits
    (the first record is taken regardless of max_bytes when at_least_one)."""
    cap = _room(segment, max_records)
    seqs = ffi.new("uint64_t[]", cap)
    tss = ffi.new("uint64_t[]", cap)
    offs = ffi.new("uint32_t[]", cap)
    lens = ffi.new("uint32_t[]", cap)
    n = ffi.new("uint32_t *")
    nbytes = ffi.new("uint64_t *")
    h = ffi.new("lsg_header *")
    rc = lib.lsg_read(_from_buffer(segment), len(segment), from_seq, cap, min(max_bytes, U64_MAX),
                      1 if at_least_one else 0, seqs, tss, offs, lens, n, nbytes, h)
    if rc:
        raise corrupt(rc)
    k = n[0]
    return SegmentRead(_header(h), ffi.unpack(seqs, k), ffi.unpack(tss, k), ffi.unpack(offs, k),
                       ffi.unpack(lens, k), nbytes[0])


class PageReader:
    """``read`` over a run of one shard's segments, gathered into one page: ``take(segment)`` validates a segment
    and takes its records from ``from_seq`` within the limits the page has left (the page's first record whatever
    its size), returning (the header's last sequence number, the first and last sequence number taken, -1 for
    none); ``records()`` is the page as (seqs, timestamps, payloads), ``count`` and ``nbytes`` its size so far.
    The caller (storage/segment_log.py) walks the segments and decides when the page is complete.

    Every segment's records are written by lsg_read into one set of arrays (at an offset into them), so a segment
    costs one C call and no lists of its own: a stream written one item per commit has a segment per ~6
    records, and reading those one ``read`` each cost ~7 us a segment, most of a page's read."""

    __slots__ = ("from_seq", "max_records", "max_bytes", "count", "nbytes", "_cap", "_seqs", "_tss", "_offs",
                 "_lens", "_segments", "_runs", "_n", "_bytes", "_h")

    def __init__(self, from_seq: int, max_records: int, max_bytes: int):
        self.from_seq, self.max_records, self.max_bytes = from_seq, max_records, min(max_bytes, U64_MAX)
        self.count = self.nbytes = self._cap = 0
        self._seqs: Any = None    # the arrays (cffi), made by the first take that needs them
        self._tss: Any = None
        self._offs: Any = None
        self._lens: Any = None
        self._segments: list[bytes] = []    # each segment records were taken from, in order
        self._runs: list[tuple[int, int]] = []    # per segment: (index of its first record taken, how many)
        self._n, self._bytes, self._h = ffi.new("uint32_t *"), ffi.new("uint64_t *"), ffi.new("lsg_header *")

    def _grow(self, need: int) -> None:
        cap = max(need, 2 * self._cap, 64)
        arrays = []
        for old, kind, size in ((self._seqs, "uint64_t[]", 8), (self._tss, "uint64_t[]", 8),
                                (self._offs, "uint32_t[]", 4), (self._lens, "uint32_t[]", 4)):
            new = _uncleared(kind, cap)
            if self.count:
                ffi.buffer(new, self.count * size)[:] = ffi.buffer(old, self.count * size)
            arrays.append(new)
        self._seqs, self._tss, self._offs, self._lens = arrays
        self._cap = cap

    def take(self, segment: bytes) -> tuple[int, int, int]:
        if type(segment) is not bytes:   # a buffer into the map is valid only until its cursor moves on
            segment = bytes(segment)
        n = self.count
        room = _room(segment, self.max_records - n)
        if n + room > self._cap or self._seqs is None:   # (a cut segment may have room for none: still arrays)
            self._grow(n + room)
        rc = lib.lsg_read(_from_buffer(segment), len(segment), self.from_seq, room,
                          max(0, self.max_bytes - self.nbytes), 0 if n else 1, self._seqs + n, self._tss + n,
                          self._offs + n, self._lens + n, self._n, self._bytes, self._h)
        if rc:
            raise corrupt(rc)
        k = self._n[0]
        if not k:
            return self._h.last_seq, -1, -1
        self.count = n + k
        self.nbytes += self._bytes[0]
        self._segments.append(segment)
        self._runs.append((n, k))
        return self._h.last_seq, self._seqs[n], self._seqs[n + k - 1]

    def records(self) -> tuple[list[int], list[int], Spans]:
        """The page: seqs, timestamps and the payloads as Spans of the segments read (none sliced out)."""
        n = self.count
        if not n:
            return [], [], Spans(b"", array("I"), array("I"))
        offs, lens = array("I"), array("I")
        offs.frombytes(ffi.buffer(self._offs, 4 * n))
        lens.frombytes(ffi.buffer(self._lens, 4 * n))
        segments = self._segments
        if len(segments) == 1:
            data = segments[0]
        else:   # one buffer: each segment's offsets moved by where it starts in it
            data = b"".join(segments)
            base = 0
            for segment, (first, k) in zip(segments, self._runs):
                if base:
                    offs[first:first + k] = array("I", [o + base for o in offs[first:first + k]])
                base += len(segment)
        return ffi.unpack(self._seqs, n), ffi.unpack(self._tss, n), Spans(data, offs, lens)


def decode(segment: bytes) -> list[tuple[int, int, bytes]]:
    """Every record of a valid segment as (seq, timestamp_ms, payload)."""
    seg = bytes(segment)
    r = read(seg, 0, U64_MAX, U64_MAX, True)
    return [(s, t, seg[o:o + n]) for s, t, o, n in zip(r.seqs, r.timestamps, r.offsets, r.lengths)]


# ---------------------------------------------------------------------------------------------------------------
# The per-item write path (csrc/item.c; its twin is _pure_item.py)

_KEY_TYPES = {"S": 0x53, "N": 0x4E, "B": 0x42}
_buffer = ffi.buffer
_local = threading.local()   # each thread's output buffer and info struct, reused (the C runs without the GIL)


def _scratch(need: int) -> tuple[Any, Any, int]:
    scratch = _local.item = (ffi.new("uint8_t[]", need), ffi.new("lsi_item_info *"), need)
    return scratch


_new_parts = tuple.__new__   # ItemParts without NamedTuple's Python-level __new__: this is the hot path


def put_item(packed: bytes, hash_name: bytes, hash_type: str, range_name: bytes | None = None,
             range_type: str = "") -> ItemParts | None:
    """The common case of one PutItem item given as msgpack (item.c ``lsi_put_item``): its parts, or None when
    the Python path must decide. The schema: the key attributes' names (UTF-8) and types ("S", "N", "B")."""
    n = len(packed)
    try:
        out, info, cap = _local.item
    except AttributeError:
        out, info, cap = _scratch(1 << 16)
    if cap < KEY_CAP + 1 + 2 * n:
        out, info, cap = _scratch(KEY_CAP + 1 + 2 * n)
    if range_name is None:
        rc = lib.lsi_put_item(packed, n, hash_name, len(hash_name), _KEY_TYPES.get(hash_type, 0), b"", 0,
                              1 if range_type else 0, out, cap, info)
    else:
        rc = lib.lsi_put_item(packed, n, hash_name, len(hash_name), _KEY_TYPES.get(hash_type, 0), range_name,
                              len(range_name), _KEY_TYPES.get(range_type, 1) if range_type else 0, out, cap, info)
    if rc:
        if rc == ITEM_FALLBACK:
            return None
        raise ValueError(f"put_item: bad key schema (status {rc})") if rc == E_ARG else input_error(rc, "put_item")
    k = info.key_len
    end = k + info.keys_len
    data = _buffer(out, info.out_len)[:]
    return _new_parts(ItemParts, (data[end:] if info.reordered else packed, info.size, info.keys_size, data[k:end],
                                  data[:k], info.partition))


def put_checker(hash_name: bytes, hash_type: str, range_name: bytes | None = None,
                range_type: str = "") -> Callable[[bytes], bool]:
    """A function telling whether ``put_item`` of this key schema takes an item (returns its parts, not None),
    without making the parts: one C call per item into a buffer of the function's own (use it in one thread)."""
    if hash_type not in _KEY_TYPES or (range_type and range_type not in _KEY_TYPES) or (range_type and not range_name):
        raise ValueError(f"put_checker: bad key schema (status {E_ARG})")
    rname = range_name if range_type and range_name is not None else b""
    hlen, htype, rlen, rtype = len(hash_name), _KEY_TYPES[hash_type], len(rname), _KEY_TYPES.get(range_type, 0)
    state = [ffi.new("uint8_t[]", 1 << 16), 1 << 16]
    info = ffi.new("lsi_item_info *")
    call = lib.lsi_put_item

    def takes(packed: bytes) -> bool:
        n = len(packed)
        out, cap = state
        if cap < KEY_CAP + 1 + 2 * n:
            cap = KEY_CAP + 1 + 2 * n
            out = state[0] = ffi.new("uint8_t[]", cap)
            state[1] = cap
        rc = call(packed, n, hash_name, hlen, htype, rname, rlen, rtype, out, cap, info)
        if rc and rc != ITEM_FALLBACK:
            raise input_error(rc, "put_item")
        return not rc
    return takes


def put_batch(packed: Sequence[bytes], hash_name: bytes, hash_type: str, range_name: bytes | None = None,
              range_type: str = "", table_no: int = 0, records: int = 0) -> BatchPuts | None:
    """A batch's puts of new items into table ``table_no``, each item given as msgpack (item.c
    ``lsi_put_batch``): every item's LMDB key and sealed value, and its INSERT record's payload (``records``:
    format.RECORDS_*), in one C call; None when any item is not the common case (the Python path decides)."""
    n = len(packed)
    data = b"".join(packed)
    lens = array("I", map(len, packed))
    scratch_cap = KEY_CAP + 1 + 2 * max(lens, default=0)
    cap = 3 * len(data) + 520 * n
    out = ffi.new("uint8_t[]", cap)
    scratch = ffi.new("uint8_t[]", scratch_cap)
    entries = array("I", bytes(20 * n))
    out_len = ffi.new("size_t *")
    rc = lib.lsi_put_batch(data, _from_buffer("uint32_t[]", lens), n, hash_name, len(hash_name),
                           _KEY_TYPES.get(hash_type, 0), range_name or b"", len(range_name or b""),
                           (_KEY_TYPES.get(range_type, 1) if range_type else 0), table_no, records, out, cap,
                           scratch, scratch_cap, _from_buffer("uint32_t[]", entries), out_len)
    if rc:
        if rc == ITEM_FALLBACK:
            return None
        raise ValueError(f"put_batch: bad arguments (status {rc})") if rc == E_ARG else input_error(rc, "put_batch")
    return _split_batch(_buffer(out, out_len[0])[:], entries, bool(records))


def _split_batch(buf: bytes, entries: array[int], with_records: bool) -> BatchPuts:
    """put_batch's output cut into its parts (entries: per item key, value and record lengths, partition, size)."""
    items: list[tuple[bytes, bytes]] = []
    recs: list[bytes] = []
    add, add_record = items.append, recs.append
    p = 0
    for k, v, r in zip(entries[0::5], entries[1::5], entries[2::5]):
        key_end = p + k
        value_end = key_end + v
        add((buf[p:key_end], buf[key_end:value_end]))
        p = value_end + r
        if with_records:
            add_record(buf[value_end:p])
    return BatchPuts(items, recs, entries[3::5].tolist(), sum(entries[4::5]))


# ---- change-record payloads rendered for readers (csrc/record.c; twin: _pure.py) -------------------------------

def _ids_buffer(key: bytes, stream_no: int, sq: array[int]) -> bytearray:
    out = bytearray(EVENT_ID_LEN * len(sq))
    rc = lib.lsr_event_ids(key, len(key), stream_no, _from_buffer("uint64_t[]", sq), len(sq), _from_buffer(out),
                           len(out))
    if rc:
        raise ValueError(f"event_ids: status {rc} (a key longer than 64 bytes?)")
    return out


def _u64s(values: Sequence[int]) -> array[int]:
    return values if isinstance(values, array) and values.typecode == "Q" else array("Q", values)


def event_ids(key: bytes, stream_no: int, seqs: Sequence[int]) -> list[str]:
    """The eventID of each sequence number: keyed BLAKE2b-128 of big-endian (stream_no, seq), as hex."""
    if not seqs:
        return []
    text = _ids_buffer(key, stream_no, _u64s(seqs)).decode("ascii")
    return [text[i:i + EVENT_ID_LEN] for i in range(0, len(text), EVENT_ID_LEN)]


def _page(payloads: Sequence[bytes], seqs: Sequence[int], timestamps: Sequence[int], key: bytes,
          stream_no: int) -> tuple[bytes, Any, array[int], int, array[int], array[int], bytearray]:
    """What a renderer takes: (data, the payloads' offsets in it (or NULL: back to back), their lengths, their
    total size, seqs, timestamps, event ids). Spans (a page as read) go as they are; other payloads are joined."""
    sq, ts = _u64s(seqs), _u64s(timestamps)
    if not len(payloads) == len(sq) == len(ts):
        raise ValueError("seqs, timestamps and payloads differ in length")
    if type(payloads) is Spans:
        data, offs, lens = payloads.data, _from_buffer("uint32_t[]", payloads.offs), payloads.lens
        size = sum(lens)
    else:
        data, offs, lens = b"".join(payloads), ffi.NULL, array("I", map(len, payloads))
        size = len(data)
    return data, offs, lens, size, sq, ts, _ids_buffer(key, stream_no, sq)


def fields_json(payloads: Sequence[bytes], seqs: Sequence[int], timestamps: Sequence[int], key: bytes,
                stream_no: int, shared_keys: bool, binary: bool = True) -> memoryview | None:
    """One flat JSON array of 9 values per record: eventID, wire sequence number, timestamp in seconds, kind,
    size, new image, old image, flags, keys (B as base64 text; with ``shared_keys``, keys null where an image is
    present). None for a payload this renderer does not take (and, without ``binary``, one holding a B value).
    ``key``: the store's event key."""
    data, offs, lens, size, sq, ts, ids = _page(payloads, seqs, timestamps, key, stream_no)
    flags = (FIELDS_SHARED_KEYS if shared_keys else 0) | (0 if binary else FIELDS_NO_BINARY)
    cap = 2 * size + 128 * len(lens) + 2   # enough for most pages; doubled until it is
    while True:
        out, out_len = _rendered(cap)
        rc = lib.lsr_fields_json(data, len(data), offs, _from_buffer("uint32_t[]", lens), len(lens),
                                 _from_buffer("uint64_t[]", sq), _from_buffer("uint64_t[]", ts), _from_buffer(ids),
                                 flags, out, cap, out_len)
        if rc != E_SPACE:
            break
        cap *= 2
    return memoryview(ffi.buffer(out, out_len[0])) if rc == 0 else None


def records_json(payloads: Sequence[bytes], seqs: Sequence[int], timestamps: Sequence[int], key: bytes,
                 stream_no: int, region: str, view_type: str) -> memoryview | None:
    """The members of GetRecords' ``Records`` array as JSON text (comma-separated, no brackets), or None for a
    payload this renderer does not take. ``key``: the store's event key. A view of the renderer's own buffer (no
    copy of a page's megabyte): join it into the response body."""
    data, offs, lens, size, sq, ts, ids = _page(payloads, seqs, timestamps, key, stream_no)
    reg, vt = region.encode(), view_type.encode()
    cap = 2 * size + (400 + 6 * (len(reg) + len(vt))) * len(lens) + 2   # doubled until it is enough
    while True:
        out, out_len = _rendered(cap)
        rc = lib.lsr_records_json(data, len(data), offs, _from_buffer("uint32_t[]", lens), len(lens),
                                  _from_buffer("uint64_t[]", sq), _from_buffer("uint64_t[]", ts), _from_buffer(ids),
                                  reg, len(reg), vt, len(vt), out, cap, out_len)
        if rc != E_SPACE:
            break
        cap *= 2
    return memoryview(ffi.buffer(out, out_len[0])) if rc == 0 else None
