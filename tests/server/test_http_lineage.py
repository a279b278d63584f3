"""A consumer that follows shard lineage over HTTP receives every record exactly once and in per-key order,
across partition splits (the test-only admin hook), shard rollovers (the server runs with ``--rollover-seconds 1``)
and a server restart in the middle (SIGINT, as Ctrl-C sends, then a new process on the same store: the consumer's
iterators survive it). Randomised: the seed is printed."""
from __future__ import annotations

import random
import signal
import time

from serverhelpers import ServerProcess


class Consumer:
    """Reads a stream the way KCL does: a shard after its parent is finished, each from TRIM_HORIZON, re-acquiring
    an iterator AFTER_SEQUENCE_NUMBER of the last record when one expires."""

    def __init__(self, arn: str):
        self.arn = arn
        self.iterators: dict[str, str | None] = {}   # shard -> iterator; None once finished
        self.last_seq: dict[str, str] = {}
        self.seen: set[str] = set()
        self.by_key: dict[str, list[int]] = {}

    def poll(self, streams) -> int:
        got = 0
        shards, start = [], {}
        while True:
            desc = streams.describe_stream(StreamArn=self.arn, **start)["StreamDescription"]
            shards += desc["Shards"]
            if "LastEvaluatedShardId" not in desc:
                break
            start = {"ExclusiveStartShardId": desc["LastEvaluatedShardId"]}
        known = {s["ShardId"] for s in shards}
        progress = True
        while progress:
            progress = False
            for shard in shards:
                sid, parent = shard["ShardId"], shard.get("ParentShardId")
                if self.iterators.get(sid, "") is None:
                    continue
                if parent in known and self.iterators.get(parent, "") is not None:
                    continue                                        # parent not finished yet
                if sid not in self.iterators:
                    self.iterators[sid] = streams.get_shard_iterator(
                        StreamArn=self.arn, ShardId=sid, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
                n, finished = self._drain(streams, sid)
                got += n
                progress |= finished
        return got

    def _drain(self, streams, sid: str) -> tuple[int, bool]:
        n = 0
        while True:
            page = streams.get_records(ShardIterator=self.iterators[sid], Limit=100)
            for record in page["Records"]:
                seq = record["dynamodb"]["SequenceNumber"]
                assert seq not in self.seen, f"record {seq} delivered twice"
                self.seen.add(seq)
                self.last_seq[sid] = seq
                image = record["dynamodb"]["NewImage"]
                self.by_key.setdefault(image["pk"]["S"], []).append(int(image["v"]["N"]))
                n += 1
            self.iterators[sid] = page.get("NextShardIterator")
            if self.iterators[sid] is None:
                return n, True
            if not page["Records"]:
                return n, False


def test_lineage_exactly_once_across_splits_rollovers_and_restart(tmp_path, seed):
    rng = random.Random(seed)
    server = ServerProcess(tmp_path / "store", tmp_path / "log", "--enable-test-endpoints",
                           "--rollover-seconds", "1").start()
    try:
        ddb, streams = server.client("dynamodb"), server.client("dynamodbstreams")
        arn = ddb.create_table(TableName="lineage", BillingMode="PAY_PER_REQUEST",
                               KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                               AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                               StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
                               )["TableDescription"]["LatestStreamArn"]
        consumer = Consumer(arn)
        written: dict[str, int] = {}
        for phase in range(6):
            for _ in range(rng.randint(40, 120)):
                key = f"k{rng.randrange(30)}"
                written[key] = written.get(key, 0) + 1
                ddb.put_item(TableName="lineage", Item={"pk": {"S": key}, "v": {"N": str(written[key])}})
            if rng.random() < 0.7:                                  # split one open shard
                open_shards = [s for s in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
                               if "EndingSequenceNumber" not in s["SequenceNumberRange"]]
                server.admin("/logstore-admin/split-shard",
                             {"StreamArn": arn, "ShardId": rng.choice(open_shards)["ShardId"]})
            if rng.random() < 0.5:
                consumer.poll(streams)
            if phase == 2:                                          # restart in the middle (Ctrl-C)
                server.stop(signal.SIGINT)
                server.start()
                ddb, streams = server.client("dynamodb"), server.client("dynamodbstreams")
            if phase % 2 == 1:                                      # let open shards roll over
                time.sleep(1.1)
                server.admin("/logstore-admin/maintain")
        for _ in range(10):
            consumer.poll(streams)
            if sum(len(v) for v in consumer.by_key.values()) == sum(written.values()):
                break
        shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        assert len(shards) > 4, shards                               # splits and rollovers happened
        assert consumer.by_key == {k: list(range(1, n + 1)) for k, n in written.items()}
    finally:
        server.stop()
    assert "Traceback" not in server.log()
