"""Expression benchmarks: what an UpdateExpression costs over a PutItem of the same item, in the embedded engine.

Workloads (a table with a NEW_AND_OLD_IMAGES stream; n items written beforehand, untimed; each side then changes
every item once, one operation per transaction, so both write a MODIFY record with both images):
* update_vs_put         -- ``update_item`` with a three-action SET (``SET #n = :name, v = v + :one, ok = :ok``),
                           versus ``put_item`` of the item that update produces. Durable (fsync per commit).
                           Target: the update costs <= 1.5x the put, i.e. ratio (updates/s / puts/s) >= 0.67.
* update_vs_put_nosync  -- the same with ``durable=False``, so the CPU the expression costs is not hidden behind
                           fsync. Same target.

Run ``python bench/expressions.py --help`` for the options.
"""
from __future__ import annotations

from contextlib import contextmanager

from harness import RESULTS_DIR, Stopwatch, Workload, main, ratio_at_least, temp_dir

import logstore

PAD = "p" * 150
UPDATE = "SET #n = :name, v = v + :one, ok = :ok"


def item(i: int, version: int) -> dict:
    return {"pk": {"S": f"user-{i:08d}"}, "name": {"S": f"{PAD}{version}"}, "v": {"N": str(version)},
            "ok": {"BOOL": version % 2 == 0}}


def populated(path: str, n: int, durable: bool):
    store = logstore.open(path, durable=durable)
    store.create_table(TableName="bench", BillingMode="PAY_PER_REQUEST",
                       KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                       StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    for first in range(0, n, 1000):
        with store.batch() as b:
            for i in range(first, min(n, first + 1000)):
                b.put_item(TableName="bench", Item=item(i, 0))
    return store


def pair(durable: bool):
    @contextmanager
    def setup(n: int, tmp: str):
        def ours():
            with temp_dir(tmp) as path, populated(path, n, durable) as store:
                with Stopwatch() as sw:
                    for i in range(n):
                        store.update_item(TableName="bench", Key={"pk": {"S": f"user-{i:08d}"}},
                                          UpdateExpression=UPDATE, ExpressionAttributeNames={"#n": "name"},
                                          ExpressionAttributeValues={":name": {"S": f"{PAD}1"}, ":one": {"N": "1"},
                                                                     ":ok": {"BOOL": False}})
                assert store.get_item(TableName="bench", Key={"pk": {"S": "user-00000000"}})["Item"] == item(0, 1)
            return n, sw.seconds

        def put():
            with temp_dir(tmp) as path, populated(path, n, durable) as store:
                with Stopwatch() as sw:
                    for i in range(n):
                        store.put_item(TableName="bench", Item=item(i, 1))
            return n, sw.seconds

        yield ours, put
    return setup


WORKLOADS = [
    Workload("update_vs_put", 3_000, 300, "put_item of the same item, durable", "update <= 1.5x put (>= 0.67x)",
             ratio_at_least(1 / 1.5), pair(True)),
    Workload("update_vs_put_nosync", 20_000, 2_000, "put_item of the same item, durable=False",
             "update <= 1.5x put (>= 0.67x)", ratio_at_least(1 / 1.5), pair(False)),
]

if __name__ == "__main__":
    main(__doc__.splitlines()[0], WORKLOADS, f"{RESULTS_DIR}/expressions.jsonl")
