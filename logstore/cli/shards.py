"""``logstore shards PATH``: the lineage of each stream as a tree -- every shard under its parent, open or closed,
its sequence range, how many records and bytes its log holds, the age of its oldest record and its trim point.

Record counts, bytes and ages come from segment headers (plus one read of each shard's first readable record),
in one read snapshot. A shard whose parent no longer exists (expired) is shown as a root. Read-only.
"""
from __future__ import annotations

import click
from rich.tree import Tree

from logstore.stream.catalog import ENABLED

from .common import (console, emit_json, fmt_age, fmt_bytes, now_ms, open_store, select_streams, seq_text,
                     store_command, with_stream_options)


def gather(store, table: str | None, stream: str | None) -> list[dict]:
    now = now_ms()
    out = []
    with store.read() as txn:
        for info in select_streams(store, txn, table, stream):
            shards = []
            for s in store.streams.shards(txn, info.stream_no):
                log = store.log.info(txn, s.shard_no)
                shards.append({
                    "shard_id": s.shard_id, "shard_no": s.shard_no, "parent_shard_id": s.parent_id,
                    "open": s.is_open, "starting_sequence_number": seq_text(s.start_seq),
                    "ending_sequence_number": None if s.end_seq is None else seq_text(s.end_seq),
                    "hash_range": [s.lo, s.hi], "created_ms": s.created_ms, "closed_ms": s.closed_ms,
                    "records": log.records, "segments": log.segments, "bytes": log.bytes,
                    "first_record_sequence_number": None if log.first_seq is None else seq_text(log.first_seq),
                    "last_record_sequence_number": None if log.last_seq is None or not log.records
                    else seq_text(log.last_seq),
                    "oldest_record_age_ms": None if log.oldest_ts is None else now - log.oldest_ts,
                    "trim_sequence_number": seq_text(log.trim_seq) if log.trim_seq else None,
                })
            out.append({"stream_arn": info.arn, "table": info.table, "status": info.status, "shards": shards})
    return out


def _label(s: dict) -> str:
    state = "[green]open[/]" if s["open"] else "[dim]closed[/]"
    end = s["ending_sequence_number"] or "…"
    parts = [f"[bold]{s['shard_id']}[/]", state, f"seq {s['starting_sequence_number']}..{end}",
             f"{s['records']:,} records", fmt_bytes(s["bytes"])]
    if s["oldest_record_age_ms"] is not None:
        parts.append(f"oldest {fmt_age(s['oldest_record_age_ms'])}")
    if s["trim_sequence_number"]:
        parts.append(f"trimmed below {s['trim_sequence_number']}")
    return "  ".join(parts)


@click.command()
@with_stream_options
@store_command
def shards(path: str, as_json: bool, table: str | None, stream: str | None) -> None:
    """The lineage of each stream as a tree: open/closed, ranges, records, bytes, age, trim point."""
    with open_store(path) as store:
        data = gather(store, table, stream)
    if as_json:
        emit_json({"streams": data})
        return
    out = console()
    for st in data:
        status = f"[green]{st['status']}[/]" if st["status"] == ENABLED else f"[yellow]{st['status']}[/]"
        tree = Tree(f"{st['stream_arn']}  ({st['table']}, {status}, {len(st['shards'])} shards)")
        nodes = {}
        for s in st["shards"]:   # sorted by shard id: parents before children
            parent = nodes.get(s["parent_shard_id"], tree)
            nodes[s["shard_id"]] = parent.add(_label(s))
        out.print(tree)
    if not data:
        out.print("no streams")
