"""Many clients at once, and a graceful stop: concurrent writes from many connections all land, each once, with its
stream record, sharing commits (LMDB's transaction counter grows by fewer than the writes); SIGTERM while clients
are writing lets the in-flight requests finish, closes the store, and every write that was answered with success is
there (item and record) after a restart."""
from __future__ import annotations

import threading

import lmdb

from botocore.exceptions import BotoCoreError, ClientError
from serverhelpers import ServerProcess, read_shard


def last_txnid(path) -> int:
    """The LMDB environment's last committed transaction id, read from another process (this one)."""
    env = lmdb.open(str(path), readonly=True, lock=True, max_dbs=64, subdir=True)
    try:
        return env.info()["last_txnid"]
    finally:
        env.close()


def make_table(ddb, name):
    return ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                            StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
                            )["TableDescription"]["LatestStreamArn"]


def all_records(streams, arn):
    out = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        out += read_shard(streams, arn, shard["ShardId"])
    return out


def test_concurrent_clients_then_graceful_stop(tmp_path):
    server = ServerProcess(tmp_path / "store", tmp_path / "log").start()
    try:
        arn = make_table(server.client("dynamodb"), "busy")
        errors = []

        def writer(w):
            ddb = server.client("dynamodb")
            try:
                for i in range(40):
                    ddb.put_item(TableName="busy", Item={"pk": {"S": f"w{w}-{i}"}})
            except Exception as exc:  # collected and asserted below
                errors.append(exc)
        before = last_txnid(tmp_path / "store")
        threads = [threading.Thread(target=writer, args=(w,)) for w in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors[:3]
        commits = last_txnid(tmp_path / "store") - before
        print(f"480 concurrent writes in {commits} commits")
        assert commits < 480 * 0.9, commits               # group commit: writes of concurrent requests share
        keys = sorted(r["dynamodb"]["Keys"]["pk"]["S"] for r in all_records(server.client("dynamodbstreams"), arn))
        assert keys == sorted(f"w{w}-{i}" for w in range(12) for i in range(40))

        # Now stop the server while 8 clients write as fast as they can.
        arn2 = make_table(server.client("dynamodb"), "stopping")
        acknowledged: list[str] = []
        lock = threading.Lock()
        started = threading.Barrier(9)

        def until_refused(w):
            ddb = server.client("dynamodb")
            started.wait()
            for i in range(100000):
                key = f"s{w}-{i}"
                try:
                    ddb.put_item(TableName="stopping", Item={"pk": {"S": key}})
                except (BotoCoreError, ClientError):
                    return
                with lock:
                    acknowledged.append(key)
        threads = [threading.Thread(target=until_refused, args=(w,)) for w in range(8)]
        for t in threads:
            t.start()
        started.wait()
        while len(acknowledged) < 200 and any(t.is_alive() for t in threads):
            threading.Event().wait(0.01)
        assert len(acknowledged) >= 200, "the writers stopped before the server was stopped"
        server.stop()
        for t in threads:
            t.join(30)
        log = server.log()
        assert "Application shutdown complete" in log and "Traceback" not in log, log

        server.start()
        ddb, streams = server.client("dynamodb"), server.client("dynamodbstreams")
        recorded = {r["dynamodb"]["Keys"]["pk"]["S"] for r in all_records(streams, arn2)}
        assert set(acknowledged) <= recorded
        for key in acknowledged[::25]:
            assert "Item" in ddb.get_item(TableName="stopping", Key={"pk": {"S": key}})
    finally:
        server.stop()
