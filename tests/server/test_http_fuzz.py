"""Random client mistakes never get a 500: well-formed requests of every routed operation, mutated at random
(members replaced by values of every JSON type, dropped, nested, emptied), are answered 200 or 4xx with AWS's
envelope, and the server logs no traceback. Randomised: the seed is printed."""
from __future__ import annotations

import copy
import random

from logstore.api.store import OPERATIONS, STREAMS_OPERATIONS

VALID = {
    "CreateTable": {"TableName": "fz-new", "BillingMode": "PAY_PER_REQUEST",
                    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                    "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
                    "Tags": [{"Key": "k", "Value": "v"}]},
    "DescribeTable": {"TableName": "fuzzed"},
    "ListTables": {"Limit": 5, "ExclusiveStartTableName": "abc"},
    "UpdateTable": {"TableName": "fuzzed", "BillingMode": "PROVISIONED",
                    "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}},
    "DeleteTable": {"TableName": "fz-new"},
    "UpdateTimeToLive": {"TableName": "fuzzed", "TimeToLiveSpecification": {"Enabled": True, "AttributeName": "t"}},
    "DescribeTimeToLive": {"TableName": "fuzzed"},
    "PutItem": {"TableName": "fuzzed", "Item": {"pk": {"S": "a"}, "m": {"M": {"x": {"L": [{"N": "1"}]}}},
                                                "b": {"B": "AAE="}}, "ReturnValues": "ALL_OLD",
                "ConditionExpression": "attribute_not_exists(#p)", "ExpressionAttributeNames": {"#p": "pk"}},
    "GetItem": {"TableName": "fuzzed", "Key": {"pk": {"S": "a"}}, "ProjectionExpression": "pk, m.x[0]"},
    "DeleteItem": {"TableName": "fuzzed", "Key": {"pk": {"S": "a"}}, "ReturnValues": "ALL_OLD"},
    "UpdateItem": {"TableName": "fuzzed", "Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET v = :v ADD c :one",
                   "ExpressionAttributeValues": {":v": {"SS": ["x"]}, ":one": {"N": "1"}}, "ReturnValues": "ALL_NEW"},
    "BatchWriteItem": {"RequestItems": {"fuzzed": [{"PutRequest": {"Item": {"pk": {"S": "b"}}}},
                                                   {"DeleteRequest": {"Key": {"pk": {"S": "c"}}}}]}},
    "BatchGetItem": {"RequestItems": {"fuzzed": {"Keys": [{"pk": {"S": "a"}}], "ProjectionExpression": "pk"}}},
    "TransactWriteItems": {"TransactItems": [{"Put": {"TableName": "fuzzed", "Item": {"pk": {"S": "t"}}}},
                                             {"Update": {"TableName": "fuzzed", "Key": {"pk": {"S": "u"}},
                                                         "UpdateExpression": "SET z = :z",
                                                         "ExpressionAttributeValues": {":z": {"BOOL": True}}}}]},
    "TransactGetItems": {"TransactItems": [{"Get": {"TableName": "fuzzed", "Key": {"pk": {"S": "a"}}}}]},
    "Query": {"TableName": "fuzzed", "KeyConditionExpression": "pk = :p", "FilterExpression": "size(m) > :n",
              "ExpressionAttributeValues": {":p": {"S": "a"}, ":n": {"N": "0"}}, "Limit": 3,
              "ExclusiveStartKey": {"pk": {"S": "a"}}},
    "Scan": {"TableName": "fuzzed", "Segment": 0, "TotalSegments": 2, "Select": "COUNT"},
    "TagResource": {"ResourceArn": "arn:aws:dynamodb:us-east-1:000000000000:table/fuzzed",
                    "Tags": [{"Key": "a", "Value": "b"}]},
    "UntagResource": {"ResourceArn": "arn:aws:dynamodb:us-east-1:000000000000:table/fuzzed", "TagKeys": ["a"]},
    "ListTagsOfResource": {"ResourceArn": "arn:aws:dynamodb:us-east-1:000000000000:table/fuzzed"},
    "DescribeLimits": {},
    "ListStreams": {"TableName": "fuzzed", "Limit": 2},
    "DescribeStream": {"StreamArn": "STREAM", "Limit": 1, "ShardFilter": {"Type": "CHILD_SHARDS", "ShardId": "S"}},
    "GetShardIterator": {"StreamArn": "STREAM", "ShardId": "SHARD", "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
                         "SequenceNumber": "100000000000000000001"},
    "GetRecords": {"ShardIterator": "ITERATOR", "Limit": 10},
}
TABLE_ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/"
ODD = [None, "", "x", "0", "-1", "1e400", "NaN", "\u0000", "\ud7ff" * 3, "a" * 3000, 0, -1, 1, 2 ** 63 - 1, 1.5,
       -0.0, True, False, [], [None], [{}], {}, {"S": "x"}, {"N": "1", "S": "x"}, {"": {}}, {"M": {"a": {"L": []}}},
       {"B": "!!"}, {"NULL": False}, {"SS": []}, {"NS": ["1", "1"]}, {"L": [{"L": [{"L": [{"N": "x"}]}]}]},
       # past LMDB's 511-byte key and the models' bounds (255, 1024, 2048): where a string may become a key
       "a" * 600, "a" * 1025, TABLE_ARN + "fuzzed", TABLE_ARN + "a" * 600,
       TABLE_ARN + "fuzzed/stream/2020-01-01T00:00:00.000" + "x" * 600, "shardId-" + "0" * 600,
       {"a" * 600: {"S": "x"}}, {"pk": {"S": "a" * 2048}}]


def mutate(value, rng: random.Random, depth: int = 0):
    if isinstance(value, dict) and value and rng.random() < 0.7:
        out = dict(value)
        key = rng.choice(list(out))
        roll = rng.random()
        if roll < 0.2:
            del out[key]
        elif roll < 0.6 and depth < 6:
            out[key] = mutate(out[key], rng, depth + 1)
        else:
            out[key] = copy.deepcopy(rng.choice(ODD))
        if rng.random() < 0.1:
            out[rng.choice(["Extra", "ReturnValues", "Limit", "ExpressionAttributeValues"])] = copy.deepcopy(
                rng.choice(ODD))
        return out
    if isinstance(value, list) and value and rng.random() < 0.7:
        out = list(value)
        i = rng.randrange(len(out))
        out[i] = mutate(out[i], rng, depth + 1) if rng.random() < 0.6 else copy.deepcopy(rng.choice(ODD))
        return out
    return copy.deepcopy(rng.choice(ODD))


def test_mutated_requests_never_get_a_500(server, ddb, streams, seed):
    ddb.create_table(TableName="fuzzed", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    arn = streams.list_streams(TableName="fuzzed")["Streams"][0]["StreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    fill = {"STREAM": arn, "SHARD": shard, "S": shard, "ITERATOR": iterator}
    assert set(VALID) == set(OPERATIONS) | set(STREAMS_OPERATIONS), "a routed operation has no fuzz template"
    rng = random.Random(seed)
    statuses = {}
    for _ in range(400):
        op = rng.choice(sorted(VALID))
        body = {k: fill.get(v, v) if isinstance(v, str) else v for k, v in VALID[op].items()}
        if isinstance(body.get("ShardFilter"), dict):
            body["ShardFilter"] = dict(body["ShardFilter"], ShardId=shard)
        for _ in range(rng.randint(0, 3)):
            body = mutate(body, rng)
        if not isinstance(body, dict):
            body = {"x": body}
        prefix = "DynamoDBStreams_20120810." if op in STREAMS_OPERATIONS else "DynamoDB_20120810."
        r = server.post(prefix + op, body)
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
        assert r.status_code in (200, 400), (op, body, r.status_code, r.text)
        if r.status_code == 400:
            assert r.json()["__type"].rsplit("#", 1)[1], r.text
    print("statuses", statuses)
    assert "Traceback" not in server.log(), server.log()[-5000:]
