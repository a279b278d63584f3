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
from typing import Any, Sequence

import msgpack
import orjson

from logstore import codec
from logstore.stream import ids
from logstore.stream.ids import SEQ_BASE


class EventKind(IntEnum):
    INSERT = 1
    MODIFY = 2
    REMOVE = 3


BY_SERVICE = 1

# An AttributeValue as the payload holds it ({"S": "x"}, {"N": "1"}, {"M": {...}}, {"B": b"..."}): Any, as its value's
# type depends on its tag. An image or a Keys map: attribute name -> AttributeValue.
AttributeValue = dict[str, Any]
Image = dict[str, AttributeValue]


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    kind: EventKind
    size_bytes: int
    keys: Image
    new_image: Image | None
    old_image: Image | None
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


def decode_fields(payload: bytes) -> list[Any]:
    """The raw payload fields, for hot read paths that render records without building a ChangeRecord."""
    fields: list[Any] = msgpack.unpackb(payload, raw=False)   # [kind, size_bytes, keys, new, old, flags]
    return fields


_FAST = codec.IMPLEMENTATION == "c"   # the pure codec's renderer is a spec, slower than msgpack's decoder
_loads = orjson.loads

# B values are msgpack bin 8/16/32 (0xc4-0xc6), so a payload without those bytes holds none (one C pass finds out)
_BIN_MARKERS = b"\xc4\xc5\xc6"


def base64_values(value: object) -> object:
    """``value`` with every bytes (a B, or a BS member) replaced by its base64 text."""
    if isinstance(value, dict):
        return {k: base64_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [base64_values(v) for v in value]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(value).decode("ascii")
    return value


def decode_page(seqs: Sequence[int], timestamps: Sequence[int], payloads: Sequence[bytes], *, stream_no: int,
                key_names: Sequence[str], event_key: bytes, base64_binary: bool = False) -> list[Any]:
    """The records of one read as one flat list, 9 values per record: eventID (stream/ids.py), wire sequence
    number, timestamp in whole seconds, then the payload's kind, size_bytes, new_image, old_image, flags and keys.
    ``key_names``: the stream's key attributes, hash then range; Keys shares its AttributeValue dicts with
    NewImage (else OldImage) when the record has an image, as AWS's shape allows. ``base64_binary``: B values as
    base64 text (Lambda's JSON form), else bytes. ``event_key``: the store's (stream.ids.store_event_key).

    The hot path of every read. With the C codec, one call renders the page as JSON text (csrc/record.c) and
    orjson builds the values from it: fewer objects made, and faster, than msgpack's decoder and Python code
    (orjson's cache of map keys, no payload list per record, no string formatting). A page the C renderer does
    not take (a B value when bytes are wanted; anything it refuses) and the pure codec take the msgpack path, to
    the same values."""
    if not payloads:
        return []
    if _FAST:
        text = codec.fields_json(payloads, seqs, timestamps, event_key, stream_no, True, base64_binary)
        if text is not None:
            flat: list[Any] = _loads(text)
            if len(key_names) == 1:
                (hash_key,) = key_names
                for i in range(8, len(flat), 9):
                    if flat[i] is None:
                        image = flat[i - 3]
                        flat[i] = {hash_key: (image if image is not None else flat[i - 2])[hash_key]}
            else:
                for i in range(8, len(flat), 9):
                    if flat[i] is None:
                        image = flat[i - 3]
                        if image is None:
                            image = flat[i - 2]
                        flat[i] = {name: image[name] for name in key_names}
            return flat
    unpackb, markers, base = msgpack.unpackb, _BIN_MARKERS, SEQ_BASE
    out: list[Any] = []
    for event_id, seq, ts_ms, payload in zip(ids.event_ids(event_key, stream_no, seqs), seqs, timestamps, payloads):
        kind, size, keys, new, old, flags = unpackb(payload, raw=False)
        if base64_binary and len(payload.translate(None, markers)) != len(payload):   # maybe B values
            keys, new, old = base64_values(keys), base64_values(new), base64_values(old)
        image = new if new is not None else old
        if image is not None:
            keys = {name: image[name] for name in key_names}
        out += (event_id, str(base + seq), ts_ms // 1000, kind, size, new, old, flags, keys)
    return out
