"""Recipe: keep a second table up to date from the first — a materialized aggregate, exactly once.

Table ``orders`` (pk: order id; ``customer``, ``amount``) has a NEW_AND_OLD_IMAGES stream. The handler keeps
table ``totals`` (pk: customer; ``total``, ``orders``) equal to the sum over each customer's orders. INSERT adds,
REMOVE subtracts, MODIFY subtracts the old image and adds the new one (so a changed amount or a changed customer
moves the difference). Each change is an ``update_item`` through ``context.batch``: a read-modify-write that runs
inside the transaction advancing the checkpoint, so after any crash every order is counted exactly once.

Run it: ``python docs/recipes/materialized_aggregate.py [STORE_DIR]``. From the command line instead:
``logstore process --store DIR --table orders --handler materialized_aggregate:handler`` (in this directory).
"""
from __future__ import annotations

import sys
import tempfile

TOTALS = "totals"


def _adjust(customer: str, amount: int, count: int):
    def apply(old):
        total = int(old["total"]["N"]) if old else 0
        orders = int(old["orders"]["N"]) if old else 0
        if orders + count == 0:
            return None                      # the customer's last order went: drop the row
        return {"customer": {"S": customer}, "total": {"N": str(total + amount)},
                "orders": {"N": str(orders + count)}}
    return apply


def handler(event, context):
    for record in event["Records"]:
        ddb = record["dynamodb"]
        for image, sign in ((ddb.get("OldImage"), -1), (ddb.get("NewImage"), +1)):
            if image is not None:
                customer = image["customer"]["S"]
                context.batch.update_item(TableName=TOTALS, Key={"customer": {"S": customer}},
                                          apply=_adjust(customer, sign * int(image["amount"]["N"]), sign))


def setup(store) -> None:
    store.create_table(TableName="orders", BillingMode="PAY_PER_REQUEST",
                       KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                       StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    store.create_table(TableName=TOTALS, BillingMode="PAY_PER_REQUEST",
                       KeySchema=[{"AttributeName": "customer", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "customer", "AttributeType": "S"}])


def main(path: str) -> dict:
    import logstore
    from logstore.processors import Processor, ProcessorConfig

    def order(pk, customer, amount):
        return {"pk": {"S": pk}, "customer": {"S": customer}, "amount": {"N": str(amount)}}
    with logstore.open(path) as store:
        setup(store)
        with Processor.embedded(store, "orders", handler, ProcessorConfig(batch_size=100)) as proc:
            store.put_item(TableName="orders", Item=order("o1", "alice", 30))
            store.put_item(TableName="orders", Item=order("o2", "alice", 12))
            store.put_item(TableName="orders", Item=order("o3", "bob", 7))
            store.put_item(TableName="orders", Item=order("o2", "alice", 20))    # amount changed
            store.delete_item(TableName="orders", Key={"pk": {"S": "o3"}})       # bob's only order
            proc.wait_idle()
        totals = {i["customer"]["S"]: (int(i["total"]["N"]), int(i["orders"]["N"]))
                  for i in store.scan(TableName=TOTALS)["Items"]}
    print(totals)
    return totals


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="aggregate-"))
