"""``logstore import STORE SOURCE``: load a DynamoDB export (AWS's export to S3, downloaded, or logstore's
``export --format dynamodb``) or plain DynamoDB JSON data files (ImportTable's input format: one
``{"Item": {...}}`` per line, gzipped or not) into a table of the store (created if missing).

* Writes go through the store's public write path (``Store.batch``: one transaction per batch of at most
  ``--batch-items`` items or 4 MB), so everything the store keeps beside an item (stream records, indexes)
  follows. An incremental export's lines put their NewImage, or delete their Keys when it has none.
* Stream records: written like any write's when the table has a stream; ``--no-stream-records`` creates the
  table without one, imports, and only then enables the stream asked for (refused for an existing table whose
  stream is on: that would need the stream switched off, which makes a new stream ARN).
* The table: ``--table`` (default: the export's table name) and, when it must be created, its key schema from
  ``--partition-key NAME:TYPE`` [``--sort-key NAME:TYPE``] or the ``logstore-table.json`` a logstore export
  leaves; its stream from ``--stream-view-type`` (default: the exported table's, else NEW_AND_OLD_IMAGES;
  ``NONE`` for none).
* Resumable: after each committed batch the position (data file, line) is written to ``--progress`` (default
  ``.logstore-import-<store>-<table>-<hash of the source>.json`` beside the store directory); run the same command
  again and it continues from there. Even without it nothing is doubled: writing an item equal to the stored one
  writes nothing and makes no stream record.
* A bad line (not JSON, not an item, an item the table refuses) stops the import with ``FILE:LINE: why`` and
  exit status 2; the batch it was in is not written, the batches before it are (and the progress says so).
"""
from __future__ import annotations

import hashlib
import json
import os

import click

import logstore
from logstore.errors import AwsError, LogstoreError

from . import ddbexport
from .common import CommandError, emit_json

MAX_BATCH_BYTES = 4 << 20
VIEW_TYPES = ["NEW_AND_OLD_IMAGES", "NEW_IMAGE", "OLD_IMAGE", "KEYS_ONLY", "NONE"]


def _key_option(value: str | None, what: str) -> tuple[str, str] | None:
    if value is None:
        return None
    name, sep, kind = value.rpartition(":")
    if not sep or not name or kind not in ("S", "N", "B"):
        raise CommandError(f"{what} wants NAME:TYPE with TYPE S, N or B, not {value!r}")
    return name, kind


def _table_name(source: ddbexport.Source, given: str | None) -> str:
    if given:
        return given
    if source.table and source.table.get("TableName"):
        return source.table["TableName"]
    arn = (source.summary or {}).get("tableArn")
    if isinstance(arn, str) and "/" in arn:
        return arn.rsplit("/", 1)[1]
    raise CommandError("which table? give --table NAME (the source names none)")


def _exists(store, table: str) -> bool:
    try:
        store.describe_table(TableName=table)
        return True
    except AwsError as e:
        if e.code() != "ResourceNotFoundException":
            raise
        return False


def _ensure_table(store, table: str, source: ddbexport.Source, partition_key, sort_key, view_type, no_records
                  ) -> str | None:
    """Create the table if missing; returns the stream view type to enable once the import is done (or None)."""
    try:
        desc = store.describe_table(TableName=table)["Table"]
    except AwsError as e:
        if e.code() != "ResourceNotFoundException":
            raise
        desc = None
    if desc is not None:
        if no_records and desc.get("StreamSpecification", {}).get("StreamEnabled"):
            raise CommandError(f"table {table} exists with its stream on; --no-stream-records can only import "
                               "into a new table or one without a stream")
        return None
    exported = source.table or {}
    if partition_key is not None:
        keys = [partition_key] + ([sort_key] if sort_key else [])
    elif exported.get("KeySchema"):
        types = {a["AttributeName"]: a["AttributeType"] for a in exported["AttributeDefinitions"]}
        keys = [(k["AttributeName"], types[k["AttributeName"]]) for k in exported["KeySchema"]]
    else:
        raise CommandError(f"table {table} does not exist and the source does not say its key schema: give "
                           "--partition-key NAME:TYPE (and --sort-key NAME:TYPE)")
    if view_type is None:
        view_type = exported.get("StreamSpecification", {}).get("StreamViewType", "NEW_AND_OLD_IMAGES")
    request = {"TableName": table, "BillingMode": "PAY_PER_REQUEST",
               "KeySchema": [{"AttributeName": n, "KeyType": "HASH" if i == 0 else "RANGE"}
                             for i, (n, _) in enumerate(keys)],
               "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in keys]}
    if view_type != "NONE" and not no_records:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view_type}
    store.create_table(**request)
    return view_type if view_type != "NONE" and no_records else None


def _load_progress(path: str, identity: dict) -> tuple[int, int]:
    try:
        with open(path) as f:
            saved = json.load(f)
    except FileNotFoundError:
        return 0, 0
    except (OSError, ValueError) as e:
        raise CommandError(f"{path}: cannot read the import's progress: {e}") from None
    if saved.get("identity") != identity:
        raise CommandError(f"{path} records the progress of another import ({saved.get('identity')}); delete it "
                           "or give another --progress file")
    return saved["file"], saved["line"]


def _save_progress(path: str, identity: dict, file_index: int, line: int, done: bool) -> None:
    ddbexport._write(path, json.dumps({"identity": identity, "file": file_index, "line": line,
                                       "done": done}).encode())


