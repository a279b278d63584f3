"""Failures: retries within MaximumRetryAttempts and MaximumRecordAgeInSeconds, bisection isolating a poison
record, ReportBatchItemFailures, and the on-failure destinations (a table in the store, a JSON-lines file) with
Lambda's OnFailure record shape."""
from __future__ import annotations

import json
import threading

from logstore.processors import Processor, ProcessorConfig
from prochelpers import Recorder, create_plain_table, create_table, put


class Poisoned(Recorder):
    """Raises whenever a batch holds the item ``poison``; records the others' batches and every call's size."""

    def __init__(self, poison: str = "k13"):
        super().__init__()
        self.poison = poison
        self.calls: list[int] = []

    def __call__(self, event, context):
        self.calls.append(len(event["Records"]))
        if any(r["dynamodb"]["Keys"]["pk"]["S"] == self.poison for r in event["Records"]):
            raise ValueError("poison record")
        super().__call__(event, context)


def fill(store, n: int = 40) -> None:
    create_table(store)
    for i in range(n):
        put(store, f"k{i}", 1)


def delivered(rec: Recorder) -> list[str]:
    return [r["dynamodb"]["Keys"]["pk"]["S"] for r in rec.records]


def test_retries_then_gives_up_on_the_whole_batch(store, processors, tmp_path):
    fill(store)
    rec = Poisoned()
    out = tmp_path / "failures.jsonl"
    p = processors(Processor.embedded(store, "orders", rec, ProcessorConfig(
        batch_size=10, max_retry_attempts=2, retry_delay_s=0.001, on_failure=f"file:{out}")))
    p.wait_idle()
    # the batch k10..k19 failed 1 + 2 times and was given up whole; the others were delivered
    assert rec.calls == [10, 10, 10, 10, 10, 10]
    assert delivered(rec) == [f"k{i}" for i in range(40) if not 10 <= i < 20]
    [line] = out.read_text().splitlines()
    failure = json.loads(line)
    info = failure["DDBStreamBatchInfo"]
    assert set(failure) == {"requestContext", "responseContext", "version", "timestamp", "DDBStreamBatchInfo"}
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 3
    assert failure["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert info["batchSize"] == 10 and info["streamArn"] == p.source.stream_arn
    assert info["shardId"] == p.stats()[0].shard_id
    assert int(info["endSequenceNumber"]) - int(info["startSequenceNumber"]) == 9
    assert set(info) == {"shardId", "startSequenceNumber", "endSequenceNumber", "approximateArrivalOfFirstRecord",
                         "approximateArrivalOfLastRecord", "batchSize", "streamArn"}
    assert info["approximateArrivalOfFirstRecord"] == "2023-11-14T22:13:20Z"
    assert p.stats()[0].failed == 10


def test_bisection_isolates_the_poison_record(store, processors):
    fill(store)
    rec = Poisoned()
    create_plain_table(store, "failures")
    p = processors(Processor.embedded(store, "orders", rec, ProcessorConfig(
        batch_size=10, max_retry_attempts=1, bisect_on_error=True, retry_delay_s=0.001,
        on_failure="table:failures")))
    p.wait_idle()
    assert delivered(rec) == [f"k{i}" for i in range(40) if i != 13]
    # 10 -> 5+5 -> (2+3) -> 3 -> 1+2 -> the poison alone, tried twice
    assert rec.calls.count(1) >= 2
    [item] = store.scan(TableName="failures")["Items"]
    failure = json.loads(item["failure"]["S"])
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 1
    assert item["startSequenceNumber"] == item["endSequenceNumber"]
    assert item["condition"] == {"S": "RetryAttemptsExhausted"}
    # the failure record names exactly the poison record
    poison = next(r for r in store.get_records(ShardIterator=store.get_shard_iterator(
        StreamArn=p.source.stream_arn, ShardId=p.stats()[0].shard_id, ShardIteratorType="TRIM_HORIZON")
        ["ShardIterator"])["Records"] if r["dynamodb"]["Keys"]["pk"]["S"] == "k13")
    assert item["startSequenceNumber"]["S"] == poison["dynamodb"]["SequenceNumber"]


def test_report_batch_item_failures_retries_from_the_first_failure(store, processors):
    fill(store, 10)
    calls: list[list[str]] = []
    failing = {"k4": 1, "k7": 2}     # k4 fails on its first delivery, k7 on its first two

    def handler(event, context):
        keys = [r["dynamodb"]["Keys"]["pk"]["S"] for r in event["Records"]]
        calls.append(keys)
        failures = []
        for r, k in zip(event["Records"], keys):
            if failing.get(k):
                failing[k] -= 1
                failures.append({"itemIdentifier": r["dynamodb"]["SequenceNumber"]})
        return {"batchItemFailures": failures}
    p = processors(Processor.embedded(store, "orders", handler, ProcessorConfig(
        batch_size=10, report_batch_item_failures=True, retry_delay_s=0.001)))
    p.wait_idle()
    keys = [f"k{i}" for i in range(10)]
    assert calls == [keys, keys[4:], keys[7:]]
    assert p.stats()[0].records == 10 and p.stats()[0].errors == 2


def test_item_failure_with_an_unknown_identifier_fails_the_whole_batch(store, processors):
    fill(store, 5)
    calls = []

    def handler(event, context):
        calls.append(len(event["Records"]))
        return {"batchItemFailures": [{"itemIdentifier": "" if len(calls) == 1 else None}]} if len(calls) < 3 else {}
    processors(Processor.embedded(store, "orders", handler, ProcessorConfig(
        report_batch_item_failures=True, retry_delay_s=0.001))).wait_idle()
    assert calls == [5, 5, 5]


def test_without_report_batch_item_failures_the_return_value_is_ignored(store, processors):
    fill(store, 5)
    calls = []

    def handler(event, context):
        calls.append(len(event["Records"]))
        return {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["dynamodb"]["SequenceNumber"]}]}
    processors(Processor.embedded(store, "orders", handler)).wait_idle()
    assert calls == [5]


