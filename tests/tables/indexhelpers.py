"""The brute-force reference for stored indexes: what each index of a table must hold, computed from the table's
items alone, and the stored entries read back, for the index tests to compare."""
from __future__ import annotations


from logstore.tables import keycodec
from logstore.tables.catalog import TTL
from logstore.tables.indexes import expiry_ms, index_prefix, unpack_entry
from logstore.tables.items import table_prefix

KEY_SCHEMA = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
DEFINITIONS = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"},
               {"AttributeName": "g", "AttributeType": "S"}, {"AttributeName": "r", "AttributeType": "N"},
               {"AttributeName": "l", "AttributeType": "S"}]
GSIS = [{"IndexName": "by_g_r", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                               {"AttributeName": "r", "KeyType": "RANGE"}],
         "Projection": {"ProjectionType": "KEYS_ONLY"}},
        {"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
         "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["v"]}}]
LSIS = [{"IndexName": "by_l", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                             {"AttributeName": "l", "KeyType": "RANGE"}],
         "Projection": {"ProjectionType": "ALL"}}]


def create(store, name: str = "tab", gsis=GSIS, lsis=LSIS, stream: str | None = "NEW_AND_OLD_IMAGES") -> None:
    extra = {}
    if gsis:
        extra["GlobalSecondaryIndexes"] = gsis
    if lsis:
        extra["LocalSecondaryIndexes"] = lsis
    if stream:
        extra["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream}
    used = {"pk", "sk"} | {k["AttributeName"] for ix in (gsis or []) + (lsis or []) for k in ix["KeySchema"]}
    store.create_table(TableName=name, KeySchema=KEY_SCHEMA, BillingMode="PAY_PER_REQUEST",
                       AttributeDefinitions=[d for d in DEFINITIONS if d["AttributeName"] in used], **extra)


def items(store, name: str = "tab") -> list[dict]:
    tdef = store.tables.get(name)
    with store.env.begin_read() as txn:
        return [item for _, item in store.tables.items.scan(txn, tdef)]


def expected(store, name: str = "tab") -> dict[str, list[dict]]:
    """index name ("" for the expiry index) -> its entries in AWS order, from the table alone: the items that
    carry every index key attribute with its defined type, sorted by index key then table key, projected."""
    tdef = store.tables.get(name)
    out = {}
    for ix in tdef.index_defs:
        rows = []
        for item in items(store, name):
            if ix.kind == TTL:
                ms = expiry_ms(item, ix.key_schema[0][0])
                if ms is not None:
                    rows.append(((ms, keycodec.encode_key(list(tdef.key_schema), item)),
                                 {k: item[k] for k in tdef.key_names}))
                continue
            if all(n in item and t in item[n] for n, t in ix.key_schema):
                order = keycodec.encode_key(list(ix.key_schema), item) + keycodec.encode_key(
                    list(tdef.key_schema), item)
                rows.append((order, ix.project(item, tdef.key_names)))
        rows.sort(key=lambda r: r[0])
        out[ix.name] = [entry for _, entry in rows]
    return out


def stored(store, name: str = "tab") -> dict[str, list[dict]]:
    """index name -> the entries stored for it, in key order."""
    tdef = store.tables.get(name)
    out = {}
    db = store.env.db("index_entries")
    with store.env.begin_read() as txn:
        for ix in tdef.index_defs:
            prefix = index_prefix(ix.index_no)
            rows = []
            with txn.cursor(db=db) as cur:
                ok = cur.set_range(prefix)
                while ok and cur.key()[:8] == prefix:
                    rows.append(unpack_entry(cur.key(), cur.value()))   # checks the seal too
                    ok = cur.next()
            out[ix.name] = rows
    return out


def counts(store, name: str = "tab") -> dict[str, tuple[int, int]]:
    tdef = store.tables.get(name)
    stats = store.tables.index_stats(tdef)
    return {ix.name: stats[ix.index_no] for ix in tdef.index_defs}


def orphans(store) -> int:
    """Index entries and items that belong to no index or table of any definition (after jobs ran: none)."""
    live_indexes, live_tables = set(), set()
    for name in store.tables.names():
        tdef = store.tables.get(name)
        live_tables.add(table_prefix(tdef.table_no))
        live_indexes.update(index_prefix(ix.index_no) for ix in tdef.index_defs)
    n = 0
    with store.env.begin_read() as txn:
        for db, live in ((store.env.db("index_entries"), live_indexes), (store.env.db("items"), live_tables)):
            for key, _ in txn.cursor(db=db):
                n += bytes(key[:8]) not in live
    return n
