"""``logstore info PATH``: a store at a glance -- format version, file and map sizes, map usage, how many tables,
streams, shards and records it holds, and its oldest and newest record.

Counts come from the catalogues and from segment headers (no record is decoded), in one read snapshot, so the
command is quick on a large store and consistent while another process writes. Read-only.
"""
from __future__ import annotations

import click
from rich.table import Table

from logstore.stream.catalog import ENABLED

from .common import (console, emit_json, fmt_age, fmt_bytes, fmt_time, iso_time, now_ms, open_store, seq_text,
                     store_command)


def gather(store) -> dict:
    """Everything ``info`` reports, as JSON-level values. Records are counted over every shard log in the store
    (in a store made through the engine each belongs to a shard; a storage-core store has logs only)."""
    space = store.env.space()
    with store.read() as txn:
        tables = list(store.tables.names(txn))
        streams = {s.stream_no: s for s in store.streams.streams(txn)}
        shards = {s.shard_no: s for info in streams.values() for s in store.streams.shards(txn, info.stream_no)}
        records = segments = logs = 0
        oldest = newest = None
        for shard_no in list(store.log.shards(txn)):
            log = store.log.info(txn, shard_no)
            logs += 1
            records += log.records
            segments += log.segments
            if log.records:
                if oldest is None or (log.oldest_ts, log.first_seq) < oldest[:2]:
                    oldest = (log.oldest_ts, log.first_seq, shard_no)
                if newest is None or log.last_seq > newest[1]:
                    newest = (log.newest_ts, log.last_seq, shard_no)
    now = now_ms()

    def record(found):
        if found is None:
            return None
        ts, seq, shard_no = found
        shard = shards.get(shard_no)
        stream = streams.get(shard.stream_no) if shard is not None else None
        return {"time": iso_time(ts), "time_ms": ts, "age_ms": now - ts, "sequence_number": seq_text(seq),
                "shard": shard_no, "shard_id": shard.shard_id if shard else None,
                "stream_arn": stream.arn if stream else None}

    return {
        "path": store.path, "format_version": store.env.version, "page_size": space.page_size,
        "file_size": space.file_size, "map_size": space.map_size, "used_bytes": space.used_bytes,
        "map_usage": round(space.used_bytes / space.map_size, 4) if space.map_size else None,
        "free_pages": space.free_pages, "last_txnid": space.last_txnid, "readers": space.readers,
        "tables": len(tables),
        "streams": len(streams), "streams_enabled": sum(1 for s in streams.values() if s.status == ENABLED),
        "shards": len(shards), "shards_open": sum(1 for s in shards.values() if s.is_open),
        "shard_logs": logs, "segments": segments, "records": records,
        "oldest_record": record(oldest), "newest_record": record(newest),
    }


@click.command()
@store_command
def info(path: str, as_json: bool) -> None:
    """A store at a glance: format, sizes, map usage, counts, oldest and newest record."""
    with open_store(path) as store:
        data = gather(store)
    if as_json:
        emit_json(data)
        return
    out = console()
    t = Table(show_header=False, box=None, pad_edge=False)
    t.add_column(style="bold")
    t.add_column()
    t.add_row("store", data["path"])
    t.add_row("format version", str(data["format_version"]))
    t.add_row("file size", f"{fmt_bytes(data['file_size'])} ({data['page_size']}-byte pages)")
    t.add_row("map", f"{fmt_bytes(data['used_bytes'])} used of {fmt_bytes(data['map_size'])} "
                     f"({data['map_usage']:.1%}); {data['free_pages']} free pages")
    t.add_row("tables", str(data["tables"]))
    t.add_row("streams", f"{data['streams']} ({data['streams_enabled']} enabled, "
                         f"{data['streams'] - data['streams_enabled']} disabled)")
    t.add_row("shards", f"{data['shards']} ({data['shards_open']} open, {data['shards'] - data['shards_open']} closed)")
    t.add_row("records", f"{data['records']:,} in {data['segments']:,} segments of {data['shard_logs']} shard logs")
    for label, key in (("oldest record", "oldest_record"), ("newest record", "newest_record")):
        r = data[key]
        t.add_row(label, "-" if r is None else
                  f"{fmt_time(r['time_ms'])} ({fmt_age(r['age_ms'])} ago), seq {r['sequence_number']}, "
                  f"{r['shard_id'] or 'shard ' + str(r['shard'])}")
    out.print(t)
