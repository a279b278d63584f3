"""Change records: what one committed item change puts in its stream, and the payload bytes it is stored as.

A ``ChangeRecord`` holds the event kind, the item's key attributes, the images its stream's view type asks for
(the tables layer chooses them), the record's SizeBytes, and whether the service made the change (TTL). Its
sequence number and timestamp are not in the payload: the segment log frames every payload with them.

Payload format (normative, see docs/format.md): msgpack array ``[kind, size_bytes, keys, new_image, old_image,
flags]`` with kind 1 INSERT, 2 MODIFY, 3 REMOVE; images are AttributeValue maps (B as msgpack bin) or nil;
flags bit 0 = made by the service (TTL). Pure functions; values are immutable.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass
from enum import IntEnum
from typing import Sequence

import msgpack


class EventKind(IntEnum):
    INSERT = 1
    MODIFY = 2
    REMOVE = 3


BY_SERVICE = 1


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    kind: EventKind
    size_bytes: int
    keys: dict
    new_image: dict | None
    old_image: dict | None
    by_service: bool = False


_packb = msgpack.Packer(use_bin_type=True).pack


def encode(rec: ChangeRecord) -> bytes:
    return _packb([int(rec.kind), rec.size_bytes, rec.keys, rec.new_image, rec.old_image,
                   BY_SERVICE if rec.by_service else 0])


_NIL = b"\xc0"
_FLAGS = (b"\x00", bytes((BY_SERVICE,)))


def encode_packed(kind: EventKind, size_bytes: int, keys: bytes, new_image: bytes | None, old_image: bytes | None,
                  by_service: bool = False) -> bytes:
    """``encode`` of a record whose Keys map and images are given packed already (msgpack, as ``encode`` would
    pack them: the write path's common-case put has them as bytes): the same payload bytes."""
    return b"".join((b"\x96", _packb(int(kind)), _packb(size_bytes), keys, _NIL if new_image is None else new_image,
                     _NIL if old_image is None else old_image, _FLAGS[by_service]))


def decode(payload: bytes) -> ChangeRecord:
    kind, size, keys, new, old, flags = msgpack.unpackb(payload, raw=False)
    return ChangeRecord(EventKind(kind), size, keys, new, old, bool(flags & BY_SERVICE))


def decode_fields(payload: bytes) -> list:
    """The raw payload fields, for hot read paths that render records without building a ChangeRecord."""
    return msgpack.unpackb(payload, raw=False)


# B values are msgpack bin 8/16/32 (0xc4-0xc6), so a payload without those bytes holds none (one C pass finds out)
_BIN_MARKERS = b"\xc4\xc5\xc6"


def base64_values(value):
    """``value`` with every bytes (a B, or a BS member) replaced by its base64 text."""
    if isinstance(value, dict):
        return {k: base64_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [base64_values(v) for v in value]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(value).decode("ascii")
    return value


def decode_page(payloads: Sequence[bytes], *, base64_binary: bool = False) -> list[tuple]:
    """The fields ``(kind, size_bytes, keys, new_image, old_image, flags)`` of each payload of one read, in order,
    for the renderers (api/render.py). ``base64_binary``: B values as base64 text (Lambda's JSON form), else bytes.
    The hot path of every read: one loop, locals only."""
    unpackb, markers = msgpack.unpackb, _BIN_MARKERS
    out = []
    append = out.append
    for payload in payloads:
        fields = unpackb(payload, raw=False)
        if base64_binary and len(payload.translate(None, markers)) != len(payload):   # maybe B values
            fields = base64_values(fields)
        append(fields)
    return out
