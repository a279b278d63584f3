"""Items as stored: one LMDB entry per item (store format version 2).

Format (docs/format.md, "Items"): database ``items``. An item's *order key* is u64 BE table number || bounded
hash key value || encoded range key value (keycodec.py: order-preserving and prefix-free; the hash value bounded
to 256 bytes by ``keycodec.bound_hash``), so a table's items are contiguous and a hash key's items are contiguous
and ordered by range key. Its LMDB key is ``keycodec.stored_key(order key)``: the order key itself when it is at
most 495 bytes, else a 511-byte long form (group prefix and digest) whose exact order tables/ordered.py restores.
The value is a sealed value (storage/sealed.py: CRC32C of LMDB key and body) whose body is the msgpack map of
the item in AttributeValue form (B as bin), canonical (attrs.canonical_item); the item holds its own key
attributes, so a long-form entry's order key comes from its value. Counters ``items:<table_no>`` and
``bytes:<table_no>`` hold the table's item count and total item size.

Every read checks the seal: a damaged value is CorruptionError naming the table and the key, never an item.

Pure key/value helpers plus ``ItemStore`` (handles only; thread-safe).
"""
from __future__ import annotations

import struct
from typing import Callable, Iterator

import msgpack

from logstore import codec
from logstore.errors import CorruptionError, StorageError
from logstore.storage import Environment
from logstore.storage.sealed import open_sealed, seal

from . import keycodec
from .catalog import TableDef
from logstore.storage.txn import Txn

_TABLE = struct.Struct(">Q")
_pack = msgpack.Packer(use_bin_type=True).pack
_stored_key = keycodec.stored_key
_is_long = keycodec.is_long


def table_prefix(table_no: int) -> bytes:
    return _TABLE.pack(table_no)


def pack_item(item: dict) -> bytes:
    return _pack(item)


# A request's item is packed with strict types, so that a subclass of str or dict, a tuple (which attrs refuses)
# cannot reach the C as the type it derives from: the packer refuses them and the Python path words the error.
_pack_request = msgpack.Packer(use_bin_type=True, strict_types=True).pack
PACK_REQUEST = _pack_request   # for a caller's own hot loop: raises TypeError, ValueError or OverflowError
_put_item = codec.put_item
_put_batch = codec.put_batch
_schemas: dict[tuple[tuple[str, str], ...], tuple[bytes, str, bytes | None, str]] = {}


def _schema_args(key_schema: tuple[tuple[str, str], ...]) -> tuple[bytes, str, bytes | None, str]:
    args = _schemas.get(key_schema)
    if args is None:
        (hname, htype), *rest = key_schema
        rname, rtype = rest[0] if rest else (None, "")
        args = _schemas[key_schema] = (hname.encode(), htype, rname.encode() if rname else None, rtype)
    return args


def packed_request(item: dict) -> bytes | None:
    """A request's item as msgpack with strict types, the form the C takes; None if the packer refuses it."""
    try:
        return _pack_request(item)
    except (TypeError, ValueError, OverflowError):
        return None


def prepared_put(tdef: TableDef, item: dict) -> codec.ItemParts | None:
    """The common case of a PutItem item in one C call (codec.put_item): its stored body, item size, key and the
    parts of its change record, exactly as canonical_item, check_key, item_size and encoded_key make them; None
    when the item is not the common case (or is invalid): then the Python path decides and words any error."""
    packed = packed_request(item)
    return None if packed is None else _put_item(packed, *_schema_args(tdef.key_schema))


def prepared_packed(tdef: TableDef, packed: bytes) -> codec.ItemParts | None:
    """``prepared_put`` of an item given as ``packed_request`` made it."""
    return _put_item(packed, *_schema_args(tdef.key_schema))


def put_checker(tdef: TableDef) -> Callable[[bytes], bool]:
    """A function telling whether ``prepared_packed`` takes an item of ``tdef``'s table (the common case, valid),
    without making its parts (codec.put_checker: for one thread)."""
    return codec.put_checker(*_schema_args(tdef.key_schema))


def prepared_batch(tdef: TableDef, packed: list[bytes], records: int) -> codec.BatchPuts | None:
    """Puts of new items (each as ``packed_request`` made it) into ``tdef``'s table in one C call
    (codec.put_batch): every item's LMDB key and sealed value as ``ItemStore.put`` stores it, and, by
    ``records`` (codec.RECORDS_*), its INSERT record's payload as the write path encodes it; None when an item is
    not the common case or its LMDB key would be long-form."""
    return _put_batch(packed, *_schema_args(tdef.key_schema), tdef.table_no, records)


def unpack_item(body: bytes) -> dict:
    """The item (or index entry) a stored body holds; ValueError if it is not a msgpack map."""
    item = msgpack.unpackb(body, raw=False)
    if type(item) is not dict:
        raise ValueError("not an item (not a map)")
    return item


