"""A writer process for the inspection tests: writes items through the engine into a table with a stream while
inspection commands run against the same store from other processes.

    python engine_writer.py STORE --table T --items N [--split-at K] [--pause-ms MS] [--rounds R]

Creates the table (NEW_AND_OLD_IMAGES stream) if missing and prints ``ready``. Then for each round, puts items
``item-0`` .. ``item-(N-1)`` one per commit (value = round), printing ``W <records so far>`` after each commit; after
``--split-at`` commits of the first round it splits the open shard(s) (new shards mid-run). Ends with
``DONE <records>``.
"""
from __future__ import annotations

import argparse
import sys
import time

import logstore


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("store")
    ap.add_argument("--table", default="live")
    ap.add_argument("--items", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--split-at", type=int, default=-1)
    ap.add_argument("--pause-ms", type=float, default=2.0)
    args = ap.parse_args()
    out = sys.stdout
    with logstore.open(args.store) as store:
        if args.table not in store.list_tables()["TableNames"]:
            store.create_table(TableName=args.table, BillingMode="PAY_PER_REQUEST",
                               KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                               AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                               StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
        arn = store.list_streams(TableName=args.table)["Streams"][0]["StreamArn"]
        out.write("ready\n")
        out.flush()
        written = 0
        for r in range(args.rounds):
            for i in range(args.items):
                store.put_item(TableName=args.table, Item={"pk": {"S": f"item-{i}"}, "round": {"N": str(r)},
                                                           "pad": {"S": "x" * (i % 50)}})
                written += 1
                out.write(f"W {written}\n")
                out.flush()
                if r == 0 and i + 1 == args.split_at:
                    for shard in store.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
                        if "EndingSequenceNumber" not in shard["SequenceNumberRange"]:
                            store.split_shard(StreamArn=arn, ShardId=shard["ShardId"])
                if args.pause_ms:
                    time.sleep(args.pause_ms / 1000)
        out.write(f"DONE {written}\n")
        out.flush()


if __name__ == "__main__":
    main()
