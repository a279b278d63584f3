"""Items as stored: one LMDB entry per item.

Format (docs/format.md, "items"): database ``items``, key = u64 BE table number || encoded hash key value ||
encoded range key value (keycodec.py: order-preserving and prefix-free, so a table's items are contiguous and a
hash key's items are contiguous and ordered by range key), value = msgpack map of the item in AttributeValue form
(B as bin), canonical (attrs.canonical_item). Counters ``items:<table_no>`` and ``bytes:<table_no>`` hold the
table's item count and total item size.

Pure key/value helpers plus ``ItemStore`` (handles only; thread-safe).
"""
from __future__ import annotations

import struct
from typing import Iterator

import lmdb
import msgpack

from logstore.storage import Environment

from . import keycodec

_TABLE = struct.Struct(">Q")
_pack = msgpack.Packer(use_bin_type=True).pack


def table_prefix(table_no: int) -> bytes:
    return _TABLE.pack(table_no)


def pack_item(item: dict) -> bytes:
    return _pack(item)


def unpack_item(raw: bytes) -> dict:
    return msgpack.unpackb(raw, raw=False)


class ItemStore:
    def __init__(self, env: Environment):
        self.db = env.db("items")

    def key(self, table_no: int, encoded_key: bytes) -> bytes:
        return _TABLE.pack(table_no) + encoded_key

    def get(self, txn: lmdb.Transaction, key: bytes) -> dict | None:
        if self.db is None:
            return None
        raw = txn.get(key, db=self.db)
        return unpack_item(raw) if raw is not None else None

    def put(self, txn: lmdb.Transaction, key: bytes, item: dict) -> None:
        txn.put(key, pack_item(item), db=self.db)

    def delete(self, txn: lmdb.Transaction, key: bytes) -> None:
        txn.delete(key, db=self.db)

    def scan(self, txn: lmdb.Transaction, table_no: int, start_after: bytes | None = None
             ) -> Iterator[tuple[bytes, dict]]:
        """(stored key, item) of a table's items in key order, strictly after ``start_after`` if given."""
        if self.db is None:
            return
        prefix = _TABLE.pack(table_no)
        with txn.cursor(db=self.db) as cur:
            ok = cur.set_range(start_after + b"\0" if start_after else prefix)
            while ok:
                key = cur.key()
                if key[:8] != prefix:
                    break
                yield bytes(key), unpack_item(cur.value())
                ok = cur.next()

    def drop_table(self, txn: lmdb.Transaction, table_no: int) -> int:
        deleted = 0
        prefix = _TABLE.pack(table_no)
        with txn.cursor(db=self.db) as cur:
            ok = cur.set_range(prefix)
            while ok and cur.key()[:8] == prefix:
                ok = cur.delete()
                deleted += 1
        return deleted


def encoded_key(key_schema, key: dict) -> tuple[bytes, int]:
    """(encoded primary key, partition hash) of canonical key attributes."""
    name, typ = key_schema[0]
    h = keycodec.encode_value(typ, key[name][typ])
    if len(key_schema) == 1:
        return h, keycodec.hash_partition_value(h)
    rname, rtyp = key_schema[1]
    return h + keycodec.encode_value(rtyp, key[rname][rtyp]), keycodec.hash_partition_value(h)
