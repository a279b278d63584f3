"""``logstore demo``: create a table with a stream in a store, write, change and delete items, then read the change
log back the way a consumer does (every shard, parents first) and say what happened.

A first look at logstore for someone who just installed it. Writes to the given directory (default
./logstore-demo), which it creates; run it again and it starts over with a fresh table.
"""
from __future__ import annotations

import time

import click

import logstore
from logstore import codec
from logstore.errors import ResourceNotFoundException


@click.command()
@click.argument("path", default="logstore-demo", type=click.Path(file_okay=False))
@click.option("--items", default=20_000, show_default=True, type=click.IntRange(min=1), help="items to write")
def demo(path: str, items: int) -> None:
    """Write ITEMS items to a table with a stream in the store at PATH, and read its change log."""
    with logstore.open(path) as store:
        try:
            store.delete_table(TableName="demo")
        except ResourceNotFoundException:
            pass
        store.create_table(TableName="demo", BillingMode="PAY_PER_REQUEST",
                           KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                           AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                           StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
        click.echo(f"store {path}: table 'demo' with a NEW_AND_OLD_IMAGES stream (codec: {codec.IMPLEMENTATION})")
        start = time.perf_counter()
        for first in range(0, items, 1000):
            with store.batch() as batch:
                for i in range(first, min(first + 1000, items)):
                    batch.put_item(TableName="demo", Item={"pk": {"S": f"user-{i}"}, "visits": {"N": "1"},
                                                           "name": {"S": f"User number {i}"}})
        took = time.perf_counter() - start
        click.echo(f"inserted {items} items in {took:.2f}s ({items / took:,.0f}/s, durable, 1,000 per commit)")
        store.update_item(TableName="demo", Key={"pk": {"S": "user-0"}},
                          AttributeUpdates={"visits": {"Action": "ADD", "Value": {"N": "1"}}})
        store.put_item(TableName="demo", Item={"pk": {"S": "user-1"}, "visits": {"N": "1"},
                                               "name": {"S": "User number 1"}})   # identical: no record
        store.delete_item(TableName="demo", Key={"pk": {"S": "user-2"}})
        arn = store.list_streams(TableName="demo")["Streams"][0]["StreamArn"]
        start = time.perf_counter()
        counts: dict[str, int] = {}
        last = []
        shards = store.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        for shard in shards:
            it = store.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            while it:
                page = store.get_records(ShardIterator=it, Limit=1000)
                for rec in page["Records"]:
                    counts[rec["eventName"]] = counts.get(rec["eventName"], 0) + 1
                last = (last + page["Records"])[-2:]
                if not page["Records"]:
                    break
                it = page.get("NextShardIterator")
        took = time.perf_counter() - start
        total = sum(counts.values())
        click.echo(f"read {total} stream records from {len(shards)} shard(s) in {took:.2f}s "
                   f"({total / took:,.0f}/s): " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
        click.echo("(the identical put of user-1 produced no record)")
        for rec in last:
            d = rec["dynamodb"]
            click.echo(f"  {rec['eventName']:6} seq {d['SequenceNumber']} keys {d['Keys']} "
                       f"old {d.get('OldImage', {}).get('visits')} new {d.get('NewImage', {}).get('visits')}")
