"""``logstore.testing.mock`` answers boto3 clients and resources in process, through the server's wire path, whatever
the region, credentials and endpoint settings, and opens no socket."""
from __future__ import annotations

import os

import boto3
import botocore.config
import pytest
from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError
from mockhelpers import KEY, SocketAudit, create_table

from logstore.testing import current, mock


def test_client_writes_reads_and_errors_like_the_server():
    with mock() as m:
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        create_table(ddb, "orders")
        ddb.put_item(TableName="orders", Item={"pk": {"S": "a"}, "n": {"N": "1"}, "b": {"B": b"\x00\x01"}})
        got = ddb.get_item(TableName="orders", Key={"pk": {"S": "a"}})
        assert got["Item"] == {"pk": {"S": "a"}, "n": {"N": "1"}, "b": {"B": b"\x00\x01"}}
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert "x-amz-crc32" in got["ResponseMetadata"]["HTTPHeaders"]   # the server's headers, checked by botocore
        # the engine's validation, in AWS's words, through botocore's error parsing
        with pytest.raises(ClientError) as err:
            ddb.put_item(TableName="orders", Item={"n": {"N": "1"}})
        assert err.value.response["Error"]["Code"] == "ValidationException"
        assert "Missing the key pk" in err.value.response["Error"]["Message"]
        with pytest.raises(ddb.exceptions.ResourceNotFoundException):
            ddb.get_item(TableName="missing", Key={"pk": {"S": "a"}})
        # the member-type checks (api/members.py) run too: botocore's own validation off, a string for a number
        raw = boto3.client("dynamodb", region_name="us-east-1",
                           config=botocore.config.Config(parameter_validation=False))
        with pytest.raises(ClientError) as err:
            raw.scan(TableName="orders", Limit="ten")
        assert err.value.response["Error"]["Code"] == "SerializationException"
        # and the store behind it is the handle's
        assert m.store.get_item(TableName="orders", Key={"pk": {"S": "a"}})["Item"]["n"] == {"N": "1"}


def test_resource_table_query_and_batch_writer():
    with mock():
        table = boto3.resource("dynamodb", region_name="us-east-1").create_table(
            TableName="events", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                           {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "N"}],
            BillingMode="PAY_PER_REQUEST")
        table.wait_until_exists()
        with table.batch_writer() as batch:
            for i in range(30):
                batch.put_item(Item={"pk": "u1" if i % 2 else "u2", "sk": i, "tags": {"a", "b"}})
        items = table.query(KeyConditionExpression=Key("pk").eq("u1") & Key("sk").gt(20))["Items"]
        assert [int(i["sk"]) for i in items] == [21, 23, 25, 27, 29]
        assert items[0]["tags"] == {"a", "b"}
        assert table.item_count == 30 or table.reload() is None


def test_streams_client_reads_what_the_table_wrote():
    with mock() as m:
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        streams = boto3.client("dynamodbstreams", region_name="us-east-1")
        arn = create_table(ddb, "orders")["LatestStreamArn"]
        ddb.put_item(TableName="orders", Item={"pk": {"S": "a"}})
        ddb.delete_item(TableName="orders", Key={"pk": {"S": "a"}})
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        records = streams.get_records(ShardIterator=it["ShardIterator"])["Records"]
        assert [r["eventName"] for r in records] == ["INSERT", "REMOVE"]
        assert [r["eventName"] for r in m.records("orders")] == ["INSERT", "REMOVE"]
        assert m.records("no-such-table-here") == []


def test_regions_have_their_own_tables_and_arns():
    with mock() as m:
        east = boto3.client("dynamodb", region_name="us-east-1")
        west = boto3.client("dynamodb", region_name="eu-west-1")
        create_table(east, "same-name")
        arn = create_table(west, "same-name")["TableArn"]
        assert arn.startswith("arn:aws:dynamodb:eu-west-1:")
        west.put_item(TableName="same-name", Item={"pk": {"S": "w"}})
        assert east.scan(TableName="same-name")["Count"] == 0
        assert west.scan(TableName="same-name")["Count"] == 1
        assert m.regions == ["eu-west-1", "us-east-1"]
        assert os.path.isdir(m.path_for("eu-west-1"))


@pytest.mark.parametrize("settings", [
    {"endpoint_url": "http://127.0.0.1:1"},                                 # a port nobody listens on
    {"endpoint_url": "https://dynamodb.example.invalid"},                    # a name that does not resolve
    {"aws_access_key_id": "AKIAREALLOOKING", "aws_secret_access_key": "x", "aws_session_token": "tok"},
    {"aws_account_id": "111122223333", "aws_access_key_id": "a", "aws_secret_access_key": "b",
     "config": botocore.config.Config(account_id_endpoint_mode="required")},   # https://<account>.ddb.<region>...
    {"config": botocore.config.Config(retries={"mode": "adaptive"}, connect_timeout=0.001)},
])
def test_any_endpoint_or_credentials_and_no_socket_opened(settings):
    audit = SocketAudit.get()
    with mock():
        session = boto3.session.Session()
        ddb = session.client("dynamodb", region_name="ap-southeast-2", **settings)
        streams = session.client("dynamodbstreams", region_name="ap-southeast-2",
                                 **{k: v for k, v in settings.items() if k != "aws_account_id"})
        with audit:
            arn = create_table(ddb, "tbl")["LatestStreamArn"]
            ddb.put_item(TableName="tbl", Item={"pk": {"S": "a"}})
            assert ddb.describe_table(TableName="tbl")["Table"]["TableArn"].startswith(
                "arn:aws:dynamodb:ap-southeast-2:")
            assert streams.describe_stream(StreamArn=arn)["StreamDescription"]["StreamStatus"] == "ENABLED"
        assert audit.events == []


