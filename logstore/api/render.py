"""Rendering engine values in AWS's wire shapes (JSON-level Python values; B stays bytes until the server's
JSON layer base64-encodes it): stream records (GetRecords and Lambda event forms), stream and shard descriptions,
table descriptions.

Pure functions.
"""
from __future__ import annotations

import base64
import gc
from typing import Sequence

import orjson

from logstore import codec
from logstore.stream import ShardInfo, StreamInfo
from logstore.stream import ids
from logstore.stream import records as records_mod
from logstore.stream.records import BY_SERVICE
from logstore.tables.catalog import TableDef, decreases_on

EVENT_NAMES = (None, "INSERT", "MODIFY", "REMOVE")
SERVICE_IDENTITY = {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}
LAMBDA_SERVICE_IDENTITY = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}


def records(seqs: Sequence[int], timestamps: Sequence[int], payloads: Sequence[bytes], *, stream_no: int,
            view_type: str, key_names: Sequence[str], region: str, event_key: bytes,
            lambda_arn: str | None = None) -> list[dict]:
    """The records of one read, in order: GetRecords' shape, or with ``lambda_arn`` (the stream's ARN) Lambda's
    event shape (``eventSourceARN`` last, camelCase ``userIdentity``, B values as base64 text). The one renderer of
    a record: GetRecords, the CLI and the processors all come here. ``event_key``: the store's
    (stream.ids.store_event_key).

    The hot path of the embedded drain: one loop, locals only, constant strings shared by every record, Keys
    sharing NewImage's (else OldImage's) AttributeValue dicts, and the cyclic GC paused while the page is built
    (only if it was on; restored after), since the page's many young dicts would otherwise trigger collections
    that find nothing to free."""
    names, by_service = EVENT_NAMES, BY_SERVICE
    gc_was_on = gc.isenabled()
    if gc_was_on:
        gc.disable()
    try:
        flat = records_mod.decode_page(seqs, timestamps, payloads, stream_no=stream_no, key_names=key_names,
                                       event_key=event_key, base64_binary=lambda_arn is not None)
        it = iter(flat)
        out: list[dict] = []
        append = out.append
        for event_id, seq, when, kind, size, new, old, flags, keys in zip(it, it, it, it, it, it, it, it, it):
            if new is not None:   # one dict display per shape: the fastest way to build it
                if old is not None:
                    body = {"ApproximateCreationDateTime": when, "Keys": keys, "NewImage": new,
                            "OldImage": old, "SequenceNumber": seq, "SizeBytes": size,
                            "StreamViewType": view_type}
                else:
                    body = {"ApproximateCreationDateTime": when, "Keys": keys, "NewImage": new,
                            "SequenceNumber": seq, "SizeBytes": size, "StreamViewType": view_type}
            elif old is not None:
                body = {"ApproximateCreationDateTime": when, "Keys": keys, "OldImage": old,
                        "SequenceNumber": seq, "SizeBytes": size, "StreamViewType": view_type}
            else:
                body = {"ApproximateCreationDateTime": when, "Keys": keys,
                        "SequenceNumber": seq, "SizeBytes": size, "StreamViewType": view_type}
            if lambda_arn is not None:
                record = {"eventID": event_id, "eventName": names[kind], "eventVersion": "1.1",
                          "eventSource": "aws:dynamodb", "awsRegion": region, "dynamodb": body,
                          "eventSourceARN": lambda_arn}
                if flags & by_service:
                    record["userIdentity"] = dict(LAMBDA_SERVICE_IDENTITY)
            else:
                record = {"eventID": event_id, "eventName": names[kind], "eventVersion": "1.1",
                          "eventSource": "aws:dynamodb", "awsRegion": region, "dynamodb": body}
                if flags & by_service:
                    record["userIdentity"] = dict(SERVICE_IDENTITY)
            append(record)
        return out
    finally:
        if gc_was_on:
            gc.enable()


