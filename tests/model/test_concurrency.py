"""The store used from many threads and several processes at once: every committed change has exactly one record,
records of a key form an unbroken chain (each OldImage is the previous NewImage), sequence numbers are unique,
and under group commit one caller's failure is its own."""
from __future__ import annotations

import random
import subprocess
import sys
import threading

import logstore
from logstore.tables.writes import Mutation

KEYS = [f"k{i}" for i in range(12)]


def create(store):
    store.create_table(TableName="tbl", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                       BillingMode="PAY_PER_REQUEST",
                       StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})


def drain(store):
    """Every record of the table's stream, reading shards in lineage order."""
    arn = store.list_streams(TableName="tbl")["Streams"][0]["StreamArn"]
    records = []
    for shard in store.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        it = store.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                      ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while it:
            page = store.get_records(ShardIterator=it)
            records += page["Records"]
            if not page["Records"]:
                break
            it = page.get("NextShardIterator")
    return records


def check_chains(store, expected_changes: int):
    records = drain(store)
    seqs = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert len(seqs) == len(set(seqs)) == expected_changes
    last: dict[str, dict | None] = {}
    for r in records:
        key = r["dynamodb"]["Keys"]["pk"]["S"]
        assert r["dynamodb"].get("OldImage") == last.get(key), f"broken chain for {key}"
        last[key] = r["dynamodb"].get("NewImage")
    for key, image in last.items():
        assert store.get_item(TableName="tbl", Key={"pk": {"S": key}}).get("Item") == image


def test_threads_share_commits_and_keep_every_chain(tmp_path, seed):
    rng = random.Random(seed)
    plans = [[(rng.choice(KEYS), n) for n in range(150)] for _ in range(8)]
    with logstore.open(tmp_path / "s") as store:
        create(store)
        errors = []

        def run(plan, t):
            try:
                for key, n in plan:
                    store.put_item(TableName="tbl", Item={"pk": {"S": key}, "w": {"S": f"{t}-{n}"}})
            except Exception as e:  # pragma: no cover - reported below
                errors.append(e)

        threads = [threading.Thread(target=run, args=(p, t)) for t, p in enumerate(plans)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        check_chains(store, 8 * 150)   # every put changes its item ("w" is unique per write)


def test_a_failing_write_in_a_group_is_rolled_back_alone(tmp_path):
    with logstore.open(tmp_path / "s") as store:
        create(store)
        barrier = threading.Barrier(6)

        def boom(old):
            raise RuntimeError("refused")

        results = {}

        def run(i):
            barrier.wait()
            fn = boom if i % 2 else (lambda old, i=i: {"pk": {"S": f"ok{i}"}, "v": {"N": str(i)}})
            try:
                for n in range(30):
                    store.tables.writer.write([Mutation("tbl", {"pk": {"S": f"ok{i}"}}, fn)])
                results[i] = "ok"
            except RuntimeError:
                results[i] = "refused"

        threads = [threading.Thread(target=run, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results == {i: "refused" if i % 2 else "ok" for i in range(6)}
        keys = sorted(r["dynamodb"]["Keys"]["pk"]["S"] for r in drain(store))
        assert keys == ["ok0", "ok2", "ok4"]    # one INSERT each; the refused writes left nothing


WRITER = """
import sys, logstore
store = logstore.open(sys.argv[1])
for n in range(int(sys.argv[3])):
    store.put_item(TableName="tbl", Item={"pk": {"S": "k%d" % (n % 12)}, "w": {"S": sys.argv[2] + str(n)}})
store.close()
"""


def test_several_processes_write_one_store(tmp_path):
    path = tmp_path / "s"
    with logstore.open(path) as store:
        create(store)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), f"p{i}-", "200"]) for i in range(3)]
    try:
        assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    finally:
        for p in procs:
            p.kill()
    with logstore.open(path) as store:
        check_chains(store, 3 * 200)
