"""Lambda's event-filtering grammar (logstore/processors/filters.py), checked with the examples of AWS's Lambda
and EventBridge documentation ("Lambda event filtering", "Filtering DynamoDB events", "comparison operators")."""
from __future__ import annotations

import json

import pytest

from logstore.errors import InvalidProcessorConfig
from logstore.processors import compile_filters, compile_pattern

# A DynamoDB stream record as in the Lambda guide's filtering examples
RECORD = {
    "eventID": "c9fbe7d0261a5163fcb6940593e41797", "eventName": "INSERT", "eventVersion": "1.1",
    "eventSource": "aws:dynamodb", "awsRegion": "us-east-2",
    "dynamodb": {
        "ApproximateCreationDateTime": 1664559083.0,
        "Keys": {"SK": {"S": "PRODUCT#CHOCOLATE#DARK#1000"}, "PK": {"S": "COMPANY#1000"}},
        "NewImage": {"quantity": {"N": "50"}, "company_id": {"S": "1000"}, "fabric": {"S": "Florida Chocolates"},
                     "price": {"N": "15"}, "stores": {"N": "5"}, "product_id": {"S": "1000"},
                     "SK": {"S": "PRODUCT#CHOCOLATE#DARK#1000"}, "PK": {"S": "COMPANY#1000"},
                     "state": {"S": "FL"}, "type": {"S": ""}, "tags": {"SS": ["dark", "vegan"]}},
        "SequenceNumber": "700000000000888747038", "SizeBytes": 174, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    "eventSourceARN": "arn:aws:dynamodb:us-east-2:111122223333:table/chocolate-table-StreamsSampleDDBTable/stream/"
                      "2022-09-30T17:05:53.209",
    "userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"},
}


def matches(pattern) -> bool:
    return compile_pattern(pattern)(RECORD)


