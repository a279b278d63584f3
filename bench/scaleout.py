"""Scale-out benchmark: records/s through no-op handlers with 1, 2 and 4 processor instances (separate processes)
sharing one stream over HTTP through a lease table (logstore/processors/leases.py), against a real ``logstore
serve``.

* scaleout_1, scaleout_2, scaleout_4 -- N records in 4 shards (the stream's first shard split twice before the
  writes); the instances' leases are handed out beforehand (the lease table is written with one owner per shard,
  round robin, as after a restart with the same worker ids), so the figure is the steady state, not KCL-style
  balancing (one steal per round). Timed from the moment every instance is told to start until every shard's
  lease checkpoint is at its last record (the parent watches the lease table). The instances' interpreter
  start-up is outside the timing.
* baseline -- one process draining the same four shards with bare GetRecords(Limit=1000) calls, shard by shard,
  through the same server, in the same run.

The machine is small and shared: the server, the instances and the watcher all compete for its cores, so more
instances can only help as far as GetRecords' server-side work leaves CPU for them.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager

import boto3

from harness import BENCH_DIR, RESULTS_DIR, Stopwatch, Workload, main, temp_dir
from processors import Server, drain_get_records, fill, new_store

CREDS = {"region_name": "us-east-1", "aws_access_key_id": "bench", "aws_secret_access_key": "bench"}


def split_to_four(store, arn: str) -> None:
    def open_shards():
        shards = store.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        return [s["ShardId"] for s in shards if "EndingSequenceNumber" not in s["SequenceNumberRange"]]
    store.split_shard(StreamArn=arn, ShardId=open_shards()[0])
    for shard in open_shards():
        store.split_shard(StreamArn=arn, ShardId=shard)


def tails(client, arn: str) -> dict[str, str | None]:
    """Every shard's last sequence number (None for a shard without records)."""
    out = {}
    for shard in client.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        it = client.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                       ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        last = None
        while it:
            page = client.get_records(ShardIterator=it, Limit=1000)
            if not page["Records"]:
                break
            last = page["Records"][-1]["dynamodb"]["SequenceNumber"]
            it = page.get("NextShardIterator")
        out[shard["ShardId"]] = last
    return out


def hand_out(ddb, arn: str, ends: dict, parents: dict, instances: int) -> None:
    """Write the lease table afresh: leaf shards owned round robin by w0..w{k-1}, empty parents done."""
    try:
        ddb.delete_table(TableName="leases")
    except ddb.exceptions.ResourceNotFoundException:
        pass
    ddb.create_table(TableName="leases", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "leaseKey", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "leaseKey", "AttributeType": "S"}])
    leaves = sorted(s for s, last in ends.items() if last is not None)
    for shard_id, last in sorted(ends.items()):
        item = {"leaseKey": {"S": shard_id}, "streamArn": {"S": arn}, "leaseCounter": {"N": "0"},
                "checkpoint": {"S": "TRIM_HORIZON" if last is not None else "SHARD_END"},
                "ownerSwitchesSinceCheckpoint": {"N": "0"}}
        if parents.get(shard_id):
            item["parentShardId"] = {"SS": [parents[shard_id]]}
        if last is not None:
            item["leaseOwner"] = {"S": f"w{leaves.index(shard_id) % instances}"}
        ddb.put_item(TableName="leases", Item=item)


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a running process so far (/proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def caught_up(ddb, ends: dict) -> bool:
    items = ddb.scan(TableName="leases", ConsistentRead=True)["Items"]
    at = {i["leaseKey"]["S"]: i["checkpoint"]["S"] for i in items}
    return all(at.get(s) == last for s, last in ends.items() if last is not None)


def scaleout(instances: int):
    @contextmanager
    def setup(n: int, tmp: str):
        with temp_dir(tmp) as path:
            store = new_store(os.path.join(path, "s"))
            arn = store.list_streams(TableName="bench")["Streams"][0]["StreamArn"]
            split_to_four(store, arn)
            fill(store, n)
            store.close()
            with Server(os.path.join(path, "s")) as server:
                streams = boto3.client("dynamodbstreams", endpoint_url=server.url, **CREDS)
                ddb = boto3.client("dynamodb", endpoint_url=server.url, **CREDS)
                ends = tails(streams, arn)
                parents = {s["ShardId"]: s.get("ParentShardId")
                           for s in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]}

                def ours():
                    hand_out(ddb, arn, ends, parents, instances)
                    procs = [subprocess.Popen([sys.executable, os.path.join(BENCH_DIR, "scaleout_instance.py"),
                                               server.url, f"w{i}"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                              text=True) for i in range(instances)]
                    try:
                        for p in procs:
                            assert p.stdout.readline().strip() == "ready"
                        server_before = cpu_s(server.proc.pid)
                        instances_before = sum(cpu_s(p.pid) for p in procs)
                        with Stopwatch() as sw:
                            for p in procs:
                                p.stdin.write("go\n")
                                p.stdin.flush()
                            deadline = time.monotonic() + 600
                            while not caught_up(ddb, ends):
                                if time.monotonic() > deadline:
                                    raise RuntimeError("instances did not catch up in 600 s")
                                time.sleep(0.02)
                        server_cpu = cpu_s(server.proc.pid) - server_before
                        instances_cpu = sum(cpu_s(p.pid) for p in procs) - instances_before
                        print(f" [{sw.seconds:.2f} s: server {server_cpu:.2f} CPU s, instances "
                              f"{instances_cpu:.2f} CPU s]", end="", flush=True)
                        handled = 0
                        for p in procs:
                            p.stdin.close()
                            handled += int(p.stdout.readline().split()[1])
                            p.wait(60)
                    finally:
                        for p in procs:
                            if p.poll() is None:
                                p.kill()
                    return handled, sw.seconds

                def base():
                    with Stopwatch() as sw:
                        got = drain_get_records(streams, arn)
                    return got, sw.seconds
                yield ours, base
    return setup


WORKLOADS = [
    Workload(f"scaleout_{k}", 40_000, 8_000, "one process's bare GetRecords(Limit=1000) loop over the same shards",
             None, None, scaleout(k)) for k in (1, 2, 4)
]

if __name__ == "__main__":
    main(__doc__.splitlines()[0], WORKLOADS, os.path.join(RESULTS_DIR, "scaleout.jsonl"), sys.argv[1:])