def _b64(value):
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def records_json(seqs: Sequence[int], timestamps: Sequence[int], payloads: Sequence[bytes], *, stream_no: int,
                 view_type: str, key_names: Sequence[str], region: str, event_key: bytes
                 ) -> tuple[bytes | memoryview, ...]:
    """The records of one read as the JSON text of GetRecords' ``Records`` array (brackets included), in parts to
    be joined into the response body (a page is about a megabyte: it is copied once, by that join): exactly the
    bytes the server's JSON layer writes for ``records(...)``, built from the stored bytes in one C call
    (codec.records_json) with no dict per record; a page the C renderer does not take is rendered through
    ``records`` and orjson, to the same bytes. For the server's GetRecords."""
    if not payloads:
        return (b"[]",)
    text = codec.records_json(payloads, seqs, timestamps, event_key, stream_no, region, view_type) \
        if codec.IMPLEMENTATION == "c" else None
    if text is not None:
        return b"[", text, b"]"
    return (orjson.dumps(records(seqs, timestamps, payloads, stream_no=stream_no, view_type=view_type,
                                 key_names=key_names, region=region, event_key=event_key), default=_b64),)


def record(stream: StreamInfo, region: str, seq: int, ts_ms: int, payload: bytes, *, event_key: bytes) -> dict:
    """One record in the GetRecords shape (``event_key``: the store's, stream.ids.store_event_key)."""
    return records((seq,), (ts_ms,), (payload,), stream_no=stream.stream_no, view_type=stream.view_type,
                   key_names=key_names(stream), region=region, event_key=event_key)[0]


def lambda_record(stream: StreamInfo, region: str, seq: int, ts_ms: int, payload: bytes, *,
                  event_key: bytes) -> dict:
    """One record in the Lambda event shape (eventSourceARN; camelCase userIdentity; B as base64 text)."""
    return records((seq,), (ts_ms,), (payload,), stream_no=stream.stream_no, view_type=stream.view_type,
                   key_names=key_names(stream), region=region, event_key=event_key, lambda_arn=stream.arn)[0]


def key_names(stream: StreamInfo) -> tuple[str, ...]:
    """The stream's key attributes, hash then range (what ``records`` takes)."""
    return tuple(name for name, _role in sorted(stream.key_schema, key=lambda k: k[1] != "HASH"))


def key_schema(stream: StreamInfo) -> list[dict]:
    return [{"AttributeName": name, "KeyType": role} for name, role in stream.key_schema]


def shard(s: ShardInfo) -> dict:
    rng = {"StartingSequenceNumber": ids.seq_to_wire(s.start_seq)}
    if s.end_seq is not None:
        rng["EndingSequenceNumber"] = ids.seq_to_wire(s.end_seq)
    out = {"ShardId": s.shard_id, "SequenceNumberRange": rng}
    if s.parent_id is not None:
        out["ParentShardId"] = s.parent_id
    return out


def _java_order(name: str) -> bytes:
    """The sort key of AWS's name order (Java's String order: by UTF-16 code unit): DescribeTable lists
    AttributeDefinitions and an index's NonKeyAttributes so, whatever order a request gave them in."""
    return name.encode("utf-16-be", "surrogatepass")


def throughput(read: int, write: int, changes: dict | None, now_ms: int) -> dict:
    """A ProvisionedThroughput description as AWS gives it: when the capacity last rose and fell (once it did), how
    many times it fell on ``now_ms``'s UTC day, the capacity (``changes``: catalog.throughput_changed's)."""
    out: dict = {}
    if changes and "increased_ms" in changes:
        out["LastIncreaseDateTime"] = changes["increased_ms"] / 1000
    if changes and "decreased_ms" in changes:
        out["LastDecreaseDateTime"] = changes["decreased_ms"] / 1000
    out.update(NumberOfDecreasesToday=decreases_on(changes, now_ms), ReadCapacityUnits=read, WriteCapacityUnits=write)
    return out


