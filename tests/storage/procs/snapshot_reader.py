"""Multi-process test reader: opens a store read-only and rereads one shard from sequence number 0, over and over,
while a writer appends batches of BATCH_SIZE records in separate transactions.

    python snapshot_reader.py STORE --batch-size N --expect TOTAL [--shard 4] [--timeout 60]
                              [--map-size BYTES] [--profile mixed|large]

Every pass is one read transaction (a snapshot), read page by page. Each pass must see the records 1..count in
order, with their payloads and timestamps (common.py), count a multiple of N (whole batches only) and never below
the previous pass's count. Stops once it has seen TOTAL records. Prints ``ready`` when open, then one line
``RESULT <json>`` (passes, the distinct counts seen in order, map sizes); exits 1 after ``VIOLATION <what>`` if a
rule is broken or TOTAL is not seen before the timeout.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from common import payload_for, ts_for

from logstore.storage import Environment, SegmentLog


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("store")
    ap.add_argument("--batch-size", type=int, required=True)
    ap.add_argument("--expect", type=int, required=True)
    ap.add_argument("--shard", type=int, default=4)
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--map-size", type=int, default=1 << 30)
    ap.add_argument("--profile", default="mixed")
    args = ap.parse_args()

    env = Environment(args.store, readonly=True, map_size=args.map_size)
    log = SegmentLog(env)
    map_sizes = [env.map_size]
    counts: list[int] = []
    verified: dict[int, int] = {}    # seq -> hash of its payload, once compared with payload_for
    passes = 0
    result = {}

    def finish(violation: str | None) -> None:
        result.update(passes=passes, counts=counts, map_sizes=map_sizes, violation=violation)
        if violation:
            sys.stdout.write(f"VIOLATION {violation}\n")
        sys.stdout.write("RESULT " + json.dumps(result) + "\n")
        sys.stdout.flush()
        sys.exit(1 if violation else 0)

    sys.stdout.write("ready\n")
    sys.stdout.flush()
    deadline = time.monotonic() + args.timeout
    while True:
        count = 0
        with env.begin_read() as txn:
            pos = 0
            while True:
                batch = log.read(txn, args.shard, pos, 1000, 1 << 40)
                if not batch:
                    break
                if batch.seqs != list(range(count + 1, count + 1 + len(batch))):
                    finish(f"pass {passes}: after {count} records read seqs {batch.seqs[:5]}..., not in order "
                           f"from {count + 1}")
                if batch.timestamps != [ts_for(s) for s in batch.seqs]:
                    finish(f"pass {passes}: wrong timestamps near seq {batch.seqs[0]}")
                for s, p in zip(batch.seqs, batch.payloads):
                    known = verified.get(s)
                    if known is None:
                        if p != payload_for(s, args.profile):
                            finish(f"pass {passes}: wrong payload for seq {s}")
                        verified[s] = hash(p)
                    elif hash(p) != known:
                        finish(f"pass {passes}: payload of seq {s} changed")
                count += len(batch)
                pos = batch.next_seq
        passes += 1
        if env.map_size != map_sizes[-1]:
            map_sizes.append(env.map_size)
        if count % args.batch_size:
            finish(f"pass {passes}: saw {count} records, not a multiple of {args.batch_size} (a partial batch)")
        if counts and count < counts[-1]:
            finish(f"pass {passes}: saw {count} records after {counts[-1]} (went backwards)")
        if not counts or count != counts[-1]:
            counts.append(count)
        if count > args.expect:
            finish(f"pass {passes}: saw {count} records, more than the {args.expect} expected")
        if count == args.expect:
            finish(None)
        if time.monotonic() > deadline:
            finish(f"saw {count} of {args.expect} records within {args.timeout} s")


if __name__ == "__main__":
    main()
