"""``logstore export PATH --out DIR``: matching stream records (a stream, a table's streams, a time range...: the
``records`` filters) to files, for audit and archive: JSON lines in the Streams wire shape (or the Lambda shape),
gzip-compressed by default, in parts of at most ``--part-records`` records, with a manifest. Resumable: run the
same command again and it continues after the last record exported (also to pick up records committed since).

Files in DIR (the manifest is the table of contents; a part not in it does not count):
* ``part-NNNNNN.jsonl.gz`` (or ``.jsonl``): records in commit order;
* ``manifest.json``: ``{"format": "logstore-export", "version": 1, "store", "options" (as given), "filter" (as
  resolved by the first run: an age like ``--since 1d`` keeps meaning the same time when resumed), "shape",
  "compress", "parts": [{"file", "records", "first_sequence_number", "last_sequence_number", "sha256"}],
  "records", "after_seq"}``. ``after_seq`` is the sequence number of the last record exported; a resumed export reads only
  records above it. Sequence numbers are handed out in commit order, so no record committed later can fall below.

Each part is written to a temporary file, fsynced and renamed, and only then listed in the manifest (itself
replaced atomically), so an interrupted export leaves whole parts and a manifest that describes them, and the
next run redoes at most the part that was being written. Read-only on the store.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import sys

import click

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


@click.command()
@with_filter_options
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="directory for the parts "
              "and the manifest (created if needed; an export there is resumed)")
@click.option("--shape", type=click.Choice(["streams", "lambda"]), default="streams", show_default=True,
              help="JSON shape of each record")
@click.option("--compress/--no-compress", default=True, show_default=True, help="gzip each part")
@click.option("--part-records", type=click.IntRange(min=1), default=100_000, show_default=True,
              help="records per part file")
@store_command
def export(path: str, as_json: bool, table, stream, shards, from_seq, to_seq, since, until, events, keys,
           out_dir: str, shape: str, compress: bool, part_records: int) -> None:
    """Export matching records to DIR as (gzipped) JSON-lines parts with a manifest; resumable."""
    f = make_filter(table, stream, shards, from_seq, to_seq, since, until, events, keys)
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
