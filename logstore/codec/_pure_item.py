"""The pure-Python twin of csrc/item.c: ``put_item``, the per-item write path's one call, as an executable spec.

Same statuses and bytes as the C for every input (tests/codec/test_item_twin.py compares them on random items and
random bytes). Written for clarity: a small msgpack reader over the bytes, then item.c's rules in the same order.
The rules themselves (what the common case is, and why the body is the input's entries with the key attributes
first) are in item.c's opening comment. Pure functions; no state.
"""
from __future__ import annotations

import struct
import zlib
from typing import Callable, Sequence

from .format import E_ARG, INLINE, KEY_CAP, BatchPuts, ItemParts

MAX_DIGITS = 38
MAX_DEPTH = 32
MAX_ITEM_SIZE = 400 * 1024
MAX_NAME_BYTES = 65535
MAX_HASH_KEY_BYTES = 2048
MAX_RANGE_KEY_BYTES = 1024
HASH_INLINE = 256
MAX_INPUT = 16 << 20


class _Fallback(Exception):
    """Not the common case."""


def _fallback() -> _Fallback:
    return _Fallback()


class _Reader:
    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def _take(self, n: int) -> bytes:
        if len(self.data) - self.pos < n:
            raise _fallback()
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def container(self, is_map: bool) -> int:
        b = self._take(1)[0]
        fix, c16, c32 = (0x80, 0xDE, 0xDF) if is_map else (0x90, 0xDC, 0xDD)
        if b & 0xF0 == fix:
            return b & 0x0F
        if b == c16:
            return int.from_bytes(self._take(2), "big")
        if b == c32:
            return int.from_bytes(self._take(4), "big")
        raise _fallback()

    def raw(self) -> bytes:
        """A str's bytes."""
        b = self._take(1)[0]
        if b & 0xE0 == 0xA0:
            n = b & 0x1F
        elif b == 0xD9:
            n = self._take(1)[0]
        elif b == 0xDA:
            n = int.from_bytes(self._take(2), "big")
        elif b == 0xDB:
            n = int.from_bytes(self._take(4), "big")
        else:
            raise _fallback()
        return self._take(n)

    def text(self) -> bytes:
        """A str's UTF-8 bytes, which must be valid (strictly, as Python decodes)."""
        data = self.raw()
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise _fallback() from None
        return data


def _number(text: bytes) -> tuple[bool, str, int]:
    """(negative, significant digits, e) of canonical number text, value = 0.digits * 10**e; else fallback."""
    s = text.decode("ascii", "replace")
    if not 0 < len(text) <= MAX_DIGITS:
        raise _fallback()
    if s == "0":
        return False, "", 0
    negative = s.startswith("-")
    body = s[1:] if negative else s
    whole, dot, fraction = body.partition(".")
    if not whole or not whole.isdigit() or not whole.isascii() or (len(whole) > 1 and whole[0] == "0"):
        raise _fallback()
    if dot and (not fraction or not fraction.isdigit() or not fraction.isascii() or fraction[-1] == "0"):
        raise _fallback()
    if whole == "0":
        if not fraction:
            raise _fallback()
        digits = fraction.lstrip("0")
        return negative, digits, -(len(fraction) - len(digits))
    return negative, (whole + fraction).rstrip("0") if not fraction else whole + fraction, len(whole)


def _value(r: _Reader, depth: int) -> tuple[int, str, bytes]:
    """(size, type, payload) of one AttributeValue (payload only for S, N and B)."""
    if r.container(True) != 1:
        raise _fallback()
    kind = r.raw()
    if kind == b"S":
        data = r.text()
        return len(data), "S", data
    if kind == b"N":
        data = r.raw()
        digits = _number(data)[1]
        return (len(digits) + 1) // 2 + 1, "N", data
    if kind in (b"BOOL", b"NULL"):
        b = r._take(1)[0]
        if b != 0xC3 and (b != 0xC2 or kind == b"NULL"):
            raise _fallback()
        return 1, kind.decode(), b""
    if kind in (b"M", b"L"):
        is_map = kind == b"M"
        n = r.container(is_map)
        if n and depth >= MAX_DEPTH:
            raise _fallback()
        size = 3
        for _ in range(n):
            if is_map:
                size += len(r.text())
            size += 1 + _value(r, depth + 1)[0]
            if size > MAX_ITEM_SIZE:
                raise _fallback()
        return size, kind.decode(), b""
    raise _fallback()


def _encode_key_value(kind: str, payload: bytes) -> bytes:
    if kind != "N":
        return payload.replace(b"\x00", b"\x00\xff") + b"\x00\x01"
    negative, digits, e = _number(payload)
    if not digits:
        return b"\x02"
    pairs = bytes.fromhex(digits + "0" if len(digits) % 2 else digits)
    if negative:
        return bytes([0x01, 255 - (e + 129)]) + bytes(0xFE - b for b in pairs) + b"\xff"
    return bytes([0x03, e + 129]) + bytes(b + 1 for b in pairs) + b"\x00"


def _partition(encoded_hash: bytes) -> int:
    h = zlib.crc32(encoded_hash)
    h = ((h ^ (h >> 16)) * 0x85EBCA6B) & 0xFFFFFFFF
    h = ((h ^ (h >> 13)) * 0xC2B2AE35) & 0xFFFFFFFF
    return h ^ (h >> 16)


def _key_ok(entry: tuple[int, str, bytes] | None, want: str, limit: int) -> bool:
    if entry is None or entry[1] != want:
        return False
    return want == "N" or 0 < len(entry[2]) <= limit


