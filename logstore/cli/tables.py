"""``logstore tables PATH``: every table with its key schema, item count and size, and stream settings (enabled
or not, view type, the latest stream's ARN), and TTL. From the table catalogue and the item counters. Read-only.
"""
from __future__ import annotations

import click
from rich import box
from rich.markup import escape
from rich.table import Table

from .common import (arn_lines, console, emit_json, fmt_bytes, iso_time, open_store, short_time,
                     store_command)


def gather(store) -> list[dict]:
    out = []
    with store.read() as txn:
        for name in list(store.tables.names(txn)):
            tdef = store.tables.get(txn, name)
            stream = store.streams.stream(txn, tdef.stream_no) if tdef.stream_no is not None else None
            roles = ("HASH", "RANGE")
            out.append({
                "name": tdef.name, "table_id": tdef.table_id, "created": iso_time(tdef.created_ms),
                "key_schema": [{"name": n, "type": t, "role": roles[i]} for i, (n, t) in enumerate(tdef.key_schema)],
                "items": store.counters.peek(txn, f"items:{tdef.table_no}", 0),
                "bytes": store.counters.peek(txn, f"bytes:{tdef.table_no}", 0),
                "billing_mode": tdef.billing_mode,
                "stream_enabled": tdef.stream_enabled,
                "stream_view_type": stream.view_type if stream is not None else None,
                "stream_status": stream.status if stream is not None else None,
                "latest_stream_arn": stream.arn if stream is not None else None,
                "ttl_attribute": tdef.ttl_attribute if tdef.ttl_enabled else None,
            })
    return out


@click.command()
@store_command
def tables(path: str, as_json: bool) -> None:
    """Each table's key schema, item count and stream settings."""
    with open_store(path) as store:
        rows = gather(store)
    if as_json:
        emit_json({"tables": rows})
        return
    out = console()
    t = Table(title=f"{len(rows)} table(s)", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    # a key per line; on narrow terminals the creation time wraps (at its space); the ARN goes under the table
    for col, justify, wrap in (("table", "left", False), ("key schema", "left", False), ("items", "right", False),
                               ("size", "right", False), ("stream", "left", False), ("TTL", "left", False),
                               ("created", "left", True)):
        t.add_column(col, justify=justify, no_wrap=not wrap, overflow="fold")
    for r in rows:
        keys = "\n".join(f"{k['name']} {k['type']} {k['role']}" for k in r["key_schema"])
        if r["stream_enabled"]:
            stream = f"[green]{r['stream_view_type']}[/]"
        elif r["latest_stream_arn"]:
            stream = f"[yellow]off[/] (was {r['stream_view_type']})"
        else:
            stream = "[dim]none[/]"
        t.add_row(escape(r["name"]), escape(keys), f"{r['items']:,}", fmt_bytes(r["bytes"]), stream,
                  escape(r["ttl_attribute"] or "-"), short_time(r["created"]))
    out.print(t)
    arn_lines(out, "latest stream ARNs", [(r["name"], r["latest_stream_arn"]) for r in rows
                                          if r["latest_stream_arn"]])
