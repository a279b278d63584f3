"""Handler of the scale-out tests: appends one JSON line per record (worker, shard, time of the invocation, key,
version) to $OUT, then sleeps $SLEEP seconds, so a SIGKILL lands between a delivery and its checkpoint."""
import json
import os
import time

OUT, WORKER, SLEEP = os.environ["OUT"], os.environ["WORKER"], float(os.environ.get("SLEEP", "0.02"))


def handle(event, context):
    t = time.time()
    lines = "".join(json.dumps({"w": WORKER, "s": context.shard_id, "t": t, "pk": r["dynamodb"]["Keys"]["pk"]["S"],
                                "v": int(r["dynamodb"]["NewImage"]["v"]["N"])}) + "\n" for r in event["Records"])
    with open(OUT, "a") as f:
        f.write(lines)
    time.sleep(SLEEP)
