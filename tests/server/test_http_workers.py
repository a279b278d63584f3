"""``serve --workers 2``: two processes over one store behind one port. Tables made through one are used through
the other, a table replaced under the same name is validated against its new schema by both (their schema caches
notice), concurrent writers' records all arrive exactly once, and SIGTERM stops both cleanly."""
from __future__ import annotations

import threading

from serverhelpers import ServerProcess, read_shard


def test_two_workers_share_one_store(tmp_path):
    server = ServerProcess(tmp_path / "store", tmp_path / "log", "--workers", "2").start()
    try:
        clients = [server.client("dynamodb") for _ in range(6)]     # separate connections: both workers serve
        ddb, streams = clients[0], server.client("dynamodbstreams")

        def create(key_type):
            return ddb.create_table(TableName="shared", BillingMode="PAY_PER_REQUEST",
                                    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                                    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": key_type}],
                                    StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
                                    )["TableDescription"]["LatestStreamArn"]
        create("S")
        for i, c in enumerate(clients):
            c.put_item(TableName="shared", Item={"pk": {"S": f"s{i}"}})
        ddb.delete_table(TableName="shared")
        arn = create("N")                                           # same name, another key type
        errors = []

        def writer(w):
            try:
                for i in range(30):
                    clients[w].put_item(TableName="shared", Item={"pk": {"N": str(w * 1000 + i)}})
            except Exception as exc:  # asserted below
                errors.append(exc)
        threads = [threading.Thread(target=writer, args=(w,)) for w in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors[:3]
        shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        keys = sorted(int(r["dynamodb"]["Keys"]["pk"]["N"]) for s in shards
                      for r in read_shard(streams, arn, s["ShardId"]))
        assert keys == sorted(w * 1000 + i for w in range(6) for i in range(30))
        for c in clients:
            assert c.describe_table(TableName="shared")["Table"]["ItemCount"] == 180
    finally:
        server.stop()
    log = server.log()
    assert log.count("Application shutdown complete") == 2 and "Traceback" not in log, log
