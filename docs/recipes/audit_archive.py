"""Recipe: an audit trail — every change archived to compressed JSON lines.

``Archiver(directory)`` is a handler that appends each batch, one Lambda record per line, to
``<directory>/<shard id>.jsonl.gz`` as **one gzip member per batch**, fsynced before it returns. Concatenated gzip
members are one valid gzip file (``gzip.open``, ``zcat`` read them all), and a crash can at worst cut the last
member short: ``read_archive`` stops at a damaged tail. Delivery is at least once, so after a crash a batch can be
archived twice: ``read_archive`` drops repeated ``eventID``s (an event id is fixed per record).

Run it: ``python docs/recipes/audit_archive.py [STORE_DIR]``.
"""
from __future__ import annotations

import gzip
import json
import os
import sys
import tempfile
import zlib


class Archiver:
    def __init__(self, directory: str):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)

    def __call__(self, event, context):
        lines = "".join(json.dumps(r, sort_keys=True) + "\n" for r in event["Records"])
        path = os.path.join(self.directory, f"{context.shard_id}.jsonl.gz")
        with open(path, "ab") as f:
            f.write(gzip.compress(lines.encode()))
            f.flush()
            os.fsync(f.fileno())


def read_archive(directory: str) -> list[dict]:
    """Every archived record once, shard files in name order (parents before children), in sequence order."""
    out, seen = [], set()
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".jsonl.gz"):
            continue
        with open(os.path.join(directory, name), "rb") as f:
            data = f.read()
        while data:
            d = zlib.decompressobj(wbits=31)        # one gzip member
            try:
                text = d.decompress(data)
            except zlib.error:
                break                               # a member cut short by a crash: the end
            if not d.eof:
                break
            data = d.unused_data
            for line in text.decode().splitlines():
                record = json.loads(line)
                if record["eventID"] not in seen:
                    seen.add(record["eventID"])
                    out.append(record)
    return out


def main(path: str) -> list:
    import logstore
    os.makedirs(path, exist_ok=True)
    from logstore.processors import Processor, ProcessorConfig
    archive = os.path.join(path, "archive")
    with logstore.open(os.path.join(path, "store")) as store:
        store.create_table(TableName="accounts", BillingMode="PAY_PER_REQUEST",
                           KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                           AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                           StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
        with Processor.embedded(store, "accounts", Archiver(archive), ProcessorConfig(batch_size=500)) as proc:
            for i in range(1000):
                store.put_item(TableName="accounts", Item={"pk": {"S": f"acct-{i % 50}"}, "balance": {"N": str(i)}})
            proc.wait_idle()
    records = read_archive(archive)
    print(len(records), "records archived in", sorted(os.listdir(archive)))
    return records


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="archive-"))
