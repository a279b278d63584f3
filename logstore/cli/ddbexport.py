"""DynamoDB's export-to-S3 layout, written and read (docs/cli.md "DynamoDB export format", which cites AWS's
Developer Guide pages): ``logstore export --format dynamodb`` writes it, ``logstore import`` reads it (from AWS
or from logstore), and also reads plain DynamoDB JSON data files (the ImportTable input format).

Layout under the output directory (the S3 bucket's export prefix)::

    AWSDynamoDB/<ExportId>/_started                    empty: the export began
    AWSDynamoDB/<ExportId>/manifest-summary.json       one JSON object: the export's summary
    AWSDynamoDB/<ExportId>/manifest-summary.checksum   MD5 (hex) of manifest-summary.json
    AWSDynamoDB/<ExportId>/manifest-files.json         JSON lines: {"itemCount", "md5Checksum", "etag",
                                                       "dataFileS3Key"} per data file
    AWSDynamoDB/<ExportId>/manifest-files.checksum     MD5 (hex) of manifest-files.json
    AWSDynamoDB/<ExportId>/data/<name>.json.gz         gzipped DynamoDB JSON lines
    logstore-table.json                                logstore's own, beside AWS's layout: the table's key
                                                       schema and stream settings, so an import can create it

Data lines: a full export has ``{"Item": {<attribute>: <AttributeValue>}}``; an incremental export has
``{"Metadata": {"WriteTimestampMicros": {"N": ...}}, "Keys": {...}, "NewImage": {...}, "OldImage": {...}}``
(NewImage absent for an item deleted in the window, OldImage absent for one created in it). Binary values are
base64 text, as everywhere in DynamoDB JSON. ``ExportId`` is ``<14-digit epoch ms>-<8 hex>`` like AWS's.

Pure functions and small file helpers; no store access (export.py and import_.py do that). Not thread-safe.
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterator

TABLE_FILE = "logstore-table.json"
MANIFEST_VERSION = "2020-06-30"


class FormatError(ValueError):
    """A file that is not in DynamoDB's export or import format (the message says where and what)."""


# -- AttributeValues: the store's form (B as bytes) <-> DynamoDB JSON (B as base64 text) -----------------------

def to_json_value(av: dict) -> dict:
    (kind, value), = av.items()
    if kind == "B":
        return {"B": base64.b64encode(bytes(value)).decode("ascii")}
    if kind == "BS":
        return {"BS": [base64.b64encode(bytes(v)).decode("ascii") for v in value]}
    if kind == "M":
        return {"M": {k: to_json_value(v) for k, v in value.items()}}
    if kind == "L":
        return {"L": [to_json_value(v) for v in value]}
    return {kind: value}


KINDS = {"S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"}


def from_json_value(av, where: str) -> dict:
    if not isinstance(av, dict) or len(av) != 1:
        raise FormatError(f"{where}: an AttributeValue is an object with one type key, not {json.dumps(av)[:80]}")
    (kind, value), = av.items()
    if kind not in KINDS:
        raise FormatError(f"{where}: unknown attribute type {kind!r}")
    try:
        if kind == "B":
            return {"B": base64.b64decode(value, validate=True)}
        if kind == "BS":
            return {"BS": [base64.b64decode(v, validate=True) for v in value]}
    except (ValueError, TypeError):
        raise FormatError(f"{where}: binary value is not base64 text") from None
    if kind == "M":
        if not isinstance(value, dict):
            raise FormatError(f"{where}: M wants an object")
        return {"M": {k: from_json_value(v, f"{where}.{k}") for k, v in value.items()}}
    if kind == "L":
        if not isinstance(value, list):
            raise FormatError(f"{where}: L wants an array")
        return {"L": [from_json_value(v, f"{where}[{i}]") for i, v in enumerate(value)]}
    return {kind: value}


def item_to_json(item: dict) -> dict:
    return {k: to_json_value(v) for k, v in item.items()}


def item_from_json(obj, where: str) -> dict:
    if not isinstance(obj, dict):
        raise FormatError(f"{where}: an item is an object of attributes")
    return {k: from_json_value(v, f"{where}: {k}") for k, v in obj.items()}


# -- writing ---------------------------------------------------------------------------------------------------

def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def new_export_id(now_ms: int) -> str:
    return f"{now_ms:014d}-{uuid.uuid4().hex[:8]}"