def encoded_key(key_schema, key: dict) -> tuple[bytes, int]:
    """(order part, partition hash) of canonical key attributes: the order part is the bounded hash value
    followed by the encoded range value; the partition hash is of the whole encoded hash value."""
    name, typ = key_schema[0]
    h = keycodec.encode_value(typ, key[name][typ])
    bounded = keycodec.bound_hash(h)
    if len(key_schema) == 1:
        return bounded, keycodec.hash_partition_value(h)
    rname, rtyp = key_schema[1]
    return bounded + keycodec.encode_value(rtyp, key[rname][rtyp]), keycodec.hash_partition_value(h)


def order_key(tdef: TableDef, key: dict) -> bytes:
    """The order key of an item (or of its key attributes)."""
    return _TABLE.pack(tdef.table_no) + encoded_key(tdef.key_schema, key)[0]


def describe_key(tdef: TableDef, stored: bytes) -> str:
    """The key of an LMDB item key as text for messages: its attribute values when the key decodes (short keys),
    else the stored bytes in hex (shortened)."""
    try:
        if _is_long(stored):
            raise ValueError("long form")
        values = keycodec.decode_key(list(tdef.key_schema), stored[8:])
        return ", ".join(f"{n}={next(iter(v.values()))!r}" for n, v in values.items())
    except (ValueError, UnicodeDecodeError):
        text = stored[8:].hex()
        return f"stored key {text[:64]}{'...' if len(text) > 64 else ''}"


def damaged(tdef: TableDef, stored: bytes) -> str:
    return f"table {tdef.name!r}, item {describe_key(tdef, stored)}"


class ItemStore:
    def __init__(self, env: Environment):
        self.db = env.db("items")

    def key(self, table_no: int, order_part: bytes) -> bytes:
        """The LMDB key of the item whose order part (``encoded_key``) is given."""
        return _stored_key(_TABLE.pack(table_no) + order_part)

    def get(self, txn: Txn, tdef: TableDef, stored: bytes, order: bytes | None = None
            ) -> dict | None:
        """The item under LMDB key ``stored``, or None. For a long-form key, ``order`` (the requested order key)
        is compared with the stored item's: another item there means a digest collision (StorageError)."""
        if self.db is None:
            return None
        raw = txn.get(stored, db=self.db)
        if raw is None:
            return None
        item = decode_item(tdef, stored, raw)
        if order is not None and _is_long(stored) and order_key(tdef, item) != order:
            raise StorageError(f"table {tdef.name!r}: two keys share a stored key (a BLAKE2b digest collision); "
                               f"the write is refused")
        return item

    def put(self, txn: Txn, stored: bytes, item: dict, body: bytes | None = None) -> None:
        """Store ``item``; ``body``, when given, is its packed form already (prepared_put's)."""
        txn.put(stored, seal(stored, _pack(item) if body is None else body), db=self.db)

    def delete(self, txn: Txn, stored: bytes) -> None:
        txn.delete(stored, db=self.db)

    def scan(self, txn: Txn, tdef: TableDef, start_after: bytes | None = None, *,
             skip_damaged: bool = False) -> Iterator[tuple[bytes, dict]]:
        """(stored key, item) of a table's items in stored key order, strictly after ``start_after`` if given.
        A damaged item raises CorruptionError, or with ``skip_damaged`` (checks that report it elsewhere) is
        passed over."""
        for key, value in self.stored(txn, tdef, start_after):
            try:
                item = decode_item(tdef, key, value)
            except CorruptionError:
                if not skip_damaged:
                    raise
            else:
                yield key, item

    def stored(self, txn: Txn, tdef: TableDef, start_after: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        """``scan``'s walk without the decoding: (stored key, stored value) of each of the table's items, in
        stored key order, strictly after ``start_after`` if given (``decode_item`` opens a value)."""
        if self.db is None:
            return
        prefix = _TABLE.pack(tdef.table_no)
        with txn.cursor(db=self.db) as cur:
            if start_after is not None:
                ok = cur.set_range(start_after)
                if ok and cur.key() == start_after:
                    ok = cur.next()
            else:
                ok = cur.set_range(prefix)
            while ok:
                key = bytes(cur.key())
                if key[:8] != prefix:
                    break
                yield key, cur.value()
                ok = cur.next()

    def drop_table(self, txn: Txn, table_no: int) -> int:
        deleted = 0
        prefix = _TABLE.pack(table_no)
        with txn.cursor(db=self.db) as cur:
            ok = cur.set_range(prefix)
            while ok and cur.key()[:8] == prefix:
                ok = cur.delete()
                deleted += 1
        return deleted


def decode_item(tdef: TableDef, stored: bytes, value) -> dict:
    """The item of a stored entry; CorruptionError naming table and key if its seal or its msgpack fails."""
    return open_sealed(stored, bytes(value), lambda: damaged(tdef, stored), unpack_item)
