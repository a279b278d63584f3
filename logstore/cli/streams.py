"""``logstore streams PATH``: every stream the store holds, ENABLED or DISABLED (a disabled stream stays readable
for the retention period): ARN, table, status, view type, shard counts, when it was created and disabled. Read-only.
"""
from __future__ import annotations

import click
from rich.table import Table

from logstore.stream.catalog import ENABLED

from .common import console, emit_json, iso_time, open_store, store_command


def gather(store, table: str | None = None) -> list[dict]:
    out = []
    with store.read() as txn:
        for info in list(store.streams.streams(txn)):
            if table is not None and info.table != table:
                continue
            shards = store.streams.shards(txn, info.stream_no)
            out.append({
                "arn": info.arn, "table": info.table, "label": info.label, "status": info.status,
                "view_type": info.view_type, "key_schema": [{"name": n, "role": r} for n, r in info.key_schema],
                "shards": len(shards), "open_shards": sum(1 for s in shards if s.is_open),
                "partitions": len(info.partitions), "created": iso_time(info.created_ms),
                "disabled": iso_time(info.disabled_ms),
            })
    return out


@click.command()
@click.option("--table", help="only the streams of this table")
@store_command
def streams(path: str, as_json: bool, table: str | None) -> None:
    """Each stream's ARN, status, view type and shard count, DISABLED ones included."""
    with open_store(path) as store:
        rows = gather(store, table)
    if as_json:
        emit_json({"streams": rows})
        return
    t = Table(title=f"{len(rows)} stream(s)", title_justify="left")
    for col in ("stream ARN", "table", "status", "view type", "shards", "open", "created", "disabled"):
        t.add_column(col, justify="right" if col in ("shards", "open") else "left", no_wrap=col != "stream ARN",
                     overflow="fold")
    for r in rows:
        status = f"[green]{r['status']}[/]" if r["status"] == ENABLED else f"[yellow]{r['status']}[/]"
        t.add_row(r["arn"], r["table"], status, r["view_type"], str(r["shards"]), str(r["open_shards"]), r["created"],
                  r["disabled"] or "-")
    console().print(t)
