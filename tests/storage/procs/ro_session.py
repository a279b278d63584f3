"""A read-only inspection session: opens a store with readonly=True, reads every shard whole, tries every kind of
write, and reports.

    python ro_session.py STORE

Prints one line ``RESULT <json>``: ``records`` (shard -> count), ``digest`` (of every record read, see
``session_digest`` -- the tests compute the same over their expectation), ``counter`` (the "seq" counter's next
value), ``refused`` (attempt -> the exception class name it raised, or "allowed") and ``fn_called`` (whether any
write function was run at all).
"""
from __future__ import annotations

import hashlib
import json
import sys

from logstore.storage import Counters, Environment, SegmentLog, trim_all


def session_digest(records_by_shard) -> str:
    """A digest of (shard, seq, ts, payload) for every record, shards and records in order."""
    h = hashlib.blake2b(digest_size=16)
    for shard in sorted(records_by_shard):
        for seq, ts, payload in records_by_shard[shard]:
            h.update(b"%d %d %d %d:" % (shard, seq, ts, len(payload)) + payload)
    return h.hexdigest()


def read_session(env: Environment) -> dict:
    """Everything a read-only session reports (also used in-process by the tests)."""
    log, counters = SegmentLog(env), Counters(env)
    got: dict[int, list] = {}
    with env.begin_read() as txn:
        shards = list(log.shards(txn))
        for shard in shards:
            recs, pos = [], 0
            while True:
                batch = log.read(txn, shard, pos, 500, 1 << 40)
                if not batch:
                    break
                recs += list(batch)
                pos = batch.next_seq
            got[shard] = recs
            log.info(txn, shard)
        counter = counters.peek(txn, "seq")
    called = []
    refused = {}

    def attempt(name, fn):
        try:
            fn()
            refused[name] = "allowed"
        except Exception as e:  # report whatever refused it
            refused[name] = type(e).__name__

    def in_read_txn(fn):
        with env.begin_read() as txn:
            fn(txn)

    shard = shards[0] if shards else 1
    attempt("write", lambda: env.write(lambda txn: called.append("write")))
    attempt("append", lambda: env.write(lambda txn: (called.append("append"), log.append(
        txn, shard, [counter + 10], [got[shard][-1][1] if got.get(shard) else 0], [b"x"]))))
    attempt("trim_all", lambda: env.write(lambda txn: (called.append("trim_all"), trim_all(log, txn, 1 << 62))))
    attempt("drop", lambda: env.write(lambda txn: (called.append("drop"), log.drop(txn, shard))))
    attempt("put in a read transaction", lambda: in_read_txn(
        lambda txn: txn.put(b"\0" * 16, b"junk", db=log.segments_db)))
    attempt("allocate in a read transaction", lambda: in_read_txn(lambda txn: counters.allocate(txn, "seq", 1)))
    env.sync()
    env.info()
    return {"records": {str(s): len(r) for s, r in got.items()}, "digest": session_digest(got),
            "counter": counter, "refused": refused, "fn_called": called}


def main() -> None:
    with Environment(sys.argv[1], readonly=True) as env:
        result = read_session(env)
    sys.stdout.write("RESULT " + json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