@pytest.mark.parametrize("pattern, expected", [
    # equals (strings, against the record's typed values)
    ({"dynamodb": {"Keys": {"PK": {"S": ["COMPANY#1000"]}}}}, True),
    ({"dynamodb": {"Keys": {"PK": {"S": ["COMPANY#2000"]}}}}, False),
    ({"eventName": ["INSERT", "MODIFY"]}, True),                          # OR within a list
    ({"eventName": ["REMOVE"]}, False),
    ({"eventName": ["INSERT"], "dynamodb": {"NewImage": {"state": {"S": ["FL"]}}}}, True),   # AND of keys
    ({"eventName": ["INSERT"], "dynamodb": {"NewImage": {"state": {"S": ["CA"]}}}}, False),
    # empty string
    ({"dynamodb": {"NewImage": {"type": {"S": [""]}}}}, True),
    # prefix / suffix (and with equals-ignore-case)
    ({"dynamodb": {"Keys": {"SK": {"S": [{"prefix": "PRODUCT#CHOCOLATE"}]}}}}, True),
    ({"dynamodb": {"Keys": {"SK": {"S": [{"prefix": "PRODUCT#CANDY"}]}}}}, False),
    ({"dynamodb": {"Keys": {"SK": {"S": [{"suffix": "#1000"}]}}}}, True),
    ({"dynamodb": {"NewImage": {"fabric": {"S": [{"suffix": {"equals-ignore-case": "CHOCOLATES"}}]}}}}, True),
    ({"dynamodb": {"NewImage": {"fabric": {"S": [{"prefix": {"equals-ignore-case": "florida"}}]}}}}, True),
    # equals-ignore-case
    ({"dynamodb": {"NewImage": {"state": {"S": [{"equals-ignore-case": "fl"}]}}}}, True),
    # anything-but: value, list, prefix, suffix, ignore case
    ({"dynamodb": {"NewImage": {"state": {"S": [{"anything-but": "FL"}]}}}}, False),
    ({"dynamodb": {"NewImage": {"state": {"S": [{"anything-but": ["CA", "NY"]}]}}}}, True),
    ({"dynamodb": {"NewImage": {"state": {"S": [{"anything-but": {"prefix": "F"}}]}}}}, False),
    ({"dynamodb": {"NewImage": {"state": {"S": [{"anything-but": {"suffix": "X"}}]}}}}, True),
    ({"dynamodb": {"NewImage": {"state": {"S": [{"anything-but": {"equals-ignore-case": ["fl"]}}]}}}}, False),
    # numeric: JSON numbers only (DynamoDB's N values are strings, so a range over them never matches)
    ({"dynamodb": {"SizeBytes": [{"numeric": [">", 100, "<=", 174]}]}}, True),
    ({"dynamodb": {"SizeBytes": [{"numeric": ["=", 174]}]}}, True),
    ({"dynamodb": {"SizeBytes": [{"numeric": ["<", 100]}]}}, False),
    ({"dynamodb": {"NewImage": {"price": {"N": [{"numeric": [">", 10]}]}}}}, False),
    ({"dynamodb": {"NewImage": {"price": {"N": ["15"]}}}}, True),
    ({"dynamodb": {"SizeBytes": [174.0]}}, True),              # numbers compare by value
    ({"dynamodb": {"SizeBytes": ["174"]}}, False),             # and never equal a string
    # exists
    ({"dynamodb": {"NewImage": {"state": {"S": [{"exists": True}]}}}}, True),
    ({"dynamodb": {"NewImage": {"region": {"S": [{"exists": True}]}}}}, False),
    ({"dynamodb": {"NewImage": {"region": {"S": [{"exists": False}]}}}}, True),
    ({"dynamodb": {"OldImage": {"state": {"S": [{"exists": False}]}}}}, True),   # whole OldImage missing
    ({"dynamodb": {"NewImage": {"state": [{"exists": True}]}}}, False),          # an object is not a leaf
    # arrays in the record: any element
    ({"dynamodb": {"NewImage": {"tags": {"SS": ["vegan"]}}}}, True),
    ({"dynamodb": {"NewImage": {"tags": {"SS": ["milk"]}}}}, False),
    # $or of patterns
    ({"$or": [{"eventName": ["REMOVE"]}, {"dynamodb": {"NewImage": {"state": {"S": ["FL"]}}}}]}, True),
    ({"$or": [{"eventName": ["REMOVE"]}, {"dynamodb": {"NewImage": {"state": {"S": ["TX"]}}}}]}, False),
    # TTL deletions: the service identity
    ({"userIdentity": {"type": ["Service"], "principalId": ["dynamodb.amazonaws.com"]}}, True),
    # wildcard
    ({"dynamodb": {"Keys": {"SK": {"S": [{"wildcard": "PRODUCT#*#1000"}]}}}}, True),
    ({"dynamodb": {"Keys": {"SK": {"S": [{"wildcard": "PRODUCT#*#2000"}]}}}}, False),
])
def test_documented_patterns(pattern, expected):
    assert matches(pattern) is expected
    assert matches(json.dumps(pattern)) is expected   # FilterCriteria carries patterns as JSON text


def test_null_matches_null_only():
    assert compile_pattern({"a": [None]})({"a": None})
    assert not compile_pattern({"a": [None]})({})
    assert not compile_pattern({"a": [None]})({"a": "x"})


def test_several_filters_are_ored_and_none_pass_everything():
    either = compile_filters([{"eventName": ["REMOVE"]}, {"eventName": ["INSERT"]}])
    assert either(RECORD)
    assert not compile_filters([{"eventName": ["REMOVE"]}])(RECORD)
    assert compile_filters([]) is None and compile_filters(None) is None


@pytest.mark.parametrize("bad", [
    {}, {"a": "x"}, {"a": []}, {"a": [{"prefix": 1}]}, {"a": [{"numeric": [">", "1"]}]},
    {"a": [{"numeric": ["<", 1, ">", 0]}]}, {"a": [{"exists": "yes"}]}, {"a": [{"unknown-op": 1}]},
    {"a": [{"prefix": "x", "suffix": "y"}]}, {"$or": [{"a": ["x"]}]}, "not json", {"a": [{"wildcard": "a**b"}]},
    {"a": [{"anything-but": [{"prefix": "x"}]}]},
])
def test_malformed_patterns_are_refused(bad):
    with pytest.raises(InvalidProcessorConfig):
        compile_pattern(bad)
