"""Member types are checked in one place (logstore/api/members.py, over botocore's shapes generated into
api/operations.py), so the embedded store and the server answer the same type fault with the same error code and
message, and neither writes anything (issue 15).

One table of faults, each sent four ways: the embedded store's ``Store.call`` and its keyword method, raw HTTP to a
real ``logstore serve``, and a real boto3 client with parameter validation off (only where boto3 sends the fault
as written: its serializer reshapes or refuses some values itself, which the ``before-send`` hook below sees).
The faults a Python value has no JSON form for (bytes against base64 text, a tuple) are the last tests here;
docs/errors.md says what each door answers."""
from __future__ import annotations

import copy
import decimal
import json
import re

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from serverhelpers import REGION, unique

import logstore
from logstore.errors import AwsError, SerializationException

T = "<table>"
ARN = "<arn>"
STREAM = "arn:aws:dynamodb:us-east-1:000000000000:table/nosuch/stream/2026-01-01T00:00:00.000"
K = {"pk": {"S": "a"}}
TAB2 = {"TableName": "<new>", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"}


def item(value):
    return {"pk": {"S": "k"}, "v": value}


def nested(levels):
    value = {"S": "x"}
    for _ in range(levels):
        value = {"M": {"a": value}}
    return value


FAULTS = [   # (name, operation, request): every one a fault, answered alike by both doors
    ("item a string", "PutItem", {"TableName": T, "Item": "x"}),
    ("item a list", "PutItem", {"TableName": T, "Item": []}),
    ("item a number", "PutItem", {"TableName": T, "Item": 5}),
    ("S a number", "PutItem", {"TableName": T, "Item": item({"S": 5})}),
    ("S a list", "PutItem", {"TableName": T, "Item": item({"S": ["a"]})}),
    ("N a number", "PutItem", {"TableName": T, "Item": item({"N": 5})}),
    ("N a float", "PutItem", {"TableName": T, "Item": item({"N": 5.5})}),
    ("BOOL a string", "PutItem", {"TableName": T, "Item": item({"BOOL": "x"})}),
    ("BOOL a number", "PutItem", {"TableName": T, "Item": item({"BOOL": 1})}),
    ("NULL a string", "PutItem", {"TableName": T, "Item": item({"NULL": "x"})}),
    ("L a map", "PutItem", {"TableName": T, "Item": item({"L": {}})}),
    ("L of a number", "PutItem", {"TableName": T, "Item": item({"L": [5]})}),
    ("L of null", "PutItem", {"TableName": T, "Item": item({"L": [None]})}),
    ("M a list", "PutItem", {"TableName": T, "Item": item({"M": []})}),
    ("M of a number", "PutItem", {"TableName": T, "Item": item({"M": {"a": 5}})}),
    ("SS a string", "PutItem", {"TableName": T, "Item": item({"SS": "a"})}),
    ("SS of a number", "PutItem", {"TableName": T, "Item": item({"SS": [1]})}),
    ("NS of a number", "PutItem", {"TableName": T, "Item": item({"NS": [1]})}),
    ("BS a string", "PutItem", {"TableName": T, "Item": item({"BS": "AA=="})}),
    ("BS of a number", "PutItem", {"TableName": T, "Item": item({"BS": [1]})}),
    ("B a number", "PutItem", {"TableName": T, "Item": item({"B": 5})}),
    ("B a list", "PutItem", {"TableName": T, "Item": item({"B": []})}),
    ("value a string", "PutItem", {"TableName": T, "Item": item("x")}),
    ("value null", "PutItem", {"TableName": T, "Item": item(None)}),
    ("S null", "PutItem", {"TableName": T, "Item": item({"S": None})}),
    ("unknown type only", "PutItem", {"TableName": T, "Item": item({"X": "1"})}),
    ("nested 40 deep", "PutItem", {"TableName": T, "Item": item(nested(40))}),
    ("nested 70 deep", "PutItem", {"TableName": T, "Item": item(nested(70))}),
    ("TableName a number", "PutItem", {"TableName": 5, "Item": item({"S": "a"})}),
    ("TableName a list", "PutItem", {"TableName": [T], "Item": item({"S": "a"})}),
    ("ReturnValues a number", "PutItem", {"TableName": T, "Item": item({"S": "a"}), "ReturnValues": 5}),
    ("values a list", "PutItem", {"TableName": T, "Item": item({"S": "a"}), "ConditionExpression": "v = :v",
                                  "ExpressionAttributeValues": []}),
    ("a name a number", "PutItem", {"TableName": T, "Item": item({"S": "a"}), "ConditionExpression": "#v = :v",
                                    "ExpressionAttributeNames": {"#v": 5},
                                    "ExpressionAttributeValues": {":v": {"S": "a"}}}),
    ("a value a number", "PutItem", {"TableName": T, "Item": item({"S": "a"}), "ConditionExpression": "v = :v",
                                     "ExpressionAttributeValues": {":v": 5}}),
    ("Expected a string", "PutItem", {"TableName": T, "Item": item({"S": "a"}), "Expected": "x"}),
    ("Key a string", "GetItem", {"TableName": T, "Key": "x"}),
    ("Key S a number", "GetItem", {"TableName": T, "Key": {"pk": {"S": 5}}}),
    ("ConsistentRead a string", "GetItem", {"TableName": T, "Key": K, "ConsistentRead": "yes"}),
    ("ConsistentRead a number", "GetItem", {"TableName": T, "Key": K, "ConsistentRead": 1}),
    ("AttributesToGet a string", "GetItem", {"TableName": T, "Key": K, "AttributesToGet": "pk"}),
    ("AttributesToGet of null", "GetItem", {"TableName": T, "Key": K, "AttributesToGet": [None]}),
    ("AttributesToGet of a number", "GetItem", {"TableName": T, "Key": K, "AttributesToGet": [1]}),
    ("Limit a string", "Scan", {"TableName": T, "Limit": "5"}),
    ("Limit a bool", "Scan", {"TableName": T, "Limit": True}),
    ("Limit a fraction", "Scan", {"TableName": T, "Limit": 1.5}),
    ("Limit past int", "Scan", {"TableName": T, "Limit": 2**40}),
    ("Limit a list", "Scan", {"TableName": T, "Limit": [1]}),
    ("Segment a string", "Scan", {"TableName": T, "Segment": "0", "TotalSegments": 2}),
    ("ExclusiveStartKey a string", "Scan", {"TableName": T, "ExclusiveStartKey": "x"}),
    ("ScanFilter condition a string", "Scan", {"TableName": T, "ScanFilter": {"v": "x"}}),
    ("KeyConditions a string", "Query", {"TableName": T, "KeyConditions": "x"}),
    ("ScanIndexForward a string", "Query", {"TableName": T, "KeyConditionExpression": "pk = :p",
                                            "ExpressionAttributeValues": {":p": {"S": "a"}},
                                            "ScanIndexForward": "no"}),
    ("AttributeUpdates a string", "UpdateItem", {"TableName": T, "Key": K, "AttributeUpdates": "x"}),
    ("Action a number", "UpdateItem", {"TableName": T, "Key": K,
                                       "AttributeUpdates": {"v": {"Action": 5, "Value": {"S": "a"}}}}),
    ("update Value a string", "UpdateItem", {"TableName": T, "Key": K,
                                             "AttributeUpdates": {"v": {"Action": "PUT", "Value": "a"}}}),
    ("UpdateExpression a number", "UpdateItem", {"TableName": T, "Key": K, "UpdateExpression": 5}),
    ("RequestItems a string", "BatchWriteItem", {"RequestItems": "x"}),
    ("requests a string", "BatchWriteItem", {"RequestItems": {T: "x"}}),
    ("PutRequest a string", "BatchWriteItem", {"RequestItems": {T: [{"PutRequest": "x"}]}}),
    ("requests of null", "BatchWriteItem", {"RequestItems": {T: [None]}}),
    ("batch S a number", "BatchWriteItem", {"RequestItems": {T: [{"PutRequest": {"Item": item({"S": 5})}}]}}),
    ("Keys a string", "BatchGetItem", {"RequestItems": {T: {"Keys": "x"}}}),
    ("TransactItems a map", "TransactWriteItems", {"TransactItems": {}}),
    ("TransactItems of a string", "TransactWriteItems", {"TransactItems": ["x"]}),
    ("transact S a number", "TransactWriteItems",
     {"TransactItems": [{"Put": {"TableName": T, "Item": item({"S": 5})}}]}),
    ("get TransactItems a map", "TransactGetItems", {"TransactItems": {}}),
    ("KeySchema a string", "CreateTable", {**TAB2, "KeySchema": "x"}),
    ("capacity a string", "CreateTable", {**TAB2, "BillingMode": "PROVISIONED",
                                          "ProvisionedThroughput": {"ReadCapacityUnits": "5",
                                                                    "WriteCapacityUnits": 5}}),
    ("StreamEnabled a string", "CreateTable", {**TAB2, "StreamSpecification": {"StreamEnabled": "yes"}}),
    ("Tags a string", "CreateTable", {**TAB2, "Tags": "x"}),
    ("GlobalSecondaryIndexUpdates a string", "UpdateTable", {"TableName": T, "GlobalSecondaryIndexUpdates": "x"}),
    ("ListTables Limit a string", "ListTables", {"Limit": "5"}),
    ("TimeToLiveSpecification a string", "UpdateTimeToLive", {"TableName": T, "TimeToLiveSpecification": "x"}),
    ("TagResource Tags a string", "TagResource", {"ResourceArn": ARN, "Tags": "x"}),
    ("TagKeys a string", "UntagResource", {"ResourceArn": ARN, "TagKeys": "x"}),
    ("GetRecords Limit a string", "GetRecords", {"ShardIterator": "x" * 10, "Limit": "5"}),
    ("ShardIterator a number", "GetRecords", {"ShardIterator": 5}),
    ("ShardIteratorType a number", "GetShardIterator", {"StreamArn": STREAM, "ShardIteratorType": 5,
                                                        "ShardId": "shardId-00000000000000000000-00000000"}),
    ("ListStreams Limit a bool", "ListStreams", {"Limit": True}),
    ("DescribeStream Limit a string", "DescribeStream", {"StreamArn": STREAM, "Limit": "5"}),
]
STREAMS_OPERATIONS = {"GetRecords", "GetShardIterator", "ListStreams", "DescribeStream"}


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def filled(value, table: str, arn: str, new: str):
    """The fault with this run's names in place of the placeholders."""
    text = json.dumps(value).replace(T, table).replace(ARN, arn).replace("<new>", new)
    return json.loads(text)


class Reshaped(Exception):
    """boto3 would have sent something other than the fault."""


class WireError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(code, message)
        self.answer = (code, message)


def answer(fn) -> tuple[str, str] | str:
    """(error code, message) of what ``fn()`` raised, from either door."""
    try:
        fn()
    except AwsError as e:
        return e.code(), e.message
    except WireError as e:
        return e.answer
    return "no error"


def create(call, name: str) -> None:
    call("CreateTable", {"TableName": name, "BillingMode": "PAY_PER_REQUEST",
                         "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                         "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                         "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}})
    call("PutItem", {"TableName": name, "Item": {"pk": {"S": "a"}, "v": {"N": "1"}}})


class Door:
    """One side: ``call(operation, request) -> response``, its table and what the table holds."""

    def __init__(self, call, table: str):
        self.call, self.table = call, table
        self.arn = call("DescribeTable", {"TableName": table})["Table"]["TableArn"]

    def state(self) -> tuple:
        """The table's items, its stream's records, tags and TTL: what a refused request must leave alone."""
        items = self.call("Scan", {"TableName": self.table})["Items"]
        stream = self.call("DescribeTable", {"TableName": self.table})["Table"]["LatestStreamArn"]
        records = []
        for shard in self.call("DescribeStream", {"StreamArn": stream})["StreamDescription"]["Shards"]:
            it = self.call("GetShardIterator", {"StreamArn": stream, "ShardId": shard["ShardId"],
                                                "ShardIteratorType": "TRIM_HORIZON"})["ShardIterator"]
            records += [r["dynamodb"]["SequenceNumber"] for r in self.call("GetRecords", {"ShardIterator": it})["Records"]]
        tags = self.call("ListTagsOfResource", {"ResourceArn": self.arn}).get("Tags", [])
        return items, records, tags, self.call("DescribeTimeToLive", {"TableName": self.table})

    def exists(self, table: str) -> bool:
        return answer(lambda: self.call("DescribeTable", {"TableName": table}))[0] != "ResourceNotFoundException"


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    with logstore.open(tmp_path_factory.mktemp("member-types") / "store", durable=False) as store:
        create(store.call, "embedded-tab")
        yield store, Door(store.call, "embedded-tab")


@pytest.fixture(scope="module")
def served(server):
    config = Config(parameter_validation=False, retries={"max_attempts": 1, "mode": "standard"})
    clients = {service: boto3.client(service, endpoint_url=server.url, region_name=REGION, config=config,
                                     aws_access_key_id="test", aws_secret_access_key="test")
               for service in ("dynamodb", "dynamodbstreams")}
    expected: list = []

    def only_as_written(request, **_):
        """boto3's serializer reshapes some faults (a str for a list becomes a list of its characters): such a
        request is never sent, so nothing but the fault as written reaches the server."""
        if json.loads(request.body) != expected[-1]:
            raise Reshaped()
    for client in clients.values():
        client.meta.events.register("before-send", only_as_written)

    def call(operation, request):
        prefix = "DynamoDBStreams_20120810" if operation in STREAMS_OPERATIONS else "DynamoDB_20120810"
        r = server.post(f"{prefix}.{operation}", request)
        body = r.json()
        if r.status_code != 200:
            raise WireError(body["__type"].split("#")[-1], body.get("message", ""))
        return body

    name = unique("members")
    create(call, name)
    yield call, clients, expected, Door(call, name)


@pytest.mark.parametrize("name,operation,fault", FAULTS, ids=[f[0] for f in FAULTS])
def test_a_type_fault_answers_alike_through_both_doors(embedded, served, name, operation, fault):
    store, local = embedded
    call, clients, expected, remote = served
    new = unique("new")
    local_request = filled(fault, local.table, local.arn, new)
    remote_request = filled(fault, remote.table, remote.arn, new)
    before = local.state(), remote.state()

    wire = answer(lambda: call(operation, remote_request))
    assert wire != "no error" and wire[0] in ("SerializationException", "ValidationException"), wire
    assert answer(lambda: store.call(operation, copy.deepcopy(local_request))) == wire
    if isinstance(local_request, dict):
        method = getattr(store, snake(operation))
        assert answer(lambda: method(**copy.deepcopy(local_request))) == wire

    # boto3 with its own validation off: where its serializer sends the fault as written, the same answer
    client = clients["dynamodbstreams" if operation in STREAMS_OPERATIONS else "dynamodb"]
    expected.append(remote_request)
    try:
        getattr(client, snake(operation))(**copy.deepcopy(remote_request))
        raise AssertionError("boto3 sent the fault and it was accepted")
    except ClientError as e:
        assert (e.response["Error"]["Code"], e.response["Error"]["Message"]) == wire
    except AssertionError:
        raise
    except Exception:   # Reshaped, or boto3 could not serialize it at all (``.items()`` of a str...): not sent
        pass

    assert (local.state(), remote.state()) == before, "a refused request changed something"
    assert not local.exists(new) and not remote.exists(new)


def test_the_table_covers_every_kind_of_member():
    """Each scalar kind and container of the model appears as a fault in the table, as do null and depth."""
    names = " ".join(f[0] for f in FAULTS)
    for word in ("a string", "a number", "a bool", "a list", "a map", "null", "deep", "unknown", "a fraction",
                 "past int"):
        assert word in names, word


# -- what only a Python caller can pass: the embedded door's own answers (docs/errors.md, "Embedded callers") ---

def test_binary_values_are_bytes_embedded_and_base64_on_the_wire(embedded, served):
    store, local = embedded
    call, _, _, remote = served
    before = local.state(), remote.state()
    with pytest.raises(SerializationException, match="^STRING_VALUE can not be converted to an ByteBuffer: the "
                       "embedded API takes binary values as bytes"):
        store.put_item(TableName=local.table, Item=item({"B": "AAAA"}))
    assert answer(lambda: call("PutItem", {"TableName": remote.table, "Item": item({"B": "!!"})})) == \
        ("SerializationException", "Base64 encoded value is not valid")
    assert (local.state(), remote.state()) == before
    store.put_item(TableName=local.table, Item={"pk": {"S": "b"}, "v": {"B": bytearray(b"\x01")}})
    assert store.get_item(TableName=local.table, Key={"pk": {"S": "b"}})["Item"]["v"] == {"B": b"\x01"}
    store.delete_item(TableName=local.table, Key={"pk": {"S": "b"}})


@pytest.mark.parametrize("operation,members,expected", [
    ("GetItem", {"Key": K, "AttributesToGet": ("pk",)}, "Python tuple can not be converted to an List"),
    ("GetItem", {"Key": K, "AttributesToGet": {"pk"}}, "Python set can not be converted to an List"),
    ("Scan", {"ProjectionExpression": b"pk"}, "Python bytes can not be converted to an String"),
    ("PutItem", {"Item": item({"S": b"x"})}, "Python bytes can not be converted to an String"),
    ("Scan", {"Limit": decimal.Decimal(5)}, "Python Decimal can not be converted to an Integer"),
], ids=["tuple", "set", "bytes", "S bytes", "Decimal"])
def test_a_value_json_has_no_form_for_is_refused_naming_its_type(embedded, operation, members, expected):
    store, local = embedded
    before = local.state()
    with pytest.raises(SerializationException) as e:
        store.call(operation, {"TableName": local.table, **members})
    assert e.value.message == expected
    assert local.state() == before


def test_map_keys_must_be_strings_and_strings_unicode(embedded):
    store, local = embedded
    before = local.state()
    with pytest.raises(SerializationException, match="^Map keys must be strings, not int$"):
        store.put_item(TableName=local.table, Item={"pk": {"S": "c"}, 5: {"S": "x"}})
    with pytest.raises(SerializationException, match="lone surrogates"):
        store.put_item(TableName=local.table, Item={"pk": {"S": "c\ud800"}})
    assert local.state() == before
