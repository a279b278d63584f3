"""Property test (issue 11): random valid and invalid requests at every operation, embedded and over HTTP, never get
an internal error (no exception but an AWS error below 500 from the embedded store; no 5xx from the server), and a
refused write changes nothing: the items and the stream records of every table are the same before and after.

Requests are built by hypothesis from a request skeleton per operation: attribute values (valid, and broken in the
ways clients break them), names (empty, reserved, over 255 or 64 KB), expressions from a token soup of the
languages' words, functions, paths and punctuation, deep nesting, and members replaced by values of the wrong
JSON type or dropped. The hypothesis seed is the test's printed seed (replay with LOGSTORE_SEED=<seed>).
"""
from __future__ import annotations

import pytest
from confhelpers import Refused, make_table, state
from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

NAMES = ["pk", "sk", "g", "a", "b", "c", "m", "l", "s", "n", "", "status", "a.b", "#x", ":y", "x" * 300,
         "é", "\u0000", "_u"]
TOKENS = ["a", "b", "m", "l", "pk", "sk", "#n", "#m", ":v", ":w", ":s", ":l", "=", "<>", "<", "<=", ">", ">=",
          "(", ")", "[", "]", "[0]", "[99999999999999999999]", ",", ".", "+", "-", "AND", "OR", "NOT", "BETWEEN",
          "IN", "SET", "REMOVE", "ADD", "DELETE", "size(", "attribute_exists(", "attribute_not_exists(",
          "attribute_type(", "begins_with(", "contains(", "if_not_exists(", "list_append(", "status", "_x", "1",
          "@", "\u00e9", "#", ":", " "]
TEMPLATES = ["a = :v", "attribute_exists(a)", "attribute_not_exists(pk)", "begins_with(a, :s)", "contains(l, :v)",
             "size(m) > :v", "a BETWEEN :v AND :w", "a IN (:v, :w)", "NOT a = :v", "(a = :v) OR b <> :w",
             "attribute_type(a, :s)", "m.x[0] = :v", "#n = :v"]
UPDATES = ["SET a = :v", "SET a = a + :v", "SET l = list_append(l, :l)", "SET b = if_not_exists(b, :v)",
           "REMOVE a, m.x", "ADD n :v", "DELETE s :s", "SET #n = :v REMOVE b", "SET l[5] = :v", "REMOVE l[0]",
           "ADD s :s", "SET m.x.y = :v"]
PROJECTIONS = ["a", "a, b", "m.x[0]", "#n", "pk, sk, g", "l[2]", "a, a"]


def _scalar():
    return st.one_of(
        st.builds(lambda s: {"S": s}, st.text(max_size=8)),
        st.builds(lambda n: {"N": n}, st.sampled_from(["1", "-0", "1e10", "0.5", "1E-130", "9" * 39, "x", "",
                                                      " 1", "1e126", "Infinity"])),
        st.builds(lambda b: {"B": b}, st.binary(max_size=6)),
        st.builds(lambda v: {"BOOL": v}, st.booleans()),
        st.just({"NULL": True}), st.just({"NULL": False}),
        st.builds(lambda ss: {"SS": ss}, st.lists(st.text(max_size=3), max_size=3)),
        st.builds(lambda ns: {"NS": ns}, st.lists(st.sampled_from(["1", "2", "1.0", "x"]), max_size=3)),
        st.sampled_from([{}, {"S": "x", "N": "1"}, {"X": "1"}, {"S": 1}, {"N": 5}, {"BS": []}, {"L": "x"},
                         {"M": []}, {"SS": ["a", "a"]}]))


ATTR = st.recursive(_scalar(), lambda inner: st.one_of(
    st.builds(lambda items: {"L": items}, st.lists(inner, max_size=3)),
    st.builds(lambda m: {"M": m}, st.dictionaries(st.sampled_from(NAMES), inner, max_size=3))), max_leaves=8)


def _expression(kind: str):
    pool = {"update": UPDATES, "projection": PROJECTIONS}.get(kind, TEMPLATES)
    soup = st.lists(st.sampled_from(TOKENS), max_size=12).map(" ".join)
    deep = st.sampled_from(["(" * 500 + "a = :v" + ")" * 500, "NOT " * 400 + "a = :v",
                            "a = :v" + " OR a = :v" * 320, "SET a = " + "(" * 300 + ":v" + ")" * 300,
                            "a" + ".b" * 40, "a" + "[0]" * 40, "x" * 5000])
    return st.one_of(st.sampled_from(pool), soup, deep, st.sampled_from(pool).map(lambda t: t + " " + t))


