"""One processor instance of bench/scaleout.py (a separate process, as scale-out runs): a no-op handler over the
stream at ENDPOINT sharing its shards through the lease table; prints "ready" once built, starts on a line on
stdin, stops when stdin closes and prints how many records it handled."""
import sys

import boto3

from logstore.processors import Processor, ProcessorConfig
from logstore.processors.leases import LeaseSettings

endpoint, worker = sys.argv[1], sys.argv[2]
creds = {"region_name": "us-east-1", "aws_access_key_id": "bench", "aws_secret_access_key": "bench"}
seen = [0]


def handler(event, context):
    seen[0] += len(event["Records"])


streams = boto3.client("dynamodbstreams", endpoint_url=endpoint, **creds)
ddb = boto3.client("dynamodb", endpoint_url=endpoint, **creds)
proc = Processor.remote(streams, "bench", handler, None, ProcessorConfig(batch_size=1000, poll_interval_s=0.05),
                        name="bench", leases=LeaseSettings("leases", worker_id=worker, failover_s=5),
                        lease_client=ddb)
print("ready", flush=True)
sys.stdin.readline()
proc.start()
sys.stdin.readline()          # EOF: stop
proc.stop()
print("handled", seen[0], flush=True)
