"""The AWS CLI (``aws dynamodb`` / ``aws dynamodbstreams`` with ``--endpoint-url``) against the server: every
Streams operation, a table with a stream, records with binary values, and an error's exit status and text."""
from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys

import pytest
from serverhelpers import env_for_children, unique


def aws_cmd() -> str:
    here = os.path.join(os.path.dirname(sys.executable), "aws")
    found = here if os.path.exists(here) else shutil.which("aws")
    if found is None:
        pytest.fail("the AWS CLI (awscli, in the test extra) is not installed")
    return found


def aws(server, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = env_for_children()
    env.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_PAGER="")
    out = subprocess.run([aws_cmd(), *args, "--endpoint-url", server.url, "--region", "us-east-1", "--output",
                          "json"], env=env, capture_output=True, text=True, timeout=120)
    if check:
        assert out.returncode == 0, out.stderr
    return out


def test_cli_streams_end_to_end(server):
    name = unique("cli")
    created = json.loads(aws(server, "dynamodb", "create-table", "--table-name", name,
                             "--attribute-definitions", "AttributeName=pk,AttributeType=S",
                             "--key-schema", "AttributeName=pk,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST",
                             "--stream-specification", "StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES").stdout)
    arn = created["TableDescription"]["LatestStreamArn"]
    aws(server, "dynamodb", "wait", "table-exists", "--table-name", name)
    aws(server, "dynamodb", "put-item", "--table-name", name, "--item",
        json.dumps({"pk": {"S": "a"}, "b": {"B": "AAEC"}}))
    aws(server, "dynamodb", "delete-item", "--table-name", name, "--key", json.dumps({"pk": {"S": "a"}}))
    listed = json.loads(aws(server, "dynamodbstreams", "list-streams", "--table-name", name).stdout)
    assert [s["StreamArn"] for s in listed["Streams"]] == [arn]
    desc = json.loads(aws(server, "dynamodbstreams", "describe-stream", "--stream-arn", arn).stdout)
    shard = desc["StreamDescription"]["Shards"][0]["ShardId"]
    it = json.loads(aws(server, "dynamodbstreams", "get-shard-iterator", "--stream-arn", arn, "--shard-id", shard,
                        "--shard-iterator-type", "TRIM_HORIZON").stdout)["ShardIterator"]
    records = json.loads(aws(server, "dynamodbstreams", "get-records", "--shard-iterator", it).stdout)
    assert [r["eventName"] for r in records["Records"]] == ["INSERT", "REMOVE"]
    # AWS CLI v1 takes a blob argument as raw bytes (cli_binary_format "legacy") and shows blobs base64-encoded
    assert base64.b64decode(records["Records"][0]["dynamodb"]["NewImage"]["b"]["B"]) == b"AAEC"
    assert "NextShardIterator" in records


def test_cli_reports_errors(server):
    out = aws(server, "dynamodbstreams", "get-records", "--shard-iterator", "not-an-iterator", "--limit", "1001",
              check=False)
    assert out.returncode != 0
    assert "ValidationException" in out.stderr
    out = aws(server, "dynamodbstreams", "describe-stream", "--stream-arn",
              "arn:aws:dynamodb:us-east-1:000000000000:table/none/stream/2020-01-01T00:00:00.000", check=False)
    assert out.returncode != 0 and "ResourceNotFoundException" in out.stderr
