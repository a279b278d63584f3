"""Item validation on the write operations: a rejected write is a ValidationException, stores nothing and
produces no stream record; an unknown table is ResourceNotFoundException."""
from __future__ import annotations

import pytest

from apihelpers import item
from logstore.errors import ResourceNotFoundException, ValidationException

INVALID = "One or more parameter values were invalid: "

BAD_ITEMS = {
    "missing key": ({"v": {"S": "x"}}, INVALID + "Missing the key pk in the item"),
    "wrongly typed key": ({"pk": {"N": "1"}}, INVALID + "Type mismatch for key pk expected: S actual: N"),
    "empty string key": ({"pk": {"S": ""}}, None),
    "empty SS": ({"pk": {"S": "a"}, "s": {"SS": []}}, INVALID + "An string set  may not be empty"),
    "empty NS": ({"pk": {"S": "a"}, "s": {"NS": []}}, INVALID + "An number set  may not be empty"),
    "empty BS": ({"pk": {"S": "a"}, "s": {"BS": []}}, None),
    "duplicate SS member": ({"pk": {"S": "a"}, "s": {"SS": ["x", "x"]}}, None),
    "duplicate NS member": ({"pk": {"S": "a"}, "s": {"NS": ["1", "1"]}}, None),
    "duplicate BS member": ({"pk": {"S": "a"}, "s": {"BS": [b"x", b"x"]}}, None),
    "invalid number": ({"pk": {"S": "a"}, "n": {"N": "abc"}}, None),
    "empty number": ({"pk": {"S": "a"}, "n": {"N": ""}}, None),
    "39 significant digits": ({"pk": {"S": "a"}, "n": {"N": "1" * 39}},
                              "Attempting to store more than 38 significant digits in a Number"),
    "item over 400 KB": ({"pk": {"S": "a"}, "big": {"S": "x" * (400 * 1024)}},
                         "Item size has exceeded the maximum allowed size"),
    "two types in one value": ({"pk": {"S": "a"}, "v": {"S": "x", "N": "1"}}, None),
    "NULL false": ({"pk": {"S": "a"}, "v": {"NULL": False}}, None),
}


@pytest.fixture
def orders(api, store):
    arn = api.create_table("orders")
    store.put_item(TableName="orders", Item=item("a", v=1))
    return arn


def _unchanged(api, store, arn):
    assert store.get_item(TableName="orders", Key={"pk": {"S": "a"}}) == {"Item": item("a", v=1)}
    assert api.events(arn) == ["INSERT"]
    assert store.describe_table(TableName="orders")["Table"]["ItemCount"] == 1


@pytest.mark.parametrize("case", list(BAD_ITEMS))
def test_put_item_with_invalid_item_writes_nothing(api, store, orders, case):
    bad, message = BAD_ITEMS[case]
    with pytest.raises(ValidationException) as e:
        store.put_item(TableName="orders", Item=bad)
    if message is not None:
        assert e.value.message == message
    _unchanged(api, store, orders)


def test_number_messages(api, store, orders):
    with pytest.raises(ValidationException) as e:
        store.put_item(TableName="orders", Item={"pk": {"S": "b"}, "n": {"N": "abc"}})
    assert e.value.message.startswith("The parameter cannot be converted to a numeric value")
    with pytest.raises(ValidationException) as e:
        store.put_item(TableName="orders", Item={"pk": {"S": "b"}, "s": {"SS": ["x", "x"]}})
    assert "contains duplicates" in e.value.message


def test_38_significant_digits_are_accepted(api, store, orders):
    store.put_item(TableName="orders", Item={"pk": {"S": "b"}, "n": {"N": "1" * 38}})
    assert api.events(orders) == ["INSERT", "INSERT"]


def test_item_just_under_400_kb_is_accepted(api, store, orders):
    store.put_item(TableName="orders", Item={"pk": {"S": "b"}, "big": {"S": "x" * (399 * 1024)}})
    assert api.events(orders) == ["INSERT", "INSERT"]


@pytest.mark.parametrize("case", ["missing key", "wrongly typed key", "empty SS", "invalid number",
                                  "39 significant digits", "item over 400 KB"])
def test_put_item_replacing_with_invalid_item_leaves_the_old_one(api, store, orders, case):
    bad = dict(BAD_ITEMS[case][0])
    if "pk" in bad and next(iter(bad["pk"])) == "S":
        bad["pk"] = {"S": "a"}
    with pytest.raises(ValidationException):
        store.put_item(TableName="orders", Item=bad)
    _unchanged(api, store, orders)


@pytest.mark.parametrize("key", [
    {},
    {"pk": {"N": "1"}},
    {"pk": {"S": "a"}, "extra": {"S": "x"}},
    {"other": {"S": "a"}},
    {"pk": {"S": ""}},
])
def test_delete_and_update_with_invalid_key_write_nothing(api, store, orders, key):
    with pytest.raises(ValidationException):
        store.delete_item(TableName="orders", Key=key)
    with pytest.raises(ValidationException):
        store.update_item(TableName="orders", Key=key, AttributeUpdates={"v": {"Action": "PUT",
                                                                                "Value": {"N": "2"}}})
    _unchanged(api, store, orders)


def test_update_item_with_invalid_value_writes_nothing(api, store, orders):
    for value in ({"SS": []}, {"N": "abc"}, {"N": "1" * 39}):
        with pytest.raises(ValidationException):
            store.update_item(TableName="orders", Key={"pk": {"S": "a"}},
                              AttributeUpdates={"v": {"Action": "PUT", "Value": value}})
    with pytest.raises(ValidationException):   # a key attribute cannot be updated
        store.update_item(TableName="orders", Key={"pk": {"S": "a"}},
                          AttributeUpdates={"pk": {"Action": "PUT", "Value": {"S": "b"}}})
    _unchanged(api, store, orders)


def test_unknown_table_is_resource_not_found(api, store, orders):
    key = {"pk": {"S": "a"}}
    calls = [
        lambda: store.put_item(TableName="nosuch", Item=item("a")),
        lambda: store.get_item(TableName="nosuch", Key=key),
        lambda: store.delete_item(TableName="nosuch", Key=key),
        lambda: store.update_item(TableName="nosuch", Key=key),
        lambda: store.describe_table(TableName="nosuch"),
        lambda: store.update_table(TableName="nosuch", StreamSpecification={"StreamEnabled": False}),
        lambda: store.delete_table(TableName="nosuch"),
        lambda: store.batch_write_item(RequestItems={"nosuch": [{"PutRequest": {"Item": item("a")}}]}),
    ]
    for call in calls:
        with pytest.raises(ResourceNotFoundException) as e:
            call()
        assert e.value.message.startswith("Requested resource not found")
    _unchanged(api, store, orders)


def test_batch_with_an_unknown_table_writes_nothing(api, store, orders):
    with pytest.raises(ResourceNotFoundException):
        store.batch_write_item(RequestItems={"orders": [{"PutRequest": {"Item": item("b")}}],
                                             "nosuch": [{"PutRequest": {"Item": item("a")}}]})
    assert store.get_item(TableName="orders", Key={"pk": {"S": "b"}}) == {}
    _unchanged(api, store, orders)
