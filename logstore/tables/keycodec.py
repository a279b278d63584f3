"""Key codec: the order-preserving, prefix-free bytes of primary-key values that make an item's LMDB key.

Format (normative; docs/format.md copies it):

* An item key is ``encode_value(hash)`` followed, for a table with a RANGE key, by ``encode_value(range)``.
  Each encoded value is self-delimiting, so the hash part is a prefix of every key of that hash value and of no
  other: a hash key's items are contiguous and sort by range value; keys sort by (hash, range) lexicographically.
* Byte order of encoded values equals DynamoDB's order of the values, for values of one type (a key attribute has
  one type per table, so encodings of different types are never compared):

  ``S``  the UTF-8 bytes, ``B`` the raw bytes, each with every 0x00 written as 0x00 0xFF, then the terminator
         0x00 0x01. Order: unsigned byte-wise, as DynamoDB orders S (by UTF-8 bytes) and B; "a" < "a\\x00" < "ab".
  ``N``  the exact decimal value (canonical: 1, 1.0, 1E0 and 01 encode identically), as
         value = sign * 0.d1 d2 d3 ... * 10**E with d1 != 0 and no trailing zero digit:
         * zero:     0x02                                              (one byte)
         * positive: 0x03, the byte E + 129, the pair bytes, 0x00
         * negative: 0x01, the byte 126 - E, the pair bytes, 0xFF
         The digits d1 d2 ... are taken two at a time from d1, a last odd digit padded with 0; a pair a b is
         packed BCD 16a + b (0x00..0x99), written as the byte 16a + b + 1 (0x01..0x9A) for a positive number
         and 0xFE - (16a + b) (0x65..0xFE) for a negative one. DynamoDB's range (1E-130 <= |value| <=
         9.99..E+125, at most 38 digits) gives E in [-129, 126], so the exponent byte uses exactly 0..255, and
         a number takes at most 2 + 19 + 1 = 22 bytes. Larger E means a larger magnitude; the terminator (0x00,
         below every pair byte) makes a digit string sort before its extensions; negatives reverse exponent,
         pairs and terminator, so larger magnitudes sort first; sign bytes order negative < zero < positive.
  Examples: N 0 -> 02; N 1 -> 03 82 11 00; N -1 -> 01 7D EE FF; N 123.45 -> 03 84 13 35 51 00;
  S "a" -> 61 00 01; S "" -> 00 01; B 00 -> 00 FF 00 01.
* Partition hash: ``hash_partition_value(encoded_hash)`` is the CRC-32 (zlib's, ISO-HDLC) of the encoded hash key
  value, terminator included, passed through MurmurHash3's 32-bit finaliser (fmix32), as an unsigned 32-bit
  integer.

Invariants: ``decode_key(schema, encode_key(schema, key)) == canonical key``; equal values encode equal; no
encoded value is a proper prefix of another of the same type.

Called by the tables item store (LMDB keys, partitioning) and by key-range reads. Numbers are parsed by
attrs.number_parts, so encode_value raises ValidationException for text that is not a valid DynamoDB number;
decoding malformed bytes raises ValueError. Thread-safety: pure functions, no state; safe from any thread.
"""
from __future__ import annotations

import hashlib
import zlib

from logstore.stream.records import Image

from .attrs import number_parts, render_number

TERMINATOR = b"\x00\x01"
_ESCAPED_ZERO = b"\x00\xff"
_NEGATIVE, _ZERO, _POSITIVE = 0x01, 0x02, 0x03
_EXPONENT_BIAS = 129
_ZERO_BYTES = bytes([_ZERO])

# Digit pairs as packed BCD (bytes.fromhex of the digit string), shifted so that 0x00 / 0xFF stay free for the
# terminators; the reverse tables map every byte that no pair produces to 0xFF, whose hex "ff" is not digits.
_BCD_TO_POSITIVE = bytes(b + 1 if b <= 0x99 else 0 for b in range(256))
_BCD_TO_NEGATIVE = bytes(0xFE - b if b <= 0x99 else 0 for b in range(256))
_POSITIVE_TO_BCD = bytes(b - 1 if 0x01 <= b <= 0x9A else 0xFF for b in range(256))
_NEGATIVE_TO_BCD = bytes(0xFE - b if 0x65 <= b <= 0xFE else 0xFF for b in range(256))


