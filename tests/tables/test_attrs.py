"""Attribute values: DynamoDB's validation messages, canonical numbers and items, key rules, the item-size rule."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logstore.errors import ValidationException
from logstore.tables.attrs import (MAX_ITEM_SIZE, canonical_item, canonical_number, check_item_size, check_key,
                                   item_size, number_parts)

INVALID = "One or more parameter values were invalid: "


def fails(message, fn, *args, **kwargs):
    with pytest.raises(ValidationException) as info:
        fn(*args, **kwargs)
    assert info.value.message == message
    return info.value


# ---------------------------------------------------------------------------------------------------------------
# Numbers

@pytest.mark.parametrize("text, canonical", [
    ("0", "0"), ("-0", "0"), ("+0", "0"), ("0.000", "0"), ("-0.0E5", "0"), ("0e99999", "0"), ("00", "0"),
    ("1", "1"), ("+5", "5"), ("-7", "-7"), ("1.50", "1.5"), ("1E2", "100"), ("1e+2", "100"), ("1e-3", "0.001"),
    (".5", "0.5"), ("5.", "5"), ("-.25", "-0.25"), ("00012.3400", "12.34"), ("123.45", "123.45"),
    ("1723213300", "1723213300"), ("12345E-2", "123.45"), ("0.0001234e4", "1.234"), ("-1.0e1", "-10"),
    ("1e0000000000000000005", "100000"),
    ("1E125", "1" + "0" * 125), ("-1E125", "-1" + "0" * 125),
    ("9.9999999999999999999999999999999999999E+125", "9" * 38 + "0" * 88),
    ("1E-130", "0." + "0" * 129 + "1"), ("-1E-130", "-0." + "0" * 129 + "1"),
    ("0.1E-129", "0." + "0" * 129 + "1"),
    ("1" * 38, "1" * 38), ("1." + "1" * 37, "1." + "1" * 37), ("1" * 38 + "0" * 50, "1" * 38 + "0" * 50),
    ("0.000" + "1" * 38, "0.000" + "1" * 38), ("1." + "0" * 60, "1"),
])
def test_canonical_number(text, canonical):
    assert canonical_number(text) == canonical
    assert canonical_number(canonical) == canonical


@pytest.mark.parametrize("text", [
    " 1", "1 ", "\t1", "NaN", "nan", "Infinity", "-Infinity", "inf", "0x10", "1_000", "abc", "b", ".", "-", "+",
    "e5", "1e", "1e+", "--1", "+-1", "1.2.3", "1e5.5", "1,5", "١", "１", "1e99999999999", "1e-99999999999",
])
def test_not_a_number(text):
    fails(f"The parameter cannot be converted to a numeric value: {text}", canonical_number, text)


def test_empty_number_message_has_no_value():
    fails("The parameter cannot be converted to a numeric value", canonical_number, "")


@pytest.mark.parametrize("text, message", [
    ("1" * 39, "Attempting to store more than 38 significant digits in a Number"),
    ("123456789012345678901234567890123456789", "Attempting to store more than 38 significant digits in a Number"),
    ("-1.23456789012345678901234567890123456789",
     "Attempting to store more than 38 significant digits in a Number"),
    ("1e126", "Number overflow. Attempting to store a number with magnitude larger than supported range"),
    ("-1e126", "Number overflow. Attempting to store a number with magnitude larger than supported range"),
    ("10E125", "Number overflow. Attempting to store a number with magnitude larger than supported range"),
    ("1" * 200, "Number overflow. Attempting to store a number with magnitude larger than supported range"),
    ("1e-131", "Number underflow. Attempting to store a number with magnitude smaller than supported range"),
    ("-1e-131", "Number underflow. Attempting to store a number with magnitude smaller than supported range"),
    ("0.99E-130", "Number underflow. Attempting to store a number with magnitude smaller than supported range"),
])
def test_number_limits(text, message):
    fails(message, canonical_number, text)


def test_number_parts():
    assert number_parts("-12.300e1") == (True, "123", 0)
    assert number_parts("0.00") == (False, "", 0)
    assert number_parts("1500") == (False, "15", 2)


numbers = st.builds(
    lambda negative, coefficient, adjusted: Decimal((negative, tuple(int(d) for d in str(coefficient)),
                                                     adjusted - len(str(coefficient)) + 1)),
    st.booleans(), st.integers(1, 10**38 - 1), st.integers(-130, 125))


@settings(max_examples=300, deadline=None)
@given(numbers, st.sampled_from(["{:e}", "{:E}", "{:f}", "{}"]), st.integers(0, 3), st.integers(0, 3))
def test_canonical_number_is_the_exact_value(value, form, lead, trail):
    text = form.format(value)
    if "e" not in text.lower():
        digits = text.lstrip("-")
        text = ("-" if value < 0 else "") + "0" * lead + digits + ("" if "." in digits else ".") + "0" * trail
    canonical = canonical_number(text)
    assert Decimal(canonical) == value
    assert "e" not in canonical.lower() and not canonical.startswith("+")
    assert canonical_number(canonical) == canonical


# ---------------------------------------------------------------------------------------------------------------
# Canonical items

def test_canonical_item_types_and_order():
    item = {
        "s": {"S": "x"}, "e": {"S": ""}, "n": {"N": "1.50"}, "b": {"B": b"\x00raw"}, "t": {"BOOL": False},
        "nul": {"NULL": True}, "ss": {"SS": ["b", "a", "", "é"]}, "ns": {"NS": ["10", "9", "-1", "1.0"]},
        "bs": {"BS": [b"\xff", b"", b"\x00"]},
        "m": {"M": {"x": {"N": "01"}, "": {"NS": ["2", "1"]}}}, "l": {"L": [{"N": "1e2"}, {"SS": ["z", "y"]}]},
        "em": {"M": {}}, "el": {"L": []},
    }
    assert canonical_item(item) == {
        "s": {"S": "x"}, "e": {"S": ""}, "n": {"N": "1.5"}, "b": {"B": b"\x00raw"}, "t": {"BOOL": False},
        "nul": {"NULL": True}, "ss": {"SS": ["", "a", "b", "é"]}, "ns": {"NS": ["-1", "1", "9", "10"]},
        "bs": {"BS": [b"", b"\x00", b"\xff"]},
        "m": {"M": {"x": {"N": "1"}, "": {"NS": ["1", "2"]}}}, "l": {"L": [{"N": "100"}, {"SS": ["y", "z"]}]},
        "em": {"M": {}}, "el": {"L": []},
    }


def test_canonical_item_is_a_copy_and_idempotent():
    item = {"a": {"S": "x"}, "m": {"M": {"k": {"L": [{"S": "v"}]}}}, "n": {"N": "7"}}
    out = canonical_item(item)
    assert out == item and canonical_item(out) == out
    item["a"]["S"] = "changed"
    item["m"]["M"]["k"]["L"].append({"S": "w"})
    assert out == {"a": {"S": "x"}, "m": {"M": {"k": {"L": [{"S": "v"}]}}}, "n": {"N": "7"}}


def test_equal_items_compare_equal():
    a = canonical_item({"ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1.0", "2"]}, "x": {"N": "1e1"}})
    b = canonical_item({"x": {"N": "10"}, "ns": {"NS": ["2", "1"]}, "ss": {"SS": ["b", "a"]}})
    assert a == b


def test_key_names_come_first():
    out = canonical_item({"x": {"S": "1"}, "sk": {"N": "2"}, "pk": {"S": "3"}}, key_names=("pk", "sk"))
    assert list(out) == ["pk", "sk", "x"]
    assert list(canonical_item({"x": {"S": "1"}}, key_names=("pk",))) == ["x"]


def test_json_null_and_unknown_type_keys_are_ignored():
    assert canonical_item({"a": {"S": "x", "X": 1}, "b": {"N": None, "S": "y"}}) == \
        {"a": {"S": "x"}, "b": {"S": "y"}}


EMPTY = "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
MULTI = "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
BAD = "Invalid attribute value type"


@pytest.mark.parametrize("av, message", [
    ({}, EMPTY), ({"X": "a"}, EMPTY), ({"S": None}, EMPTY), ({"s": "a"}, EMPTY),
    ({"M": {"a": {}}}, EMPTY), ({"L": [{}]}, EMPTY), ({"L": [{"a": {}}]}, EMPTY),
    ({"S": "a", "N": "1"}, MULTI), ({"BOOL": True, "NULL": True}, MULTI),
    ({"S": "", "N": ""}, "The parameter cannot be converted to a numeric value"),
    ({"S": "a", "N": "b"}, "The parameter cannot be converted to a numeric value: b"),
    ({"NULL": False}, INVALID + "Null attribute value types must have the value of true"),
    ({"SS": []}, INVALID + "An string set  may not be empty"),
    ({"NS": []}, INVALID + "An number set  may not be empty"),
    ({"BS": []}, INVALID + "Binary sets should not be empty"),
    ({"SS": ["a", "a"]}, INVALID + "Input collection [a, a] contains duplicates."),
    ({"SS": ["0", "1", "0"]}, INVALID + "Input collection [0, 1, 0] contains duplicates."),
    ({"BS": [b"b", b"b"]}, INVALID + "Input collection [Yg==, Yg==]of type BS contains duplicates."),
    ({"NS": ["1", "1"]}, "Input collection contains duplicates"),
    ({"NS": ["1", "1.0"]}, "Input collection contains duplicates"),
    ({"NS": ["1", ""]}, "The parameter cannot be converted to a numeric value"),
    ({"NS": ["1", "b"]}, "The parameter cannot be converted to a numeric value: b"),
    ({"N": "1e126"}, "Number overflow. Attempting to store a number with magnitude larger than supported range"),
    ({"M": {"x": {"N": "x"}}}, "The parameter cannot be converted to a numeric value: x"),
    ({"S": 1}, BAD), ({"S": b"x"}, BAD), ({"N": 1}, BAD), ({"N": 1.5}, BAD), ({"B": "eA=="}, BAD),
    ({"B": bytearray(b"x")}, BAD), ({"BOOL": 1}, BAD), ({"BOOL": "true"}, BAD), ({"NULL": "no"}, BAD),
    ({"SS": "a"}, BAD), ({"SS": [1]}, BAD), ({"NS": [1]}, BAD), ({"BS": ["eA=="]}, BAD), ({"M": []}, BAD),
    ({"M": {1: {"S": "x"}}}, BAD), ({"L": {}}, BAD), ({"L": ["x"]}, BAD), ("S", BAD), (None, BAD),
    ({"S": "\ud800"}, "Invalid attribute value type: string is not valid UTF-8"),
    ({"SS": ["\udfff"]}, "Invalid attribute value type: string is not valid UTF-8"),
])
def test_invalid_values(av, message):
    fails(message, canonical_item, {"a": av})


def test_invalid_items_and_names():
    fails(BAD, canonical_item, [("a", {"S": "x"})])
    fails(BAD, canonical_item, {1: {"S": "x"}})
    fails(INVALID + "Empty attribute name", canonical_item, {"": {"S": "x"}})
    fails("Invalid attribute value type: string is not valid UTF-8", canonical_item, {"\ud800": {"S": "x"}})
    assert canonical_item({"é": {"S": "ü"}}) == {"é": {"S": "ü"}}
    assert canonical_item({}) == {}


def nested(depth, kind):
    av = {"S": "leaf"}
    for _ in range(depth - 1):
        av = {"M": {"k": av}} if kind == "M" else {"L": [av]}
    return av


@pytest.mark.parametrize("kind", ["M", "L"])
def test_nesting_limit(kind):
    assert canonical_item({"a": nested(32, kind)}) == {"a": nested(32, kind)}
    fails("Nesting Levels have exceeded supported limits: "
          "Attributes in the item have nested levels beyond supported limit",
          canonical_item, {"a": nested(33, kind)})


# ---------------------------------------------------------------------------------------------------------------
# Keys

HASH = [("pk", "S")]
HASH_RANGE = [("pk", "S"), ("sk", "N")]


def test_check_key_accepts():
    check_key({"pk": {"S": "a"}, "x": {"S": "y"}}, HASH, exact=False)
    check_key({"pk": {"S": "a"}, "sk": {"N": "1"}}, HASH_RANGE, exact=True)
    check_key({"pk": {"B": b"\x00"}}, [("pk", "B")], exact=True)
    check_key({"pk": {"S": "é" * 1024}}, HASH, exact=True)                 # 2048 bytes
    check_key({"h": {"N": "1"}, "r": {"B": b"x" * 1024}}, [("h", "N"), ("r", "B")], exact=False)


@pytest.mark.parametrize("item, schema, message", [
    ({"x": {"S": "a"}}, HASH, INVALID + "Missing the key pk in the item"),
    ({"pk": {"S": "a"}}, HASH_RANGE, INVALID + "Missing the key sk in the item"),
    ({"pk": {"N": "1"}}, HASH, INVALID + "Type mismatch for key pk expected: S actual: N"),
    ({"pk": {"S": "a"}, "sk": {"SS": ["1"]}}, HASH_RANGE, INVALID + "Type mismatch for key sk expected: N actual: SS"),
    ({"pk": {"S": ""}}, HASH, "One or more parameter values are not valid. The AttributeValue for a key attribute "
                              "cannot contain an empty string value. Key: pk"),
    ({"pk": {"B": b""}}, [("pk", "B")], "One or more parameter values are not valid. The AttributeValue for a key "
                                        "attribute cannot contain an empty binary value. Key: pk"),
    ({"pk": {"S": "a" * 2049}}, HASH,
     INVALID + "Size of hashkey has exceeded the maximum size limit of2048 bytes"),
    ({"pk": {"S": "é" * 1024 + "a"}}, HASH,
     INVALID + "Size of hashkey has exceeded the maximum size limit of2048 bytes"),
    ({"h": {"S": "a"}, "r": {"S": "a" * 1025}}, [("h", "S"), ("r", "S")],
     INVALID + "Aggregated size of all range keys has exceeded the size limit of 1024 bytes"),
])
def test_check_key_item_messages(item, schema, message):
    fails(message, check_key, item, schema, exact=False)


@pytest.mark.parametrize("key, schema", [
    ({}, HASH), ({"x": {"S": "a"}}, HASH), ({"pk": {"S": "a"}, "x": {"S": "b"}}, HASH),
    ({"pk": {"N": "1"}}, HASH), ({"pk": {"S": "a"}}, HASH_RANGE), ({"pk": {"S": "a"}, "x": {"N": "1"}}, HASH_RANGE),
    ({"pk": {"S": "a"}, "sk": {"S": "1"}}, HASH_RANGE),
])
def test_check_key_exact_messages(key, schema):
    fails("The provided key element does not match the schema", check_key, key, schema, exact=True)


def test_check_key_exact_still_checks_values():
    fails("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an "
          "empty string value. Key: pk", check_key, {"pk": {"S": ""}}, HASH, exact=True)


# ---------------------------------------------------------------------------------------------------------------
# Sizes (spec §4.3)

def test_size_spec_keys_only_example():
    assert item_size({"ForumName": {"S": "DynamoDB"}, "Subject": {"S": "DynamoDB Thread 3"}}) == 41


def test_size_lambda_doc_records():
    keys = {"Id": {"N": "101"}}
    inserted = {"Message": {"S": "New item!"}, "Id": {"N": "101"}}
    new = {"Id": {"N": "101"}, "Message": {"S": "This item has changed"}}
    assert item_size(keys) + item_size(inserted) == 26                        # INSERT, NEW_AND_OLD_IMAGES
    assert item_size(keys) + item_size(new) + item_size(inserted) == 59       # MODIFY


@pytest.mark.parametrize("text, size", [
    ("0", 1), ("1", 2), ("12", 2), ("101", 3), ("1723213300", 5), ("-1723213300", 5), ("0.001", 2),
    ("123.45", 4), ("1" * 38, 20), ("1" * 38 + "0" * 88, 20), ("1" + "0" * 125, 2), ("11" + "0" * 124, 2),
    ("11111" + "0" * 121, 4), ("1111111" + "0" * 119, 5),
])
def test_number_size(text, size):
    assert item_size({"n": {"N": text}}) == 1 + size


def test_size_of_every_type():
    item = {"é": {"S": "ü"}, "b": {"B": b"\x00\x01"}, "t": {"BOOL": True}, "z": {"NULL": True},
            "ss": {"SS": ["ab", "c"]}, "ns": {"NS": ["1", "123"]}, "bs": {"BS": [b"x", b"yz"]},
            "m": {"M": {"k": {"S": "v"}, "kk": {"M": {}}}}, "l": {"L": [{"N": "5"}, {"L": []}]}}
    assert item_size(item) == sum([
        2 + 2, 1 + 2, 1 + 1, 1 + 1,
        2 + 3, 2 + (2 + 3), 2 + 3,
        1 + 3 + (1 + 1 + 1) + (1 + 2 + 3),
        1 + 3 + (1 + 2) + (1 + 3),
    ])


def test_item_size_limit():
    def item(total):
        return {"a": {"S": "k"}, "b": {"S": "x" * (total - 3)}}
    assert item_size(item(MAX_ITEM_SIZE)) == MAX_ITEM_SIZE
    assert check_item_size(item(MAX_ITEM_SIZE)) == MAX_ITEM_SIZE
    fails("Item size has exceeded the maximum allowed size", check_item_size, item(MAX_ITEM_SIZE + 1))
