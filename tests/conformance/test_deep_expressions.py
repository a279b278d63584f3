"""Deeply nested expressions under the 4 KB limit (issue 11): thousands of parentheses, hundreds of ``or (``, a
thousand ``not``, nested function calls, in every expression kind, embedded and over HTTP. DynamoDB refuses them
with ValidationException (too many operators past 300, redundant parentheses, an unknown function, a syntax
error), never an internal error; the parser's stacks do not grow Python's with the input's depth. A refused
write changes nothing; the accepted deep ones (149 nested ``or (``, 298 ``not``) evaluate as AWS does.

Cases and messages as recorded against DynamoDB in ScyllaDB Alternator's test_limits.py.
"""
from __future__ import annotations

import pytest
from confhelpers import make_table, state

DEEP_CONDITIONS = {
    # name: (expression, what the message says)
    "4096 open parentheses": ("(" * 4096, "Syntax error"),
    "2046 nested parentheses": ("(" * 2046 + "a<b" + ")" * 2046, "redundant parentheses"),
    "454 nested or (": ("a<b " + "or (a<b " * 454 + ")" * 454, "too many operators; operator count: 301"),
    "584 flat or": ("a<b " + "or a<b " * 584, "too many operators; operator count: 301"),
    "1000 not": ("not " * 1000 + "a<b", "too many operators; operator count: 301"),
    "1355 nested calls of f": ("a < " + "f(" * 1355 + "b" + ")" * 1355, "Invalid function name; function: f"),
    "680 nested size": ("a < " + "size(" * 680 + "b" + ")" * 680, "nested too deeply"),
    "and then 1000 parentheses": ("a<b and " + "(" * 1000 + "a<b" + ")" * 999, "Syntax error"),
    "20000 deep, over 4 KB": ("(" * 20000 + "a<b" + ")" * 20000, "Expression size has exceeded the maximum"),
}


def _item(db, table):
    db.put_item(TableName=table, Item={"pk": {"S": "k"}, "a": {"N": "1"}, "b": {"N": "2"}})


@pytest.mark.parametrize("case", DEEP_CONDITIONS)
def test_deep_condition_expression_is_refused_and_changes_nothing(db, case):
    text, says = DEEP_CONDITIONS[case]
    table = make_table(db)
    _item(db, table)
    before = state(db, table)
    for op, request in (
            ("update_item", dict(Key={"pk": {"S": "k"}}, UpdateExpression="SET z = :v",
                                 ExpressionAttributeValues={":v": {"N": "1"}})),
            ("put_item", dict(Item={"pk": {"S": "k"}, "z": {"N": "1"}})),
            ("delete_item", dict(Key={"pk": {"S": "k"}}))):
        r = db.refused(op, TableName=table, ConditionExpression=text, **request)
        assert r.code == "ValidationException", (op, r)
        assert "Invalid ConditionExpression: " in r.message, r.message
        assert says in r.message, r.message
    assert state(db, table) == before


@pytest.mark.parametrize("case", DEEP_CONDITIONS)
def test_deep_filter_and_key_condition_are_refused(db, case):
    text, says = DEEP_CONDITIONS[case]
    table = make_table(db)
    _item(db, table)
    r = db.refused("scan", TableName=table, FilterExpression=text)
    assert r.code == "ValidationException" and "Invalid FilterExpression: " in r.message, r
    assert says in r.message
    r = db.refused("query", TableName=table, KeyConditionExpression="pk = :k", FilterExpression=text,
                   ExpressionAttributeValues={":k": {"S": "k"}})
    assert r.code == "ValidationException" and "FilterExpression" in r.message, r
    key_text = text.replace("a<b", "pk = :k", 1) if "a<b" in text else text
    r = db.refused("query", TableName=table, KeyConditionExpression=key_text,
                   ExpressionAttributeValues={":k": {"S": "k"}})
    assert r.code == "ValidationException" and "KeyConditionExpression" in r.message, r


def test_deep_but_within_limits_conditions_work(db):
    table = make_table(db)
    _item(db, table)
    # 149 nested "or (": 299 operators, accepted by DynamoDB
    text = "a<b " + "or (a<b " * 149 + ")" * 149
    db.update_item(TableName=table, Key={"pk": {"S": "k"}}, UpdateExpression="SET z = :v",
                   ConditionExpression=text, ExpressionAttributeValues={":v": {"N": "1"}})
    assert db.get_item(TableName=table, Key={"pk": {"S": "k"}})["Item"]["z"] == {"N": "1"}
    # 298 NOTs (an even number) and a comparison: 299 operators, the same as a<b
    text = "not " * 298 + "a<b"
    db.update_item(TableName=table, Key={"pk": {"S": "k"}}, UpdateExpression="SET z = :v",
                   ConditionExpression=text, ExpressionAttributeValues={":v": {"N": "2"}})
    assert db.get_item(TableName=table, Key={"pk": {"S": "k"}})["Item"]["z"] == {"N": "2"}
    # 297 NOTs: a<b negated, so the condition fails and nothing changes
    before = state(db, table)
    r = db.refused("update_item", TableName=table, Key={"pk": {"S": "k"}}, UpdateExpression="SET z = :v",
                   ConditionExpression="not " * 297 + "a<b", ExpressionAttributeValues={":v": {"N": "3"}})
    assert r.code == "ConditionalCheckFailedException"
    assert state(db, table) == before
    # a filter nested 100 parentheses deep (one AND per level) filters as written
    text = "(a<b and " * 100 + "b>a" + ")" * 100
    assert db.scan(TableName=table, FilterExpression=text)["Count"] == 1


DEEP_UPDATES = {
    "2000 nested parentheses": "SET z = " + "(" * 2000 + ":v" + ")" * 2000,
    "300 nested list_append": "SET z = " + "list_append(" * 300 + ":v" + ", :v)" * 300,
    "250 nested if_not_exists": "SET z = " + "if_not_exists(z, " * 250 + ":v" + ")" * 250,
    "301 additions": "SET " + ",".join(f"z{i}=:n+:n" for i in range(301)),
    "4000 open parentheses": "SET z = " + "(" * 4000,
    "size in an update": "SET z = size(" * 300 + "a" + ")" * 300,
}


@pytest.mark.parametrize("case", DEEP_UPDATES)
def test_deep_update_expression_is_refused_and_changes_nothing(db, case):
    text = DEEP_UPDATES[case]
    table = make_table(db)
    _item(db, table)
    before = state(db, table)
    values = {":v": {"L": [{"N": "1"}]}} if "list_append" in text else {":v": {"N": "1"}}
    if ":n" in text:
        values = {":n": {"N": "1"}}
    r = db.refused("update_item", TableName=table, Key={"pk": {"S": "k"}}, UpdateExpression=text,
                   ExpressionAttributeValues=values)
    assert r.code == "ValidationException", r
    assert "Invalid UpdateExpression: " in r.message, r.message
    assert state(db, table) == before


def test_deep_projection_is_refused(db):
    table = make_table(db)
    _item(db, table)
    for text in ("a" + ".b" * 2000, "a" + "[0]" * 1300, "(" * 4000, "a, " * 1365 + "a"):
        for op, request in (("get_item", dict(Key={"pk": {"S": "k"}})), ("scan", {})):
            r = db.refused(op, TableName=table, ProjectionExpression=text, **request)
            assert r.code == "ValidationException", (op, r)
            assert "ProjectionExpression" in r.message, r.message
