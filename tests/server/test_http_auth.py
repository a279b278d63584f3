"""SigV4 verification on a server started with access keys: boto3 clients with the key work (both services);
a wrong secret, an unknown key, a missing signature, a stale or future date and a body changed after signing are
refused as AWS refuses them, and change nothing."""
from __future__ import annotations

import datetime
import json

import pytest
import requests
from serverhelpers import ServerProcess, signed_headers

AKID, SECRET = "AKIDLOGSTORETEST", "s3cr3t/key+value"


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    base = tmp_path_factory.mktemp("auth")
    proc = ServerProcess(base / "store", base / "log", "--access-key", f"{AKID}:{SECRET}").start()
    yield proc
    proc.stop()
    assert "SigV4 verification on, 1 access key" in proc.log()


def post(server, target, body: dict, **sign):
    data = json.dumps(body).encode()
    headers = signed_headers(server.url, target, data, **sign)
    return requests.post(server.url + "/", data=data, headers=headers, timeout=10)


def error(r):
    return r.status_code, r.json()["__type"].rsplit("#", 1)[1], r.json().get("message", "")


def test_signed_clients_work(secured):
    ddb = secured.client("dynamodb", aws_access_key_id=AKID, aws_secret_access_key=SECRET)
    streams = secured.client("dynamodbstreams", aws_access_key_id=AKID, aws_secret_access_key=SECRET)
    ddb.create_table(TableName="signed", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    ddb.put_item(TableName="signed", Item={"pk": {"S": "a"}})
    assert streams.list_streams(TableName="signed")["Streams"]


def test_wrong_secret_and_unknown_key(secured):
    wrong = secured.client("dynamodb", aws_access_key_id=AKID, aws_secret_access_key="nope")
    with pytest.raises(wrong.exceptions.ClientError) as err:
        wrong.list_tables()
    assert err.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert "signature we calculated does not match" in err.value.response["Error"]["Message"]
    stranger = secured.client("dynamodbstreams", aws_access_key_id="AKIDUNKNOWN", aws_secret_access_key="x")
    with pytest.raises(stranger.exceptions.ClientError) as err:
        stranger.list_streams()
    assert err.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_missing_and_incomplete_signatures(secured):
    r = requests.post(secured.url + "/", data="{}", headers={"X-Amz-Target": "DynamoDB_20120810.ListTables"},
                      timeout=10)
    assert error(r)[:2] == (400, "MissingAuthenticationTokenException")
    r = requests.post(secured.url + "/", data="{}", timeout=10,
                      headers={"X-Amz-Target": "DynamoDB_20120810.ListTables", "Authorization": "AWS4-HMAC-SHA256 x"})
    assert error(r)[:2] == (400, "IncompleteSignatureException")


def test_stale_and_future_dates(secured):
    now = datetime.datetime.now(datetime.timezone.utc)
    r = post(secured, "DynamoDB_20120810.ListTables", {}, akid=AKID, secret=SECRET,
             when=now - datetime.timedelta(minutes=20))
    status, code, message = error(r)
    assert (status, code) == (400, "InvalidSignatureException") and message.startswith("Signature expired")
    r = post(secured, "DynamoDB_20120810.ListTables", {}, akid=AKID, secret=SECRET,
             when=now + datetime.timedelta(minutes=20))
    assert error(r)[1] == "InvalidSignatureException" and "not yet current" in error(r)[2]
    ok = post(secured, "DynamoDB_20120810.ListTables", {}, akid=AKID, secret=SECRET,
              when=now - datetime.timedelta(minutes=5))
    assert ok.status_code == 200


def test_body_changed_after_signing_is_refused(secured):
    body = json.dumps({"TableName": "tampered", "BillingMode": "PAY_PER_REQUEST",
                       "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                       "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]}).encode()
    headers = signed_headers(secured.url, "DynamoDB_20120810.CreateTable", body, AKID, SECRET)
    r = requests.post(secured.url + "/", data=body.replace(b"tampered", b"tampere2"), headers=headers, timeout=10)
    assert error(r)[1] == "InvalidSignatureException"
    listed = post(secured, "DynamoDB_20120810.ListTables", {}, akid=AKID, secret=SECRET).json()["TableNames"]
    assert "tampere2" not in listed and "tampered" not in listed


def test_test_endpoints_are_off_by_default(secured):
    for path in ("/moto-api/reset", "/logstore-admin/advance-clock", "/logstore-admin/split-shard"):
        r = requests.post(secured.url + path, json={}, timeout=10)
        assert r.status_code == 404, (path, r.text)
    ddb = secured.client("dynamodb", aws_access_key_id=AKID, aws_secret_access_key=SECRET)
    assert "signed" in ddb.list_tables()["TableNames"]          # nothing was wiped


def test_a_client_that_signs_more_headers_is_verified(secured):
    # botocore never signs User-Agent; other SDKs may. The server takes the client's SignedHeaders list.
    import datetime as dt

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    class SignsEverything(SigV4Auth):
        def headers_to_sign(self, request):
            out = super().headers_to_sign(request)
            out["user-agent"] = request.headers["User-Agent"]
            return out
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    req = AWSRequest(method="POST", url=secured.url + "/", data=b"{}",
                     headers={"X-Amz-Target": "DynamoDB_20120810.ListTables", "X-Amz-Date": stamp,
                              "User-Agent": "other-sdk/1.0", "Host": secured.url.split("//")[1]})
    req.context["timestamp"] = stamp
    signer = SignsEverything(Credentials(AKID, SECRET), "dynamodb", "eu-west-1")
    signer._inject_signature_to_request(req, signer.signature(signer.string_to_sign(
        req, signer.canonical_request(req)), req))
    assert "user-agent" in req.headers["Authorization"]
    r = requests.post(secured.url + "/", data=b"{}", headers=dict(req.headers.items()), timeout=10)
    assert r.status_code == 200, r.text
    headers = dict(req.headers.items(), **{"User-Agent": "changed/2.0"})
    r = requests.post(secured.url + "/", data=b"{}", headers=headers, timeout=10)
    assert error(r)[1] == "InvalidSignatureException"
