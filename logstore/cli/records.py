"""``logstore records PATH``: stream records, filtered by table, stream, shard, sequence range, time range, event
name and key, in commit order. ``--json`` prints JSON lines in the DynamoDB Streams wire shape (GetRecords'
``Records`` members; binary values base64) or, with ``--shape lambda``, in the Lambda event shape; without it,
one readable line per record. ``--follow`` keeps printing records as they are committed, like ``tail -f``,
following each lineage into new shards, until interrupted or ``--limit`` records were printed.

Read-only: a plain run reads one snapshot; ``--follow`` reads a new snapshot every ``--interval`` seconds.
"""
from __future__ import annotations

import sys

import click
from rich.markup import escape

from logstore.stream import ids

from .common import console, fmt_time, open_store, store_command, to_json
from .selection import Follower, Found, make_filter, read_records, with_filter_options

COLOURS = {"INSERT": "green", "MODIFY": "yellow", "REMOVE": "red"}


def _human(out, r: Found) -> None:
    rec = r.render("streams")
    d = rec["dynamodb"]
    keys = ", ".join(f"{n}={_scalar(v)}" for n, v in d["Keys"].items())
    name = rec["eventName"]
    parts = [fmt_time(r.ts_ms), ids.seq_to_wire(r.seq), f"[{COLOURS[name]}]{name:6}[/]", escape(r.stream.table),
             escape(keys)]
    if "NewImage" in d:
        parts.append("new " + escape(to_json(d["NewImage"])))
    elif "OldImage" in d:
        parts.append("old " + escape(to_json(d["OldImage"])))
    if "userIdentity" in rec:
        parts.append("[dim](TTL)[/]")
    out.print("  ".join(parts), soft_wrap=True)


def _scalar(av: dict) -> str:
    (typ, value), = av.items()
    return to_json(value) if typ == "B" else str(value)


@click.command()
@with_filter_options
@click.option("--shape", type=click.Choice(["streams", "lambda"]), default="streams", show_default=True,
              help="JSON shape of each record: GetRecords' (streams) or a Lambda event record's")
@click.option("--follow", "-f", is_flag=True, help="keep printing new records as they are committed")
@click.option("--latest", is_flag=True, help="with --follow: only records committed from now on")
@click.option("--interval", type=click.FloatRange(min=0, min_open=True), default=0.25, show_default=True,
              help="seconds between polls (--follow)")
@click.option("--limit", type=click.IntRange(min=1), help="stop after printing this many records")
@store_command
def records(path: str, as_json: bool, table, stream, shards, from_seq, to_seq, since, until, events, keys,
            shape: str, follow: bool, latest: bool, interval: float, limit: int | None) -> None:
    """Print stream records (JSON lines with --json), filtered; --follow to tail."""
    f = make_filter(table, stream, shards, from_seq, to_seq, since, until, events, keys)
    out = console()
    printed = 0

    def emit(r: Found) -> bool:
        nonlocal printed
        if limit is not None and printed >= limit:
            return False
        if as_json:
            sys.stdout.write(to_json(r.render(shape)) + "\n")
        else:
            _human(out, r)
        printed += 1
        return limit is None or printed < limit

    with open_store(path) as store:
        if follow:
            def emit_flushed(r: Found) -> bool:
                going = emit(r)
                sys.stdout.flush()
                return going
            try:
                Follower(store, f, latest=latest).run(emit_flushed, interval)
            except KeyboardInterrupt:
                pass
            return
        with store.read() as txn:
            for r in read_records(store, txn, f):
                if not emit(r):
                    break
    sys.stdout.flush()
