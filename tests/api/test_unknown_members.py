"""The embedded API answers a member the operation does not have (misspelt, or another operation's) as the
service would, with ValidationException naming it and the operation's members, and changes nothing; it is never
Python's TypeError (issue 11)."""
from __future__ import annotations

import pytest

import logstore
from logstore.api.operations import ROUTES
from logstore.errors import ValidationException


@pytest.fixture
def store(tmp_path):
    with logstore.open(tmp_path / "s", durable=False) as s:
        s.create_table(TableName="tab", BillingMode="PAY_PER_REQUEST",
                       KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
        s.put_item(TableName="tab", Item={"pk": {"S": "a"}, "v": {"N": "1"}})
        yield s


def test_a_member_of_another_operation_is_a_validation_error(store):
    with pytest.raises(ValidationException) as e:
        store.get_item(TableName="tab", Key={"pk": {"S": "a"}}, ExpressionAttributeValues={":v": {"N": "1"}})
    assert "GetItem has no member 'ExpressionAttributeValues'" in str(e.value)
    assert "ProjectionExpression" in str(e.value)   # says what the operation takes


def test_a_refused_write_changes_nothing(store):
    with pytest.raises(ValidationException, match="PutItem has no member 'Itemz'"):
        store.put_item(TableName="tab", Item={"pk": {"S": "a"}, "v": {"N": "2"}}, Itemz={})
    assert store.get_item(TableName="tab", Key={"pk": {"S": "a"}})["Item"]["v"] == {"N": "1"}


@pytest.mark.parametrize("method", sorted({m for ops in ROUTES.values() for m in ops.values()}))
def test_every_operation_refuses_an_unknown_member(store, method):
    with pytest.raises(ValidationException, match="has no member 'NoSuchMember'"):
        getattr(store, method)(NoSuchMember=1)
