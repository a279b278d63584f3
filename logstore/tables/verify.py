"""Items against the change log, for ``logstore check``.

While a table's stream is ENABLED every change of an item commits together with its record, so the newest record
of each key in that stream says what the item is now (docs/streams.md):
* REMOVE: the item does not exist;
* INSERT or MODIFY: the item exists and, when the stream's view type carries new images (NEW_IMAGE,
  NEW_AND_OLD_IMAGES), equals the record's NewImage. KEYS_ONLY and OLD_IMAGE streams allow only the existence check.
Keys without a record in the stream (written before it was enabled, or trimmed) are not judged. Also checked:
every table definition decodes, an enabled stream exists and is ENABLED, and the table's item counter equals its
items.

``LatestRecords`` collects the newest record per key while the storage walk visits the stream's segments
(skipping through payloads without decoding them; only each key's newest record is decoded); ``check`` then
compares. Read-only, inside the caller's read
transaction. ``LatestRecords`` belongs to one check run; the functions are stateless.
"""
from __future__ import annotations

import msgpack

from logstore import codec
from logstore.errors import CorruptionError, LogstoreError
from logstore.storage import Counters
from logstore.storage.verify import Problem
from logstore.stream import StreamInfo
from logstore.stream.catalog import ENABLED
from logstore.stream.records import Image, decode_fields

from .catalog import TableCatalog, TableDef
from .items import ItemStore, damaged, decode_item, describe_key, encoded_key, order_key, table_prefix
from .keycodec import is_long as _is_long
from .keycodec import stored_key
from logstore.storage.txn import Txn

NEW_IMAGE_VIEWS = ("NEW_IMAGE", "NEW_AND_OLD_IMAGES")
REMOVE = 3


_INT_SIZES = {0xCC: 2, 0xCD: 3, 0xCE: 5, 0xCF: 9}   # msgpack uint 8/16/32/64: header byte and value bytes


def _text_end(p: bytes, i: int) -> int:
    """The end of the msgpack str or bin starting at ``p[i]`` (-1 if it is neither)."""
    h = p[i]
    if 0xA0 <= h <= 0xBF:
        return i + 1 + (h & 0x1F)
    if h == 0xD9 or h == 0xC4:
        return i + 2 + p[i + 1]
    if h == 0xDA or h == 0xC5:
        return i + 3 + (p[i + 1] << 8 | p[i + 2])
    if h == 0xDB or h == 0xC6:
        return i + 5 + int.from_bytes(p[i + 1:i + 5], "big")
    return -1


class LatestRecords:
    """The newest record of each key of one table's stream, fed segment by segment.

    The hot loop does not decode records: it finds the byte span of each payload's ``keys`` map (the writer builds
    it in key-schema order from canonical values, so one key is always the same bytes) and keeps the newest
    payload per span. A payload of the expected shape (array of 6, int kind, uint size, a keys map of this table's
    attribute names and types) is measured directly from its bytes; anything else goes through a msgpack
    ``Unpacker``, and a payload that does not parse is a finding. ``resolve`` decodes only the winners and merges
    them by encoded primary key (so two spellings of one key could only cost a decode, never a wrong answer)."""

    def __init__(self, tdef: TableDef, stream: StreamInfo):
        self.tdef = tdef
        self.stream = stream
        self._by_bytes: dict[bytes, tuple[int, bytes, int]] = {}   # keys map bytes -> (seq, payload, shard)
        self.problems: list[Problem] = []
        # the fixed bytes before each key value: map header, then per attribute its name and {type:
        entries = [msgpack.packb(name) + b"\x81" + msgpack.packb(typ) for name, typ in tdef.key_schema]
        self._first = bytes([0x80 | len(entries)]) + entries[0]
        self._second = entries[1] if len(entries) > 1 else None

    def _key_span_slow(self, p: bytes) -> tuple[int, int]:
        u = msgpack.Unpacker()
        u.feed(p)
        if u.read_array_header() != 6:
            raise ValueError("not a 6-element array")
        u.skip()
        u.skip()
        start = u.tell()
        u.skip()
        end = u.tell()
        u.skip()
        u.skip()
        u.skip()
        if u.tell() != len(p):
            raise ValueError("trailing bytes")
        return start, end

    def visit(self, shard: int, segment: bytes, r: codec.SegmentRead) -> None:
        # _key_span inlined for the common shape: this loop runs once per record of the store
        latest = self._by_bytes
        first, second = self._first, self._second
        skip_first = len(first)
        skip_second = len(second) if second is not None else 0
        text_end = _text_end
        for seq, off, n in zip(r.seqs, r.offsets, r.lengths):
            payload = segment[off:off + n]
            start = end = -1
            if payload[0] == 0x96 and payload[1] <= 0x7F:
                h = payload[2]
                start = 3 if h <= 0x7F else 2 + _INT_SIZES.get(h, 99)
                if payload.startswith(first, start):
                    end = text_end(payload, start + skip_first)
                    if second is not None and end > 0:
                        end = text_end(payload, end + skip_second) if payload.startswith(second, end) else -1
            if not 0 < end <= n:
                try:
                    start, end = self._key_span_slow(payload)
                except Exception as e:  # a payload that does not parse is a finding
                    self.problems.append(Problem("items", f"record {seq} is not a change record: {e}", shard=shard,
                                                 stream=self.stream.arn, table=self.tdef.name))
                    continue
            key = payload[start:end]
            seen = latest.get(key)
            if seen is None or seen[0] < seq:
                latest[key] = (seq, payload, shard)

    def resolve(self) -> dict[bytes, tuple[int, int, Image | None, Image]]:
        """Order part of the primary key (items.encoded_key) -> (seq, kind, new image, keys) of its newest
        record."""
        out: dict[bytes, tuple[int, int, Image | None, Image]] = {}
        for seq, payload, shard in self._by_bytes.values():
            try:
                kind, _size, keys, new, _old, _flags = decode_fields(payload)
                key = encoded_key(self.tdef.key_schema, keys)[0]
            except Exception as e:
                self.problems.append(Problem("items", f"record {seq} does not decode as a change record: {e}",
                                             shard=shard, stream=self.stream.arn, table=self.tdef.name))
                continue
            seen = out.get(key)
            if seen is None or seen[0] < seq:
                out[key] = (seq, kind, new, keys)
        return out

    @property
    def keys_seen(self) -> int:
        return len(self._by_bytes)


