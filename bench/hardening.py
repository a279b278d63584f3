"""What the hardening of issue 18 costs, each against the same work without it, in the same run.

Workloads:
* embedded_put_checks -- ``store.put_item(**request)`` (the embedded caller's member-type checks:
                    api/members.checked, then the operation) against the operation called without
                    them, on a non-durable store (so the checks are not hidden behind fsyncs).
                    Target: >= 0.9x (the checks cost at most a tenth of a put).
* open_walk      -- opening a store of ~64 MiB (the largest walked at open by default) with its pages walked
                    (storage/pages.py) against the same open with ``walk_pages=False``. Informational: says what
                    an open costs at the limit.
* token_txn      -- TransactWriteItems of one Put with a ClientRequestToken (checked and recorded in the
                    write's transaction, tables/tokens.py) against the same without a token; non-durable.
                    Target: >= 0.8x.

Run ``python bench/hardening.py --help`` for the options.
"""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

from harness import RESULTS_DIR, Stopwatch, Workload, main, ratio_at_least, temp_dir

import logstore

PAD = "p" * 150


def item(i: int) -> dict:
    return {"pk": {"S": f"user-{i:08d}"}, "name": {"S": PAD}, "n": {"N": str(i)}, "ok": {"BOOL": True},
            "tags": {"SS": ["a", "b", "c"]}, "m": {"M": {"x": {"N": "1"}, "y": {"L": [{"S": "z"}]}}}}


def new_store(path: str, **options):
    store = logstore.open(path, durable=False, **options)
    store.create_table(TableName="bench", BillingMode="PAY_PER_REQUEST",
                       KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                       StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    return store


@contextmanager
def embedded_put_checks(n: int, tmp: str):
    def ours():
        with temp_dir(tmp) as path, new_store(path) as store:
            with Stopwatch() as sw:
                for i in range(n):
                    store.put_item(TableName="bench", Item=item(i))
        return n, sw.seconds

    def unchecked():
        with temp_dir(tmp) as path, new_store(path) as store:
            put = store._handlers["PutItem"]
            with Stopwatch() as sw:
                for i in range(n):
                    put({"TableName": "bench", "Item": item(i)})
        return n, sw.seconds

    yield ours, unchecked


@contextmanager
def open_walk(n: int, tmp: str):
    with temp_dir(tmp) as path:
        with new_store(path) as store:
            i = 0
            while os.path.getsize(os.path.join(path, "data.mdb")) < n * (1 << 20):
                with store.batch() as b:
                    for _ in range(1000):
                        b.put_item(TableName="bench", Item=item(i))
                        i += 1

        def ours():
            with Stopwatch() as sw:
                for _ in range(5):
                    logstore.open(path, readonly=True, walk_pages=True).close()
            return 5, sw.seconds

        def unwalked():
            with Stopwatch() as sw:
                for _ in range(5):
                    logstore.open(path, readonly=True, walk_pages=False).close()
            return 5, sw.seconds

        yield ours, unwalked


@contextmanager
def token_txn(n: int, tmp: str):
    def run(with_token: bool):
        with temp_dir(tmp) as path, new_store(path) as store:
            with Stopwatch() as sw:
                for i in range(n):
                    extra = {"ClientRequestToken": uuid.UUID(int=i).hex} if with_token else {}
                    store.transact_write_items(TransactItems=[{"Put": {"TableName": "bench", "Item": item(i)}}],
                                               **extra)
        return n, sw.seconds

    yield (lambda: run(True)), (lambda: run(False))


WORKLOADS = [
    Workload("embedded_put_checks", 20_000, 2_000, "the same puts without the embedded caller's checks",
             ">= 0.9x", ratio_at_least(0.9), embedded_put_checks),
    Workload("open_walk", 64, 8, "the same open, pages not walked (records = opens, size in MiB)", None, None,
             open_walk),
    Workload("token_txn", 10_000, 1_000, "the same TransactWriteItems without a token", ">= 0.8x",
             ratio_at_least(0.8), token_txn),
]

if __name__ == "__main__":
    main("What the hardening costs (issue 18): checks, page walks and stored tokens against the same work "
         "without them.", WORKLOADS, f"{RESULTS_DIR}/hardening.jsonl")