def test_records_older_than_the_maximum_age_are_given_up(store, clock, processors, tmp_path):
    fill(store, 5)
    out = tmp_path / "failures.jsonl"
    release = threading.Event()
    calls = []

    def handler(event, context):
        calls.append(len(event["Records"]))
        if not release.is_set():
            clock.advance(120_000)     # the records age while the handler keeps failing
            raise RuntimeError("down")
    p = processors(Processor.embedded(store, "orders", handler, ProcessorConfig(
        max_record_age_s=60, retry_delay_s=0.001, on_failure=f"file:{out}")))
    p.wait_idle()
    release.set()
    assert calls == [5]
    [failure] = [json.loads(line) for line in out.read_text().splitlines()]
    assert failure["requestContext"]["condition"] == "RecordAgeExceeded"
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 5
    put(store, "fresh", 1)
    p.wait_idle()
    assert calls == [5, 1]


def test_infinite_retries_block_the_shard_until_the_handler_recovers(store, processors):
    fill(store, 3)
    calls = []

    def handler(event, context):
        calls.append(len(event["Records"]))
        if len(calls) < 6:
            raise RuntimeError("flaky")
    processors(Processor.embedded(store, "orders", handler, ProcessorConfig(retry_delay_s=0.001))).wait_idle()
    assert calls == [3] * 6


def test_lanes_isolate_a_poison_record_and_keep_going(store, processors, tmp_path):
    fill(store, 60)
    rec = Poisoned("k13")
    out = tmp_path / "failures.jsonl"
    p = processors(Processor.embedded(store, "orders", rec, ProcessorConfig(
        batch_size=5, parallelization_factor=3, bisect_on_error=True, max_retry_attempts=1, retry_delay_s=0.001,
        on_failure=f"file:{out}")))
    p.wait_idle()
    assert sorted(delivered(rec)) == sorted(f"k{i}" for i in range(60) if i != 13)
    [failure] = [json.loads(line) for line in out.read_text().splitlines()]
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 1
    [cp] = p.checkpoints.load().values()
    assert int(cp.after) == max(int(r["dynamodb"]["SequenceNumber"]) for r in rec.records + [
        {"dynamodb": {"SequenceNumber": failure["DDBStreamBatchInfo"]["endSequenceNumber"]}}])
