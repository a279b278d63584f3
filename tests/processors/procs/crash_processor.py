"""A processor run as its own process for tests/processors/test_proc_crash.py, killed with SIGKILL at random moments.

    crash_processor.py STORE OUT MODE [--until-idle]

MODE ``at-least-once`` (or ``at-least-once-lanes``: parallelization factor 3): the handler appends one line ``<pk> <version> <seq>`` per record to OUT (one write per
batch). MODE ``exactly-once``: the same lines, and through ``context.batch`` (committed with the checkpoint) it
counts each sequence number in table ``seen`` and keeps each key's last version in table ``last``, flagging a
version that does not follow the previous one. ``--until-idle``: exit once everything written has been handled.
"""
from __future__ import annotations

import os
import sys
import time

import logstore
from logstore.processors import Processor, ProcessorConfig


def main() -> None:
    path, out, mode = sys.argv[1:4]
    until_idle = "--until-idle" in sys.argv
    fd = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def bump(old):
        n = int(old["n"]["N"]) if old else 0
        return {"pk": old["pk"] if old else None, "n": {"N": str(n + 1)}}

    def handler(event, context):
        lines = []
        for r in event["Records"]:
            pk = r["dynamodb"]["Keys"]["pk"]["S"]
            version = int(r["dynamodb"]["NewImage"]["v"]["N"])
            seq = r["dynamodb"]["SequenceNumber"]
            lines.append(f"{pk} {version} {seq}\n")
            if mode == "exactly-once":
                key = {"pk": {"S": seq}}
                context.batch.update_item(TableName="seen", Key=key, apply=lambda old, key=key: {
                    **key, "n": {"N": str(int(old["n"]["N"]) + 1 if old else 1)}})
                context.batch.update_item(TableName="last", Key={"pk": {"S": pk}}, apply=lambda old, pk=pk, v=version: {
                    "pk": {"S": pk}, "v": {"N": str(v)},
                    **({"bad": {"S": f"{old['v']['N'] if old else 0}->{v}"}} if v != (int(old["v"]["N"]) if old else 0) + 1
                       else ({"bad": old["bad"]} if old and "bad" in old else {}))})
        os.write(fd, "".join(lines).encode())
        time.sleep(0.005)

    with logstore.open(path) as store:
        lanes = 3 if mode == "at-least-once-lanes" else 1
        processor = Processor.embedded(store, "orders", handler, ProcessorConfig(
            batch_size=25 // lanes, parallelization_factor=lanes), name="crash")
        processor.start()
        print("started", flush=True)
        if until_idle:
            processor.wait_idle(120)
            processor.stop()
            print("idle", flush=True)
            return
        while True:
            time.sleep(1)


if __name__ == "__main__":
    main()
