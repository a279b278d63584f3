"""Tagging through the embedded API: TagResource, UntagResource, ListTagsOfResource on table ARNs; validation,
limits and unknown resources, and that tagging changes no item and writes no stream record."""
from __future__ import annotations

import pytest

import logstore
from logstore.errors import ResourceNotFoundException, ValidationException


@pytest.fixture
def store(store_path):
    with logstore.open(store_path) as s:
        s.create_table(TableName="tagged", BillingMode="PAY_PER_REQUEST",
                       KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                       StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
                       Tags=[{"Key": "env", "Value": "test"}])
        yield s


ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/tagged"


def test_create_table_tags_then_tag_untag(store):
    assert store.list_tags_of_resource(ResourceArn=ARN) == {"Tags": [{"Key": "env", "Value": "test"}]}
    assert store.tag_resource(ResourceArn=ARN, Tags=[{"Key": "env", "Value": "prod"}, {"Key": "a", "Value": ""}]) == {}
    assert store.list_tags_of_resource(ResourceArn=ARN)["Tags"] == [{"Key": "a", "Value": ""},
                                                                    {"Key": "env", "Value": "prod"}]
    assert store.untag_resource(ResourceArn=ARN, TagKeys=["env", "never-set"]) == {}
    assert store.list_tags_of_resource(ResourceArn=ARN)["Tags"] == [{"Key": "a", "Value": ""}]


def test_tagging_writes_no_record(store):
    store.tag_resource(ResourceArn=ARN, Tags=[{"Key": "x", "Value": "y"}])
    arn = store.list_streams(TableName="tagged")["Streams"][0]["StreamArn"]
    shard = store.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = store.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert store.get_records(ShardIterator=it)["Records"] == []


@pytest.mark.parametrize("request_, error, text", [
    (dict(ResourceArn="arn:aws:dynamodb:us-east-1:000000000000:table/other", Tags=[{"Key": "k", "Value": "v"}]),
     ResourceNotFoundException, "ResourceArn: arn:aws:dynamodb:us-east-1:000000000000:table/other not found"),
    (dict(ResourceArn="arn:aws:dynamodb:eu-west-1:000000000000:table/tagged", Tags=[{"Key": "k", "Value": "v"}]),
     ValidationException, "Invalid TableArn: Invalid ResourceArn provided as input arn:aws:dynamodb:eu-west-1:"),
    (dict(ResourceArn="arn:aws:dynamodb:us-east-1:111111111111:table/tagged", Tags=[{"Key": "k", "Value": "v"}]),
     ResourceNotFoundException, "not found"),
    (dict(ResourceArn="nonsense", Tags=[{"Key": "k", "Value": "v"}]), ValidationException,
     "One or more parameter values were invalid: ARNs must start with 'arn:': nonsense"),
    (dict(ResourceArn="arn:aws:dynamodb:us-east-1:000000000000:tablet", Tags=[{"Key": "k", "Value": "v"}]),
     ValidationException, "Invalid TableArn: Invalid ResourceArn provided as input "),
    (dict(ResourceArn=ARN + "/index/byx", Tags=[{"Key": "k", "Value": "v"}]), ValidationException,
     "Invalid resource arn provided, only table or stream is accepted. Provided resource arn: " + ARN + "/index/byx"),
    (dict(ResourceArn=ARN, Tags=[]), ValidationException, "Atleast one Tag needs to be provided as Input."),
    (dict(ResourceArn=ARN, Tags=[{"Key": "", "Value": "v"}]), ValidationException,
     "The Tag Key provided is invalid, Key: "),
    (dict(ResourceArn=ARN, Tags=[{"Key": "k" * 129, "Value": "v"}]), ValidationException,
     "The Tag Key provided is invalid, Key: " + "k" * 129),
    (dict(ResourceArn=ARN, Tags=[{"Key": "k", "Value": "v" * 257}]), ValidationException,
     "The Tag Value provided is invalid, Value: " + "v" * 257),
    (dict(ResourceArn=ARN, Tags=[{"Key": "k"}]), ValidationException, "The Tag Value provided is invalid, Value: null"),
    (dict(ResourceArn=ARN, Tags=[{"Value": "v"}]), ValidationException, "The Tag Key provided is invalid, Key: null"),
    (dict(ResourceArn=ARN, Tags=[{"Key": "aws:x", "Value": "v"}]), ValidationException,
     "Tag Key cannot be prefixed with aws:, Key: aws:x"),
    (dict(ResourceArn=ARN, Tags=[{"Key": "d", "Value": "1"}, {"Key": "d", "Value": "2"}]), ValidationException,
     "Duplicate Tag Keys provided as input: Duplicate Tag Key found d"),
    (dict(ResourceArn=ARN, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)]), ValidationException,
     "Number of Tags exceed the current limit for the provided ResourceArn"),
    (dict(Tags=[{"Key": "k", "Value": "v"}]), ValidationException, "Member must not be null"),
])
def test_tag_resource_errors_change_nothing(store, request_, error, text):
    with pytest.raises(error) as err:
        store.tag_resource(**request_)
    assert text in str(err.value)
    assert store.list_tags_of_resource(ResourceArn=ARN)["Tags"] == [{"Key": "env", "Value": "test"}]


def test_untag_and_list_errors(store):
    with pytest.raises(ValidationException):
        store.untag_resource(ResourceArn=ARN, TagKeys=[""])
    with pytest.raises(ResourceNotFoundException):
        store.list_tags_of_resource(ResourceArn=ARN + "x")
    store.delete_table(TableName="tagged")
    with pytest.raises(ResourceNotFoundException):
        store.list_tags_of_resource(ResourceArn=ARN)
