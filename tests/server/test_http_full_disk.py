"""A full disk over HTTP (issue 18): a PutItem that cannot be committed is AWS's InternalServerError (500) saying
the disk is full, not a bare 500; nothing of it is stored, reads go on, and writes succeed again once space is
freed. The store is on a small tmpfs the test mounts (skipped where mounting is not allowed)."""
from __future__ import annotations

import json
import os

from diskhelpers import fill, tmpfs
from serverhelpers import ServerProcess


def test_server_answers_a_full_disk_with_an_aws_500_saying_so(tmp_path):
    with tmpfs("8m") as where:
        server = ServerProcess(os.path.join(where, "store"), tmp_path / "log").start()
        try:
            ddb = server.client("dynamodb")
            ddb.create_table(TableName="full", BillingMode="PAY_PER_REQUEST",
                             KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
            ddb.put_item(TableName="full", Item={"pk": {"S": "before"}})
            filler = fill(where)
            body = json.dumps({"TableName": "full", "Item": {"pk": {"S": "x"}, "v": {"S": "y" * 300_000}}})
            r = server.post("DynamoDB_20120810.PutItem", body)
            assert r.status_code == 500, r.text
            assert r.json()["__type"].endswith("#InternalServerError") and "disk is full" in r.json()["message"]
            assert "Item" in ddb.get_item(TableName="full", Key={"pk": {"S": "before"}})
            assert "Item" not in ddb.get_item(TableName="full", Key={"pk": {"S": "x"}})
            os.remove(filler)
            assert server.post("DynamoDB_20120810.PutItem", body).status_code == 200
            assert "Item" in ddb.get_item(TableName="full", Key={"pk": {"S": "x"}})
        finally:
            server.stop()
        assert "Traceback" not in server.log(), server.log()[-3000:]
