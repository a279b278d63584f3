"""Rendering engine values in AWS's wire shapes (JSON-level Python values; B stays bytes until the server's
JSON layer base64-encodes it): stream records (GetRecords and Lambda event forms), stream and shard descriptions,
table descriptions.

Pure functions.
"""
from __future__ import annotations

from logstore.stream import ShardInfo, StreamInfo
from logstore.stream import ids
from logstore.stream.records import BY_SERVICE, decode_fields
from logstore.tables.catalog import TableDef

EVENT_NAMES = (None, "INSERT", "MODIFY", "REMOVE")
SERVICE_IDENTITY = {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}


def record(stream: StreamInfo, region: str, seq: int, ts_ms: int, payload: bytes, *, event_key: bytes) -> dict:
    """One record in the GetRecords shape (``event_key``: the store's, stream.ids.store_event_key)."""
    kind, size, keys, new, old, flags = decode_fields(payload)
    body = {"ApproximateCreationDateTime": ts_ms // 1000, "Keys": keys}
    if new is not None:
        body["NewImage"] = new
    if old is not None:
        body["OldImage"] = old
    body["SequenceNumber"] = ids.seq_to_wire(seq)
    body["SizeBytes"] = size
    body["StreamViewType"] = stream.view_type
    out = {"eventID": ids.event_id(event_key, stream.stream_no, seq), "eventName": EVENT_NAMES[kind],
           "eventVersion": "1.1", "eventSource": "aws:dynamodb", "awsRegion": region, "dynamodb": body}
    if flags & BY_SERVICE:
        out["userIdentity"] = dict(SERVICE_IDENTITY)
    return out


def lambda_record(stream: StreamInfo, region: str, seq: int, ts_ms: int, payload: bytes, *,
                  event_key: bytes) -> dict:
    """One record in the Lambda event shape (eventSourceARN; camelCase userIdentity)."""
    out = record(stream, region, seq, ts_ms, payload, event_key=event_key)
    out["eventSourceARN"] = stream.arn
    if "userIdentity" in out:
        out["userIdentity"] = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    return out


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


def table(tdef: TableDef, region: str, account: str, stream: StreamInfo | None, item_count: int,
          size_bytes: int, status: str = "ACTIVE", index_stats: dict | None = None) -> dict:
    """DescribeTable's TableDescription; ``index_stats``: index number -> (entries, projected bytes)."""
    roles = ["HASH", "RANGE"]
    out = {
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in tdef.attribute_definitions],
        "TableName": tdef.name,
        "KeySchema": [{"AttributeName": n, "KeyType": roles[i]} for i, (n, _) in enumerate(tdef.key_schema)],
        "TableStatus": status,
        "CreationDateTime": tdef.created_ms / 1000,
        "ProvisionedThroughput": {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": tdef.read_capacity,
                                  "WriteCapacityUnits": tdef.write_capacity},
        "TableSizeBytes": size_bytes,
        "ItemCount": item_count,
        "TableArn": ids.table_arn(region, account, tdef.name),
        "TableId": tdef.table_id,
        "BillingModeSummary": {"BillingMode": tdef.billing_mode,
                               "LastUpdateToPayPerRequestDateTime": tdef.created_ms / 1000},
        "DeletionProtectionEnabled": tdef.deletion_protection,
    }
    if tdef.billing_mode == "PROVISIONED":
        del out["BillingModeSummary"]["LastUpdateToPayPerRequestDateTime"]
    stats = index_stats or {}
    for kind, member in (("lsi", "LocalSecondaryIndexes"), ("gsi", "GlobalSecondaryIndexes")):
        described = []
        for ix in tdef.indexes.get(kind) or ():
            count, size = stats.get(ix.get("index_no"), (0, 0))
            desc = {k: v for k, v in ix.items() if k not in ("index_no", "status")}
            if kind == "gsi":
                # AWS describes every GSI's throughput, zeros on an on-demand table, with NumberOfDecreasesToday
                given = desc.get("ProvisionedThroughput") or {}
                desc["ProvisionedThroughput"] = {"NumberOfDecreasesToday": 0,
                                                 "ReadCapacityUnits": given.get("ReadCapacityUnits", 0),
                                                 "WriteCapacityUnits": given.get("WriteCapacityUnits", 0)}
                status = ix.get("status", "ACTIVE")
                desc["IndexStatus"] = status
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
