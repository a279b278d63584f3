"""Sealed values: the checksum every item and catalogue value carries (store format version 2).

Format (normative; docs/format.md, "Sealed values"): a sealed value is the 4-byte CRC32C, little-endian, of the
entry's LMDB key followed by the body, then the body itself::

    sealed = u32le(crc32c(key || body)) || body

The key is covered so that a value that lands under another key (a damaged branch page, a bit flip in a key) is
detected as well as a changed body. An empty body seals to 4 bytes. ``unseal`` returns the body or raises
CorruptionError; it never returns bytes that fail the check.

Pure functions over bytes (the checksum is the codec's CRC32C); callers: tables/items.py, tables/catalog.py,
stream/catalog.py, tables/indexes.py (jobs), processors/checkpoints.py, the v1 -> v2 upgrade. Thread-safe.
"""
from __future__ import annotations

import struct
from typing import Callable, TypeVar

from logstore import codec
from logstore.errors import CorruptionError

SEAL_BYTES = 4
_CRC = struct.Struct("<I")
_crc32c = codec.crc32c
R = TypeVar("R")
_pack = _CRC.pack
_unpack_from = _CRC.unpack_from


def seal(key: bytes, body: bytes) -> bytes:
    """The stored value of ``body`` under LMDB key ``key``."""
    return _pack(_crc32c(key + body)) + body


def unseal(key: bytes, value: bytes, where: str | Callable[[], str]) -> bytes:
    """The body of a sealed value stored under ``key``; CorruptionError naming ``where`` (a text, or a function
    making it, called only on failure) if the check fails."""
    if len(value) >= SEAL_BYTES:
        body = value[SEAL_BYTES:]
        if _unpack_from(value)[0] == _crc32c(key + body):
            return body
        reason = "checksum mismatch (the stored value or its key was changed)"
    else:
        reason = f"a value of {len(value)} bytes is shorter than its checksum"
    raise CorruptionError(reason, where=where() if callable(where) else where)


def open_sealed(key: bytes, value: bytes, where: str | Callable[[], str], decode: Callable[[bytes], R]) -> R:
    """``decode(body)`` of a sealed value; CorruptionError naming ``where`` if the check fails or the body does not
    decode (a body that passes its checksum yet does not decode is damage too: never a raw decoding error)."""
    body = unseal(key, value, where)
    try:
        return decode(body)
    except CorruptionError:
        raise
    except Exception as e:   # whatever the decoder raises on bytes it cannot read
        raise CorruptionError(f"does not decode ({type(e).__name__}: {e})",
                              where=where() if callable(where) else where) from None


def is_sound(key: bytes, value: bytes) -> bool:
    """Whether ``value`` is a sealed value whose check passes under ``key`` (for check and upgrade)."""
    return len(value) >= SEAL_BYTES and _unpack_from(value)[0] == _crc32c(key + value[SEAL_BYTES:])