def _write(path: str, data: bytes) -> None:
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class ExportWriter:
    """Writes one export into ``out_dir``: data files of at most ``per_file`` lines, then the manifests (last, so
    an interrupted export has no manifest-summary.json and is not taken for a whole one)."""

    def __init__(self, out_dir: str, export_id: str, per_file: int):
        self.out_dir = out_dir
        self.export_id = export_id
        self.prefix = f"AWSDynamoDB/{export_id}"
        self.base = os.path.join(out_dir, "AWSDynamoDB", export_id)
        os.makedirs(os.path.join(self.base, "data"), exist_ok=True)
        _write(os.path.join(self.base, "_started"), b"")
        self.per_file = per_file
        self.files: list[dict] = []
        self._lines: list[bytes] = []
        self.items = 0
        self.billed = 0

    def add(self, line: dict, size: int = 0) -> None:
        self._lines.append((json.dumps(line, separators=(",", ":"), ensure_ascii=False) + "\n").encode())
        self.items += 1
        self.billed += size
        if len(self._lines) >= self.per_file:
            self._flush()

    def _flush(self) -> None:
        name = uuid.uuid4().hex[:26]
        key = f"{self.prefix}/data/{name}.json.gz"
        data = gzip.compress(b"".join(self._lines), mtime=0)
        _write(os.path.join(self.out_dir, key), data)
        md5 = hashlib.md5(data)
        self.files.append({"itemCount": len(self._lines), "md5Checksum": base64.b64encode(md5.digest()).decode(),
                           "etag": md5.hexdigest(), "dataFileS3Key": key})
        self._lines = []

    def finish(self, summary: dict) -> dict:
        if self._lines or not self.files:
            self._flush()     # an empty table still gets one (empty) data file, as AWS's empty partitions do
        files = "".join(json.dumps(f, separators=(",", ":")) + "\n" for f in self.files).encode()
        _write(os.path.join(self.base, "manifest-files.json"), files)
        _write(os.path.join(self.base, "manifest-files.checksum"), hashlib.md5(files).hexdigest().encode())
        summary = {"version": MANIFEST_VERSION, **summary, "manifestFilesS3Key": f"{self.prefix}/manifest-files.json",
                   "billedSizeBytes": self.billed, "itemCount": self.items, "outputFormat": "DYNAMODB_JSON"}
        body = json.dumps(summary, indent=2).encode()
        _write(os.path.join(self.base, "manifest-summary.json"), body)
        _write(os.path.join(self.base, "manifest-summary.checksum"), hashlib.md5(body).hexdigest().encode())
        return summary


# -- reading ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Source:
    """What an import reads: data files in order, whether they are incremental, and the table description
    logstore's export left beside them (or None)."""
    files: tuple[str, ...]
    incremental: bool
    table: dict | None
    summary: dict | None


def find(path: str) -> Source:
    """``path``: an export's output directory (holding AWSDynamoDB/<id>/), an export id directory (holding
    manifest-summary.json), a directory of DynamoDB JSON data files (*.json, *.json.gz), or one such file."""
    if os.path.isfile(path):
        return Source((path,), False, None, None)
    if not os.path.isdir(path):
        raise FormatError(f"{path}: no such file or directory")
    table = None
    root = path
    if os.path.isdir(os.path.join(path, "AWSDynamoDB")):
        exports = sorted(d for d in os.listdir(os.path.join(path, "AWSDynamoDB"))
                         if os.path.exists(os.path.join(path, "AWSDynamoDB", d, "manifest-summary.json")))
        if not exports:
            raise FormatError(f"{path}/AWSDynamoDB holds no finished export (no manifest-summary.json)")
        if len(exports) > 1:
            raise FormatError(f"{path}/AWSDynamoDB holds several exports ({', '.join(exports)}): "
                              "give the directory of the one to import")
        export_dir = os.path.join(path, "AWSDynamoDB", exports[0])
    elif os.path.exists(os.path.join(path, "manifest-summary.json")):
        export_dir = path
        root = os.path.dirname(os.path.dirname(os.path.abspath(path)))
    else:
        files = sorted(os.path.join(path, f) for f in os.listdir(path)
                       if f.endswith((".json", ".json.gz")) and not f.startswith((".", "manifest-"))
                       and f != TABLE_FILE)
        if not files:
            raise FormatError(f"{path}: no export manifest and no DynamoDB JSON data files (*.json, *.json.gz)")
        return Source(tuple(files), False, _table_file(path), None)
    table = _table_file(root)
    try:
        with open(os.path.join(export_dir, "manifest-summary.json")) as f:
            summary = json.load(f)
        with open(os.path.join(export_dir, "manifest-files.json")) as f:
            entries = [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError) as e:
        raise FormatError(f"{export_dir}: cannot read the export's manifests: {e}") from None
    if summary.get("outputFormat", "DYNAMODB_JSON") != "DYNAMODB_JSON":
        raise FormatError(f"{export_dir}: output format {summary.get('outputFormat')} (only DYNAMODB_JSON is read)")
    files = []
    for entry in entries:
        key = entry.get("dataFileS3Key")
        if not isinstance(key, str):
            raise FormatError(f"{export_dir}/manifest-files.json: an entry without dataFileS3Key")
        # the key is relative to the bucket (with the export prefix); the file is under the export's directory
        local = os.path.join(export_dir, "data", os.path.basename(key))
        if not os.path.exists(local):
            raise FormatError(f"{export_dir}: data file {key} is listed in the manifest but missing")
        if entry.get("md5Checksum"):
            with open(local, "rb") as f:
                digest = base64.b64encode(hashlib.md5(f.read()).digest()).decode()
            if digest != entry["md5Checksum"]:
                raise FormatError(f"{local}: MD5 {digest} differs from the manifest's {entry['md5Checksum']}")
        files.append(local)
    return Source(tuple(files), summary.get("exportType") == "INCREMENTAL_EXPORT", table, summary)


def _table_file(root: str) -> dict | None:
    path = os.path.join(root, TABLE_FILE)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def lines(path: str) -> Iterator[tuple[int, dict, int]]:
    """(line number, parsed object, length) of a data file's lines (gzipped or not); blank lines are skipped."""
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    yield n, json.loads(line), len(line)
                except ValueError as e:
                    raise FormatError(f"{path}:{n}: not JSON: {e}") from None
    except (OSError, EOFError) as e:
        raise FormatError(f"{path}: cannot read: {e}") from None
