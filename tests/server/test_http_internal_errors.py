"""Fault injection at the border (in-process, no HTTP): an unexpected exception inside a store call becomes a 500
InternalServerError with no details, and is logged with its request id and stack trace; the server keeps
answering. The store is real; only its ``call`` is made to fail, since no client input may trigger a 500."""
from __future__ import annotations

import json
import logging

from logstore.server.app import Server, Settings


def test_unexpected_exception_is_500_without_details(tmp_path, caplog):
    server = Server(Settings(path=str(tmp_path / "store"), maintenance_interval=None, threads=2,
                             tune_gc=False))   # this test process keeps its own GC settings
    server.startup()
    try:
        store = server.holder.store
        real = store.call

        def broken(operation, request, **options):
            if operation == "ListTables":
                raise RuntimeError("secret detail /etc/passwd")
            return real(operation, request)
        store.call = broken
        with caplog.at_level(logging.ERROR, logger="logstore.server"):
            status, body = server._handle("RID123", "POST", "/", "", {"x-amz-target": "DynamoDB_20120810.ListTables"},
                                          b"{}")
        assert status == 500
        assert json.loads(body) == {"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError",
                                    "message": "Internal server error"}
        assert "secret detail" not in body.decode()
        assert "RID123" in caplog.text and "secret detail" in caplog.text
        status, body = server._handle("RID124", "POST", "/", "",
                                      {"x-amz-target": "DynamoDBStreams_20120810.ListStreams"}, b"{}")
        assert (status, json.loads(body)) == (200, {"Streams": []})
    finally:
        server.shutdown()