def table(tdef: TableDef, region: str, account: str, stream: StreamInfo | None, item_count: int,
          size_bytes: int, status: str = "ACTIVE", index_stats: dict | None = None, *, now_ms: int) -> dict:
    """DescribeTable's TableDescription; ``index_stats``: index number -> (entries, projected bytes); ``now_ms``:
    the time it describes (the UTC day whose decreases NumberOfDecreasesToday counts). An on-demand table's
    throughput, and its GSIs', is described without the times of earlier provisioned changes."""
    provisioned = tdef.billing_mode == "PROVISIONED"
    roles = ["HASH", "RANGE"]
    out = {
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t}
                                 for n, t in sorted(tdef.attribute_definitions, key=lambda d: _java_order(d[0]))],
        "TableName": tdef.name,
        "KeySchema": [{"AttributeName": n, "KeyType": roles[i]} for i, (n, _) in enumerate(tdef.key_schema)],
        "TableStatus": status,
        "CreationDateTime": tdef.created_ms / 1000,
        "ProvisionedThroughput": throughput(tdef.read_capacity, tdef.write_capacity,
                                            tdef.throughput_changes if provisioned else None, now_ms),
        "TableSizeBytes": size_bytes,
        "ItemCount": item_count,
        "TableArn": ids.table_arn(region, account, tdef.name),
        "TableId": tdef.table_id,
        "BillingModeSummary": {"BillingMode": tdef.billing_mode, "LastUpdateToPayPerRequestDateTime":
                               (tdef.pay_per_request_ms or tdef.created_ms) / 1000},
        "DeletionProtectionEnabled": tdef.deletion_protection,
    }
    if tdef.billing_mode == "PROVISIONED" and tdef.pay_per_request_ms is None:   # never on demand: AWS has none
        del out["BillingModeSummary"]
    if tdef.table_class is not None:   # described once a request set it, as AWS does
        out["TableClassSummary"] = {"TableClass": tdef.table_class}
        if tdef.table_class_updated_ms is not None:
            out["TableClassSummary"]["LastUpdateDateTime"] = tdef.table_class_updated_ms / 1000
    out["WarmThroughput"] = dict(tdef.warm, Status="ACTIVE")   # every table has one (catalog.TableDef.warm)
    if tdef.on_demand_throughput is not None:   # only the maximums set, as AWS describes them
        out["OnDemandThroughput"] = dict(tdef.on_demand_throughput)
    if tdef.sse_kms_key is not None:   # a KMS key (AWS's own key is not described, as AWS does not)
        out["SSEDescription"] = {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": tdef.sse_kms_key}
    stats = index_stats or {}
    for kind, member in (("lsi", "LocalSecondaryIndexes"), ("gsi", "GlobalSecondaryIndexes")):
        described = []
        for ix in tdef.indexes.get(kind) or ():
            count, size = stats.get(ix.get("index_no"), (0, 0))
            desc = {k: v for k, v in ix.items() if k not in ("index_no", "status", "throughput_changes")}
            if desc["Projection"].get("NonKeyAttributes"):
                desc["Projection"] = dict(desc["Projection"], NonKeyAttributes=sorted(
                    desc["Projection"]["NonKeyAttributes"], key=_java_order))
            if kind == "gsi":
                # AWS describes every GSI's throughput, zeros on an on-demand table, with NumberOfDecreasesToday
                given = desc.get("ProvisionedThroughput") or {}
                desc["ProvisionedThroughput"] = throughput(given.get("ReadCapacityUnits", 0),
                                                           given.get("WriteCapacityUnits", 0),
                                                           ix.get("throughput_changes") if provisioned else None,
                                                           now_ms)
                status = ix.get("status", "ACTIVE")
                desc["IndexStatus"] = status
                # a building index's warm throughput is UPDATING until it is ACTIVE, as AWS showed it (live, 2026-10)
                desc["WarmThroughput"] = dict(tdef.index_warm(ix),
                                              Status="UPDATING" if status == "CREATING" else status)
                if status == "CREATING":
                    desc["Backfilling"] = True
            desc.update(IndexSizeBytes=size, ItemCount=count, IndexArn=f"{out['TableArn']}/index/{ix['IndexName']}")
            described.append(desc)
        if described:
            out[member] = described
    if stream is not None:
        if tdef.stream_enabled:
            out["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream.view_type}
        out["LatestStreamLabel"] = stream.label
        out["LatestStreamArn"] = stream.arn
    return out
