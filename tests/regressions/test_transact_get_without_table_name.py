"""Regression: TransactGetItems with a Get lacking TableName (or with a wrongly typed one) raised AttributeError
inside the engine, which a server turns into a 500; it is a ValidationException naming the member. Found by the
server's fuzz test (tests/server/test_http_fuzz.py)."""
from __future__ import annotations

import pytest

import logstore
from logstore.errors import ValidationException


@pytest.mark.parametrize("get, text", [
    ({"Key": {"pk": {"S": "a"}}}, "Value null at 'transactItems.1.member.get.tableName'"),
    ({"TableName": "ab", "Key": {"pk": {"S": "a"}}}, "at 'transactItems.1.member.get.tableName'"),
])
def test_transact_get_items_checks_the_table_name(store_path, get, text):
    with logstore.open(store_path) as store:
        with pytest.raises(ValidationException) as err:
            store.transact_get_items(TransactItems=[{"Get": get}])
        assert text in err.value.message
