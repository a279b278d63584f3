"""A stub AWS JSON 1.0 server that answers at once, for bench/server.py: the floor of a client (what the client
and the HTTP stack cost with no work behind them). Same stack as ``logstore serve`` (uvicorn, httptools, a raw
ASGI app), so the difference to it is the work of logstore's server and engine.

Answers ``PutItem`` and ``BatchWriteItem`` with ``{}``/``{"UnprocessedItems": {}}``, ``GetShardIterator`` with a
fixed iterator, ``GetRecords`` with the page
in the file given as the second argument (captured from logstore by the benchmark), anything else with ``{}``.

``STUB_DURABLE=DIR`` makes it the *durable* stub (issue 13 row 5's baseline): every ``PutItem`` first does one raw
LMDB put of the request body under a counter key in its own write transaction, fsynced (``sync=True``) before the
answer -- the least a durable server can do per request on the same HTTP stack.

Usage: ``python bench/stub_server.py PORT [GETRECORDS_PAGE.json]``; ``STUB_HTTP=h11`` runs it on uvicorn's
pure-Python parser instead (for docs/server.md's comparison). Not a benchmark itself.
"""
from __future__ import annotations

import os
import sys
import zlib

import uvicorn

CANNED = {b"DynamoDB_20120810.PutItem": b"{}",
          b"DynamoDB_20120810.BatchWriteItem": b'{"UnprocessedItems":{}}',
          b"DynamoDBStreams_20120810.GetShardIterator": b'{"ShardIterator":"stub-iterator"}'}
DEFAULT = b"{}"
DURABLE = None                      # (lmdb env, [next key]) with STUB_DURABLE


async def app(scope, receive, send):
    if scope["type"] != "http":
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        return
    more = True
    chunks = []
    while more:
        message = await receive()
        more = message.get("more_body", False)
        chunks.append(message.get("body", b""))
    target = next((v for k, v in scope["headers"] if k == b"x-amz-target"), b"")
    if DURABLE is not None and target == b"DynamoDB_20120810.PutItem":
        env, counter = DURABLE
        counter[0] += 1
        with env.begin(write=True) as txn:          # committed (and fsynced: sync=True) before the answer
            txn.put(counter[0].to_bytes(8, "big"), b"".join(chunks))
    body = CANNED.get(target, DEFAULT)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/x-amz-json-1.0"), (b"x-amzn-requestid", b"stub"),
                            (b"x-amz-crc32", str(zlib.crc32(body)).encode()),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


if __name__ == "__main__":
    if os.environ.get("STUB_DURABLE"):
        import lmdb
        DURABLE = (lmdb.open(os.environ["STUB_DURABLE"], map_size=1 << 30, sync=True, metasync=True), [0])
    if len(sys.argv) > 2:
        with open(sys.argv[2], "rb") as f:
            CANNED[b"DynamoDBStreams_20120810.GetRecords"] = f.read()
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), http=os.environ.get("STUB_HTTP", "httptools"),
                log_level="warning", access_log=False, server_header=False, date_header=False)
