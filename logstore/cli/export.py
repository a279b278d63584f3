"""``logstore export PATH --out DIR``: matching stream records (a stream, a table's streams, a time range...: the
``records`` filters) to files, for audit and archive: JSON lines in the Streams wire shape (or the Lambda shape),
gzip-compressed by default, in parts of at most ``--part-records`` records, with a manifest. Resumable: run the
same command again and it continues after the last record exported (also to pick up records committed since).

Files in DIR (the manifest is the table of contents; a part not in it does not count):
* ``part-NNNNNN.jsonl.gz`` (or ``.jsonl``): records in commit order;
* ``manifest.json``: ``{"format": "logstore-export", "version": 1, "store", "options" (as given), "filter" (as
  resolved by the first run: an age like ``--since 1d`` keeps meaning the same time when resumed), "shape",
  "compress", "parts": [{"file", "records", "first_sequence_number", "last_sequence_number", "sha256"}],
  "records", "after_seq"}``. ``after_seq`` is the sequence number of the last record exported; a resumed export reads
  only records above it. Sequence numbers are handed out in commit order, so no record committed later can fall below.

Each part is written to a temporary file, fsynced and renamed, and only then listed in the manifest (itself
replaced atomically), so an interrupted export leaves whole parts and a manifest that describes them, and the
next run redoes at most the part that was being written. Read-only on the store.

``--format dynamodb`` writes one table instead, in DynamoDB's export-to-S3 layout (ddbexport.py; docs/cli.md):
a full export of the table's items as of one snapshot, or with ``--format dynamodb-incremental`` an incremental
export of what changed between ``--since`` and ``--until`` (from the stream: one line per item changed, its
image before the window and after it). Not resumable: each run is a new export (a new ExportId).
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import sys

import click

from logstore.clock import SYSTEM_CLOCK
from logstore.stream import ids
from logstore.tables.attrs import item_size

from . import ddbexport
from .common import CommandError, emit_json, open_store, progress, store_command, to_json
from .selection import RecordFilter, make_filter, read_records, selected_shards, with_filter_options

MANIFEST = "manifest.json"
FORMAT = "logstore-export"
VERSION = 1


def _load_manifest(out_dir: str) -> dict | None:
    path = os.path.join(out_dir, MANIFEST)
    if not os.path.exists(path):
        return None
    try:
        with open(path) as f:
            manifest = json.load(f)
    except (OSError, ValueError) as e:
        raise CommandError(f"{path}: cannot read the export manifest: {e}") from None
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise CommandError(f"{path}: not a logstore export manifest (version {VERSION})")
    return manifest


def _write_atomic(path: str, data: bytes) -> None:
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _Part:
    """One part file being written (to ``<name>.tmp`` until closed)."""

    def __init__(self, out_dir: str, number: int, compress: bool):
        self.name = f"part-{number:06d}.jsonl" + (".gz" if compress else "")
        self.path = os.path.join(out_dir, self.name)
        self._raw = open(self.path + ".tmp", "wb")
        # mtime=0: the same records give the same bytes, so a redone part is identical
        self._out = gzip.GzipFile(fileobj=self._raw, mode="wb", mtime=0) if compress else self._raw
        self._hash = hashlib.sha256()
        self.records = 0
        self.first_seq = self.last_seq = None

    def add(self, seq: int, line: bytes) -> None:
        self._out.write(line)
        self.records += 1
        self.first_seq = seq if self.first_seq is None else self.first_seq
        self.last_seq = seq

    def close(self) -> dict:
        if self._out is not self._raw:
            self._out.close()
        self._raw.flush()
        os.fsync(self._raw.fileno())
        self._raw.close()
        with open(self.path + ".tmp", "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                self._hash.update(block)
        os.replace(self.path + ".tmp", self.path)
        return {"file": self.name, "records": self.records, "first_sequence_number": str(10 ** 20 + self.first_seq),
                "last_sequence_number": str(10 ** 20 + self.last_seq), "sha256": self._hash.hexdigest()}


def export_records(store, out_dir: str, f: RecordFilter, shape: str, compress: bool, part_records: int,
                   on_record=None, options: dict | None = None) -> dict:
    """Export (or resume exporting) into ``out_dir``; returns the manifest and how many records this run added.
    ``options``: the filter options as given (compared on resume, so that ``--since 1d`` resumes as the same
    export: the resumed run uses the filter as the first run resolved it)."""
    os.makedirs(out_dir, exist_ok=True)
    manifest = _load_manifest(out_dir)
    settings = {"options": options if options is not None else f.to_dict(), "shape": shape, "compress": compress}
    if manifest is None:
        manifest = {"format": FORMAT, "version": VERSION, "store": os.path.abspath(store.path), **settings,
                    "filter": f.to_dict(), "parts": [], "records": 0, "after_seq": None}
    elif {k: manifest.get(k) for k in settings} != settings:
        raise CommandError(f"{out_dir} holds an export with other options "
                           f"({to_json({k: manifest.get(k) for k in settings})}); resume it with the same options "
                           "or export to another directory")
    else:
        f = RecordFilter.from_dict(manifest["filter"])
    added = 0
    part = None
    try:
        with store.read() as txn:
            for r in read_records(store, txn, f, after=manifest["after_seq"]):
                if part is None:
                    part = _Part(out_dir, len(manifest["parts"]) + 1, compress)
                part.add(r.seq, (to_json(r.render(shape)) + "\n").encode())
                added += 1
                if on_record is not None:
                    on_record()
                if part.records >= part_records:
                    _finish(out_dir, manifest, part)
                    part = None
        if part is not None:
            _finish(out_dir, manifest, part)
            part = None
    finally:
        if part is not None:   # interrupted: drop the unfinished part; the manifest still describes whole parts
            part._raw.close()
            os.unlink(part.path + ".tmp")
    return {"manifest": manifest, "added": added}


def _finish(out_dir: str, manifest: dict, part: _Part) -> None:
    entry = part.close()
    manifest["parts"].append(entry)
    manifest["records"] += part.records
    manifest["after_seq"] = part.last_seq
    _write_atomic(os.path.join(out_dir, MANIFEST), (json.dumps(manifest, indent=2) + "\n").encode())
    _fsync_dir(out_dir)


def _arns(store, txn, tdef) -> tuple[str, str]:
    """(region, account) for the export's ARNs: those of the table's stream ARN, else us-east-1 and zeros."""
    info = store.streams.stream(txn, tdef.stream_no) if tdef.stream_no is not None else None
    parsed = ids.parse_stream_arn(info.arn) if info is not None else None
    return (parsed[0], parsed[1]) if parsed else ("us-east-1", "000000000000")


def export_dynamodb(store, table: str, out_dir: str, per_file: int, f: RecordFilter | None, now_ms: int) -> dict:
    """Write ``table`` to ``out_dir`` in DynamoDB's export layout: a full export, or with ``f`` (its time range)
    an incremental one. Returns the summary manifest."""
    with store.read() as txn:
        tdef = store.tables.get(txn, table)
        if tdef is None:
            raise CommandError(f"no table {table} in {store.path}")
        region, account = _arns(store, txn, tdef)
        table_arn = ids.table_arn(region, account, table)
        export_id = ddbexport.new_export_id(now_ms)
        writer = ddbexport.ExportWriter(out_dir, export_id, per_file)
        summary = {"exportArn": f"{table_arn}/export/{export_id}", "startTime": ddbexport.iso(now_ms),
                   "tableArn": table_arn, "tableId": tdef.table_id, "exportTime": ddbexport.iso(now_ms),
                   "s3Bucket": None, "s3Prefix": None, "s3SseAlgorithm": None, "s3SseKmsKeyId": None}
        description = {"TableName": table,
                       "KeySchema": [{"AttributeName": n, "KeyType": "HASH" if i == 0 else "RANGE"}
                                     for i, (n, _) in enumerate(tdef.key_schema)],
                       "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in tdef.key_schema]}
        stream = store.streams.stream(txn, tdef.stream_no) if tdef.stream_no is not None else None
        if tdef.stream_enabled and stream is not None:
            description["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream.view_type}
        if f is None:
            for _, item in store.items.scan(txn, tdef):
                writer.add({"Item": ddbexport.item_to_json(item)}, item_size(item))
            summary["exportType"] = "FULL_EXPORT"
        else:
            view = _incremental(store, txn, tdef, f, writer)
            summary.update(exportType="INCREMENTAL_EXPORT", outputView=view,
                           exportFromTime=ddbexport.iso(f.since_ms or 0),
                           exportToTime=ddbexport.iso(f.until_ms or now_ms))
    summary["endTime"] = ddbexport.iso(SYSTEM_CLOCK.now_ms())
    summary = writer.finish(summary)
    ddbexport._write(os.path.join(out_dir, ddbexport.TABLE_FILE), (json.dumps(description, indent=2) + "\n").encode())
    return {"export_id": export_id, "summary": summary}


def _incremental(store, txn, tdef, f: RecordFilter, writer) -> str:
    """One line per item changed in the window: its image before the first change and after the last."""
    changed: dict[str, list] = {}
    views = set()
    for r in read_records(store, txn, RecordFilter(table=tdef.name, since_ms=f.since_ms, until_ms=f.until_ms)):
        d = r.render("streams")["dynamodb"]
        views.add(d.get("StreamViewType"))
        ident = to_json(d["Keys"])
        entry = changed.get(ident)
        if entry is None:
            changed[ident] = [d["Keys"], d.get("OldImage"), d.get("NewImage"), r.ts_ms]
        else:
            entry[2], entry[3] = d.get("NewImage"), r.ts_ms
    if views - {"NEW_AND_OLD_IMAGES", "NEW_IMAGE"}:
        raise CommandError(f"an incremental export needs the items' images: the stream of {tdef.name} records "
                           f"{', '.join(sorted(v for v in views if v))}, not NEW_AND_OLD_IMAGES or NEW_IMAGE")
    view = "NEW_IMAGE" if "NEW_IMAGE" in views else "NEW_AND_OLD_IMAGES"
    for keys, old, new, ts in changed.values():
        if old is None and new is None:
            continue          # created and deleted inside the window: nothing before, nothing after
        line = {"Metadata": {"WriteTimestampMicros": {"N": str(ts * 1000)}}, "Keys": ddbexport.item_to_json(keys)}
        if new is not None:
            line["NewImage"] = ddbexport.item_to_json(new)
        if old is not None and view == "NEW_AND_OLD_IMAGES":
            line["OldImage"] = ddbexport.item_to_json(old)
        writer.add(line, item_size(new or old))
    return view


@click.command()
@with_filter_options
@click.option("--format", "fmt", type=click.Choice(["records", "dynamodb", "dynamodb-incremental"]),
              default="records", show_default=True,
              help="records: stream records as JSON lines; dynamodb: the table in DynamoDB's export-to-S3 layout; "
                   "dynamodb-incremental: what changed between --since and --until, in that layout")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="directory for the parts "
              "and the manifest (created if needed; an export there is resumed)")
@click.option("--shape", type=click.Choice(["streams", "lambda"]), default="streams", show_default=True,
              help="JSON shape of each record")
@click.option("--compress/--no-compress", default=True, show_default=True, help="gzip each part")
@click.option("--part-records", type=click.IntRange(min=1), default=100_000, show_default=True,
              help="records per part file")
@store_command
def export(path: str, as_json: bool, table, stream, shards, from_seq, to_seq, since, until, events, keys,
           fmt: str, out_dir: str, shape: str, compress: bool, part_records: int) -> None:
    """Export matching records to DIR as (gzipped) JSON-lines parts with a manifest; resumable. With --format
    dynamodb, a table in DynamoDB's export layout."""
    f = make_filter(table, stream, shards, from_seq, to_seq, since, until, events, keys)
    if fmt != "records":
        if table is None:
            raise CommandError(f"--format {fmt} exports one table: give --table NAME")
        if stream or shards or from_seq or to_seq or events or keys:
            raise CommandError(f"--format {fmt} takes only --table (and --since/--until for the incremental form)")
        if fmt == "dynamodb" and (since or until):
            raise CommandError("a full export is of the table as it is now; --since/--until are for "
                               "--format dynamodb-incremental")
        with open_store(path) as store:
            result = export_dynamodb(store, table, out_dir, part_records,
                                     f if fmt == "dynamodb-incremental" else None, SYSTEM_CLOCK.now_ms())
        s = result["summary"]
        if as_json:
            emit_json({"out": out_dir, "export_id": result["export_id"], "items": s["itemCount"],
                       "export_type": s["exportType"], "manifest": f"AWSDynamoDB/{result['export_id']}/"
                                                                   "manifest-summary.json"})
        else:
            click.echo(f"exported {s['itemCount']:,} item(s) of {table} to {out_dir}/AWSDynamoDB/"
                       f"{result['export_id']}/ ({s['exportType']})")
        return
    options = {"table": table, "stream": stream, "shards": list(shards), "from_seq": from_seq, "to_seq": to_seq,
               "since": since, "until": until, "events": sorted(e.upper() for e in events), "keys": list(keys)}
    with open_store(path) as store:
        with store.read() as txn:   # an upper bound for the progress bar, from segment headers
            total = sum(store.log.info(txn, shard.shard_no).records for _, shard in selected_shards(store, txn, f))
        with progress(total, "exporting records") as advance:
            result = export_records(store, out_dir, f, shape, compress, part_records, on_record=advance,
                                    options=options)
    m = result["manifest"]
    summary = {"out": out_dir, "added": result["added"], "records": m["records"], "parts": len(m["parts"]),
               "after_sequence_number": None if m["after_seq"] is None else str(10 ** 20 + m["after_seq"])}
    if as_json:
        emit_json(summary)
    else:
        click.echo(f"exported {summary['added']:,} record(s) this run; {out_dir} now holds {summary['records']:,} "
                   f"record(s) in {summary['parts']} part(s)"
                   + (f", up to sequence number {summary['after_sequence_number']}" if m["after_seq"] is not None
                      else ""))
    sys.stdout.flush()
