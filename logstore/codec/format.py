"""Segment format constants and values shared by both codec implementations.

The byte layout is specified in docs/format.md (normative) and csrc/logseg.h. Status codes here equal the C ones;
tests/codec/test_native_exports.py checks that they do.
"""
from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple, overload

from logstore.errors import CorruptionError

VERSION = 1
MAGIC = b"LSEG"
HEADER_SIZE = 56
RECORD_HEADER_SIZE = 20
INDEX_ENTRY_SIZE = 4
TRAILER_SIZE = 4
MAX_SEGMENT_SIZE = 0xFFFFFFFF
U64_MAX = 0xFFFFFFFFFFFFFFFF

OK = 0
E_ARG = -1
E_SPACE = -2
E_TRUNCATED = -3
E_MAGIC = -4
E_VERSION = -5
E_HEADER_CRC = -6
E_CRC = -7
E_FRAME = -8
E_ORDER = -9
E_INDEX = -10
E_TOO_LARGE = -11

REASONS = {
    E_ARG: "inconsistent arguments",
    E_SPACE: "output buffer too small",
    E_TRUNCATED: "truncated",
    E_MAGIC: "bad magic (not a segment)",
    E_VERSION: "unknown segment format version or flags",
    E_HEADER_CRC: "header checksum mismatch",
    E_CRC: "checksum mismatch",
    E_FRAME: "record framing does not match the header",
    E_ORDER: "sequence numbers not increasing or timestamps decreasing",
    E_INDEX: "index entry does not point at its record",
    E_TOO_LARGE: "segment would exceed 4 GiB",
}

# Statuses that describe the caller's input to encode/extend rather than stored bytes.
INPUT_ERRORS = (E_ARG, E_ORDER, E_TOO_LARGE, E_SPACE)

# Change-record payloads rendered for readers (csrc/record.c, the "record.c" section of logseg.h): the same
# statuses E_ARG and E_SPACE, and E_FORMAT for a payload the renderer does not take (the caller falls back).
E_FORMAT = -3
FIELDS_SHARED_KEYS = 1
FIELDS_NO_BINARY = 2
MAX_DEPTH = 100
EVENT_ID_LEN = 32


def encoded_size(count: int, payload_bytes: int) -> int:
    return HEADER_SIZE + TRAILER_SIZE + count * (RECORD_HEADER_SIZE + INDEX_ENTRY_SIZE) + payload_bytes


class SegmentHeader(NamedTuple):
    """The decoded header of a segment (after its header checksum was verified). A NamedTuple rather than a
    frozen dataclass: it is built on every append and read, and a tuple costs a third as much to make."""

    count: int  # type: ignore[assignment]  # the segment's record count; shadows tuple.count by design
    total_len: int
    index_off: int
    first_seq: int
    last_seq: int
    first_ts: int
    last_ts: int


@dataclass(frozen=True, slots=True)
class SegmentRead:
    """What ``read`` found in one segment: parallel lists describing records, payloads as (offset, length)."""

    header: SegmentHeader
    seqs: list[int]
    timestamps: list[int]
    offsets: list[int]
    lengths: list[int]
    nbytes: int


def corrupt(status: int) -> CorruptionError:
    return CorruptionError(REASONS.get(status, f"status {status}"), status=status)


def input_error(status: int, during: str) -> ValueError:
    err = ValueError(f"{during}: {REASONS.get(status, f'status {status}')}")
    err.status = status  # type: ignore[attr-defined]
    return err


# The per-item write path (csrc/item.c, its twin _pure_item.py): constants equal item.c's LSI_* ones.
ITEM_FALLBACK = 1
KEY_CAP = 2306


class Spans(Sequence[bytes]):
    """A page's payloads as spans of the bytes they were read from (the C PageReader's ``records``): a sequence of
    bytes objects, each sliced out only when asked for, so a renderer that takes spans (``fields_json``,
    ``records_json``) reads every payload where it lies and none is copied first. ``data``: the page's segments,
    joined; ``offs``/``lens``: each payload's offset in ``data`` and length (``array('I')``). Immutable; equal to
    any list or tuple of the same payloads."""

    __slots__ = ("data", "offs", "lens")
    data: bytes
    offs: array[int]
    lens: array[int]

    def __init__(self, data: bytes, offs: array[int], lens: array[int]):
        if len(offs) != len(lens):   # each span's bounds: lsg_read found them, and the C renderers check them again
            raise ValueError("spans: as many offsets as lengths")
        object.__setattr__(self, "data", data)
        object.__setattr__(self, "offs", offs)
        object.__setattr__(self, "lens", lens)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Spans is immutable")

    def __len__(self) -> int:
        return len(self.lens)

    @overload
    def __getitem__(self, i: int) -> bytes: ...

    @overload
    def __getitem__(self, i: slice) -> list[bytes]: ...

    def __getitem__(self, i: int | slice) -> bytes | list[bytes]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        o: int = self.offs[i]
        return self.data[o:o + self.lens[i]]

    def __iter__(self) -> Iterator[bytes]:
        data = self.data
        return (data[o:o + k] for o, k in zip(self.offs, self.lens))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Spans, list, tuple)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]   # equal to lists, which are unhashable

    def __repr__(self) -> str:
        return f"Spans({list(self)!r})"


class ItemParts(NamedTuple):
    """What ``put_item`` makes of an item in the common case: the canonical stored body (msgpack), its item size,
    the size of its key attributes alone, the Keys map (msgpack: the body's key entries under their own header),
    the key (items.encoded_key's order part) and the partition hash of its encoded hash value."""

    body: bytes
    size: int
    keys_size: int
    keys: bytes
    key: bytes
    partition: int


class BatchPuts(NamedTuple):
    """What ``put_batch`` makes of a batch's puts of new items into one table: the (LMDB key, sealed value) pair of
    every item, in order (for one putmulti), the payloads of their INSERT change records (empty when the batch
    takes no records), the partition hash of each item and the sum of their item sizes."""

    items: list[tuple[bytes, bytes]]
    records: list[bytes]
    partitions: list[int]
    size: int


# put_batch's ``records``: no change records, INSERT records without the NewImage, with it
RECORDS_NONE, RECORDS_KEYS, RECORDS_NEW = 0, 1, 2
INLINE = 495     # keycodec.INLINE: the longest LMDB key put_batch makes (item.c LSI_INLINE)
