"""Helpers of the conformance tests (tests/conformance): every test runs twice, against the embedded store and
against a real ``logstore serve`` on 127.0.0.1 driven by boto3 (client-side parameter validation off, so the
server, not botocore, judges bad requests). ``db`` is a ``Dual`` client with one vocabulary for both; ``state``
snapshots a table's items and stream records, so a test can assert that a refused request changed nothing.
"""
from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import requests

from botocore.exceptions import ClientError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "server"))
from serverhelpers import unique

from logstore.errors import AwsError


class Refused(Exception):
    """What a refused request answered: AWS error code, message, HTTP status."""

    def __init__(self, code: str, message: str, status: int):
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status = code, message, status


class Dual:
    """One DynamoDB/Streams client over either transport: ``db.put_item(TableName=..., Item=...)``; a refusal is
    a ``Refused``; anything else escaping the embedded store, or an HTTP 5xx, fails the test."""

    def __init__(self, mode: str, target):
        self.mode = mode
        self.target = target          # a Store, or (dynamodb client, dynamodbstreams client)

    def __getattr__(self, op: str):
        def call(**request):
            if self.mode == "embedded":
                try:
                    return getattr(self.target, op)(**request)
                except AwsError as e:
                    assert e.http_status < 500, f"{op} answered {type(e).__name__}: {e.message}"
                    raise Refused(type(e).code(), e.message, e.http_status) from None
            ddb, streams = self.target
            client = streams if op in ("list_streams", "describe_stream", "get_shard_iterator",
                                       "get_records") else ddb
            try:
                out = getattr(client, op)(**request)
            except ClientError as e:
                status = e.response["ResponseMetadata"]["HTTPStatusCode"]
                assert status < 500, f"{op} answered HTTP {status}: {e.response['Error']}"
                raise Refused(e.response["Error"]["Code"], e.response["Error"].get("Message", ""), status) from None
            except (AttributeError, KeyError, TypeError, ValueError):
                # botocore could not serialize a malformed request (its validation is off): send the JSON as is
                return self._raw(client, op, request)
            out.pop("ResponseMetadata", None)
            return out
        return call

    @staticmethod
    def _raw(client, op: str, request: dict) -> dict:
        """``request`` posted as JSON (bytes as base64) to the client's endpoint, unsigned."""
        prefix = "DynamoDBStreams_20120810" if client.meta.service_model.service_name == "dynamodbstreams" \
            else "DynamoDB_20120810"
        target = prefix + "." + client.meta.method_to_api_mapping[op]
        body = json.dumps(request, default=lambda b: base64.b64encode(b).decode() if isinstance(b, bytes) else str(b))
        r = requests.post(client.meta.endpoint_url + "/", data=body, timeout=60,
                          headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.0"})
        assert r.status_code < 500, f"{op} answered HTTP {r.status_code}: {r.text[:500]}"
        out = r.json() if r.content else {}
        if r.status_code >= 400:
            raise Refused(out.get("__type", "").rpartition("#")[2], out.get("message", out.get("Message", "")),
                          r.status_code)
        return out

    def refused(self, op: str, **request) -> Refused:
        """The refusal of ``op(**request)`` (fails the test if it succeeds)."""
        try:
            out = getattr(self, op)(**request)
        except Refused as r:
            return r
        raise AssertionError(f"{op} succeeded but AWS refuses it: {out}")


def make_table(db, *, keys=(("pk", "S"),), more=(), stream: str | None = "NEW_AND_OLD_IMAGES", **extra) -> str:
    """A fresh table with a unique name (keys: (name, type) pairs, HASH first; ``more``: further attribute
    definitions, for indexes); returns its name."""
    name = unique("conf")
    request = dict(TableName=name, BillingMode="PAY_PER_REQUEST",
                   KeySchema=[{"AttributeName": k, "KeyType": "HASH" if i == 0 else "RANGE"}
                              for i, (k, _) in enumerate(keys)],
                   AttributeDefinitions=[{"AttributeName": k, "AttributeType": t} for k, t in tuple(keys) + tuple(more)])
    if stream:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream}
    request.update(extra)
    db.create_table(**request)
    return name


def state(db, table: str) -> tuple:
    """(items sorted, stream records) of ``table``: equal before and after a request that changed nothing."""
    items, start = [], None
    while True:
        page = db.scan(TableName=table, ConsistentRead=True, **({"ExclusiveStartKey": start} if start else {}))
        items += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    records = []
    arn = db.describe_table(TableName=table)["Table"].get("LatestStreamArn")
    if arn:
        for shard in db.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            it = db.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                       ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            for _ in range(100):
                page = db.get_records(ShardIterator=it, Limit=1000)
                records += [r["dynamodb"]["SequenceNumber"] for r in page["Records"]]
                it = page.get("NextShardIterator")
                if not page["Records"] or not it:
                    break
    return sorted(items, key=repr), records
