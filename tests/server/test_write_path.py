"""The server's single-item writes (PutItem, DeleteItem, UpdateItem) go from the event loop to the store's committer
thread (Store.submit), or are committed on the loop when alone, never through the thread pool; concurrent ones share
commits, one request's failure (a failed condition, a validation error) stays its own within a group; and a server
killed with SIGKILL while clients write has kept every write it acknowledged."""
from __future__ import annotations

import asyncio
import json
import random
import re
import signal
import threading

import pytest
from botocore.exceptions import BotoCoreError, ClientError
from serverhelpers import ServerProcess, read_shard

from logstore.server.app import SUBMIT_TARGETS, Server, Settings

TABLE = {"TableName": "tbl", "BillingMode": "PAY_PER_REQUEST",
         "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
         "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
         "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}}


async def _request(server: Server, target: str, body: dict) -> tuple[int, dict]:
    data = json.dumps(body).encode()
    scope = {"type": "http", "method": "POST", "path": "/", "query_string": b"",
             "headers": [(b"x-amz-target", target.encode()), (b"content-length", str(len(data)).encode())]}
    sent: list[dict] = []
    messages = [{"type": "http.request", "body": data, "more_body": False}]

    async def receive():
        return messages.pop(0)

    async def send(message):
        sent.append(message)
    await server(scope, receive, send)
    return sent[0]["status"], json.loads(sent[1]["body"] or b"{}")


def test_single_item_writes_never_use_the_pool(tmp_path):
    """In process, through the ASGI application: after CreateTable (the pool's), puts, updates, deletes and a
    failed condition are answered without the pool starting another thread, and GetItem on the loop too."""
    assert SUBMIT_TARGETS == {f"DynamoDB_20120810.{op}" for op in ("PutItem", "DeleteItem", "UpdateItem")}
    server = Server(Settings(path=str(tmp_path / "store"), maintenance_interval=None, threads=4, tune_gc=False,
                             console=False))
    server.startup()
    try:
        async def run():
            status, _ = await _request(server, "DynamoDB_20120810.CreateTable", TABLE)
            assert status == 200
            pool_threads = len(server.pool._threads)
            assert pool_threads == 1
            ops = [("PutItem", {"TableName": "tbl", "Item": {"pk": {"S": "a"}, "n": {"N": "1"}}}, 200),
                   ("PutItem", {"TableName": "tbl", "Item": {"pk": {"S": "a"}}, "ConditionExpression":
                                "attribute_not_exists(pk)"}, 400),
                   ("UpdateItem", {"TableName": "tbl", "Key": {"pk": {"S": "a"}}, "UpdateExpression": "ADD n :one",
                                   "ExpressionAttributeValues": {":one": {"N": "1"}}, "ReturnValues": "ALL_NEW"},
                    200),
                   ("GetItem", {"TableName": "tbl", "Key": {"pk": {"S": "a"}}}, 200),
                   ("PutItem", {"TableName": "nope", "Item": {"pk": {"S": "a"}}}, 400),
                   ("DeleteItem", {"TableName": "tbl", "Key": {"pk": {"S": "a"}}, "ReturnValues": "ALL_OLD"}, 200)]
            answers = []
            for op, body, status in ops:
                got, out = await _request(server, f"DynamoDB_20120810.{op}", body)
                assert got == status, (op, out)
                answers.append(out)
            assert answers[1]["__type"].endswith("#ConditionalCheckFailedException")
            assert answers[2] == {"Attributes": {"pk": {"S": "a"}, "n": {"N": "2"}}}
            assert answers[3] == {"Item": {"pk": {"S": "a"}, "n": {"N": "2"}}}
            assert answers[4]["__type"].endswith("#ResourceNotFoundException")
            assert answers[5] == {"Attributes": {"pk": {"S": "a"}, "n": {"N": "2"}}}
            assert len(server.pool._threads) == pool_threads
        asyncio.run(run())
    finally:
        server.shutdown()


def test_concurrent_writes_fail_alone_within_their_groups(tmp_path):
    """16 clients race conditional puts (attribute_not_exists) over the same 40 keys, mixed with invalid items
    and unconditional puts: each key is won exactly once, every loser gets ConditionalCheckFailedException, every
    invalid item a ValidationException, every other put succeeds; the stream holds exactly the successes."""
    seed = random.randrange(1 << 30)
    print(f"seed {seed}")
    server = ServerProcess(tmp_path / "store", tmp_path / "log").start()
    try:
        ddb = server.client("dynamodb")
        arn = ddb.create_table(**TABLE)["TableDescription"]["LatestStreamArn"]
        results: dict[str, list] = {"won": [], "lost": [], "invalid": [], "plain": [], "other": []}
        lock = threading.Lock()

        def client(w):
            rng = random.Random(seed + w)
            c = server.client("dynamodb")
            for i in range(30):
                roll = rng.random()
                kind, key = "other", None
                try:
                    if roll < 0.15:
                        c.put_item(TableName="tbl", Item={"pk": {"S": ""}})       # an empty key: refused
                    elif roll < 0.4:
                        key = f"plain-{w}-{i}"
                        c.put_item(TableName="tbl", Item={"pk": {"S": key}})
                        kind = "plain"
                    else:
                        key = f"race-{rng.randrange(40)}"
                        c.put_item(TableName="tbl", Item={"pk": {"S": key}, "w": {"N": str(w)}},
                                   ConditionExpression="attribute_not_exists(pk)")
                        kind = "won"
                except ClientError as e:
                    code = e.response["Error"]["Code"]
                    kind = {"ConditionalCheckFailedException": "lost", "ValidationException": "invalid"}.get(
                        code, "other")
                with lock:
                    results[kind].append(key)
        threads = [threading.Thread(target=client, args=(w,)) for w in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not results["other"], results["other"][:3]
        assert results["invalid"] and results["lost"] and results["plain"]
        assert len(results["won"]) == len(set(results["won"]))      # each key won once
        assert set(results["lost"]) <= set(results["won"])
        streams = server.client("dynamodbstreams")
        shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        records = [r for s in shards for r in read_shard(streams, arn, s["ShardId"])]
        assert sorted(r["dynamodb"]["Keys"]["pk"]["S"] for r in records) == sorted(results["won"] +
                                                                                 results["plain"])
        assert all(r["eventName"] == "INSERT" for r in records)
    finally:
        server.stop()


def test_every_acknowledged_write_survives_sigkill(tmp_path):
    """8 clients put, update and delete as fast as they can; the server is killed (SIGKILL) mid-stream. After a
    restart every acknowledged write is there: the put's item (or the update's value) and its stream record; an
    acknowledged delete's item is gone."""
    server = ServerProcess(tmp_path / "store", tmp_path / "log").start()
    try:
        ddb = server.client("dynamodb")
        arn = ddb.create_table(**TABLE)["TableDescription"]["LatestStreamArn"]
        acked: list[tuple[str, str]] = []
        lock = threading.Lock()
        started = threading.Barrier(9)

        def writer(w):
            c = server.client("dynamodb")
            started.wait()
            for i in range(100000):
                key = f"k{w}-{i}"
                try:
                    c.put_item(TableName="tbl", Item={"pk": {"S": key}, "n": {"N": "0"}})
                    with lock:
                        acked.append(("put", key))
                    if i % 3 == 1:
                        c.update_item(TableName="tbl", Key={"pk": {"S": key}}, UpdateExpression="SET n = :n",
                                      ExpressionAttributeValues={":n": {"N": "7"}})
                        with lock:
                            acked.append(("update", key))
                    if i % 3 == 2:
                        c.delete_item(TableName="tbl", Key={"pk": {"S": key}})
                        with lock:
                            acked.append(("delete", key))
                except (BotoCoreError, ClientError):
                    return
        threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
        for t in threads:
            t.start()
        started.wait()
        while len(acked) < 400 and any(t.is_alive() for t in threads):
            threading.Event().wait(0.01)
        server.stop(signal.SIGKILL)
        for t in threads:
            t.join(30)
        assert len(acked) >= 400, "the writers stopped before the server was killed"
        server.start()
        ddb, streams = server.client("dynamodb"), server.client("dynamodbstreams")
        shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        events = {}
        for s in shards:
            for r in read_shard(streams, arn, s["ShardId"]):
                events.setdefault(r["dynamodb"]["Keys"]["pk"]["S"], []).append(r["eventName"])
        final: dict[str, str] = {}
        for kind, key in acked:
            final[key] = kind
            expected = {"put": "INSERT", "update": "MODIFY", "delete": "REMOVE"}[kind]
            assert expected in events.get(key, []), (kind, key)
        for key, kind in final.items():
            item = ddb.get_item(TableName="tbl", Key={"pk": {"S": key}}).get("Item")
            if kind == "delete":
                assert item is None, key
            elif kind == "update":
                assert item == {"pk": {"S": key}, "n": {"N": "7"}}, key
            else:   # a later update or delete may have landed unacknowledged: the put at least did
                assert key in events
    finally:
        server.stop()


def test_each_worker_says_at_shutdown_how_long_its_write_transactions_were_open(tmp_path):
    """SIGTERM: the worker logs its committed write transactions (at least the table's creation and the five
    puts) and how long they were open on average (LMDB's one write lock held), at least their commit's time."""
    proc = ServerProcess(tmp_path / "store", tmp_path / "log").start()
    try:
        ddb = proc.client("dynamodb")
        ddb.create_table(**TABLE)
        for n in range(5):
            ddb.put_item(TableName="tbl", Item={"pk": {"S": f"k{n}"}})
    finally:
        assert proc.stop() in (0, -signal.SIGTERM), proc.log()   # uvicorn re-raises the signal once drained
    found = re.findall(r"worker (\d+): (\d+) write transactions, open ([\d.]+) ms each on average, of it ([\d.]+) "
                       r"ms committing", proc.log())
    assert len(found) == 1, proc.log()
    _pid, transactions, held_ms, commit_ms = found[0]
    assert int(transactions) >= 6 and float(held_ms) >= float(commit_ms) > 0


def _where_writes_were_committed(log: str) -> list[tuple[int, int]]:
    return [(int(lone), int(handed)) for lone, handed in re.findall(
        r"worker \d+: (\d+) single-item writes committed on the event loop \(nothing else in flight\), (\d+) by "
        r"the committer thread", log)]


def test_a_lone_write_is_committed_on_the_event_loop_and_concurrent_ones_by_the_committer(tmp_path):
    """One client writing alone: each write is committed on the event loop (a group would carry it alone), also
    after another connection went away halfway through a request (its request no longer counts as in flight).
    Then eight clients at once: their writes meet in the committer's group commits. Every write is in the table
    and on the stream either way, and the worker says at shutdown where its writes were committed."""
    import socket
    import time
    server = ServerProcess(tmp_path / "store", tmp_path / "log").start()
    try:
        ddb = server.client("dynamodb")
        arn = ddb.create_table(**TABLE)["TableDescription"]["LatestStreamArn"]
        for n in range(10):
            ddb.put_item(TableName="tbl", Item={"pk": {"S": f"alone-{n}"}})
        with socket.create_connection(("127.0.0.1", server.port)) as s:   # a head, 10 of 100 body bytes, gone
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.PutItem\r\n"
                      b"Content-Length: 100\r\n\r\n" + b"{" * 10)
            time.sleep(0.2)
        time.sleep(0.2)
        for n in range(10, 20):
            ddb.update_item(TableName="tbl", Key={"pk": {"S": f"alone-{n}"}}, UpdateExpression="SET v = :v",
                            ExpressionAttributeValues={":v": {"N": str(n)}})
        ddb.delete_item(TableName="tbl", Key={"pk": {"S": "alone-0"}})
    finally:
        assert server.stop() in (0, -signal.SIGTERM), server.log()
    assert _where_writes_were_committed(server.log()) == [(21, 0)], server.log()

    server = ServerProcess(tmp_path / "store", tmp_path / "log2").start()
    try:
        def client(w):
            c = server.client("dynamodb")
            for i in range(25):
                c.put_item(TableName="tbl", Item={"pk": {"S": f"many-{w}-{i}"}})
        threads = [threading.Thread(target=client, args=(w,)) for w in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        keys = {item["pk"]["S"] for item in server.client("dynamodb").scan(TableName="tbl")["Items"]}
        assert keys == {f"alone-{n}" for n in range(1, 20)} | {f"many-{w}-{i}" for w in range(8) for i in range(25)}
        streams = server.client("dynamodbstreams")
        shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        records = [r for s in shards for r in read_shard(streams, arn, s["ShardId"])]
        assert len(records) == 21 + 200
    finally:
        assert server.stop() in (0, -signal.SIGTERM), server.log()
    [(lone, handed)] = _where_writes_were_committed(server.log())
    assert lone + handed == 200 and handed > 0, server.log()


def _batches_on_the_loop(log: str) -> list[int]:
    return [int(n) for n in re.findall(
        r"worker \d+: (\d+) batch and transaction writes run on the event loop \(nothing else in flight\)", log)]


def test_a_lone_batch_or_transaction_runs_on_the_event_loop_and_concurrent_ones_on_the_pool(tmp_path):
    """BatchWriteItem and TransactWriteItems from one client alone run on the event loop (no pool hand-offs),
    a cancelled transaction there writing nothing; from eight clients at once, on the pool. Every write is in the
    table and on the stream either way, and the worker counts at shutdown those run on the loop."""
    server = ServerProcess(tmp_path / "store", tmp_path / "log").start()
    try:
        ddb = server.client("dynamodb")
        arn = ddb.create_table(**TABLE)["TableDescription"]["LatestStreamArn"]
        for b in range(4):
            out = ddb.batch_write_item(RequestItems={"tbl": [{"PutRequest": {"Item": {"pk": {"S": f"b-{b}-{i}"}}}}
                                                             for i in range(25)]})
            assert out["UnprocessedItems"] == {}
        ddb.transact_write_items(TransactItems=[{"Put": {"TableName": "tbl", "Item": {"pk": {"S": f"t-{i}"}}}}
                                                for i in range(10)])
        with pytest.raises(ddb.exceptions.TransactionCanceledException):
            ddb.transact_write_items(TransactItems=[
                {"Put": {"TableName": "tbl", "Item": {"pk": {"S": "never"}}}},
                {"Put": {"TableName": "tbl", "Item": {"pk": {"S": "t-0"}},
                         "ConditionExpression": "attribute_not_exists(pk)"}}])
    finally:
        assert server.stop() in (0, -signal.SIGTERM), server.log()
    assert _batches_on_the_loop(server.log()) == [6], server.log()

    server = ServerProcess(tmp_path / "store", tmp_path / "log2").start()
    try:
        def client(w):
            c = server.client("dynamodb")
            for b in range(6):
                c.batch_write_item(RequestItems={"tbl": [{"PutRequest": {"Item": {"pk": {"S": f"m-{w}-{b}-{i}"}}}}
                                                         for i in range(25)]})
        threads = [threading.Thread(target=client, args=(w,)) for w in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        keys = {item["pk"]["S"] for page in server.client("dynamodb").get_paginator("scan").paginate(TableName="tbl")
                for item in page["Items"]}
        assert keys == ({f"b-{b}-{i}" for b in range(4) for i in range(25)} | {f"t-{i}" for i in range(10)}
                        | {f"m-{w}-{b}-{i}" for w in range(8) for b in range(6) for i in range(25)})
        streams = server.client("dynamodbstreams")
        shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        assert len([r for s in shards for r in read_shard(streams, arn, s["ShardId"])]) == 110 + 1200
    finally:
        assert server.stop() in (0, -signal.SIGTERM), server.log()
    [on_loop] = _batches_on_the_loop(server.log())
    assert on_loop < 48, server.log()
