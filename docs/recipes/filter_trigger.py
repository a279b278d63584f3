"""Recipe: trigger on one kind of change — a filter, so the handler only sees what it acts on.

Only orders whose ``status`` becomes ``shipped`` interest the shipping-notice handler. The filter (Lambda's
event-filtering syntax) passes MODIFY records whose new image says shipped and whose old image did not; every
other record is skipped without invoking the handler, and the checkpoint moves past it all the same. The handler
writes one notice per shipped order to table ``notices`` through ``context.batch`` (exactly once).

Run it: ``python docs/recipes/filter_trigger.py [STORE_DIR]``. The same from the command line:
``logstore process --store DIR --table orders --handler filter_trigger:handler --filter "$(python -c
'import filter_trigger, json; print(json.dumps(filter_trigger.SHIPPED))')"``.
"""
from __future__ import annotations

import sys
import tempfile

SHIPPED = {
    "eventName": ["MODIFY"],
    "dynamodb": {"NewImage": {"status": {"S": ["shipped"]}},
                 "OldImage": {"status": {"S": [{"anything-but": ["shipped"]}]}}},
}


def handler(event, context):
    for record in event["Records"]:
        order = record["dynamodb"]["NewImage"]
        context.batch.put_item(TableName="notices", Item={
            "pk": order["pk"], "to": order["email"], "text": {"S": f"Order {order['pk']['S']} is on its way"}})


def main(path: str) -> list:
    import logstore
    from logstore.processors import Processor, ProcessorConfig
    with logstore.open(path) as store:
        for name, stream in (("orders", True), ("notices", False)):
            store.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                               KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                               AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                               **({"StreamSpecification": {"StreamEnabled": True,
                                                           "StreamViewType": "NEW_AND_OLD_IMAGES"}} if stream else {}))
        calls = []

        def counting(event, context):
            calls.append(len(event["Records"]))
            handler(event, context)
        with Processor.embedded(store, "orders", counting, ProcessorConfig(filters=[SHIPPED])) as proc:
            for pk in ("o1", "o2", "o3"):
                store.put_item(TableName="orders", Item={"pk": {"S": pk}, "status": {"S": "new"},
                                                         "email": {"S": f"{pk}@example.com"}})
            store.update_item(TableName="orders", Key={"pk": {"S": "o2"}},
                              UpdateExpression="SET #s = :s", ExpressionAttributeNames={"#s": "status"},
                              ExpressionAttributeValues={":s": {"S": "shipped"}})
            store.update_item(TableName="orders", Key={"pk": {"S": "o2"}},     # shipped again: no new notice
                              UpdateExpression="SET note = :n", ExpressionAttributeValues={":n": {"S": "fragile"}})
            proc.wait_idle()
        notices = sorted(i["pk"]["S"] for i in store.scan(TableName="notices")["Items"])
    print(notices, "from", sum(calls), "delivered record(s)")
    return notices


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="trigger-"))
