"""ClientRequestToken exactly once over HTTP (issue 18): with ``serve --workers 2`` the same TransactWriteItems,
retried from 20 connections at once (so both workers take some), is applied once; after a restart of the server a
retry is still a no-op, and the token with another request is IdempotentParameterMismatchException."""
from __future__ import annotations

import threading

import pytest
from botocore.exceptions import ClientError
from serverhelpers import ServerProcess, read_shard


def _request(n: int = 1) -> dict:
    return dict(ClientRequestToken="retry-me", TransactItems=[{"Update": {
        "TableName": "tokens", "Key": {"pk": {"S": "counter"}}, "UpdateExpression": "ADD n :one",
        "ExpressionAttributeValues": {":one": {"N": str(n)}}}}])


def test_retries_on_both_workers_and_after_a_restart_apply_once(tmp_path):
    server = ServerProcess(tmp_path / "store", tmp_path / "log", "--workers", "2").start()
    try:
        ddb = server.client("dynamodb")
        arn = ddb.create_table(TableName="tokens", BillingMode="PAY_PER_REQUEST",
                               KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                               AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                               StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
                               )["TableDescription"]["LatestStreamArn"]
        clients = [server.client("dynamodb") for _ in range(20)]
        barrier, errors = threading.Barrier(20), []

        def retry(client):
            try:
                barrier.wait(30)
                for _ in range(3):
                    client.transact_write_items(**_request())
            except Exception as exc:  # asserted below
                errors.append(exc)
        threads = [threading.Thread(target=retry, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors, errors[:3]
        assert ddb.get_item(TableName="tokens", Key={"pk": {"S": "counter"}})["Item"]["n"] == {"N": "1"}
        server.stop()
        server.start()
        ddb, streams = server.client("dynamodb"), server.client("dynamodbstreams")
        ddb.transact_write_items(**_request())
        with pytest.raises(ClientError) as info:
            ddb.transact_write_items(**_request(2))
        assert info.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"
        assert ddb.get_item(TableName="tokens", Key={"pk": {"S": "counter"}})["Item"]["n"] == {"N": "1"}
        shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        assert sum(len(read_shard(streams, arn, s["ShardId"])) for s in shards) == 1
    finally:
        server.stop()
    assert "Traceback" not in server.log(), server.log()
