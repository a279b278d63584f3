"""Fixtures of the conformance tests in tests/api/conformance (one file per operation): expression, condition, Query/Scan, projection and transaction behaviour checked against the public conformance
suite nubo-db/dynamodb-conformance, whose expectations were recorded against real AWS DynamoDB (tests/tier1,
tests/tier2/transactions, tests/tier3/error-messages). Each test restates one recorded fact in our own terms: the same
request shape against the embedded store, and the error code + message (or resulting items) AWS gave. Where the
suite records a per-region split (AWS mid-rollout of new wording) either recorded form is accepted; where the suite
only pins part of a message ("toContain"), only that part is asserted.

Tables mirror the suite's fixtures: ``hash`` (pk S), ``hashB`` (pk B), ``composite`` (pk S, sk S; LSIs lsi1 on lsi1sk
ALL and lsi2 on lsi2sk INCLUDE [lsi1sk]; GSIs gsi1 on lsi1sk ALL and gsi2 on lsi1sk+lsi2sk INCLUDE [data]) and
``gsiB`` (pk S; GSI gsib on bidx B).
"""
from __future__ import annotations

import pytest
from apiconfhelpers import C, GB, H, HB


def _kd(keys):
    return [{"AttributeName": n, "KeyType": "HASH" if i == 0 else "RANGE"} for i, n in enumerate(keys)]


def _index(name, keys, projection="ALL", non_key=None):
    proj = {"ProjectionType": projection}
    if non_key:
        proj["NonKeyAttributes"] = list(non_key)
    return {"IndexName": name, "KeySchema": _kd(keys), "Projection": proj}


def make_tables(store):
    """Create the four fixture tables in ``store``; return it."""
    def make(name, keys, defs, lsi=None, gsi=None):
        request = dict(TableName=name, KeySchema=_kd(keys),
                       AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in defs],
                       BillingMode="PAY_PER_REQUEST")
        if lsi:
            request["LocalSecondaryIndexes"] = lsi
        if gsi:
            request["GlobalSecondaryIndexes"] = gsi
        store.create_table(**request)

    make(H, ["pk"], [("pk", "S")])
    make(HB, ["pk"], [("pk", "B")])
    make(C, ["pk", "sk"], [("pk", "S"), ("sk", "S"), ("lsi1sk", "S"), ("lsi2sk", "S")],
         lsi=[_index("lsi1", ["pk", "lsi1sk"]), _index("lsi2", ["pk", "lsi2sk"], "INCLUDE", ["lsi1sk"])],
         gsi=[_index("gsi1", ["lsi1sk"]), _index("gsi2", ["lsi1sk", "lsi2sk"], "INCLUDE", ["data"])])
    make(GB, ["pk"], [("pk", "S"), ("bidx", "B")], gsi=[_index("gsib", ["bidx"])])
    return store


@pytest.fixture
def db(store):
    return make_tables(store)