def _maybe(strategy, p_absent=0.5):
    return st.one_of(st.none(), strategy) if p_absent else strategy


def _key(table_kind):
    keys = {"pk": st.one_of(st.builds(lambda s: {"S": s}, st.sampled_from(["k1", "k2", "k3", ""])), ATTR)}
    if table_kind == "range":
        keys["sk"] = st.one_of(st.builds(lambda n: {"N": n}, st.sampled_from(["1", "2", "3"])), ATTR)
    return st.fixed_dictionaries(keys, optional={"extra": ATTR})


def _item(table_kind):
    return st.builds(lambda k, rest: {**rest, **k}, _key(table_kind),
                     st.dictionaries(st.sampled_from(NAMES), ATTR, max_size=4))


VALUES = st.dictionaries(st.sampled_from([":v", ":w", ":s", ":l", ":unused", "v", ""]), ATTR, max_size=4)
ATTR_NAMES = st.dictionaries(st.sampled_from(["#n", "#m", "#unused", "n", ""]), st.sampled_from(NAMES), max_size=3)
EXPECTED = st.dictionaries(st.sampled_from(NAMES[:6]), st.one_of(
    st.fixed_dictionaries({}, optional={"Value": ATTR, "Exists": st.booleans()}),
    st.fixed_dictionaries({"ComparisonOperator": st.sampled_from(["EQ", "NE", "LT", "BETWEEN", "IN", "NULL",
                                                                  "NOT_NULL", "CONTAINS", "NOT_CONTAINS",
                                                                  "BEGINS_WITH", "XX"])},
                          optional={"AttributeValueList": st.lists(ATTR, max_size=3)})), max_size=3)
COMMON = {"ExpressionAttributeValues": VALUES, "ExpressionAttributeNames": ATTR_NAMES,
          "ReturnConsumedCapacity": st.sampled_from(["TOTAL", "INDEXES", "NONE", "x"])}