def put_item(packed: bytes, hash_name: bytes, hash_type: str, range_name: bytes | None = None,
             range_type: str = "") -> ItemParts | None:
    """The common case of one PutItem item given as msgpack (item.c ``lsi_put_item``): its parts, or None when
    the Python path must decide. The schema: the key attributes' names (UTF-8) and types ("S", "N", "B")."""
    if hash_type not in ("S", "N", "B") or range_type not in ("", "S", "N", "B") or (range_type and not range_name):
        raise ValueError(f"put_item: bad key schema (status {E_ARG})")
    try:
        return _put_item(bytes(packed), hash_name, hash_type, range_name, range_type)
    except _Fallback:
        return None


def _put_item(data: bytes, hash_name: bytes, hash_type: str, range_name: bytes | None,
              range_type: str) -> ItemParts:
    if len(data) > MAX_INPUT:
        raise _fallback()
    r = _Reader(data)
    count = r.container(True)
    header = data[:r.pos]
    spans: list[tuple[int, int]] = []
    found: dict[str, tuple[int, tuple[int, str, bytes]]] = {}   # "hash"/"range" -> (span index, value)
    size = keys_size = 0
    for _ in range(count):
        start = r.pos
        name = r.text()
        if not name or len(name) > MAX_NAME_BYTES:
            raise _fallback()
        entry = _value(r, 1)
        size += len(name) + entry[0]
        if size > MAX_ITEM_SIZE:
            raise _fallback()
        role = ("hash" if name == hash_name and "hash" not in found else
                "range" if range_type and name == range_name and "range" not in found else None)
        if role is not None:
            found[role] = (len(spans), entry)
            keys_size += len(name) + entry[0]
        spans.append((start, r.pos))
    if r.pos != len(data):
        raise _fallback()
    h = found.get("hash")
    if h is None or not _key_ok(h[1], hash_type, MAX_HASH_KEY_BYTES):
        raise _fallback()
    rg = found.get("range")
    if range_type and (rg is None or not _key_ok(rg[1], range_type, MAX_RANGE_KEY_BYTES)):
        raise _fallback()
    encoded_hash = _encode_key_value(hash_type, h[1][2])
    if len(encoded_hash) > HASH_INLINE:
        raise _fallback()
    key = encoded_hash + (_encode_key_value(range_type, rg[1][2]) if rg is not None else b"")
    assert len(key) <= KEY_CAP
    first = [h[0]] + ([rg[0]] if rg is not None else [])
    keys = b"".join(data[spans[i][0]:spans[i][1]] for i in first)
    rest = b"".join(data[a:b] for i, (a, b) in enumerate(spans) if i not in first)
    return ItemParts(header + keys + rest, size, keys_size, bytes([0x80 | len(first)]) + keys, key,
                     _partition(encoded_hash))


def put_checker(hash_name: bytes, hash_type: str, range_name: bytes | None = None,
                range_type: str = "") -> Callable[[bytes], bool]:
    """A function telling whether ``put_item`` of this key schema takes an item (item.c ``lsi_put_item``
    returns LSI_OK)."""
    if hash_type not in ("S", "N", "B") or range_type not in ("", "S", "N", "B") or (range_type and not range_name):
        raise ValueError(f"put_checker: bad key schema (status {E_ARG})")
    return lambda packed: put_item(packed, hash_name, hash_type, range_name, range_type) is not None


def put_batch(packed: Sequence[bytes], hash_name: bytes, hash_type: str, range_name: bytes | None = None,
              range_type: str = "", table_no: int = 0, records: int = 0, *,
              crc32c: Callable[[bytes], int]) -> BatchPuts | None:
    """A batch's puts of new items into table ``table_no`` (item.c ``lsi_put_batch``): for each item, put_item's
    parts made into its LMDB key (u64 BE table number || key), its sealed value (u32le CRC32C of LMDB key and body,
    then the body: storage/sealed.py) and, unless ``records`` is 0, its INSERT record's payload (stream/records.py:
    ``[1, SizeBytes, Keys, NewImage or nil, nil, 0]``, the NewImage only with ``records`` 2); None when any item
    falls back or its LMDB key would be long-form (keycodec.stored_key's digest)."""
    if records not in (0, 1, 2):
        raise ValueError(f"put_batch: bad arguments (status {E_ARG})")
    items: list[tuple[bytes, bytes]] = []
    recs: list[bytes] = []
    partitions: list[int] = []
    size = 0
    for one in packed:
        parts = put_item(one, hash_name, hash_type, range_name, range_type)
        if parts is None:
            return None
        key = struct.pack(">Q", table_no) + parts.key
        if len(key) > INLINE:
            return None
        items.append((key, struct.pack("<I", crc32c(key + parts.body)) + parts.body))
        if records:
            with_new = records == 2
            recs.append(b"\x96\x01" + _pack_uint(parts.keys_size + (parts.size if with_new else 0)) + parts.keys
                        + (parts.body if with_new else b"\xc0") + b"\xc0\x00")
        partitions.append(parts.partition)
        size += parts.size
    return BatchPuts(items, recs, partitions, size)


def _pack_uint(v: int) -> bytes:
    """msgpack's packing of a non-negative int below 2**32."""
    if v < 0x80:
        return bytes((v,))
    if v <= 0xFF:
        return b"\xcc" + bytes((v,))
    if v <= 0xFFFF:
        return b"\xcd" + struct.pack(">H", v)
    return b"\xce" + struct.pack(">I", v)
