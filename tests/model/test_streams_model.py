"""Model-based test of the embedded engine (hypothesis state machine): random writes, no-op writes, updates,
deletes, splits, rollovers, clock jumps (forward and back), retention trims, stream disable/enable and restarts,
checked against a small in-memory reference model.

After every step the whole change log is read the way a consumer reads it -- every stream, every shard in
lineage order (parents before children, by DescribeStream order), each from TRIM_HORIZON until the shard ends --
and for every stream and every key the records must be exactly the model's committed changes that retention has
not trimmed: in order, each once, with the images the stream's view type asks for."""
from __future__ import annotations

import shutil
import tempfile

import pytest
from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import logstore
from logstore.clock import FakeClock
from logstore.errors import ValidationException
from logstore.stream import StreamPolicy

HOUR = 3600 * 1000
KEYS = st.sampled_from(["a", "b", "c", "d", "e", "f", "g"])
VALUES = st.integers(0, 3)
VIEW_TYPES = st.sampled_from(["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"])
POLICY = StreamPolicy(retention_ms=24 * HOUR, rollover_ms=4 * HOUR, split_rate=0.5, split_window_ms=5_000,
                      max_partitions=6, initial_partitions=2)


def expected_event(view_type, key, old, new):
    name = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
    body = {"Keys": {"pk": {"S": key}}}
    if view_type in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES") and new is not None:
        body["NewImage"] = new
    if view_type in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES") and old is not None:
        body["OldImage"] = old
    return name, body


