"""A process that opens a store, appends a few records, reads them back, says so, and then sits idle holding the
store open until it is killed -- like a server or an inspection session between requests.

    python idle_holder.py STORE [--shard 1] [--records 3]

Prints ``ready <records appended>`` once done. Exits with an exception (status 1) if the store cannot be used.
"""
from __future__ import annotations

import argparse
import sys
import time

from common import payload_for, ts_for

from logstore.storage import Counters, Environment, SegmentLog


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("store")
    ap.add_argument("--shard", type=int, default=1)
    ap.add_argument("--records", type=int, default=3)
    args = ap.parse_args()
    env = Environment(args.store)
    log, counters = SegmentLog(env), Counters(env)

    def append(txn):
        first = counters.allocate(txn, "seq", args.records)
        seqs = list(range(first, first + args.records))
        log.append(txn, args.shard, seqs, [ts_for(s) for s in seqs], [payload_for(s) for s in seqs])
        return first

    first = env.write(append)
    with env.begin_read() as txn:
        got = log.read(txn, args.shard, first, 1000, 1 << 30)
    if got.seqs != list(range(first, first + args.records)):
        sys.exit(f"read back {got.seqs}, appended {first}..{first + args.records - 1}")
    sys.stdout.write(f"ready {args.records}\n")
    sys.stdout.flush()
    time.sleep(600)


if __name__ == "__main__":
    main()
