"""``logstore check PATH``: a full integrity walk of a store, reporting **every** problem with where it is, and
exiting 1 if it found any (0 if none, 2 if the store cannot be opened).

What is checked, in one read snapshot (so a store another process is writing to is checked as of one commit):
1. every segment of every shard: both checksums, framing, index and order inside it -- in the C codec, one call
   per segment -- and, across a shard's segments, sequence and time order and keys (storage/verify.py);
2. streams, shards and lineage against each other and against the log, and the counters (stream/verify.py);
3. tables: definitions, item counters, and items against their latest record where the view type allows
   (tables/verify.py). Only this step reads record payloads (skimming each for its key, decoding only each
   key's newest record); ``--no-items`` skips it;
4. stored indexes: every item's entry in each of its table's indexes, no stray entries, the index counters
   (tables/verify_indexes.py).
Before all of them, LMDB's own pages (storage/pages.py): the meta pages, the file's size, and every page of every
B-tree, each visited once. A damaged page is reported ("pages") and the steps that would read its database
through LMDB are left out (said so in a problem), since LMDB may crash or loop on such a page.
A problem never stops the walk. Read-only.
"""
from __future__ import annotations

import os
import time

import click
from rich.markup import escape

from logstore.errors import CorruptionError
from logstore.storage import pages
from logstore.storage.verify import Problem, scan_shard
from logstore.stream import verify as stream_verify
from logstore.stream.catalog import ENABLED
from logstore.tables import verify as tables_verify
from logstore.tables import verify_indexes as index_verify

from .common import (EXIT_PROBLEMS, console, emit_json, open_store, progress, store_command)


STEP_DBS = {"segments": {"segments", "trims"},
            "streams": {"streams", "stream_arns", "shards", "stream_shards", "counters", "segments", "trims"},
            "tables": {"tables", "items", "counters"}}
WHOLE_FILE = {"(file)", "(main)", "(free list)"}


def run_check(store, items: bool = True, advance=None) -> dict:
    """Run every check; return {"problems": [Problem], "checked": {...counts}}."""
    started = time.perf_counter()
    found = [] if store.env.pages_walked else store.env.walk_pages()
    page_problems = [Problem("pages", str(p)) for p in found]
    damaged = {p.db for p in found}
    skipped = [step for step, dbs in STEP_DBS.items() if damaged & (dbs | WHOLE_FILE)]
    if skipped:   # LMDB could crash or loop on those pages: report them and read no further
        page_problems.append(Problem("pages", f"not checked, as LMDB would read damaged pages: "
                                              f"{', '.join(skipped)}"))
        return {"problems": page_problems, "checked": {
            "segments": 0, "records": 0, "bytes": 0, "shard_logs": 0, "streams": 0, "tables": 0,
            "items_checked": False, "keys_compared": 0, "storage_only": False,
            "seconds": round(time.perf_counter() - started, 3)}}
    with store.read() as txn:
        segments_total = txn.stat(store.log.segments_db)["entries"] if store.log.segments_db is not None else 0
        prep: list[Problem] = []
        streams, shards = stream_verify.load(store.streams, txn, prep)   # what does not decode: reported later
        visitors = {}
        latest = {}
        if items:
            for name in list(store.tables.names(txn)):
                try:
                    tdef = store.tables.get(txn, name)
                except Exception:  # reported by tables_verify.check
                    continue
                info = streams.get(tdef.stream_no) if tdef.stream_enabled else None
                if info is None or info.status != ENABLED:
                    continue
                latest[name] = seen = tables_verify.LatestRecords(tdef, info)
                for shard in shards.values():
                    if shard.stream_no == info.stream_no:
                        visitors[shard.shard_no] = seen.visit
        with progress(segments_total, "checking segments") as bar:
            step = advance or bar
            scans = {shard: scan_shard(store.log, txn, shard, visitors.get(shard), step)
                     for shard in list(store.log.shards(txn))}
        problems = page_problems + [p for scan in scans.values() for p in scan.problems]
        problems += stream_verify.check(store.streams, store.log, store.counters, txn, scans,
                                       store.policy.retention_ms)
        problems += tables_verify.check(store.tables, store.items, store.counters, txn, streams, latest)
        index_problems, entries_checked = index_verify.check(store.tables, store.items, store.entries,
                                                             store.counters, txn)
        problems += index_problems
        checked = {"segments": sum(s.segments for s in scans.values()),
                   "records": sum(s.records for s in scans.values()),
                   "bytes": sum(s.bytes for s in scans.values()), "shard_logs": len(scans),
                   "streams": len(streams), "tables": len(list(store.tables.names(txn))),
                   "items_checked": items, "index_entries_checked": entries_checked,
                   "keys_compared": sum(x.keys_seen for x in latest.values()),
                   "storage_only": not stream_verify.has_streams(store.streams),
                   "seconds": round(time.perf_counter() - started, 3)}
    return {"problems": problems, "checked": checked}


@click.command()
@click.option("--no-items", is_flag=True, help="skip comparing items with their latest records (the only step "
                                               "that reads record payloads)")
@store_command
def check(path: str, as_json: bool, no_items: bool) -> None:
    """Walk the whole store and report every problem; exit 1 if there are any."""
    try:
        with open_store(path) as store:   # its pages are walked first: damage refuses the open
            result = run_check(store, items=not no_items)
    except CorruptionError as e:   # damaged pages (or a truncated data.mdb): every page problem, then stop
        if e.what != "store file":
            raise
        found = pages.walk(os.path.join(path, "data.mdb")) or [e.reason]
        problems = [Problem("pages", str(p)) for p in found]
        problems.append(Problem("pages", "not checked further, as LMDB would read damaged pages: segments, "
                                         "streams, tables"))
        result = {"problems": problems, "checked": {
            "segments": 0, "records": 0, "bytes": 0, "shard_logs": 0, "streams": 0, "tables": 0,
            "items_checked": False, "keys_compared": 0, "storage_only": False, "seconds": 0.0}}
    problems, checked = result["problems"], result["checked"]
    if as_json:
        emit_json({"ok": not problems, "problems": [p.to_dict() for p in problems], "checked": checked})
    else:
        out = console()
        for p in problems:
            out.print(f"[red]PROBLEM[/] [bold]{p.kind}[/] {escape(p.where())}: {escape(p.message)}", soft_wrap=True)
        summary = (f"checked {checked['segments']:,} segments ({checked['records']:,} records) in "
                   f"{checked['shard_logs']} shard logs, {checked['streams']} streams, {checked['tables']} tables "
                   f"in {checked['seconds']:.2f}s")
        if not checked["items_checked"]:
            summary += " (items not compared)"
        if checked["storage_only"]:
            summary += " (a storage-core store: segments only)"
        if problems:
            out.print(f"{summary}: [red bold]{len(problems)} problem(s)[/]")
        else:
            out.print(f"{summary}: [green]no problems[/]")
    if problems:
        raise click.exceptions.Exit(EXIT_PROBLEMS)
