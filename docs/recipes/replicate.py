"""Recipe: replicate a table into another store — exactly once, embedded or from a server.

``Replicator(table)`` applies each record to the same-named table of the target store: INSERT and MODIFY put
the NewImage, REMOVE deletes the Keys. Give the target store as the processor's ``checkpoint_store``: the
processor's checkpoints then live in the replica, and ``context.batch`` writes there in the transaction that
advances them, so the replica is always exactly the source as of some point of each shard's history — after a
crash too. The source's stream needs NEW_IMAGE or NEW_AND_OLD_IMAGES.

* embedded: ``Processor.embedded(source_store, "users", Replicator("users"), checkpoint_store=replica_store)``;
* from a server (or AWS): ``Processor.remote(boto3.client("dynamodbstreams", endpoint_url=...), "users",
  Replicator("users"), replica_store)``, or ``logstore process --endpoint-url URL --checkpoints REPLICA_DIR
  --table users --handler replicate:users`` (the module-level ``users`` below).

The replica's table is created by ``ensure_table`` with the source's key schema. Run it:
``python docs/recipes/replicate.py [DIR]``.
"""
from __future__ import annotations

import os
import sys
import tempfile


class Replicator:
    def __init__(self, table: str):
        self.table = table

    def __call__(self, event, context):
        for record in event["Records"]:
            ddb = record["dynamodb"]
            if record["eventName"] == "REMOVE":
                context.batch.delete_item(TableName=self.table, Key=ddb["Keys"])
            else:
                context.batch.put_item(TableName=self.table, Item=_bytes(ddb["NewImage"]))


def _bytes(value):
    """Lambda events carry B values as base64 text; the store takes bytes."""
    import base64
    if isinstance(value, dict):
        return {k: (base64.b64decode(v) if k == "B" else [base64.b64decode(x) for x in v] if k == "BS"
                    else _bytes(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_bytes(v) for v in value]
    return value


users = Replicator("users")


def ensure_table(source_description: dict, replica) -> None:
    """Create the replica's table like the source's (keys only; no stream), unless it exists."""
    desc = source_description["Table"]
    if desc["TableName"] in replica.list_tables()["TableNames"]:
        return
    replica.create_table(TableName=desc["TableName"], BillingMode="PAY_PER_REQUEST", KeySchema=desc["KeySchema"],
                         AttributeDefinitions=desc["AttributeDefinitions"])


def main(path: str) -> tuple[list, list]:
    import logstore
    os.makedirs(path, exist_ok=True)
    from logstore.processors import Processor
    with logstore.open(os.path.join(path, "source")) as source, \
            logstore.open(os.path.join(path, "replica")) as replica:
        source.create_table(TableName="users", BillingMode="PAY_PER_REQUEST",
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
        ensure_table(source.describe_table(TableName="users"), replica)
        with Processor.embedded(source, "users", users, checkpoint_store=replica) as proc:
            for i in range(100):
                source.put_item(TableName="users", Item={"pk": {"S": f"u{i}"}, "avatar": {"B": bytes([i])}})
            for i in range(0, 100, 3):
                source.delete_item(TableName="users", Key={"pk": {"S": f"u{i}"}})
            proc.wait_idle()
        want = sorted(source.scan(TableName="users")["Items"], key=lambda i: i["pk"]["S"])
        got = sorted(replica.scan(TableName="users")["Items"], key=lambda i: i["pk"]["S"])
    print(len(got), "items replicated; equal:", got == want)
    return want, got


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="replicate-"))
