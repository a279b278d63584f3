"""``logstore demo``: append records to a few shards of a store, read them back, trim, and say what happened.

A first look at the storage core for someone who just installed logstore. Writes to the given directory
(default ./logstore-demo), which it creates.
"""
from __future__ import annotations

import time

import click

from logstore import codec
from logstore.clock import SYSTEM_CLOCK
from logstore.storage import Counters, Environment, SegmentLog, trim_all


@click.command()
@click.argument("path", default="logstore-demo", type=click.Path(file_okay=False))
@click.option("--records", default=100_000, show_default=True, help="records to append")
@click.option("--batch", default=1000, show_default=True, help="records per write transaction")
def demo(path: str, records: int, batch: int) -> None:
    """Write RECORDS records to a store at PATH, read them back and trim them."""
    shards = 4
    now = SYSTEM_CLOCK.now_ms()
    with Environment(path) as env:
        log, counters = SegmentLog(env), Counters(env)
        click.echo(f"store {path}: codec {codec.IMPLEMENTATION}, map {env.map_size >> 20} MiB")
        start = time.perf_counter()
        written = 0
        while written < records:
            n = min(batch, records - written)
            shard = (written // batch) % shards

            def append(txn, n=n, shard=shard):
                first = counters.allocate(txn, "demo-seq", n)
                payloads = [b"record %d of the demo, padded to a typical change-record size " % (first + i)
                            + b"." * 120 for i in range(n)]
                log.append(txn, shard, range(first, first + n), [now] * n, payloads)

            env.write(append)
            written += n
        took = time.perf_counter() - start
        click.echo(f"appended {written} records in {took:.3f}s ({written / took:,.0f}/s, durable commits)")
        start = time.perf_counter()
        read = 0
        with env.begin_read() as txn:
            for shard in log.shards(txn):
                pos = 0
                while True:
                    got = log.read(txn, shard, pos, max_records=1000)
                    if not got:
                        break
                    read += len(got)
                    pos = got.next_seq
                info = log.info(txn, 0)
        took = time.perf_counter() - start
        click.echo(f"read back {read} records in {took:.3f}s ({read / took:,.0f}/s)")
        click.echo(f"shard 0: {info.records} records in {info.segments} segments, sequence numbers "
                   f"{info.first_seq}..{info.last_seq}")
        trimmed = env.write(lambda txn: trim_all(log, txn, now + 1))
        click.echo(f"trimmed {sum(r.records_trimmed for r in trimmed)} records in "
                   f"{sum(r.segments_deleted for r in trimmed)} segments (horizon: now)")