def _request(op: str, tables: dict):
    kind = st.sampled_from(sorted(tables))
    name = kind.map(lambda k: tables[k])

    def item_op(build):
        return kind.flatmap(lambda k: build(k, tables[k]))

    if op == "put_item":
        return item_op(lambda k, t: st.fixed_dictionaries(
            {"TableName": st.just(t), "Item": _item(k)},
            optional={"ConditionExpression": _expression("condition"), "Expected": EXPECTED,
                      "ConditionalOperator": st.sampled_from(["AND", "OR"]),
                      "ReturnValues": st.sampled_from(["ALL_OLD", "ALL_NEW", "NONE"]), **COMMON}))
    if op == "update_item":
        return item_op(lambda k, t: st.fixed_dictionaries(
            {"TableName": st.just(t), "Key": _key(k)},
            optional={"UpdateExpression": _expression("update"), "ConditionExpression": _expression("condition"),
                      "AttributeUpdates": st.dictionaries(st.sampled_from(NAMES), st.fixed_dictionaries(
                          {}, optional={"Action": st.sampled_from(["PUT", "ADD", "DELETE", "X"]), "Value": ATTR}),
                          max_size=3),
                      "ReturnValues": st.sampled_from(["ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"]),
                      **COMMON}))
    if op == "delete_item":
        return item_op(lambda k, t: st.fixed_dictionaries(
            {"TableName": st.just(t), "Key": _key(k)},
            optional={"ConditionExpression": _expression("condition"), "Expected": EXPECTED, **COMMON}))
    if op == "get_item":
        return item_op(lambda k, t: st.fixed_dictionaries(
            {"TableName": st.just(t), "Key": _key(k)},
            optional={"ProjectionExpression": _expression("projection"),
                      "AttributesToGet": st.lists(st.sampled_from(NAMES), max_size=3),
                      "ConsistentRead": st.booleans(), **COMMON}))
    if op in ("query", "scan"):
        optional = {"FilterExpression": _expression("condition"), "ProjectionExpression": _expression("projection"),
                    "Limit": st.integers(-1, 5), "Select": st.sampled_from(["COUNT", "ALL_ATTRIBUTES", "SPECIFIC_ATTRIBUTES",
                                                                           "ALL_PROJECTED_ATTRIBUTES"]),
                    "IndexName": st.sampled_from(["gsi", "lsi", "nope"]), "ExclusiveStartKey": _item("range"),
                    "ConsistentRead": st.booleans(), **COMMON}
        if op == "query":
            optional.update(KeyConditionExpression=st.one_of(st.sampled_from(
                ["pk = :v", "pk = :v AND sk > :w", "g = :v", "pk = :v AND begins_with(sk, :s)"]),
                _expression("condition")), ScanIndexForward=st.booleans(),
                KeyConditions=st.just({"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "k1"}]}}))
        else:
            optional.update(Segment=st.integers(-1, 3), TotalSegments=st.integers(0, 4))
        return st.fixed_dictionaries({"TableName": name}, optional=optional)
    if op == "batch_write_item":
        entry = kind.flatmap(lambda k: st.one_of(
            st.builds(lambda i: {"PutRequest": {"Item": i}}, _item(k)),
            st.builds(lambda key: {"DeleteRequest": {"Key": key}}, _key(k)), st.just({})))
        return st.fixed_dictionaries({"RequestItems": st.dictionaries(name, st.lists(entry, max_size=4),
                                                                      max_size=2)},
                                     optional={"ReturnConsumedCapacity": COMMON["ReturnConsumedCapacity"]})
    if op == "batch_get_item":
        return st.fixed_dictionaries({"RequestItems": st.dictionaries(name, st.fixed_dictionaries(
            {"Keys": st.lists(_key("range"), max_size=3)},
            optional={"ProjectionExpression": _expression("projection"), "ConsistentRead": st.booleans()}),
            max_size=2)}, optional={"ReturnConsumedCapacity": COMMON["ReturnConsumedCapacity"]})
    if op == "transact_write_items":
        action = item_op(lambda k, t: st.one_of(
            st.builds(lambda i, c: {"Put": {"TableName": t, "Item": i, **c}}, _item(k),
                      st.fixed_dictionaries({}, optional={"ConditionExpression": _expression("condition"),
                                                          "ExpressionAttributeValues": VALUES})),
            st.builds(lambda key, u, v: {"Update": {"TableName": t, "Key": key, "UpdateExpression": u,
                                                    "ExpressionAttributeValues": v}},
                      _key(k), _expression("update"), VALUES),
            st.builds(lambda key: {"Delete": {"TableName": t, "Key": key}}, _key(k)),
            st.builds(lambda key, c, v: {"ConditionCheck": {"TableName": t, "Key": key, "ConditionExpression": c,
                                                            "ExpressionAttributeValues": v}},
                      _key(k), _expression("condition"), VALUES)))
        return st.fixed_dictionaries({"TransactItems": st.lists(action, max_size=4)},
                                     optional={"ReturnConsumedCapacity": COMMON["ReturnConsumedCapacity"],
                                               "ClientRequestToken": st.sampled_from(["tok", "", "x" * 40])})
    if op == "transact_get_items":
        return st.fixed_dictionaries({"TransactItems": st.lists(item_op(lambda k, t: st.builds(
            lambda key, p: {"Get": {"TableName": t, "Key": key, **p}}, _key(k),
            st.fixed_dictionaries({}, optional={"ProjectionExpression": _expression("projection")}))), max_size=3)})
    if op == "create_table":
        element = st.fixed_dictionaries({"AttributeName": st.sampled_from(NAMES),
                                         "KeyType": st.sampled_from(["HASH", "RANGE", "X"])})
        definition = st.fixed_dictionaries({"AttributeName": st.sampled_from(NAMES),
                                            "AttributeType": st.sampled_from(["S", "N", "B", "X"])})
        index = st.fixed_dictionaries({"IndexName": st.sampled_from(["ix1", "ix2", "i", "x" * 300]),
                                       "KeySchema": st.lists(element, max_size=3)},
                                      optional={"Projection": st.fixed_dictionaries({}, optional={
                                          "ProjectionType": st.sampled_from(["ALL", "KEYS_ONLY", "INCLUDE", "X"]),
                                          "NonKeyAttributes": st.lists(st.sampled_from(NAMES), max_size=3)})})
        return st.fixed_dictionaries(
            {"TableName": st.sampled_from(["pt-new", "pt", "x" * 300]), "KeySchema": st.lists(element, max_size=3),
             "AttributeDefinitions": st.lists(definition, max_size=4)},
            optional={"BillingMode": st.sampled_from(["PAY_PER_REQUEST", "PROVISIONED"]),
                      "LocalSecondaryIndexes": st.lists(index, max_size=2),
                      "GlobalSecondaryIndexes": st.lists(index, max_size=2),
                      "Tags": st.lists(st.fixed_dictionaries({"Key": st.sampled_from(["k", "", "aws:x", "k" * 200]),
                                                              "Value": st.sampled_from(["v", ""])}), max_size=3),
                      "StreamSpecification": st.fixed_dictionaries({"StreamEnabled": st.booleans()}, optional={
                          "StreamViewType": st.sampled_from(["KEYS_ONLY", "NEW_IMAGE", "X"])})})
    if op in ("tag_resource", "untag_resource", "list_tags_of_resource"):
        arn = name.map(lambda t: f"arn:aws:dynamodb:us-east-1:000000000000:table/{t}") | st.sampled_from(
            ["", "arn:aws:dynamodb:us-east-1:000000000000:table/none", "nonsense"])
        if op == "tag_resource":
            return st.fixed_dictionaries({"ResourceArn": arn, "Tags": st.lists(st.fixed_dictionaries(
                {"Key": st.sampled_from(["k", "", "aws:x", "k" * 200, "é", "a b+-=._:/@"]),
                 "Value": st.sampled_from(["v", "", "v" * 300, "\u0001"])}), max_size=4)})
        if op == "untag_resource":
            return st.fixed_dictionaries({"ResourceArn": arn, "TagKeys": st.lists(
                st.sampled_from(["k", "", "x" * 200]), max_size=3)})
        return st.fixed_dictionaries({"ResourceArn": arn})
    raise AssertionError(op)


WRITES = ("put_item", "update_item", "delete_item", "batch_write_item", "transact_write_items")
OPERATIONS = WRITES + ("get_item", "query", "scan", "batch_get_item", "transact_get_items", "create_table",
                       "tag_resource", "untag_resource", "list_tags_of_resource")


def _tables(db) -> dict:
    hash_table = make_table(db, stream="NEW_AND_OLD_IMAGES")
    range_table = make_table(db, keys=(("pk", "S"), ("sk", "N")), more=(("g", "S"),), GlobalSecondaryIndexes=[
        {"IndexName": "gsi", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
         "Projection": {"ProjectionType": "KEYS_ONLY"}}], LocalSecondaryIndexes=[
        {"IndexName": "lsi", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                           {"AttributeName": "g", "KeyType": "RANGE"}],
         "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a"]}}])
    db.put_item(TableName=hash_table, Item={"pk": {"S": "k1"}, "a": {"N": "1"}, "l": {"L": [{"N": "1"}]},
                                            "s": {"SS": ["x"]}, "m": {"M": {"x": {"L": [{"S": "y"}]}}}})
    db.put_item(TableName=range_table, Item={"pk": {"S": "k1"}, "sk": {"N": "1"}, "g": {"S": "v"},
                                             "a": {"S": "z"}})
    return {"hash": hash_table, "range": range_table}


