"""Crash-test writer: appends batches to a store forever, until it is killed.

    python crash_writer.py STORE --seed N [--shards 0,3,11] [--map-size BYTES] [--max-batch 50]

Each transaction picks a shard and a batch size (1..max-batch) at random, allocates that many sequence numbers from
the durable counter "seq" inside the same write transaction, and appends records whose payload and timestamp are
derived from their sequence number (common.py). Only AFTER env.write has returned (the commit is durable) does it
print one line per record, ``R <shard> <seq>``, all lines of a batch in one write, and flush. It also prints
``M <map_size>`` at start and whenever the map size changed, so a test can see map growth happening.
"""
from __future__ import annotations

import argparse
import random
import sys

from common import payload_for, ts_for

from logstore.storage import Counters, Environment, SegmentLog


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("store")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--shards", default="0,3,11")
    ap.add_argument("--map-size", type=int, default=1 << 30)
    ap.add_argument("--max-batch", type=int, default=50)
    ap.add_argument("--profile", default="mixed")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    shards = [int(s) for s in args.shards.split(",")]
    out = sys.stdout

    env = Environment(args.store, map_size=args.map_size)
    log, counters = SegmentLog(env), Counters(env)
    map_size = env.map_size
    out.write(f"M {map_size}\n")
    out.flush()
    while True:
        shard = rng.choice(shards)
        n = rng.randint(1, args.max_batch)

        def append(txn):
            # everything derived inside the transaction, so a re-run after map growth repeats it exactly
            first = counters.allocate(txn, "seq", n)
            seqs = list(range(first, first + n))
            log.append(txn, shard, seqs, [ts_for(s) for s in seqs], [payload_for(s, args.profile) for s in seqs])
            return first

        first = env.write(append)
        lines = "".join(f"R {shard} {s}\n" for s in range(first, first + n))
        if env.map_size != map_size:
            map_size = env.map_size
            lines += f"M {map_size}\n"
        out.write(lines)
        out.flush()


if __name__ == "__main__":
    main()
