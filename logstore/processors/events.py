"""What a handler and an on-failure destination receive: Lambda's shapes for DynamoDB streams.

* ``Renderer``: stream records read from the engine (sequence number, timestamp, payload bytes) as Lambda event
  records, rendered by the one renderer of a record (``api/render.py`` ``records``): key order, eventID,
  SizeBytes and images are those of GetRecords; the Lambda form adds ``eventSourceARN``, uses camelCase
  ``userIdentity`` and carries binary values as base64 strings, as Lambda's JSON event does.
* ``from_boto3``: a record returned by a boto3 ``dynamodbstreams`` client (datetimes, bytes) in the same form.
* ``failure_record``: the invocation record Lambda sends to an OnFailure destination for a stream batch it gave
  up on (requestContext, responseContext, version, timestamp, DDBStreamBatchInfo).

Pure functions and immutable renderers; thread-safe.
"""
from __future__ import annotations

import base64
import datetime
import uuid

from logstore.api import render
from logstore.stream import StreamInfo, ids


class Renderer:
    """Renders one stream's records as Lambda event records (api/render.py's ``records``, Lambda's shape)."""

    __slots__ = ("stream_no", "arn", "region", "view_type", "key_names", "event_key")

    def __init__(self, stream: StreamInfo, region: str, event_key: bytes):
        self.stream_no, self.arn, self.region, self.view_type = stream.stream_no, stream.arn, region, stream.view_type
        self.key_names = render.key_names(stream)
        self.event_key = event_key   # the store's (stream.ids.store_event_key): eventIDs as GetRecords gives them

    def record(self, seq: int, ts_ms: int, payload: bytes) -> dict:
        return self.records((seq,), (ts_ms,), (payload,))[0]

    def records(self, seqs, timestamps, payloads) -> list[dict]:
        """The records of one read, in order: the hot path of embedded processing."""
        return render.records(seqs, timestamps, payloads, stream_no=self.stream_no, view_type=self.view_type,
                              key_names=self.key_names, region=self.region, event_key=self.event_key,
                              lambda_arn=self.arn)


def _b64_attribute(av: dict) -> None:
    """One AttributeValue from boto3, its bytes made base64 text in place (B, BS, and inside M and L)."""
    if "B" in av:
        av["B"] = base64.b64encode(av["B"]).decode("ascii")
    elif "BS" in av:
        av["BS"] = [base64.b64encode(x).decode("ascii") for x in av["BS"]]
    elif "M" in av:
        for inner in av["M"].values():
            _b64_attribute(inner)
    elif "L" in av:
        for inner in av["L"]:
            _b64_attribute(inner)


def from_boto3(record: dict, stream_arn: str) -> dict:
    """A record as a boto3 ``dynamodbstreams`` client returns it, in the Lambda event form (changed in place:
    the client's parsed response is not used again)."""
    body = record["dynamodb"]
    when = body.get("ApproximateCreationDateTime")
    if isinstance(when, datetime.datetime):
        body["ApproximateCreationDateTime"] = int(when.timestamp())
    for name in ("Keys", "NewImage", "OldImage"):
        image = body.get(name)
        if image is not None:
            for av in image.values():
                _b64_attribute(av)
    record["eventSourceARN"] = stream_arn
    identity = record.get("userIdentity")
    if identity is not None:
        record["userIdentity"] = {"type": identity.get("Type"), "principalId": identity.get("PrincipalId")}
    return record


def _iso(ms: int, with_ms: bool) -> str:
    dt = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + (".%03dZ" % (ms % 1000) if with_ms else "Z")


def failure_record(*, records: list[dict], shard_id: str, stream_arn: str, condition: str, attempts: int,
                   function_name: str, error: str | None, now_ms: int, region: str) -> dict:
    """Lambda's OnFailure invocation record for giving up on ``records`` (one shard, in order). ``condition`` is
    ``RetryAttemptsExhausted`` or ``RecordAgeExceeded``; ``error`` the handler's failure (``Unhandled`` for an
    exception, None for a reported partial failure)."""
    first, last = records[0]["dynamodb"], records[-1]["dynamodb"]
    response = {"statusCode": 200, "executedVersion": "$LATEST"}
    if error is not None:
        response["functionError"] = error
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": ids.function_arn(region, "000000000000", function_name),
            "condition": condition,
            "approximateInvokeCount": attempts,
        },
        "responseContext": response,
        "version": "1.0",
        "timestamp": _iso(now_ms, True),
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": first["SequenceNumber"],
            "endSequenceNumber": last["SequenceNumber"],
            "approximateArrivalOfFirstRecord": _iso(first["ApproximateCreationDateTime"] * 1000, False),
            "approximateArrivalOfLastRecord": _iso(last["ApproximateCreationDateTime"] * 1000, False),
            "batchSize": len(records),
            "streamArn": stream_arn,
        },
    }