def test_the_audit_does_see_a_real_connection():
    """The audit is not blind: the same client outside a mock tries the network (and is refused by the port)."""
    audit = SocketAudit.get()
    ddb = boto3.client("dynamodb", region_name="us-east-1", endpoint_url="http://127.0.0.1:1",
                       aws_access_key_id="a", aws_secret_access_key="b",
                       config=botocore.config.Config(retries={"max_attempts": 1}, connect_timeout=1))
    with audit:
        with pytest.raises(Exception):
            ddb.list_tables()
    assert any(event == "socket.connect" for event, _ in audit.events)


def test_dummy_credentials_and_region_while_active_and_environment_restored(monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    before = boto3.DEFAULT_SESSION
    with mock(region="eu-central-1"):
        assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"
        ddb = boto3.client("dynamodb")                      # no credentials, no region given: the mock's
        assert ddb.meta.region_name == "eu-central-1"
        assert ddb.list_tables()["TableNames"] == []
    assert "AWS_ACCESS_KEY_ID" not in os.environ and "AWS_DEFAULT_REGION" not in os.environ
    assert boto3.DEFAULT_SESSION is before
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "mine")
    monkeypatch.setenv("AWS_REGION", "sa-east-1")
    with mock():
        assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"
        assert "AWS_DEFAULT_REGION" not in os.environ        # a region was set: left alone
    assert os.environ["AWS_ACCESS_KEY_ID"] == "mine"


def test_temporary_store_removed_and_kept_store_stays(tmp_path):
    with mock() as m:
        boto3.client("dynamodb", region_name="us-east-1").list_tables()
        path = m.path
        assert os.path.exists(os.path.join(m.path_for(), "data.mdb"))
        assert m.store.env.durable is False
    assert not os.path.exists(path)
    kept = tmp_path / "kept"
    with mock(path=kept) as m:
        create_table(boto3.client("dynamodb", region_name="us-east-1"), "stays")
        assert m.store.env.durable is True
    with mock(path=kept):   # reopened: the table is still there
        assert boto3.client("dynamodb", region_name="us-east-1").list_tables()["TableNames"] == ["stays"]


def test_other_services_are_not_answered():
    with mock():
        sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url="http://127.0.0.1:1",
                           config=botocore.config.Config(retries={"max_attempts": 1}, connect_timeout=1))
        with pytest.raises(Exception) as err:
            sqs.list_queues()
        assert "Could not connect" in str(err.value) or "Connect" in type(err.value).__name__


def test_handle_outside_and_twice():
    m = mock()
    with pytest.raises(RuntimeError):
        m.store
    with m:
        assert current() is m
        with pytest.raises(RuntimeError):
            m.start()
    assert current() is None
    with pytest.raises(RuntimeError):
        m.stop()


def test_unknown_operation_is_the_servers_answer():
    with mock():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        with pytest.raises(ClientError) as err:
            ddb.describe_continuous_backups(TableName="x")
        assert err.value.response["Error"]["Code"] == "UnknownOperationException"
        with pytest.raises(ClientError) as err:
            ddb.create_table(TableName="x", **KEY)   # too short a name: the engine's ValidationException
        assert err.value.response["Error"]["Code"] == "ValidationException"


def test_an_index_added_to_a_populated_table_is_built_by_the_request():
    """Index builds run at the end of the request that queued them (no builder thread per mock store)."""
    with mock():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        create_table(ddb, "people", stream=False)
        for i in range(30):
            ddb.put_item(TableName="people", Item={"pk": {"S": f"p{i}"}, "city": {"S": "Oslo" if i % 3 else "Rome"}})
        ddb.update_table(TableName="people",
                         AttributeDefinitions=[{"AttributeName": "city", "AttributeType": "S"}],
                         GlobalSecondaryIndexUpdates=[{"Create": {
                             "IndexName": "by-city", "KeySchema": [{"AttributeName": "city", "KeyType": "HASH"}],
                             "Projection": {"ProjectionType": "ALL"}}}])
        [index] = ddb.describe_table(TableName="people")["Table"]["GlobalSecondaryIndexes"]
        assert index["IndexStatus"] == "ACTIVE"
        got = ddb.query(TableName="people", IndexName="by-city", KeyConditionExpression="city = :c",
                        ExpressionAttributeValues={":c": {"S": "Rome"}})
        assert got["Count"] == 10