def _members() -> dict[str, frozenset]:
    """Each operation's request members, from botocore's model (the strategies share members between operations;
    a member the operation does not have is not a request a client can send)."""
    import botocore.session
    model = botocore.session.get_session().get_service_model("dynamodb")
    out = {}
    for op in OPERATIONS:
        name = "".join(part.capitalize() for part in op.split("_"))
        out[op] = frozenset(model.operation_model(name).input_shape.members)
    return out


def _run(db, seed_value: int, examples: int):
    tables = _tables(db)
    members = _members()

    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @hypothesis_seed(seed_value)
    @given(st.data())
    def check(data):
        op = data.draw(st.sampled_from(OPERATIONS), label="operation")
        request = {k: v for k, v in data.draw(_request(op, tables), label="request").items() if k in members[op]}
        before = {t: state(db, t) for t in tables.values()} if op in WRITES else None
        try:
            getattr(db, op)(**request)   # Dual asserts: nothing but AWS errors below 500
        except Refused:
            if before is not None:
                assert {t: state(db, t) for t in tables.values()} == before, f"refused {op} changed state"
        if op == "create_table":
            try:
                db.delete_table(TableName=request.get("TableName"))
            except Refused:
                pass
    check()


def test_random_requests_never_get_an_internal_error(db, seed):
    _run(db, seed, 150)


@pytest.mark.slow
def test_many_random_requests_never_get_an_internal_error(db, seed):
    _run(db, seed + 1, 600)
