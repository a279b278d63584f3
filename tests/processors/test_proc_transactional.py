"""``context.batch``: writes that commit with the checkpoint of the invocation that made them."""
from __future__ import annotations

from logstore.processors import Processor, ProcessorConfig
from prochelpers import create_plain_table, create_table, put


def test_writes_commit_with_the_checkpoint_and_not_when_the_handler_raises(store, processors):
    create_table(store)
    create_plain_table(store, "copy")
    for i in range(6):
        put(store, f"k{i}", 1)
    attempts = []

    def handler(event, context):
        attempts.append(len(event["Records"]))
        for r in event["Records"]:
            context.batch.put_item(TableName="copy", Item=r["dynamodb"]["NewImage"])
        if len(attempts) == 1:
            raise RuntimeError("the first attempt's writes must vanish")
    p = processors(Processor.embedded(store, "orders", handler, ProcessorConfig(retry_delay_s=0.001)))
    p.wait_idle()
    assert attempts == [6, 6]
    assert sorted(i["pk"]["S"] for i in store.scan(TableName="copy")["Items"]) == [f"k{i}" for i in range(6)]


def test_update_item_runs_inside_the_transaction(store, processors):
    create_table(store)
    create_plain_table(store, "totals")
    for i in range(30):
        put(store, f"k{i % 3}", i // 3 + 1, amount=i)

    def add(amount):
        return lambda old: {"pk": {"S": "all"}, "sum": {"N": str((int(old["sum"]["N"]) if old else 0) + amount)}}

    def handler(event, context):
        for r in event["Records"]:
            context.batch.update_item(TableName="totals", Key={"pk": {"S": "all"}},
                                      apply=add(int(r["dynamodb"]["NewImage"]["amount"]["N"])))
    processors(Processor.embedded(store, "orders", handler, ProcessorConfig(batch_size=7))).wait_idle()
    item = store.get_item(TableName="totals", Key={"pk": {"S": "all"}})["Item"]
    assert item["sum"] == {"N": str(sum(range(30)))}


def test_parallel_lanes_have_no_transactional_batch(store, processors):
    create_table(store)
    put(store, "a", 1)
    seen = []
    processors(Processor.embedded(store, "orders", lambda e, c: seen.append(c.batch),
                                  ProcessorConfig(parallelization_factor=2))).wait_idle()
    assert seen == [None]


def test_refused_writes_fail_the_invocation(store, processors, tmp_path):
    create_table(store)
    create_plain_table(store, "copy")
    for i in range(4):
        put(store, f"k{i}", 1)
    calls = []

    def handler(event, context):
        calls.append(len(event["Records"]))
        for r in event["Records"]:
            item = dict(r["dynamodb"]["NewImage"])
            if item["pk"]["S"] == "k2":
                item["bad"] = {"N": "not a number"}      # refused when the checkpoint's transaction applies it
            context.batch.put_item(TableName="copy", Item=item) if item["pk"]["S"] != "k2" else \
                context.batch.update_item(TableName="copy", Key={"pk": item["pk"]}, apply=lambda old, i=item: i)
    out = tmp_path / "failed.jsonl"
    p = processors(Processor.embedded(store, "orders", handler, ProcessorConfig(
        bisect_on_error=True, max_retry_attempts=0, retry_delay_s=0.001, on_failure=f"file:{out}")))
    p.wait_idle()
    assert sorted(i["pk"]["S"] for i in store.scan(TableName="copy")["Items"]) == ["k0", "k1", "k3"]
    assert len(out.read_text().splitlines()) == 1 and p.stats()[0].failed == 1