def check(catalog: TableCatalog, items: ItemStore, counters: Counters, txn: Txn,
          streams: dict[int, StreamInfo], latest: dict[str, LatestRecords]) -> list[Problem]:
    """Every problem with tables and items (see the module docstring). ``streams``: every stream by number;
    ``latest``: by table name, what the walk collected for tables whose stream is ENABLED."""
    problems: list[Problem] = []
    for name in list(catalog.names(txn)):
        try:
            tdef = catalog.get(txn, name)
        except Exception as e:
            problems.append(Problem("metadata", f"table definition does not decode: {e}", table=name))
            continue
        if tdef is None:   # listed in this transaction: never
            continue
        if tdef.stream_enabled:
            info = streams.get(tdef.stream_no) if tdef.stream_no is not None else None
            if info is None or info.status != ENABLED:
                problems.append(Problem("metadata", f"stream enabled, but its stream (number {tdef.stream_no}) is "
                                        + ("missing" if info is None else info.status), table=name))
        count = 0
        if items.db is not None:
            prefix = table_prefix(tdef.table_no)
            with txn.cursor(db=items.db) as cur:
                ok = cur.set_range(prefix)
                while ok and cur.key()[:8] == prefix:
                    count += 1
                    key = bytes(cur.key())
                    try:   # every item's seal and msgpack, each damaged one reported
                        item = decode_item(tdef, key, cur.value())
                        if _is_long(key) and stored_key(order_key(tdef, item)) != key:
                            raise CorruptionError("the item's key attributes do not match its stored key",
                                                  where=damaged(tdef, key))
                    except CorruptionError as e:
                        problems.append(Problem("items", f"damaged item: {e.reason}", table=name,
                                                key=describe_key(tdef, key)))
                    except Exception as e:  # key attributes that do not encode
                        problems.append(Problem("items", f"damaged item: {type(e).__name__}: {e}", table=name,
                                                key=describe_key(tdef, key)))
                    ok = cur.next()
        counted = counters.peek(txn, f"items:{tdef.table_no}", 0)
        if counted != count:
            problems.append(Problem("metadata", f"item counter says {counted}, the table holds {count} items",
                                    table=name))
        seen = latest.get(name)
        if seen is not None:
            newest = seen.resolve()
            problems += seen.problems
            problems += _items_against_records(tdef, seen, newest, items, txn)
    return problems


def _items_against_records(tdef: TableDef, seen: LatestRecords,
                           newest: dict[bytes, tuple[int, int, Image | None, Image]], items: ItemStore, txn: Txn
                           ) -> list[Problem]:
    out: list[Problem] = []
    with_image = seen.stream.view_type in NEW_IMAGE_VIEWS
    prefix = table_prefix(tdef.table_no)
    for key, (seq, kind, new, keys) in newest.items():
        try:
            item = items.get(txn, tdef, stored_key(prefix + key), prefix + key)
        except LogstoreError:
            continue   # a damaged item: reported by the walk over the table's items
        if kind == REMOVE:
            wrong = f"the item exists, but its latest record ({seq}) is a REMOVE" if item is not None else None
        elif item is None:
            wrong = f"the item is missing, but its latest record ({seq}) is not a REMOVE"
        elif with_image and new is not None and item != new:
            wrong = f"the item differs from the NewImage of its latest record ({seq})"
        else:
            wrong = None
        if wrong:
            out.append(Problem("items", wrong, table=tdef.name, stream=seen.stream.arn, key=_key_text(keys, tdef)))
    return out


def _key_text(keys: Image, tdef: TableDef) -> str:
    return ", ".join(f"{n}={next(iter(keys[n].values()))!r}" for n in tdef.key_names if n in keys)
