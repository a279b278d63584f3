"""Multi-process test writer: appends BATCHES batches of exactly BATCH_SIZE records to one shard, each batch in a
transaction of its own, with sequence numbers 1, 2, ... from the durable counter "seq".

    python batch_writer.py STORE --batches K --batch-size N [--shard 4] [--seed S] [--pause-ms 4]
                           [--map-size BYTES] [--profile mixed|large] [--segment-records R] [--hang]

``--hang`` then begins one more write transaction, appends a batch in it, prints ``HANG <first> <last>`` and
sleeps (holding LMDB's writer lock) until it is killed.

``--segment-records R`` makes every batch split into segments of at most R records (and never extend the tail),
so one transaction writes many segments. ``--pause-ms`` sleeps a random 0..pause ms between batches, so that a
concurrent reader gets to see many intermediate states. Prints ``B <first> <last>`` after each commit and, at the
end, ``DONE <records> <map growths> <first map size> <last map size>``.
"""
from __future__ import annotations

import argparse
import random
import sys
import time

from common import payload_for, ts_for

from logstore.storage import Counters, Environment, SegmentLog, SegmentPolicy


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("store")
    ap.add_argument("--batches", type=int, required=True)
    ap.add_argument("--batch-size", type=int, required=True)
    ap.add_argument("--shard", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pause-ms", type=float, default=4.0)
    ap.add_argument("--map-size", type=int, default=1 << 30)
    ap.add_argument("--profile", default="mixed")
    ap.add_argument("--segment-records", type=int, default=0)
    ap.add_argument("--hang", action="store_true")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    policy = (SegmentPolicy(extend_below=0, max_segment_records=args.segment_records) if args.segment_records
              else SegmentPolicy())
    env = Environment(args.store, map_size=args.map_size)
    log, counters = SegmentLog(env, policy), Counters(env)
    n = args.batch_size
    first_map = last_map = env.map_size
    grows = 0
    for _ in range(args.batches):
        def append(txn):
            first = counters.allocate(txn, "seq", n)
            seqs = list(range(first, first + n))
            log.append(txn, args.shard, seqs, [ts_for(s) for s in seqs], [payload_for(s, args.profile) for s in seqs])
            return first

        first = env.write(append)
        if env.map_size != last_map:
            grows += 1
            last_map = env.map_size
        sys.stdout.write(f"B {first} {first + n - 1}\n")
        sys.stdout.flush()
        if args.pause_ms:
            time.sleep(rng.uniform(0, args.pause_ms) / 1000)
    sys.stdout.write(f"DONE {args.batches * n} {grows} {first_map} {last_map}\n")
    sys.stdout.flush()
    if args.hang:
        def hang(txn):
            first = counters.allocate(txn, "seq", n)
            seqs = list(range(first, first + n))
            log.append(txn, args.shard, seqs, [ts_for(s) for s in seqs], [payload_for(s, args.profile) for s in seqs])
            sys.stdout.write(f"HANG {first} {first + n - 1}\n")
            sys.stdout.flush()
            time.sleep(600)

        env.write(hang)
    env.close()


if __name__ == "__main__":
    main()