def import_source(store, source: ddbexport.Source, table: str, batch_items: int, progress_path: str | None,
                  identity: dict) -> dict:
    """Load every line of ``source`` into ``table`` in batches; resumes after the progress saved. Returns
    counts. The progress (file index, line) says: every earlier file and these lines of this file are in."""
    start_file, start_line = _load_progress(progress_path, identity) if progress_path else (0, 0)
    counts = {"put": 0, "deleted": 0, "skipped_files": min(start_file, len(source.files)), "skipped_lines": 0,
              "batches": 0}
    pending: list[tuple[str, dict]] = []
    pending_bytes = 0

    def flush(file_index: int, line: int, where: str, done: bool = False) -> None:
        nonlocal pending, pending_bytes
        if pending:
            try:
                with store.batch() as b:
                    for op, value in pending:
                        if op == "put":
                            b.put_item(TableName=table, Item=value)
                        else:
                            b.delete_item(TableName=table, Key=value)
            except AwsError as e:
                raise CommandError(f"{where}: the batch ending here was refused ({e.code()}: {e}); "
                                   "the batches before it are imported") from None
            counts["batches"] += 1
        pending, pending_bytes = [], 0
        if progress_path:
            _save_progress(progress_path, identity, file_index, line, done)

    for file_index, path in enumerate(source.files):
        if file_index < start_file:
            continue
        for n, obj, size in ddbexport.lines(path):
            if file_index == start_file and n <= start_line:
                counts["skipped_lines"] += 1
                continue
            where = f"{path}:{n}"
            if not isinstance(obj, dict):
                raise CommandError(f"{where}: a line is a JSON object")
            if source.incremental or ("Keys" in obj and "Item" not in obj):
                if not isinstance(obj.get("Keys"), dict):
                    raise CommandError(f"{where}: an incremental export line has Keys")
                if obj.get("NewImage") is not None:
                    pending.append(("put", ddbexport.item_from_json(obj["NewImage"], where)))
                    counts["put"] += 1
                else:
                    pending.append(("delete", ddbexport.item_from_json(obj["Keys"], where)))
                    counts["deleted"] += 1
            elif "Item" in obj:
                pending.append(("put", ddbexport.item_from_json(obj["Item"], where)))
                counts["put"] += 1
            else:
                raise CommandError(f"{where}: a line of a DynamoDB JSON data file is " + '{"Item": {...}}'
                                   f", not an object with {', '.join(sorted(obj)[:5]) or 'nothing'}")
            pending_bytes += size
            if len(pending) >= batch_items or pending_bytes >= MAX_BATCH_BYTES:
                flush(file_index, n, where)
    flush(len(source.files), 0, "the end of the source", done=True)
    return counts


@click.command("import")
@click.argument("store_path", type=click.Path(file_okay=False))
@click.argument("source_path", type=click.Path())
@click.option("--table", help="the table to load (default: the exported table's name); created if missing")
@click.option("--partition-key", help="NAME:TYPE of the partition key, for a table to create")
@click.option("--sort-key", help="NAME:TYPE of the sort key, for a table to create")
@click.option("--stream-view-type", type=click.Choice(VIEW_TYPES),
              help="stream of a table to create (default: the exported table's, else NEW_AND_OLD_IMAGES)")
@click.option("--no-stream-records", is_flag=True, help="write no stream records (the stream is enabled after)")
@click.option("--batch-items", type=click.IntRange(1, 100_000), default=500, show_default=True,
              help="items per write transaction")
@click.option("--progress", "progress_path", type=click.Path(dir_okay=False),
              help="file recording how far the import got (default: beside the store)")
@click.option("--json", "as_json", is_flag=True, help="machine-readable summary")
def import_(store_path, source_path, table, partition_key, sort_key, stream_view_type, no_stream_records,
            batch_items, progress_path, as_json) -> None:
    """Load a DynamoDB export (or DynamoDB JSON data files) at SOURCE into a table of the store at STORE."""
    try:
        source = ddbexport.find(source_path)
        partition, sort = _key_option(partition_key, "--partition-key"), _key_option(sort_key, "--sort-key")
        if sort is not None and partition is None:
            raise CommandError("--sort-key needs --partition-key")
        name = _table_name(source, table)
        with logstore.open(store_path) as store:
            existed = _exists(store, name)
            enable_after = _ensure_table(store, name, source, partition, sort, stream_view_type, no_stream_records)
            identity = {"source": [os.path.abspath(f) for f in source.files], "table": name}
            if progress_path is None:    # one per store, table and source
                digest = hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:12]
                progress_path = os.path.join(os.path.dirname(os.path.abspath(store_path)),
                                             f".logstore-import-{os.path.basename(os.path.abspath(store_path))}"
                                             f"-{name}-{digest}.json")
            try:
                counts = import_source(store, source, name, batch_items, progress_path, identity)
            except (CommandError, ddbexport.FormatError):
                if not existed and not store.scan(TableName=name, Limit=1)["Items"]:
                    store.delete_table(TableName=name)   # refused before anything was written: leave no trace
                raise
            if enable_after is not None:
                store.update_table(TableName=name, StreamSpecification={"StreamEnabled": True,
                                                                        "StreamViewType": enable_after})
    except ddbexport.FormatError as e:
        raise CommandError(str(e)) from None
    except AwsError as e:
        raise CommandError(f"{e.code()}: {e}") from None
    except LogstoreError as e:
        raise CommandError(str(e)) from None
    summary = {"table": name, "files": len(source.files), "incremental": source.incremental, **counts}
    if as_json:
        emit_json(summary)
    else:
        click.echo(f"imported into {name}: {counts['put']:,} item(s) written, {counts['deleted']:,} deleted, "
                   f"from {len(source.files)} file(s) in {counts['batches']} batch(es)"
                   + (f"; resumed after {counts['skipped_files']} file(s) and {counts['skipped_lines']:,} line(s) "
                      "already imported" if counts["skipped_lines"] or counts["skipped_files"] else ""))
