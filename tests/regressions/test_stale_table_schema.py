"""Regression: writes validate against a cached table definition; when the table was deleted and created again
with another key schema (here by another process on the same directory), the write must be validated again
against the new one, not written under the old table or rejected."""
from __future__ import annotations

import subprocess
import sys

import logstore

REPLACE = """
import sys, logstore
with logstore.open(sys.argv[1]) as s:
    s.delete_table(TableName="tbl")
    s.create_table(TableName="tbl", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "N"}],
                   BillingMode="PAY_PER_REQUEST")
"""


def test_write_after_the_table_was_replaced_uses_the_new_schema(tmp_path):
    path = tmp_path / "s"
    with logstore.open(path) as a:
        a.create_table(TableName="tbl", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                       BillingMode="PAY_PER_REQUEST")
        a.put_item(TableName="tbl", Item={"pk": {"S": "x"}})          # caches the S schema
        subprocess.run([sys.executable, "-c", REPLACE, str(path)], check=True)
        a.put_item(TableName="tbl", Item={"pk": {"N": "1"}})          # valid only under the new schema
        assert a.get_item(TableName="tbl", Key={"pk": {"N": "1"}})["Item"] == {"pk": {"N": "1"}}
        assert a.describe_table(TableName="tbl")["Table"]["ItemCount"] == 1


def test_batch_after_the_table_was_replaced_in_the_same_store(tmp_path):
    """store.batch() validated against a cached definition raised StaleTable after delete + create."""
    with logstore.open(tmp_path / "s") as store:
        for key_type, value in (("S", "x"), ("N", "1")):
            try:
                store.delete_table(TableName="tbl")
            except logstore.errors.ResourceNotFoundException:
                pass
            store.create_table(TableName="tbl", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                               AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": key_type}],
                               BillingMode="PAY_PER_REQUEST")
            with store.batch() as b:
                b.put_item(TableName="tbl", Item={"pk": {key_type: value}})
            assert store.describe_table(TableName="tbl")["Table"]["ItemCount"] == 1
