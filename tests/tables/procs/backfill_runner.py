"""Runs a store's queued index build in small steps, writing between steps (puts and deletes behind and ahead of
the build's position), and prints ``step N`` after each commit, until the parent SIGKILLs it.

argv: store path, seed."""
from __future__ import annotations

import random
import sys

import logstore


def main() -> None:
    path, seed = sys.argv[1], int(sys.argv[2])
    rng = random.Random(seed)
    store = logstore.open(path, durable=True, index_builds=False)
    step = 0
    while True:
        step += 1
        store.tables.run_jobs(max_steps=1, batch=20)
        n = rng.randrange(2000)
        store.put_item(TableName="tab", Item={"pk": {"S": f"p{n % 11}"}, "sk": {"N": str(n)},
                                              "g": {"S": f"g{rng.randrange(5)}"}, "v": {"N": str(step)}})
        n = rng.randrange(2000)
        store.delete_item(TableName="tab", Key={"pk": {"S": f"p{n % 11}"}, "sk": {"N": str(n)}})
        print(f"step {step}", flush=True)


if __name__ == "__main__":
    main()