def encode_value(kind: str, value: str | bytes) -> bytes:
    """The encoding of one key value of type ``kind`` ("S", "N" or "B"); N accepts any valid number text. The
    value's type follows ``kind`` (str for S and N, bytes for B), which the ignores below take as given."""
    if kind == "S":
        return value.encode("utf-8").replace(b"\x00", _ESCAPED_ZERO) + TERMINATOR  # type: ignore[union-attr]
    if kind == "B":
        return bytes(value).replace(b"\x00", _ESCAPED_ZERO) + TERMINATOR   # type: ignore[arg-type]
    if kind == "N":
        return _encode_number(value)   # type: ignore[arg-type]
    raise ValueError(f"not a key attribute type: {kind!r}")


def _encode_number(text: str) -> bytes:
    negative, digits, exponent = number_parts(text)
    if not digits:
        return _ZERO_BYTES
    e = exponent + len(digits)   # value = 0.digits * 10**e
    bcd = bytes.fromhex(digits + "0" if len(digits) % 2 else digits)
    if negative:
        return bytes([_NEGATIVE, 255 - (e + _EXPONENT_BIAS)]) + bcd.translate(_BCD_TO_NEGATIVE) + b"\xff"
    return bytes([_POSITIVE, e + _EXPONENT_BIAS]) + bcd.translate(_BCD_TO_POSITIVE) + b"\x00"


def decode_value(kind: str, data: bytes, pos: int = 0) -> tuple[str | bytes, int]:
    """``(value, end)``: the value of type ``kind`` encoded at ``data[pos:]`` (canonical: N as canonical text)
    and the offset just past it. Raises ValueError for malformed bytes."""
    if kind == "S":
        raw, end = _decode_bytes(data, pos)
        return raw.decode("utf-8"), end
    if kind == "B":
        return _decode_bytes(data, pos)
    if kind == "N":
        return _decode_number(data, pos)
    raise ValueError(f"not a key attribute type: {kind!r}")


def _decode_bytes(data: bytes, pos: int) -> tuple[bytes, int]:
    start = scan = pos
    while True:
        zero = data.find(b"\x00", scan)
        if zero < 0 or zero + 1 >= len(data):
            raise ValueError("key value is not terminated")
        marker = data[zero + 1]
        if marker == 0x01:
            return data[start:zero].replace(_ESCAPED_ZERO, b"\x00"), zero + 2
        if marker != 0xFF:
            raise ValueError("bad escape in key value")
        scan = zero + 2


def _decode_number(data: bytes, pos: int) -> tuple[str, int]:
    if pos >= len(data):
        raise ValueError("number key value is truncated")
    sign = data[pos]
    if sign == _ZERO:
        return "0", pos + 1
    if sign not in (_POSITIVE, _NEGATIVE) or pos + 1 >= len(data):
        raise ValueError("bad number key value")
    negative = sign == _NEGATIVE
    e = (255 - data[pos + 1] if negative else data[pos + 1]) - _EXPONENT_BIAS
    end = data.find(b"\xff" if negative else b"\x00", pos + 2)
    if end < 0 or end == pos + 2:
        raise ValueError("bad number key value")
    digits = data[pos + 2:end].translate(_NEGATIVE_TO_BCD if negative else _POSITIVE_TO_BCD).hex()
    # at most 38 digits, all decimal, none leading, no trailing zero pair
    if len(digits) > 38 or not digits.isdigit() or digits[0] == "0" or digits.endswith("00"):
        raise ValueError("bad number key value")
    digits = digits.rstrip("0")
    return render_number(negative, digits, e - len(digits)), end + 1


def encode_key(schema: list[tuple[str, str]], key: Image) -> bytes:
    """The LMDB key of an item: encoded hash value, then (if the schema has one) encoded range value.
    ``schema`` is ``[(name, type)]``, HASH first; ``key`` maps those names to AttributeValues."""
    return b"".join([encode_value(kind, key[name][kind]) for name, kind in schema])


