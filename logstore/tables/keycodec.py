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

import zlib

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
    """The encoding of one key value of type ``kind`` ("S", "N" or "B"); N accepts any valid number text."""
    if kind == "S":
        return value.encode("utf-8").replace(b"\x00", _ESCAPED_ZERO) + TERMINATOR
    if kind == "B":
        return bytes(value).replace(b"\x00", _ESCAPED_ZERO) + TERMINATOR
    if kind == "N":
        return _encode_number(value)
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


def encode_key(schema: list[tuple[str, str]], key: dict) -> bytes:
    """The LMDB key of an item: encoded hash value, then (if the schema has one) encoded range value.
    ``schema`` is ``[(name, type)]``, HASH first; ``key`` maps those names to AttributeValues."""
    return b"".join([encode_value(kind, key[name][kind]) for name, kind in schema])


def decode_key(schema: list[tuple[str, str]], data: bytes) -> dict:
    """The inverse of ``encode_key``: ``{name: {type: canonical value}}``. Raises ValueError for malformed bytes
    or trailing data."""
    out = {}
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
