"""``logstore stats PATH``: where the bytes and records are -- per table (items and their size, and the records
and log bytes of its streams), per stream and per shard -- the distribution of record ages, and how the file's
pages are used (per LMDB database, and free pages).

Record ages need every record's timestamp: one C call per segment (``codec.read``, which validates too)
gives them without decoding payloads. One read snapshot; a progress bar on a terminal. Read-only.
"""
from __future__ import annotations

import bisect

import click
from rich.table import Table

from logstore import codec

from .common import console, emit_json, fmt_bytes, now_ms, open_store, progress, store_command

U64_MAX = 0xFFFFFFFFFFFFFFFF
# upper bounds (ms, exclusive) of the age buckets; the last bucket is everything older
AGE_BUCKETS = [(60_000, "< 1m"), (600_000, "1m-10m"), (3_600_000, "10m-1h"), (4 * 3_600_000, "1h-4h"),
               (12 * 3_600_000, "4h-12h"), (24 * 3_600_000, "12h-24h")]
OLDEST_BUCKET = "> 24h"


def gather(store) -> dict:
    now = now_ms()
    bounds = [b for b, _ in AGE_BUCKETS]
    ages = [0] * (len(AGE_BUCKETS) + 1)
    space = store.env.space()
    with store.read() as txn:
        total_segments = txn.stat(store.log.segments_db)["entries"] if store.log.segments_db is not None else 0
        streams = list(store.streams.streams(txn))
        shard_rows, stream_rows, table_rows = [], [], {}
        for name in list(store.tables.names(txn)):
            tdef = store.tables.get(txn, name)
            table_rows[name] = {"table": name, "items": store.counters.peek(txn, f"items:{tdef.table_no}", 0),
                                "item_bytes": store.counters.peek(txn, f"bytes:{tdef.table_no}", 0),
                                "streams": 0, "records": 0, "log_bytes": 0}
        with progress(total_segments, "reading segment timestamps") as advance:
            for info in streams:
                s_records = s_bytes = 0
                for shard in store.streams.shards(txn, info.stream_no):
                    trim = store.log.trim_seq(txn, shard.shard_no)
                    n = nbytes = 0
                    for _key, value in store.log.raw_segments(txn, shard.shard_no):
                        r = codec.read(value, trim, U64_MAX, U64_MAX, False)
                        n += len(r.timestamps)
                        nbytes += r.header.total_len
                        for ts in r.timestamps:
                            ages[bisect.bisect_right(bounds, now - ts)] += 1
                        advance(1)
                    shard_rows.append({"stream_arn": info.arn, "shard_id": shard.shard_id, "open": shard.is_open,
                                       "records": n, "bytes": nbytes})
                    s_records += n
                    s_bytes += nbytes
                stream_rows.append({"stream_arn": info.arn, "table": info.table, "status": info.status,
                                    "records": s_records, "bytes": s_bytes})
                row = table_rows.setdefault(info.table, {"table": info.table, "items": 0, "item_bytes": 0,
                                                         "streams": 0, "records": 0, "log_bytes": 0})
                row["streams"] += 1
                row["records"] += s_records
                row["log_bytes"] += s_bytes
    labels = [label for _, label in AGE_BUCKETS] + [OLDEST_BUCKET]
    return {
        "tables": list(table_rows.values()), "streams": stream_rows, "shards": shard_rows,
        "record_ages": [{"age": label, "records": n} for label, n in zip(labels, ages)],
        "pages": {"page_size": space.page_size, "pages": space.pages, "tree_pages": space.tree_pages,
                  "free_pages": space.free_pages, "map_size": space.map_size, "file_size": space.file_size,
                  "databases": [{"name": d.name, "entries": d.entries, "depth": d.depth,
                                 "branch_pages": d.branch_pages, "leaf_pages": d.leaf_pages,
                                 "overflow_pages": d.overflow_pages} for d in space.dbs]},
    }


def _table(title: str, columns: list[str], rows: list[list[str]]) -> Table:
    t = Table(title=title, title_justify="left")
    for i, col in enumerate(columns):
        t.add_column(col, justify="left" if i == 0 or col in ("table", "status", "shard") else "right",
                     overflow="fold")
    for row in rows:
        t.add_row(*row)
    return t


@click.command()
@store_command
def stats(path: str, as_json: bool) -> None:
    """Bytes and records per table, stream and shard; record ages; page use."""
    with open_store(path) as store:
        data = gather(store)
    if as_json:
        emit_json(data)
        return
    out = console()
    out.print(_table("tables", ["table", "items", "item bytes", "streams", "records", "log bytes"],
                     [[r["table"], f"{r['items']:,}", fmt_bytes(r["item_bytes"]), str(r["streams"]),
                       f"{r['records']:,}", fmt_bytes(r["log_bytes"])] for r in data["tables"]]))
    out.print(_table("streams", ["stream ARN", "table", "status", "records", "bytes"],
                     [[r["stream_arn"], r["table"], r["status"], f"{r['records']:,}", fmt_bytes(r["bytes"])]
                      for r in data["streams"]]))
    out.print(_table("shards", ["shard", "open", "records", "bytes"],
                     [[r["shard_id"], "yes" if r["open"] else "no", f"{r['records']:,}", fmt_bytes(r["bytes"])]
                      for r in data["shards"]]))
    total = sum(b["records"] for b in data["record_ages"]) or 1
    out.print(_table("record ages", ["age", "records", "share"],
                     [[b["age"], f"{b['records']:,}", f"{b['records'] / total:.1%}"] for b in data["record_ages"]]))
    p = data["pages"]
    out.print(f"pages of {p['page_size']} bytes: {p['pages']:,} in use ({p['tree_pages']:,} in the databases, "
              f"{p['free_pages']:,} free); file {fmt_bytes(p['file_size'])}, map {fmt_bytes(p['map_size'])}")
    out.print(_table("databases", ["database", "entries", "depth", "branch", "leaf", "overflow"],
                     [[d["name"], f"{d['entries']:,}", str(d["depth"]), f"{d['branch_pages']:,}",
                       f"{d['leaf_pages']:,}", f"{d['overflow_pages']:,}"] for d in p["databases"]]))
