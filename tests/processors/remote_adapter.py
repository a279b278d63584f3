"""A real boto3 client whose HTTP requests an embedded store answers in-process (botocore's ``before-send``
hook): the remote path of the processors (request serialisation, response parsing into datetimes and bytes,
error codes) exercised without a server process. The tests against a real ``logstore serve`` use the server
fixture (tests/server) once the server is merged; this adapter stays for the fast tests."""
from __future__ import annotations

import base64
import json

import boto3
from botocore.awsrequest import AWSResponse

from logstore.errors import AwsError


class _Raw:
    def __init__(self, body: bytes):
        self.body = body

    def stream(self, **_):
        yield self.body

    def read(self, *_):
        return self.body


def _default(value):
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    raise TypeError(type(value))


def embedded_client(store, service: str = "dynamodbstreams"):
    client = boto3.client(service, region_name=store.region, endpoint_url="http://embedded.invalid",
                          aws_access_key_id="test", aws_secret_access_key="test")

    def answer(request, **_):
        operation = request.headers["X-Amz-Target"].decode().rsplit(".", 1)[1]
        try:
            body, status = store.call(operation, json.loads(request.body or b"{}")), 200
        except AwsError as e:
            body, status = {"__type": e.aws_type(), "message": e.message}, e.http_status
        payload = json.dumps(body, default=_default).encode()
        return AWSResponse(request.url, status, {"content-type": "application/x-amz-json-1.0"}, _Raw(payload))

    client.meta.events.register(f"before-send.{client.meta.service_model.endpoint_prefix}", answer)
    return client