class StoreMachine(RuleBasedStateMachine):
    @initialize(view_type=VIEW_TYPES)
    def create(self, view_type):
        self.dir = tempfile.mkdtemp()
        self.clock = FakeClock(1_700_000_000_000)
        self.store_time = self.clock.now_ms()
        self.open()
        self.store.create_table(
            TableName="tbl", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": view_type})
        self.items: dict[str, dict] = {}
        # per stream ARN: view type, and per key the list of (ts, event) committed to it
        self.streams: dict[str, dict] = {}
        self.current: str | None = None
        self._new_stream(view_type)

    def open(self):
        self.store = logstore.open(self.dir, clock=self.clock, stream_policy=POLICY, map_size=1 << 22)

    def teardown(self):
        self.store.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _new_stream(self, view_type):
        arn = self.store.describe_table(TableName="tbl")["Table"]["LatestStreamArn"]
        assert arn not in self.streams
        self.streams[arn] = {"view_type": view_type, "events": {}}
        self.current = arn

    def _now(self):
        """The store's time: its clock only moves forward, and only when it commits something that records time
        (a stream record, a catalogue change, maintenance); a write that changes nothing moves nothing."""
        self.store_time = max(self.store_time, self.clock.now_ms())
        return self.store_time

    def _committed(self, key, old, new):
        if old == new:
            return
        if self.current is not None:
            s = self.streams[self.current]
            s["events"].setdefault(key, []).append((self._now(), expected_event(s["view_type"], key, old, new)))

    # -- writes -------------------------------------------------------------------------------------------------

    @rule(key=KEYS, value=VALUES, extra=st.booleans())
    def put(self, key, value, extra):
        item = {"pk": {"S": key}, "v": {"N": str(value)}}
        if extra:
            item["s"] = {"SS": ["x", "y"]}
        self.store.put_item(TableName="tbl", Item=item)
        self._committed(key, self.items.get(key), item)
        self.items[key] = item

    @rule(key=KEYS)
    def put_same_again(self, key):
        if key in self.items:
            self.store.put_item(TableName="tbl", Item=self.items[key])   # a no-op: no record

    @rule(key=KEYS)
    def delete(self, key):
        self.store.delete_item(TableName="tbl", Key={"pk": {"S": key}})
        self._committed(key, self.items.pop(key, None), None)

    @rule(key=KEYS, add=st.integers(0, 2))
    def update_add(self, key, add):
        self.store.update_item(TableName="tbl", Key={"pk": {"S": key}},
                               AttributeUpdates={"v": {"Action": "ADD", "Value": {"N": str(add)}}})
        old = self.items.get(key)
        new = dict(old) if old else {"pk": {"S": key}}
        new["v"] = {"N": str(int(old["v"]["N"]) + add if old and "v" in old else add)}
        self._committed(key, old, new)
        self.items[key] = new

    @rule(items=st.lists(st.tuples(KEYS, VALUES), min_size=1, max_size=10, unique_by=lambda t: t[0]))
    def batch(self, items):
        with self.store.batch() as b:
            for key, value in items:
                b.put_item(TableName="tbl", Item={"pk": {"S": key}, "v": {"N": str(value)}})
        for key, value in items:
            item = {"pk": {"S": key}, "v": {"N": str(value)}}
            self._committed(key, self.items.get(key), item)
            self.items[key] = item

    # -- shards, time, lifecycle ---------------------------------------------------------------------------------

    @rule(pick=st.integers(0, 100))
    def split(self, pick):
        if self.current is None:
            return
        shards = [s for s in self._shards(self.current) if "EndingSequenceNumber" not in s["SequenceNumberRange"]]
        try:
            self.store.split_shard(StreamArn=self.current, ShardId=shards[pick % len(shards)]["ShardId"])
        except ValidationException:
            return   # at the partition limit: nothing committed, the store's clock did not move
        self._now()

    @rule(ms=st.sampled_from([1, 999, 6_000, HOUR, 4 * HOUR, 13 * HOUR, 25 * HOUR]))
    def clock_forward(self, ms):
        self.clock.advance(ms)

    @rule(ms=st.sampled_from([1, 5_000, HOUR, 30 * HOUR]))
    def clock_back(self, ms):
        self.clock.advance(-ms)

    @rule()
    def maintain(self):
        self.store.maintain()
        horizon = self._now() - POLICY.retention_ms
        for s in self.streams.values():
            for key, events in s["events"].items():
                events[:] = [e for e in events if e[0] >= horizon]

    @rule(view_type=VIEW_TYPES)
    def toggle_stream(self, view_type):
        if self.current is not None:
            self.store.update_table(TableName="tbl", StreamSpecification={"StreamEnabled": False})
            self.current = None
        else:
            self.store.update_table(TableName="tbl", StreamSpecification={"StreamEnabled": True,
                                                                        "StreamViewType": view_type})
            self._new_stream(view_type)
        self._now()

    @rule()
    def restart(self):
        self.store.close()
        self.open()

    # -- what a consumer sees ------------------------------------------------------------------------------------

    def _shards(self, arn):
        shards, start = [], None
        while True:
            kw = {"ExclusiveStartShardId": start} if start else {}
            page = self.store.describe_stream(StreamArn=arn, Limit=3, **kw)["StreamDescription"]
            shards += page["Shards"]
            start = page.get("LastEvaluatedShardId")
            if not start:
                return shards

    @invariant()
    def consumers_see_exactly_the_committed_changes(self):
        listed = {s["StreamArn"] for s in self.store.list_streams(TableName="tbl")["Streams"]}
        for arn, model in self.streams.items():
            if arn not in listed:
                assert not any(model["events"].values()), f"stream {arn} vanished with unread records"
                continue
            shards = self._shards(arn)
            ids = [s["ShardId"] for s in shards]
            assert ids == sorted(ids)
            seen_ids = set()
            got: dict[str, list] = {}
            open_shards = 0
            for shard in shards:   # lineage order: a parent before its children
                parent = shard.get("ParentShardId")
                assert parent is None or parent not in ids or parent in seen_ids
                seen_ids.add(shard["ShardId"])
                rng = shard["SequenceNumberRange"]
                start, end = int(rng["StartingSequenceNumber"]), rng.get("EndingSequenceNumber")
                open_shards += end is None
                it = self.store.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                                   ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
                last = start
                while it:
                    page = self.store.get_records(ShardIterator=it, Limit=4)
                    for rec in page["Records"]:
                        seq = int(rec["dynamodb"]["SequenceNumber"])
                        assert seq > last and (end is None or seq <= int(end))
                        last = seq
                        body = {k: v for k, v in rec["dynamodb"].items() if k in ("Keys", "NewImage", "OldImage")}
                        got.setdefault(rec["dynamodb"]["Keys"]["pk"]["S"], []).append((rec["eventName"], body))
                    nxt = page.get("NextShardIterator")
                    if end is None and not page["Records"]:
                        assert nxt, "an open shard always gives a NextShardIterator"
                        break
                    it = nxt
            want = {k: [e[1] for e in v] for k, v in model["events"].items() if v}
            assert got == want
            if arn == self.current:
                assert open_shards >= 1, "an enabled stream always has an open shard"


PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink]   # no 'explain': too slow here
StoreMachine.TestCase.settings = settings(max_examples=100, stateful_step_count=40, deadline=None, phases=PHASES)
test_streams_model = StoreMachine.TestCase


@pytest.mark.slow
class TestStreamsModelLong(StoreMachine.TestCase):
    settings = settings(max_examples=400, stateful_step_count=60, deadline=None, phases=PHASES)