def decode_key(schema: list[tuple[str, str]], data: bytes) -> Image:
    """The inverse of ``encode_key``: ``{name: {type: canonical value}}``. Raises ValueError for malformed bytes
    or trailing data."""
    out: Image = {}
    pos = 0
    for name, kind in schema:
        value, pos = decode_value(kind, data, pos)
        out[name] = {kind: value}
    if pos != len(data):
        raise ValueError("trailing bytes after key")
    return out


def hash_partition_value(encoded_hash: bytes) -> int:
    """The stable unsigned 32-bit partitioning hash of an encoded hash key value: zlib CRC-32, then MurmurHash3's
    32-bit finaliser, so that short, similar keys (``c0``..``c19``) spread over the whole space rather than
    clustering in one half (a split halves the hash range)."""
    h = zlib.crc32(encoded_hash)
    h = ((h ^ (h >> 16)) * 0x85EBCA6B) & 0xFFFFFFFF
    h = ((h ^ (h >> 13)) * 0xC2B2AE35) & 0xFFFFFFFF
    return h ^ (h >> 16)


# ---------------------------------------------------------------------------------------------------------------
# Bounded LMDB keys (store format version 2; docs/format.md, "Bounded keys")
#
# LMDB refuses keys over 511 bytes, but a DynamoDB key may be a 2048-byte hash value and a 1024-byte range value
# (and an index entry's key holds an index key and the table key). So a key is first built as an *order key*, an
# unbounded byte string whose order is the order the reads need, and stored under ``stored_key(order key)``:
#
# * the order key itself when it is at most INLINE (495) bytes long: every key of today's tables with short
#   values, stored exactly as in format version 1, and no cost;
# * else its first INLINE bytes (the *group prefix*), then the first 16 bytes of BLAKE2b(order key): exactly
#   KEY_LIMIT (511) bytes. So a stored key is long-form if and only if it is KEY_LIMIT bytes long.
#
# For a prefix-free set of order keys (item order keys are: encoded values are self-delimiting), a stored key
# that starts with a group prefix is a long-form key of that group, the group's entries are contiguous in LMDB,
# and ``a < b`` implies ``stored(a) < stored(b)`` unless both are long-form in one group. A reader that sorts each
# group it meets by order key (which it gets from the stored value) therefore sees exact order; see
# tables/ordered.py. Distinct order keys share a stored key only if their BLAKE2b digests collide.
#
# The hash value of a key is bounded too (``bound_hash``), so that a long hash value leaves room for the range
# value and a Query's prefix (table, hash) stays short: an encoded hash value of at most HASH_INLINE (256) bytes
# is kept; a longer one becomes its first 238 bytes, the marker 0x00 0x02 (which no encoded value contains: in
# an encoded S or B, 0x00 is always followed by 0xFF or 0x01), and the first 16 bytes of BLAKE2b(encoded hash
# value), 256 bytes in all. Bounded hash values are prefix-free and distinct for distinct values (digest
# collisions aside), but do not keep the order of long values; nothing needs it: only range values are ordered.

KEY_LIMIT = 511                  # LMDB's maximum key size, and the length of every long-form stored key
DIGEST_BYTES = 16
INLINE = KEY_LIMIT - DIGEST_BYTES
HASH_INLINE = 256
_HASH_MARK = b"\x00\x02"
_HASH_CUT = HASH_INLINE - len(_HASH_MARK) - DIGEST_BYTES


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=DIGEST_BYTES).digest()


def bound_hash(encoded_hash: bytes) -> bytes:
    """The bounded form (at most HASH_INLINE bytes) of an encoded hash key value; the value itself when short."""
    if len(encoded_hash) <= HASH_INLINE:
        return encoded_hash
    return encoded_hash[:_HASH_CUT] + _HASH_MARK + _digest(encoded_hash)


def stored_key(order_key: bytes) -> bytes:
    """The LMDB key (at most KEY_LIMIT bytes) of an order key; the order key itself when at most INLINE bytes."""
    if len(order_key) <= INLINE:
        return order_key
    return order_key[:INLINE] + _digest(order_key)


def is_long(stored: bytes) -> bool:
    """Whether an LMDB key is the long form of a longer order key (then ``stored[:INLINE]`` is its group)."""
    return len(stored) == KEY_LIMIT
