"""Attribute-name and tag limits as AWS has them (issue 11), embedded and over HTTP: attribute names up to 65535
bytes work in items, expressions, AttributesToGet and AttributeUpdates, one more byte is a ValidationException
naming the limit (ScyllaDB Alternator's test_limits.py, checked against DynamoDB: 65535 is the last size accepted);
tags: keys 1..128 and values 0..256 characters of AWS's tag alphabet, no ``aws:`` keys, at most 50 per resource,
CreateTable's Tags checked the same way. A refused request changes nothing."""
from __future__ import annotations

import pytest
from confhelpers import make_table, state
from serverhelpers import unique

LONG = "x" * 65535
TOO_LONG = "x" * 65536


def test_attribute_names_up_to_65535_bytes(db):
    table = make_table(db)
    key = {"pk": {"S": "k"}}
    db.put_item(TableName=table, Item=dict(key, **{LONG: {"N": "1"}}))
    assert db.get_item(TableName=table, Key=key, ProjectionExpression="#n",
                       ExpressionAttributeNames={"#n": LONG})["Item"] == {LONG: {"N": "1"}}
    assert db.get_item(TableName=table, Key=key, AttributesToGet=[LONG])["Item"] == {LONG: {"N": "1"}}
    db.update_item(TableName=table, Key=key, UpdateExpression="SET #n = #n + :v", ConditionExpression="#n = :one",
                   ExpressionAttributeNames={"#n": LONG}, ExpressionAttributeValues={":v": {"N": "1"},
                                                                                    ":one": {"N": "1"}})
    db.update_item(TableName=table, Key=key, AttributeUpdates={LONG: {"Action": "ADD", "Value": {"N": "1"}}})
    assert db.get_item(TableName=table, Key=key)["Item"][LONG] == {"N": "3"}


@pytest.mark.parametrize("case", ["put", "projection", "attributes to get", "attribute updates", "update", "condition"])
def test_attribute_names_over_65535_bytes_are_refused(db, case):
    table = make_table(db)
    key = {"pk": {"S": "k"}}
    db.put_item(TableName=table, Item=dict(key, a={"N": "1"}))
    before = state(db, table)
    names = {"#n": TOO_LONG}
    op, request = {
        "put": ("put_item", dict(Item=dict(key, **{TOO_LONG: {"N": "1"}}))),
        "projection": ("get_item", dict(Key=key, ProjectionExpression="#n", ExpressionAttributeNames=names)),
        "attributes to get": ("get_item", dict(Key=key, AttributesToGet=[TOO_LONG])),
        "attribute updates": ("update_item", dict(Key=key, AttributeUpdates={TOO_LONG: {"Action": "PUT",
                                                                                          "Value": {"N": "2"}}})),
        "update": ("update_item", dict(Key=key, UpdateExpression="SET #n = :v", ExpressionAttributeNames=names,
                                       ExpressionAttributeValues={":v": {"N": "3"}})),
        "condition": ("update_item", dict(Key=key, UpdateExpression="SET a = :v", ConditionExpression="#n = :v",
                                          ExpressionAttributeNames=names, ExpressionAttributeValues={":v": {"N": "1"}})),
    }[case]
    r = db.refused(op, TableName=table, **request)
    assert r.code == "ValidationException" and "65535" in r.message, r.message
    assert state(db, table) == before


TOO_MANY = "Number of Tags exceed the current limit for the provided ResourceArn"


def _arn(db, table):
    return db.describe_table(TableName=table)["Table"]["TableArn"]


@pytest.mark.parametrize("tag, says", [
    ({"Key": "a*b", "Value": "v"}, "The Tag Key provided is invalid, Key: a*b"),
    ({"Key": "ok", "Value": "semi;colon"}, "The Tag Value provided is invalid, Value: semi;colon"),
    ({"Key": "", "Value": "v"}, "The Tag Key provided is invalid, Key: "),
    ({"Key": "k" * 129, "Value": "v"}, "The Tag Key provided is invalid, Key: " + "k" * 129),
    ({"Key": "k", "Value": "v" * 257}, "The Tag Value provided is invalid, Value: " + "v" * 257),
    ({"Key": "aws:x", "Value": "v"}, "Tag Key cannot be prefixed with aws:, Key: aws:x"),
])
def test_bad_tags_are_refused_by_tag_resource_and_create_table(db, tag, says):
    table = make_table(db)
    arn = _arn(db, table)
    r = db.refused("tag_resource", ResourceArn=arn, Tags=[{"Key": "fine", "Value": "v"}, tag])
    assert r.code == "ValidationException" and says in r.message, r.message
    assert db.list_tags_of_resource(ResourceArn=arn)["Tags"] == []      # not even the good tag
    name = unique("tg")
    r = db.refused("create_table", TableName=name, BillingMode="PAY_PER_REQUEST",
                   KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], Tags=[tag])
    assert r.code == "ValidationException" and says in r.message, r.message
    assert name not in db.list_tables()["TableNames"]


def test_tag_alphabet_and_the_50_tag_limit(db):
    table = make_table(db)
    arn = _arn(db, table)
    fine = [{"Key": "a b_c.d:e/f=g+h-i@j", "Value": ""}, {"Key": "\u00e9t\u00e9 2", "Value": "\u4e2d\u6587"}]
    db.tag_resource(ResourceArn=arn, Tags=fine)
    assert len(db.list_tags_of_resource(ResourceArn=arn)["Tags"]) == 2
    r = db.refused("tag_resource", ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(49)])
    assert (r.code, r.message) == ("ValidationException", TOO_MANY)
    assert len(db.list_tags_of_resource(ResourceArn=arn)["Tags"]) == 2
    name = unique("tg")
    request = dict(TableName=name, BillingMode="PAY_PER_REQUEST",
                   KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    r = db.refused("create_table", Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)], **request)
    assert (r.code, r.message) == ("ValidationException", TOO_MANY)
    assert name not in db.list_tables()["TableNames"]
    db.create_table(Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)], **request)
    assert len(db.list_tags_of_resource(ResourceArn=_arn(db, name))["Tags"]) == 50


def test_tag_requests_refused_in_aws_words_apply_nothing(db):
    """TagResource and UntagResource as AWS answered them live (2026-10): empty lists, a key twice, an untag key
    too long and more than 50 keys are refused whole; CreateTable takes an empty Tags."""
    table = make_table(db)
    arn = _arn(db, table)
    db.tag_resource(ResourceArn=arn, Tags=[{"Key": "keep", "Value": "v"}])
    refusals = [
        ("tag_resource", dict(Tags=[]), "Atleast one Tag needs to be provided as Input."),
        ("tag_resource", dict(Tags=[{"Key": "fine", "Value": "1"}, {"Key": "dup", "Value": "1"},
                                    {"Key": "dup", "Value": "2"}]),
         "Duplicate Tag Keys provided as input: Duplicate Tag Key found dup"),
        ("untag_resource", dict(TagKeys=[]), "Atleast one Tag Key needs to be provided as Input."),
        ("untag_resource", dict(TagKeys=["keep", "k" * 129]), "The Tag Key provided is invalid, Key: " + "k" * 129),
        ("untag_resource", dict(TagKeys=[f"k{i}" for i in range(50)] + ["keep"]), TOO_MANY),
    ]
    for op, request, says in refusals:
        r = db.refused(op, ResourceArn=arn, **request)
        assert (r.code, r.message) == ("ValidationException", says), (op, request)
        assert db.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "keep", "Value": "v"}]
    name = unique("tg")
    db.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", Tags=[],
                    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    assert db.list_tags_of_resource(ResourceArn=_arn(db, name))["Tags"] == []
