"""``logstore streams PATH``: every stream the store holds, ENABLED or DISABLED (a disabled stream stays readable
for the retention period): ARN, table, status, view type, shard counts, when it was created and disabled. Read-only.
"""
from __future__ import annotations

import click
from rich import box
from rich.markup import escape
from rich.table import Table

from logstore.stream.catalog import ENABLED

from .common import arn_lines, console, emit_json, iso_time, open_store, short_time, store_command


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
    out = console()
    t = Table(title=f"{len(rows)} stream(s)", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    # the ARN (table and label, the creation time, in one) goes under the table, whole; times wrap at the space
    for col, wrap in (("table", False), ("status", False), ("view type", False), ("shards", False),
                      ("created", True), ("disabled", True)):
        t.add_column(col, no_wrap=not wrap, overflow="fold")
    for r in rows:
        status = f"[green]{r['status']}[/]" if r["status"] == ENABLED else f"[yellow]{r['status']}[/]"
        t.add_row(escape(r["table"]), status, r["view_type"], f"{r['shards']} ({r['open_shards']} open)",
                  short_time(r["created"]), short_time(r["disabled"]))
    out.print(t)
    arn_lines(out, "stream ARNs", [(r["table"], r["arn"]) for r in rows])
